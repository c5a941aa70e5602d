/*
 * Copyright (c) 2026 The vf-zc authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at:
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

/* libFuzzer target for the relay of one queue pair (vf-zc-relay.h) and the
 * zero-copy pools of both ways (vf-zc-rxpool.h, vf-zc-txpool.h), with
 * everything a guest controls, and what a VF does, chosen by the fuzzer.
 *
 * The guest is a block of memory holding both rings and their buffers,
 * filled from the input and written again between rounds.  The VF is a
 * fake DPDK device of this file, installed in ethdev's fast-path table:
 * its receive queue holds mbufs from whatever pool the queue was set up
 * with (the host pool, or the zero-copy pool, which hands out the guest's
 * buffers or, while it cannot or zero copy is off, the host pool's),
 * writes each packet into its mbuf as a NIC would, and refills as drivers
 * do; its transmit queue takes or refuses what it is given, and keeps the
 * guest's buffers lent to it, if the input says so, until the input frees
 * them, in any order, or the queue pair stops.  The input then
 * drives rounds of the relay, pipeline output, the VF's traffic, the
 * guest's writes, and stops, disablings and restarts of the queue pair as
 * the netdev does them.
 *
 * Checked as it runs, beyond what AddressSanitizer checks (every access
 * outside guest memory, a packet the fake NIC writes through a wrongly
 * bound mbuf included):
 *   - no round of the relay reads more than its budget of descriptors from
 *     either ring, and none from the transmit ring while a message holds
 *     the queue pair, nor any interrupt meanwhile;
 *   - every packet the VF delivers is relayed or counted as dropped;
 *   - every packet the VF is given is well formed, and what is lent of the
 *     guest's memory lies inside it;
 *   - after a stop, every descriptor taken has been returned, but those a
 *     broken ring had in flight (it returns nothing more), no buffer is
 *     lost, and every mbuf is back in its pool;
 *   - while the guest is being migrated, with a dirty-page log of a size
 *     and used rings' addresses the input chooses (right or wrong, as a
 *     front end's may be): nothing is written outside the log, and when
 *     the used rings' addresses are right, each round marks every page of
 *     the used rings that it changed.
 *
 * Built by 'make fuzz-relay' with clang, on the sanitized build
 * (ovs-sanitized/), which it links for Open vSwitch and DPDK.  DPDK's EAL
 * runs without hugepages or devices.  'make fuzz-relay-long' builds it a
 * second time without sanitizers, on the plain build, about ten times
 * faster, for long runs: there the checks above and the guard pages around
 * the guest's memory still hold, and every input the run keeps is then run
 * again through the sanitized build. */

#include <config.h>
#undef NDEBUG
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dp-packet.h"
#include "packets.h"
#include "util.h"
#include "vf-zc-guest-mem.h"
#include "vf-zc-mempool.h"
#include "vf-zc-relay.h"
#include "vf-zc-rxpool.h"
#include "vf-zc-txpool.h"
#include "vf-zc-virtio-net.h"
#include "vf-zc-vring.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The guest: rings at fixed offsets of its memory, buffers anywhere. */
#define GUEST_GPA 0x200000
#define GUEST_SIZE 16384        /* Room for a jumbo frame's buffer. */
#define RX_DESC 0x0000
#define RX_AVAIL 0x0800
#define RX_USED 0x0a00
#define TX_DESC 0x1000
#define TX_AVAIL 0x1800
#define TX_USED 0x1a00
#define MAX_RING 128            /* Largest ring the input can ask for. */

/* The dirty-page log: GUEST_LOG bytes cover the guest's memory, and the
 * input may give a log smaller or larger, up to LOG_MAX; what is beyond the
 * log given must stay untouched. */
#define GUEST_LOG DIV_ROUND_UP(GUEST_GPA + GUEST_SIZE, VF_ZC_DIRTY_LOG_PAGE * 8)
#define LOG_MAX (2 * GUEST_LOG)

/* The fake VF, as DPDK port FAKE_PORT. */
#define FAKE_PORT 0
#define FAKE_RING 64            /* Descriptors of its receive queue. */
#define HOST_MBUFS 1024
#define ZC_HDRS (FAKE_RING + 2 * NETDEV_MAX_BURST)

struct fake_rxq {
    struct rte_mempool *mp;     /* What the queue was set up with. */
    struct rte_mbuf *ring[FAKE_RING];
    unsigned int n;             /* Mbufs the queue holds. */
    unsigned int backlog;       /* Packets waiting on the wire. */
    uint16_t len;               /* Their length. */
    uint64_t delivered;         /* Packets handed to the relay. */
};

#define FAKE_TX_HOLD 64          /* Lent packets the VF may keep. */
#define TX_SLOTS 8              /* Chains in flight at most. */
#define MAX_TX_RETIRED 4        /* Pools abandoned in one input. */

struct fake_txq {
    unsigned int room;          /* Packets it takes per burst. */
    bool hold;                  /* Keeps what is lent, until freed. */
    struct rte_mbuf *held[FAKE_TX_HOLD];
    unsigned int n_held;
    uint64_t offered_lent;      /* Lent packets offered, taken or not. */
};

static struct fake_rxq rxq;
static struct fake_txq txq;
static void *rxq_data[RTE_MAX_QUEUES_PER_PORT];
static void *txq_data[RTE_MAX_QUEUES_PER_PORT];
static void *rxq_clbk[RTE_MAX_QUEUES_PER_PORT];
static void *txq_clbk[RTE_MAX_QUEUES_PER_PORT];

/* The guest's memory, zeroed for each input and mapped once, between two
 * inaccessible pages: an access just outside it faults in any build, the
 * fast one without AddressSanitizer included. */
static uint8_t *guest_mem;
static uint8_t log_bits[LOG_MAX];

static struct rte_mempool *host_mp;
static struct vf_zc_rxpool *zc_pools[2];    /* Frames of 1518 and 9018. */
static struct vf_zc_txpool *tx_pool;       /* The one an input starts with. */
static volatile uint8_t fake_tx_sum;        /* What the fake NIC read. */
static int callfds[2];                      /* The rings' interrupts. */
static unsigned int interrupts[2];          /* Written to them, not read. */

/* The harness (the fake VF, the guest's side and the checks) is not code
 * under test: its branches would only crowd the coverage map, and its
 * comparisons, each a call into libFuzzer, cost time on every round. */
#define HARNESS __attribute__((no_sanitize("coverage")))

/* The relay's interrupts to the guest.  This definition takes the place of
 * the C library's for the whole program, so that an interrupt costs no
 * system call: at two reads and up to a write a round, those took more than
 * a third of the fuzzer's time.  The descriptors are real eventfds all the
 * same, so that any other write still reaches the kernel. */
HARNESS int
eventfd_write(int fd, eventfd_t value)
{
    for (int i = 0; i < ARRAY_SIZE(callfds); i++) {
        if (fd == callfds[i]) {
            interrupts[i] += value != 0;
            return 0;
        }
    }
    return write(fd, &value, sizeof value) == sizeof value ? 0 : -1;
}

/* Takes mbufs from the queue's pool until the ring is full or the pool
 * refuses, as a driver refills after receiving: in one bulk when the pool
 * has enough, else one at a time. */
static HARNESS void
fake_refill(struct fake_rxq *q)
{
    if (q->n < FAKE_RING
        && !rte_pktmbuf_alloc_bulk(q->mp, &q->ring[q->n], FAKE_RING - q->n)) {
        q->n = FAKE_RING;
    }
    while (q->n < FAKE_RING) {
        struct rte_mbuf *m = rte_pktmbuf_alloc(q->mp);

        if (!m) {
            break;
        }
        q->ring[q->n++] = m;
    }
}

/* Releases every mbuf the queue holds, as a driver does when its queue is
 * set up again. */
static HARNESS void
fake_release(struct fake_rxq *q)
{
    rte_pktmbuf_free_bulk(q->ring, q->n);
    q->n = 0;
}

static HARNESS uint16_t
fake_rx(void *qd, struct rte_mbuf **pkts, uint16_t nb)
{
    struct fake_rxq *q = qd;
    uint16_t n = 0;

    fake_refill(q);
    while (n < nb && q->backlog && q->n) {
        struct rte_mbuf *m = q->ring[--q->n];
        uint16_t room = m->buf_len - m->data_off;
        uint16_t len = MIN(q->len, room);

        /* The NIC writes the packet where the mbuf says: into the guest's
         * buffer, in zero copy. */
        memset(rte_pktmbuf_mtod(m, uint8_t *), 0x5a, len);
        m->data_len = m->pkt_len = len;
        m->nb_segs = 1;
        m->next = NULL;
        m->ol_flags = len & 1 ? RTE_MBUF_F_RX_L4_CKSUM_GOOD : 0;
        pkts[n++] = m;
        q->backlog--;
    }
    q->delivered += n;
    return n;
}

static HARNESS uint16_t
fake_tx(void *qd, struct rte_mbuf **pkts, uint16_t nb)
{
    struct fake_txq *q = qd;
    uint16_t n = MIN(nb, q->room);

    /* Each packet, one mbuf or a chain, is well formed, as a driver that
     * reads it expects; what lies in the guest's memory lies inside it,
     * and the NIC reads it all. */
    for (uint16_t i = 0; i < nb; i++) {
        const struct rte_mbuf *s = pkts[i];
        uint32_t len = 0;
        uint16_t segs = 0;
        uint8_t sum = 0;

        q->offered_lent += RTE_MBUF_HAS_EXTBUF(s) != 0;

        for (; s; s = s->next) {
            const uint8_t *data = rte_pktmbuf_mtod(s, const uint8_t *);

            ovs_assert(s->data_len && s->data_off + s->data_len <= s->buf_len);
            if (RTE_MBUF_HAS_EXTBUF(s)) {
                ovs_assert(data >= guest_mem
                           && data + s->data_len <= guest_mem + GUEST_SIZE);
                ovs_assert(rte_pktmbuf_iova(s) == (uintptr_t) data);
            }
            for (uint16_t j = 0; j < s->data_len; j++) {
                sum += data[j];
            }
            len += s->data_len;
            segs++;
        }
        ovs_assert(segs == pkts[i]->nb_segs && len == pkts[i]->pkt_len);
        fake_tx_sum += sum;
    }

    for (uint16_t i = 0; i < n; i++) {
        if (q->hold && RTE_MBUF_HAS_EXTBUF(pkts[i])
            && q->n_held < FAKE_TX_HOLD) {
            q->held[q->n_held++] = pkts[i];
        } else {
            rte_pktmbuf_free(pkts[i]);
        }
    }
    return n;
}

/* The fake VF frees 'k' of the packets it keeps, from the 'first'th on,
 * wrapping around: in any order. */
static HARNESS void
fake_tx_free(struct fake_txq *q, unsigned int k, unsigned int first)
{
    unsigned int n = q->n_held;

    if (!n) {
        return;
    }
    k = MIN(k, n);
    first %= n;
    for (unsigned int i = 0; i < k; i++) {
        unsigned int j = (first + i) % n;

        rte_pktmbuf_free(q->held[j]);
        q->held[j] = NULL;
    }
    q->n_held = 0;
    for (unsigned int i = 0; i < n; i++) {
        if (q->held[i]) {
            q->held[q->n_held++] = q->held[i];
        }
    }
}

/* A transmit pool such as the netdev's: few chains in flight, so that the
 * table fills. */
static HARNESS struct vf_zc_txpool *
tx_pool_new(void)
{
    static unsigned int generation;
    struct vf_zc_txpool *pool;
    char name[RTE_MEMPOOL_NAMESIZE];

    snprintf(name, sizeof name, "fuzz_tx%u", generation++);
    pool = vf_zc_txpool_create(name, TX_SLOTS, 2 * TX_SLOTS, SOCKET_ID_ANY);
    if (!pool) {
        abort();
    }
    return pool;
}

int
LLVMFuzzerInitialize(int *argc OVS_UNUSED, char ***argv OVS_UNUSED)
{
    /* ethdev says so each time the relay asks the fake VF, which ethdev
     * does not know, to free what it sent (rte_eth_tx_done_cleanup()). */
    char *eal_args[] = {
        "vf-zc-relay-fuzzer", "--no-huge", "-m", "256", "--no-pci",
        "--no-shconf", "--no-telemetry", "-l", "0", "--log-level=*:error",
        "--log-level=lib.ethdev:critical",
    };
    struct rte_eth_fp_ops *ops = &rte_eth_fp_ops[FAKE_PORT];

    size_t page = sysconf(_SC_PAGESIZE);
    uint8_t *guarded;
    cpu_set_t cpus;

    /* The EAL pins this thread to lcore 0's CPU, as it would a PMD thread.
     * The harness polls nothing: it gives back the CPUs it had, or else
     * the parallel jobs of a long run would all share the first one. */
    if (sched_getaffinity(0, sizeof cpus, &cpus)
        || rte_eal_init(ARRAY_SIZE(eal_args), eal_args) < 0
        || sched_setaffinity(0, sizeof cpus, &cpus)) {
        abort();
    }
    guarded = mmap(NULL, GUEST_SIZE + 2 * page, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (guarded == MAP_FAILED
        || GUEST_SIZE % page
        || mprotect(guarded + page, GUEST_SIZE, PROT_READ | PROT_WRITE)) {
        abort();
    }
    guest_mem = guarded + page;
    host_mp = vf_zc_mempool_create("fuzz_host", HOST_MBUFS, 0,
                                   RTE_PKTMBUF_HEADROOM + 2048,
                                   SOCKET_ID_ANY, true);
    zc_pools[0] = vf_zc_rxpool_create("fuzz_zc0", ZC_HDRS, 1518,
                                      SOCKET_ID_ANY);
    zc_pools[1] = vf_zc_rxpool_create("fuzz_zc1", ZC_HDRS, 9018,
                                      SOCKET_ID_ANY);
    tx_pool = tx_pool_new();
    callfds[0] = eventfd(0, EFD_NONBLOCK);
    callfds[1] = eventfd(0, EFD_NONBLOCK);
    if (!host_mp || !zc_pools[0] || !zc_pools[1]
        || callfds[0] < 0 || callfds[1] < 0) {
        abort();
    }

    rxq_data[0] = &rxq;
    txq_data[0] = &txq;
    ops->rx_pkt_burst = fake_rx;
    ops->rxq.data = rxq_data;
    ops->rxq.clbk = rxq_clbk;
    ops->tx_pkt_burst = fake_tx;
    ops->txq.data = txq_data;
    ops->txq.clbk = txq_clbk;
    return 0;
}

/* The input, consumed a byte at a time; 0 once it runs out. */
struct input {
    const uint8_t *p, *end;
};

static HARNESS uint8_t
take(struct input *in)
{
    return in->p < in->end ? *in->p++ : 0;
}

static HARNESS uint16_t
take16(struct input *in)
{
    return take(in) | (take(in) << 8);
}

/* One fuzzed queue pair and its guest. */
struct bench {
    uint8_t *mem;               /* GUEST_SIZE bytes at GUEST_GPA. */
    struct vf_zc_guest_mem map;
    struct vf_zc_qp qp;
    uint32_t ring_size;
    uint64_t features;
    uint32_t tx_max_len;        /* Longest packet the guest may send. */
    bool tx_lend;               /* Zero-copy transmit, of chains of at */
    unsigned int tx_max_segs;   /* most this many buffers and at least */
    uint32_t tx_min_len;        /* this many bytes. */
    struct vf_zc_rxpool *pool;  /* Zero copy's, or NULL for copying. */
    bool zc;                    /* 'pool' is the VF queue's. */
    bool disabled;              /* The guest disabled the queue pair: the
                                 * VF queue has host buffers only, and the
                                 * relay discards what the guest sends. */
    bool held;                  /* A message about the rings' eventfds is
                                 * being handled (vf_zc_qp_hold()). */

    /* Dirty-page logging, if 'log.size' (its bits are 'log_bits'), with the
     * used rings at their right addresses, or not. */
    struct vf_zc_dirty_log log;
    bool used_gpa_right;

    /* Descriptors in flight when a ring broke: a broken ring returns
     * nothing more (vf-zc-vring.h), and a restart resumes where it stopped,
     * so these stay in flight for good.  So do the transmit chains that the
     * VF kept through a stop. */
    uint16_t lost_rx, lost_tx;

    /* Zero-copy transmit's pool now, and those abandoned with chains the VF
     * kept through a stop, as the netdev keeps them (tx_retired). */
    struct vf_zc_txpool *tx_pool;
    struct vf_zc_txpool *tx_retired[MAX_TX_RETIRED];
    unsigned int n_tx_retired;
};

static HARNESS bool
ring_init(struct bench *b, struct vf_zc_vring *vq, size_t desc, size_t avail,
          size_t used, uint16_t last_avail, uint16_t last_used)
{
    return vf_zc_vring_init(vq, b->mem + desc, b->mem + avail, b->mem + used,
                            b->ring_size, &b->map,
                            b->features & (UINT64_C(1) << 29),
                            b->features & (UINT64_C(1) << 28),
                            last_avail, last_used);
}

static void bench_round(struct bench *);

/* Starts the queue pair on the guest's rings, resuming where they stopped,
 * and, in zero copy, sets the VF queue up with the guest's buffers.  The
 * queue pair and the VF queue must be stopped.  With 'early', the relay runs
 * a round on the new rings before the queue pair has its transmit pool
 * again, as it may in the netdev between vf_zc_qp_start() and
 * vf_zc_begin_zero_copy_tx(), with the VF running for other queue pairs:
 * it must lend nothing then. */
static HARNESS void
bench_start(struct bench *b, uint16_t rx_avail, uint16_t rx_used,
            uint16_t tx_avail, uint16_t tx_used, bool early)
{
    struct vf_zc_vring rings[2];

    if (!ring_init(b, &rings[0], RX_DESC, RX_AVAIL, RX_USED, rx_avail,
                   rx_used)
        || !ring_init(b, &rings[1], TX_DESC, TX_AVAIL, TX_USED, tx_avail,
                      tx_used)) {
        return;
    }
    if (b->log.size) {
        /* Wrong addresses are the top of the address space, where a mark
         * wraps around, or anywhere outside the guest's memory. */
        vf_zc_qp_set_log(&b->qp, &b->log,
                         b->used_gpa_right ? GUEST_GPA + RX_USED : UINT64_MAX,
                         b->used_gpa_right ? GUEST_GPA + TX_USED : 4096);
    }
    vf_zc_qp_start_rings(&b->qp, -1, rings, callfds[0], callfds[1],
                         b->features);
    if (early) {
        uint64_t n_lent = txq.offered_lent;

        vf_zc_qp_set_vf(&b->qp, FAKE_PORT, 0, true, true, host_mp,
                        b->tx_max_len, true);
        bench_round(b);
        ovs_assert(txq.offered_lent == n_lent);
    }
    vf_zc_qp_set_vf(&b->qp, FAKE_PORT, 0, false, true, host_mp,
                    b->tx_max_len, true);
    if (b->zc) {
        vf_zc_rxpool_attach(b->pool, &b->qp.rxq, &b->map,
                            b->qp.hdr_len);
        /* Host buffers in place of guest buffers it cannot bind, and while
         * the relay switches zero copy off. */
        vf_zc_rxpool_set_host_mp(b->pool, host_mp);
        rxq.mp = b->pool->mp;
    } else {
        rxq.mp = host_mp;
    }
    /* The VF queue's pool, in zero copy; in copy, the host pool alone. */
    vf_zc_qp_set_zc(&b->qp, b->zc ? b->pool : NULL, b->zc,
                    VF_ZC_FALLBACK_FEW_BUFFERS, 1);
    vf_zc_qp_set_txpool(&b->qp, b->tx_pool, b->tx_lend, b->tx_max_segs,
                        b->tx_min_len);
    fake_refill(&rxq);
    vf_zc_qp_set_vf(&b->qp, FAKE_PORT, 0, true, true, host_mp,
                    b->tx_max_len, true);
}

/* Takes the guest's buffers back from the VF as the netdev does before it
 * stops or disables a queue pair: the VF queue first, then the pool.  With
 * 'keep', the VF keeps the oldest transmit chain it holds, as a driver that
 * does not free its mbufs even when stopped would. */
static HARNESS void
bench_reclaim(struct bench *b, bool keep)
{
    vf_zc_qp_set_vf(&b->qp, FAKE_PORT, 0, false, true, host_mp,
                    b->tx_max_len, true);
    vf_zc_qp_pause(&b->qp);
    fake_release(&rxq);
    /* The guest's transmit buffers too (vf_zc_reclaim_guest_tx()). */
    if (keep && txq.n_held) {
        fake_tx_free(&txq, txq.n_held - 1, 1);
    } else {
        fake_tx_free(&txq, FAKE_TX_HOLD, 0);
    }
    vf_zc_qp_set_zc(&b->qp, NULL, false, VF_ZC_FALLBACK_FEW_BUFFERS, 0);
    if (b->zc && !b->disabled) {
        vf_zc_rxpool_detach(b->pool);
        ovs_assert(!b->pool->lost);
        ovs_assert(b->pool->n_unbound == b->pool->n_hdrs);
    }
}

/* Disables the queue pair as the netdev does when the guest disables its
 * vrings: the guest's buffers come back from the VF, whose queue goes on
 * with host buffers, and the relay only discards what the guest sends. */
static HARNESS void
bench_disable(struct bench *b)
{
    if (!b->qp.rings_started || b->disabled) {
        return;
    }
    bench_reclaim(b, false);
    vf_zc_qp_disable(&b->qp);
    b->disabled = true;
    rxq.mp = host_mp;
    fake_refill(&rxq);
    vf_zc_qp_set_vf(&b->qp, FAKE_PORT, 0, true, true, host_mp,
                    b->tx_max_len, true);
}

/* Stops the queue pair as the netdev does: the VF first, which releases the
 * guest's buffers, then the rings.  Then checks that nothing was lost, but
 * for what the VF kept: with 'keep', the oldest transmit chain it holds,
 * which the netdev takes from the queue pair first with 'forget'
 * (vf_zc_reclaim_guest_tx()), or else the stop itself. */
static HARNESS void
bench_stop(struct bench *b, bool keep, bool forget)
{
    bool broken = (vf_zc_vring_is_broken(&b->qp.rxq)
                   || vf_zc_vring_is_broken(&b->qp.txq));
    uint32_t held;

    if (!b->qp.rings_started) {
        return;
    }
    keep = keep && b->n_tx_retired < MAX_TX_RETIRED;
    bench_reclaim(b, keep);
    if (vf_zc_vring_is_broken(&b->qp.rxq)) {
        b->lost_rx = vf_zc_vring_in_flight(&b->qp.rxq);
    }
    if (vf_zc_vring_is_broken(&b->qp.txq)) {
        b->lost_tx = vf_zc_vring_in_flight(&b->qp.txq);
    }
    held = vf_zc_txpool_held(b->tx_pool);
    ovs_assert(held <= keep);
    if (held && forget) {
        vf_zc_qp_forget_txpool(&b->qp);
    }
    /* The stop takes back the transmit chains the VF has released. */
    vf_zc_qp_stop(&b->qp);
    if (held && !vf_zc_vring_is_broken(&b->qp.txq)) {
        b->lost_tx += held;
    }
    /* Every chain is back but the one kept. */
    if (!broken) {
        ovs_assert(vf_zc_vring_in_flight(&b->qp.rxq) == b->lost_rx);
        ovs_assert(vf_zc_vring_in_flight(&b->qp.txq) == b->lost_tx);
    }
    if (held) {
        /* The pool, abandoned, is the queue pair's no more: the netdev
         * keeps it aside and gives the queue pair another. */
        ovs_assert(!b->qp.txpool);
        ovs_assert(vf_zc_txpool_is_abandoned(b->tx_pool));
        b->tx_retired[b->n_tx_retired++] = b->tx_pool;
        b->tx_pool = tx_pool_new();
    }
    ovs_assert(!vf_zc_txpool_in_flight(b->tx_pool));
    b->disabled = false;
    ovs_assert(rte_mempool_full(host_mp));
}

/* Reads the rings' interrupts: none may have come while a message holds the
 * queue pair. */
static HARNESS void
check_interrupts(const struct bench *b)
{
    for (int i = 0; i < ARRAY_SIZE(callfds); i++) {
        ovs_assert(!interrupts[i] || !b->held);
        interrupts[i] = 0;
    }
}

/* Sums what the relay counted of packets from the VF. */
static HARNESS uint64_t
vf_packets_counted(const struct vf_zc_qp *qp)
{
    static const enum vf_zc_drop into_guest[] = {
        VF_ZC_DROP_NO_GUEST, VF_ZC_DROP_NO_BUFFER, VF_ZC_DROP_OVERSIZE,
        VF_ZC_DROP_RING_ERROR, VF_ZC_DROP_RING_BUDGET,
    };
    uint64_t n = vf_zc_stat_read(&qp->stats.vf_to_guest_packets);

    for (size_t i = 0; i < ARRAY_SIZE(into_guest); i++) {
        n += vf_zc_stat_read(&qp->stats.drops[into_guest[i]]);
    }
    return n;
}

/* One round of the relay, with the checks of the work bound and of the
 * accounting. */
static HARNESS void
bench_round(struct bench *b)
{
    uint64_t rx_reads = b->qp.rxq.desc_reads;
    uint64_t tx_reads = b->qp.txq.desc_reads;
    uint64_t delivered = rxq.delivered;
    uint64_t counted = vf_packets_counted(&b->qp);
    uint64_t bad = vf_zc_stat_read(&b->qp.stats.drops[VF_ZC_DROP_BAD_BUFFER]);

    size_t used_size = 4 + 8 * b->ring_size + 2;
    uint8_t used[2][4 + 8 * MAX_RING + 2];
    const size_t used_ofs[2] = { RX_USED, TX_USED };

    if (b->log.size) {
        memset(log_bits, 0, b->log.size);
        for (int i = 0; i < 2; i++) {
            memcpy(used[i], b->mem + used_ofs[i], used_size);
        }
    }

    vf_zc_qp_relay(&b->qp);

    if (b->log.size) {
        for (size_t i = b->log.size; i < LOG_MAX; i++) {
            ovs_assert(!log_bits[i]);
        }
        for (int i = 0; b->used_gpa_right && i < 2; i++) {
            for (size_t j = 0; j < used_size; j++) {
                uint64_t page = ((GUEST_GPA + used_ofs[i] + j)
                                 / VF_ZC_DIRTY_LOG_PAGE);

                ovs_assert(used[i][j] == b->mem[used_ofs[i] + j]
                           || page >= b->log.size * 8
                           || log_bits[page / 8] & (1u << (page % 8)));
            }
        }
    }

    ovs_assert(b->qp.rxq.desc_reads - rx_reads <= VF_ZC_VRING_ROUND_BUDGET);
    ovs_assert(b->qp.txq.desc_reads - tx_reads <= VF_ZC_VRING_ROUND_BUDGET);
    ovs_assert(!b->held || b->qp.txq.desc_reads == tx_reads);
    /* A bad guest buffer may be either way's. */
    ovs_assert(vf_packets_counted(&b->qp) - counted
               + (vf_zc_stat_read(&b->qp.stats.drops[VF_ZC_DROP_BAD_BUFFER])
                  - bad)
               >= rxq.delivered - delivered);
    ovs_assert(vf_packets_counted(&b->qp) - counted
               <= rxq.delivered - delivered);
}

/* Writes descriptors and avail entries of the ring at 'desc' and 'avail',
 * as the input says: how many of each, then each one's fields, any
 * values, and makes them available. */
static HARNESS void
guest_post(struct bench *b, struct input *in, size_t desc, size_t avail)
{
    struct vf_zc_vring_desc *d = (void *) (b->mem + desc);
    struct vf_zc_vring_avail *a = (void *) (b->mem + avail);
    unsigned int n_desc = take(in) % (b->ring_size + 1);
    unsigned int n_avail = take(in) % (b->ring_size + 1);

    for (unsigned int i = 0; i < n_desc; i++) {
        uint8_t shape = take(in);

        /* Mostly buffers inside guest memory, chained in order. */
        d[i].addr = GUEST_GPA + take16(in) % GUEST_SIZE;
        d[i].len = shape & 0x80 ? take16(in) : take16(in) % 2048;
        d[i].flags = shape & 7;
        d[i].next = shape & 0x40 ? take(in) : i + 1;
        if (shape & 0x20) {
            d[i].addr = ((uint64_t) take16(in) << 48) | take16(in);
        }
    }
    for (unsigned int i = 0; i < n_avail; i++) {
        a->ring[(a->idx + i) % b->ring_size] = take(in) % b->ring_size;
    }
    a->idx += n_avail;
}

/* Pipeline output into the guest: 'n' packets of 'len' bytes (at least an
 * Ethernet header's). */
static HARNESS void
bench_deliver(struct bench *b, unsigned int n, uint16_t len)
{
    struct dp_packet_batch batch;

    len = MAX(len, ETH_HEADER_LEN);
    dp_packet_batch_init(&batch);
    for (unsigned int i = 0; i < n && i < NETDEV_MAX_BURST; i++) {
        struct dp_packet *p = dp_packet_new(len);

        dp_packet_put_zeros(p, len);
        dp_packet_batch_add(&batch, p);
    }
    vf_zc_qp_deliver(&b->qp, &batch);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = { data, data + size };
    struct bench b;
    uint8_t setup;

    if (size < 4) {
        return 0;
    }
    memset(&b, 0, sizeof b);
    b.mem = memset(guest_mem, 0, GUEST_SIZE);
    vf_zc_guest_mem_init(&b.map);
    ovs_assert(!vf_zc_guest_mem_add(&b.map, GUEST_GPA, GUEST_SIZE, b.mem));
    vf_zc_qp_init(&b.qp, 0);

    /* Setup: ring size, features, zero copy and its frame size. */
    setup = take(&in);
    b.ring_size = MAX_RING >> (setup & 7);
    b.features = ((setup & 0x08 ? UINT64_C(1) << 15 : 0)      /* MRG. */
                  | (setup & 0x10 ? UINT64_C(1) << 28 : 0)    /* INDIRECT. */
                  | (setup & 0x20 ? UINT64_C(1) << 29 : 0)    /* EVENT_IDX. */
                  | (setup & 0x40 ? UINT64_C(1) << 32 : 0));  /* VERSION_1. */
    b.zc = setup & 0x80;
    setup = take(&in);
    b.pool = zc_pools[setup & 1];
    /* With jumbo frames, the VF takes chains: the guest's packets, up to
     * 9 kB, are copied into chains of the host pool's 2 kB mbufs. */
    b.tx_max_len = setup & 1 ? 9216 : 2048;
    /* Zero-copy transmit, and of which chains. */
    b.tx_lend = setup & 2;
    b.tx_max_segs = 1 + ((setup >> 2) & 3);
    b.tx_min_len = (setup >> 4) * 128;
    txq.hold = setup & 0x40;
    txq.n_held = 0;
    txq.room = take(&in) % (NETDEV_MAX_BURST + 1);
    rxq.len = take16(&in) % 9100;
    rxq.backlog = 0;
    rxq.n = 0;

    /* Logging: mostly not; otherwise a log of any size up to twice what
     * the guest's memory needs. */
    setup = take(&in);
    memset(log_bits, 0, sizeof log_bits);
    b.log.bits = log_bits;
    b.log.size = setup & 1 ? take(&in) % (LOG_MAX + 1) : 0;
    b.used_gpa_right = !(setup & 2);

    /* The guest's rings, from the input: descriptors and avail entries,
     * any values. */
    guest_post(&b, &in, RX_DESC, RX_AVAIL);
    guest_post(&b, &in, TX_DESC, TX_AVAIL);

    b.tx_pool = tx_pool;
    bench_start(&b, 0, 0, 0, 0, false);
    while (in.p < in.end) {
        uint8_t op = take(&in);
        uint16_t offset;

        check_interrupts(&b);
        switch (op & 7) {
        case 0: case 1: case 2:
            if (b.qp.rings_started) {
                bench_round(&b);
            }
            break;
        case 3:
            if (op & 64) {
                /* The VF frees some of the guest's buffers it keeps. */
                uint8_t which = take(&in);

                fake_tx_free(&txq, which & 15, which >> 4);
            } else if (op & 8) {
                /* The guest writes a 16-bit value anywhere in its memory. */
                offset = take16(&in) % (GUEST_SIZE - 1);
                memcpy(b.mem + offset, &(uint16_t) { take16(&in) }, 2);
            } else if (op & 16) {
                /* ...posts again every entry the device returned. */
                struct vf_zc_vring_avail *a = (void *) (b.mem + (op & 32
                                                                 ? TX_AVAIL
                                                                 : RX_AVAIL));
                struct vf_zc_vring_used *u = (void *) (b.mem + (op & 32
                                                                ? TX_USED
                                                                : RX_USED));
                a->idx = u->idx + b.ring_size;
            } else {
                /* ...or posts more. */
                guest_post(&b, &in, op & 32 ? TX_DESC : RX_DESC,
                           op & 32 ? TX_AVAIL : RX_AVAIL);
            }
            break;
        case 4:
            rxq.backlog += op >> 3;
            rxq.len = take16(&in) % 9100;
            break;
        case 5:
            if (b.qp.rings_started) {
                bench_deliver(&b, op >> 3, take16(&in) % 9100);
            }
            break;
        case 6: {
            /* The guest disables the queue pair, or it stops, and starts
             * again where the rings stopped (after the buffers the VF held
             * went back), perhaps in the other mode, as the vhost library
             * resumes them. */
            uint16_t ra, ru, ta, tu;

            if (op & 16) {
                if (!(op & 32)) {
                    bench_disable(&b);
                } else if (b.held) {
                    vf_zc_qp_release(&b.qp);
                    b.held = false;
                } else {
                    vf_zc_qp_hold(&b.qp);
                    b.held = true;
                }
                break;
            }
            /* The VF may keep a chain through the stop (op & 128), which
             * the netdev may take from the queue pair before it stops it
             * (op & 32); the relay may run before the queue pair has its
             * transmit pool again (op & 64). */
            bench_stop(&b, op & 128, op & 32);
            ra = b.qp.rxq.last_avail_idx;
            ru = b.qp.rxq.last_used_idx;
            ta = b.qp.txq.last_avail_idx;
            tu = b.qp.txq.last_used_idx;
            if (op & 8) {
                b.zc = !b.zc;
            }
            bench_start(&b, ra, ru, ta, tu, op & 64);
            break;
        }
        case 7:
            txq.room = (op >> 3) % (NETDEV_MAX_BURST + 1);
            break;
        }
    }
    check_interrupts(&b);
    if (b.held) {
        vf_zc_qp_release(&b.qp);
        b.held = false;
    }
    bench_stop(&b, false, false);
    check_interrupts(&b);
    fake_release(&rxq);
    ovs_assert(rte_mempool_full(host_mp));
    /* The chains the VF kept come back to no ring, and their pools go once
     * it has freed them all.  The pool in use serves the next input. */
    fake_tx_free(&txq, FAKE_TX_HOLD, 0);
    for (unsigned int i = 0; i < b.n_tx_retired; i++) {
        ovs_assert(vf_zc_txpool_destroy(b.tx_retired[i]));
    }
    ovs_assert(!vf_zc_txpool_in_flight(b.tx_pool));
    tx_pool = b.tx_pool;

    vf_zc_guest_mem_destroy(&b.map);
    return 0;
}
