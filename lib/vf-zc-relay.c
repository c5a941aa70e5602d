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

#include <config.h>
#include "vf-zc-relay.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>

#include <rte_arp.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_vhost.h>

#include "coverage.h"
#include "dp-packet.h"
#include "netdev.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "timeval.h"
#include "util.h"
#include "vf-zc-guest-mem.h"
#include "vf-zc-virtio-net.h"

VLOG_DEFINE_THIS_MODULE(vf_zc_relay);

COVERAGE_DEFINE(vf_zc_zero_copy_switch);
COVERAGE_DEFINE(vf_zc_ring_broken);

/* Packets dropped, by reason (see enum vf_zc_drop), for ovs-appctl
 * coverage/show; the same as the statistics' ovs_dropped_* summed over the
 * ports. */
COVERAGE_DEFINE(vf_zc_drop_no_guest);
COVERAGE_DEFINE(vf_zc_drop_no_guest_buffer);
COVERAGE_DEFINE(vf_zc_drop_oversize);
COVERAGE_DEFINE(vf_zc_drop_guest_ring_error);
COVERAGE_DEFINE(vf_zc_drop_guest_bad_buffer);
COVERAGE_DEFINE(vf_zc_drop_vf_tx_full);
COVERAGE_DEFINE(vf_zc_drop_guest_tx_error);
COVERAGE_DEFINE(vf_zc_drop_guest_ring_budget);
COVERAGE_DEFINE(vf_zc_drop_guest_ring_busy);
COVERAGE_DEFINE(vf_zc_drop_guest_tx_disabled_queue);

/* Most segments of one VF packet relayed to the guest. */
#define VF_ZC_MAX_SEGS 32

static const char *const drop_names[VF_ZC_N_DROPS] = {
    [VF_ZC_DROP_NO_GUEST] = "no_guest",
    [VF_ZC_DROP_NO_BUFFER] = "no_guest_buffer",
    [VF_ZC_DROP_OVERSIZE] = "oversize",
    [VF_ZC_DROP_RING_ERROR] = "guest_ring_error",
    [VF_ZC_DROP_BAD_BUFFER] = "guest_bad_buffer",
    [VF_ZC_DROP_VF_TX_FULL] = "vf_tx_full",
    [VF_ZC_DROP_GUEST_TX_ERROR] = "guest_tx_error",
    [VF_ZC_DROP_RING_BUDGET] = "guest_ring_budget",
    [VF_ZC_DROP_RING_BUSY] = "guest_ring_busy",
    [VF_ZC_DROP_TX_DISABLED] = "guest_tx_disabled_queue",
};

/* How often, in bursts, the relay looks again at the guest's receive
 * buffers while its queue pair copies for a reason that may go away. */
#define VF_ZC_RECHECK_INTERVAL 1024

/* Least time between two switches of a queue pair between zero copy and
 * copy, so that a guest whose buffers keep changing makes it switch at most
 * once a second. */
#define VF_ZC_SWITCH_INTERVAL_MS 1000

/* A hold (see 'zc_hold' in struct vf_zc_qp): how many iterations it lasts at
 * most (well under a millisecond on a busy PMD thread), how often it looks
 * at the guest's buffers meanwhile, and how rare failed holds can make the
 * next one (every 2**N looks at most). */
#define VF_ZC_HOLD_ITERATIONS 4096
#define VF_ZC_HOLD_LOOK_INTERVAL 64
#define VF_ZC_HOLD_MAX_BACKOFF 10

const char *
vf_zc_drop_name(enum vf_zc_drop drop)
{
    return drop < VF_ZC_N_DROPS ? drop_names[drop] : "unknown";
}

/* Adds 'n' to counter 'c'.  Counters are written with 'lock' held, so by one
 * thread at a time; relaxed atomics keep the main thread's reads whole. */
static inline void
stat_add(atomic_uint64_t *c, uint64_t n)
{
    uint64_t v;

    atomic_read_relaxed(c, &v);
    atomic_store_relaxed(c, v + n);
}

static void
coverage_drop(enum vf_zc_drop drop, uint64_t n)
{
    switch (drop) {
    case VF_ZC_DROP_NO_GUEST:
        COVERAGE_ADD(vf_zc_drop_no_guest, n);
        break;
    case VF_ZC_DROP_NO_BUFFER:
        COVERAGE_ADD(vf_zc_drop_no_guest_buffer, n);
        break;
    case VF_ZC_DROP_OVERSIZE:
        COVERAGE_ADD(vf_zc_drop_oversize, n);
        break;
    case VF_ZC_DROP_RING_ERROR:
        COVERAGE_ADD(vf_zc_drop_guest_ring_error, n);
        break;
    case VF_ZC_DROP_BAD_BUFFER:
        COVERAGE_ADD(vf_zc_drop_guest_bad_buffer, n);
        break;
    case VF_ZC_DROP_VF_TX_FULL:
        COVERAGE_ADD(vf_zc_drop_vf_tx_full, n);
        break;
    case VF_ZC_DROP_GUEST_TX_ERROR:
        COVERAGE_ADD(vf_zc_drop_guest_tx_error, n);
        break;
    case VF_ZC_DROP_RING_BUDGET:
        COVERAGE_ADD(vf_zc_drop_guest_ring_budget, n);
        break;
    case VF_ZC_DROP_RING_BUSY:
        COVERAGE_ADD(vf_zc_drop_guest_ring_busy, n);
        break;
    case VF_ZC_DROP_TX_DISABLED:
        COVERAGE_ADD(vf_zc_drop_guest_tx_disabled_queue, n);
        break;
    case VF_ZC_N_DROPS:
    default:
        OVS_NOT_REACHED();
    }
}

static inline void
count_drop(struct vf_zc_qp *qp, enum vf_zc_drop drop, uint64_t n)
{
    stat_add(&qp->stats.drops[drop], n);
    coverage_drop(drop, n);
}

/* Initializes 'qp', queue pair number 'qid', stopped.  Nobody else may use
 * it yet. */
void
vf_zc_qp_init(struct vf_zc_qp *qp, uint16_t qid)
{
    memset(qp, 0, sizeof *qp);
    qp->qid = qid;
    atomic_init(&qp->zc_settled, false);
    atomic_init(&qp->zc_events, 0);
    atomic_init(&qp->reporter_waiting, false);
    vf_zc_spinlock_init(&qp->lock);

    vf_zc_spin_lock(&qp->lock);
    qp->port_id = RTE_MAX_ETHPORTS;
    qp->vid = -1;
    qp->rx_callfd = qp->tx_callfd = -1;
    qp->zc_fallback = VF_ZC_FALLBACK_DISABLED;
    vf_zc_spin_unlock(&qp->lock);
}

/* How a control thread that only reports takes 'lock': it tries it now and
 * then, sleeping in between, while the relay leaves it free (see
 * 'reporter_waiting'), for a bounded time. */
#define VF_ZC_REPORT_LOCK_TRIES 200
#define VF_ZC_REPORT_LOCK_SLEEP_NS (50 * 1000)

/* Takes 'qp->lock' for a control thread that reports on the queue pair
 * (status, vf-zc/show, vf-zc/check), without ever spinning on it while a
 * PMD thread holds it: a PMD thread holds it for one round of the relay at
 * a time, and skips its next round while a reporter waits.  Returns false,
 * without the lock, if it stayed busy for about 10 ms all the same. */
static bool
qp_lock_for_report(struct vf_zc_qp *qp)
    OVS_TRY_LOCK(true, qp->lock)
{
    if (vf_zc_spin_trylock(&qp->lock)) {
        return true;
    }
    atomic_store_relaxed(&qp->reporter_waiting, true);
    for (int i = 0; i < VF_ZC_REPORT_LOCK_TRIES; i++) {
        xnanosleep_no_quiesce(VF_ZC_REPORT_LOCK_SLEEP_NS);
        if (vf_zc_spin_trylock(&qp->lock)) {
            atomic_store_relaxed(&qp->reporter_waiting, false);
            return true;
        }
    }
    atomic_store_relaxed(&qp->reporter_waiting, false);
    return false;
}

/* Tells the queue pair which VF and VF queue it relays with, whether that
 * queue runs, whether this queue pair receives from it, which mempool backs
 * copies to the VF and the longest packet the guest may send it (in a chain
 * of that mempool's mbufs if longer than one holds, so only if the VF takes
 * chains), and whether VF packets bypass the pipeline.  Once it
 * returns with 'ready' false, the relay no longer touches the VF.  Control
 * threads. */
void
vf_zc_qp_set_vf(struct vf_zc_qp *qp, uint16_t port_id, uint16_t vf_queue,
                bool ready, bool vf_rx, struct rte_mempool *mp,
                uint32_t tx_max_len, bool bypass)
{
    /* Chains no longer than copy_guest_packet() builds, and dp_packets for
     * the pipeline. */
    ovs_assert(!mp || tx_max_len <= VF_ZC_MAX_SEGS
                                     * (rte_pktmbuf_data_room_size(mp)
                                        - RTE_PKTMBUF_HEADROOM));
    ovs_assert(!mp || bypass
               || (rte_pktmbuf_priv_size(mp)
                   >= sizeof(struct dp_packet) - sizeof(struct rte_mbuf)));
    vf_zc_spin_lock(&qp->lock);
    qp->port_id = port_id;
    qp->vf_queue = vf_queue;
    qp->vf_rx = vf_rx;
    qp->vf_ready = ready && mp;
    qp->mp = mp;
    qp->tx_max_len = tx_max_len;
    qp->tx_seg_room = (mp
                       ? rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM
                       : 0);
    qp->bypass = bypass;
    qp->tx_no_cleanup = false;
    vf_zc_spin_unlock(&qp->lock);
}

/* Lets the relay run with the guest's rings as far as their state allows:
 * relaying, or discarding what the guest transmits on a disabled queue
 * pair, or nothing while a message holds them. */
static void
qp_run(struct vf_zc_qp *qp)
    OVS_REQUIRES(qp->lock)
{
    bool run = qp->rings_started && !qp->msg_hold;

    qp->guest_ready = run && !qp->tx_disabled;
    qp->tx_discard = run && qp->tx_disabled;
}

/* Starts relaying with the guest's vrings of this queue pair, on vhost device
 * 'vid' whose memory is 'mem' (which must stay valid until vf_zc_qp_stop())
 * and negotiated features are 'features'.  Returns NULL on success, otherwise
 * a malloc'ed message; the queue pair then stays stopped.  Control threads,
 * with the queue pair stopped or disabled. */
char *
vf_zc_qp_start(struct vf_zc_qp *qp, int vid, const struct vf_zc_guest_mem *mem,
               uint64_t features)
{
    bool event_idx = features & (UINT64_C(1) << VIRTIO_RING_F_EVENT_IDX);
    bool indirect = features & (UINT64_C(1) << VIRTIO_RING_F_INDIRECT_DESC);
    struct rte_vhost_vring vr[2];
    struct vf_zc_vring rings[2];
    char *error = NULL;

    /* A disabled queue pair first tells the library where its discarding
     * left the rings, to start again from there. */
    vf_zc_qp_stop(qp);
    for (int i = 0; i < 2; i++) {
        uint16_t vring = 2 * qp->qid + i;
        uint16_t last_avail, last_used;

        if (rte_vhost_get_vhost_vring(vid, vring, &vr[i])
            || rte_vhost_get_vring_base(vid, vring, &last_avail,
                                        &last_used)) {
            return xasprintf("vring %"PRIu16" is not set up", vring);
        }
        if (!vf_zc_vring_init(&rings[i], vr[i].desc, vr[i].avail,
                              vr[i].used, vr[i].size, mem, event_idx,
                              indirect, last_avail, last_used)) {
            return xasprintf("vring %"PRIu16": %s", vring, rings[i].error);
        }
    }
    if (features & (UINT64_C(1) << VHOST_F_LOG_ALL)) {
        struct vf_zc_dirty_log log;
        uint64_t base, size;

        /* The library maps the log, and maps it anew only within a message
         * for which the port stops every queue pair (see vf-zc-vhost.c):
         * it stays mapped while the queue pair runs. */
        if (rte_vhost_get_log_base(vid, &base, &size) || !base) {
            base = size = 0;
        }
        log.bits = (uint8_t *) (uintptr_t) base;
        log.size = size;
        vf_zc_qp_set_log(qp, &log, vr[0].log_guest_addr,
                         vr[1].log_guest_addr);
    }
    vf_zc_qp_start_rings(qp, vid, rings, vr[0].callfd, vr[1].callfd,
                         features);
    return error;
}

/* Starts relaying with 'rings', the receive and transmit rings of this queue
 * pair as vf_zc_vring_init() set them up, whose guest notification eventfds
 * are 'rx_callfd' and 'tx_callfd' (or -1), on vhost device 'vid' (or -1, for
 * tests without one) with negotiated 'features'.  Control threads, with the
 * queue pair stopped or disabled. */
void
vf_zc_qp_start_rings(struct vf_zc_qp *qp, int vid,
                     const struct vf_zc_vring rings[2], int rx_callfd,
                     int tx_callfd, uint64_t features)
{
    vf_zc_spin_lock(&qp->lock);
    qp->rxq = rings[0];
    qp->txq = rings[1];
    if (qp->logging) {
        vf_zc_vring_set_log(&qp->rxq, &qp->log, qp->log_used_gpa[0]);
        vf_zc_vring_set_log(&qp->txq, &qp->log, qp->log_used_gpa[1]);
    }
    vf_zc_vring_suppress_kicks(&qp->rxq);
    vf_zc_vring_suppress_kicks(&qp->txq);
    qp->rx_callfd = rx_callfd;
    qp->tx_callfd = tx_callfd;
    qp->vid = vid;
    qp->hdr_len = vf_zc_virtio_net_hdr_len(features);
    qp->mergeable = features & (UINT64_C(1) << VIRTIO_NET_F_MRG_RXBUF);
    qp->guest_csum = features & (UINT64_C(1) << VIRTIO_NET_F_GUEST_CSUM);
    qp->rings_started = true;
    qp->tx_disabled = false;
    qp->broken_reported = false;
    qp->poller[0] = '\0';
    qp_run(qp);
    vf_zc_spin_unlock(&qp->lock);
}

/* Makes the relay mark every write it makes to the guest's memory in 'log'
 * from the next vf_zc_qp_start_rings() on, until vf_zc_qp_stop(): the
 * buffers' bytes, and the used rings' at guest-physical addresses
 * 'rx_used_gpa' and 'tx_used_gpa' (0: not those).  'log' is copied; the
 * memory it points to must stay mapped until vf_zc_qp_stop().  A log with no
 * bits still counts each page written, as a miss.  Control threads, with the
 * queue pair stopped. */
void
vf_zc_qp_set_log(struct vf_zc_qp *qp, const struct vf_zc_dirty_log *log,
                 uint64_t rx_used_gpa, uint64_t tx_used_gpa)
{
    vf_zc_spin_lock(&qp->lock);
    ovs_assert(!qp->rings_started);
    qp->log = *log;
    qp->log_used_gpa[0] = rx_used_gpa;
    qp->log_used_gpa[1] = tx_used_gpa;
    qp->logging = true;
    vf_zc_spin_unlock(&qp->lock);
}

/* Returns true if the queue pair marks its writes to the guest's memory in
 * a dirty-page log.  Any thread: a report only, with no lock. */
bool
vf_zc_qp_logging(const struct vf_zc_qp *qp)
    OVS_NO_THREAD_SAFETY_ANALYSIS
{
    return qp->logging;
}

/* Adds what the rings of 'qp' marked in the guest's dirty-page log to the
 * queue pair's counters. */
static void
flush_log_stats(struct vf_zc_qp *qp)
    OVS_REQUIRES(qp->lock)
{
    struct vf_zc_vring *rings[] = { &qp->rxq, &qp->txq };

    for (int i = 0; i < ARRAY_SIZE(rings); i++) {
        struct vf_zc_dirty_log_stats *ls = &rings[i]->log_stats;

        if (ls->pages) {
            stat_add(&qp->stats.dirty_pages_logged, ls->pages);
        }
        if (ls->misses) {
            stat_add(&qp->stats.dirty_log_misses, ls->misses);
        }
        memset(ls, 0, sizeof *ls);
    }
}

/* Stops relaying with the guest's vrings (and discarding, after
 * vf_zc_qp_disable()) until vf_zc_qp_resume() or, while a message holds the
 * queue pair, vf_zc_qp_release(), waiting for the burst in progress, if any.
 * The rings stay as they are, and their memory must stay mapped, until
 * vf_zc_qp_stop(): in between, the caller may return the buffers the VF
 * holds (see vf-zc-rxpool.h).  Control threads. */
void
vf_zc_qp_pause(struct vf_zc_qp *qp)
{
    vf_zc_spin_lock(&qp->lock);
    qp->guest_ready = false;
    qp->tx_discard = false;
    vf_zc_spin_unlock(&qp->lock);
}

/* Interrupts the guest on both rings of 'qp', whatever the guest's event
 * index or flags ask for.  A guest that stops using a queue pair (Linux,
 * after "ethtool -L" to fewer queue pairs) may never look at its used rings
 * again without one, and a transmit buffer it never reaps holds its TCP flow
 * back for good: TCP does not send a packet again while the driver still
 * has it.  While a message holds the queue pair, whose eventfds the library
 * may be closing, vf_zc_qp_release() does it with the new ones. */
static void
interrupt_once_more(struct vf_zc_qp *qp)
    OVS_REQUIRES(qp->lock)
{
    if (qp->msg_hold) {
        qp->interrupt_pending = true;
        return;
    }
    if (qp->rx_callfd >= 0) {
        eventfd_write(qp->rx_callfd, 1);
    }
    if (qp->tx_callfd >= 0) {
        eventfd_write(qp->tx_callfd, 1);
    }
}

/* The guest disabled this queue pair (SET_VRING_ENABLE 0) and left its rings
 * started: stops relaying, as vf_zc_qp_pause() does, except that the relay
 * goes on taking what the guest transmits, and discards it (counted as
 * VF_ZC_DROP_TX_DISABLED), as vhost-user requires of a disabled ring.  A
 * guest that reduces its queue pairs may still transmit on the old ones for
 * a moment (Linux does, until it has moved its transmit queues), and never
 * gets those buffers back otherwise.  Interrupts the guest once more on each
 * ring.  Zero copy must have been ended (vf_zc_qp_set_zc() with a null
 * pool) first.  vf_zc_qp_stop() or vf_zc_qp_start() ends it.  Control
 * threads. */
void
vf_zc_qp_disable(struct vf_zc_qp *qp)
{
    vf_zc_spin_lock(&qp->lock);
    ovs_assert(!qp->zc);
    qp->guest_ready = false;
    if (qp->rings_started) {
        qp->tx_disabled = true;
        qp_run(qp);
        interrupt_once_more(qp);
    }
    vf_zc_spin_unlock(&qp->lock);
}

/* Stops relaying with the guest's vrings, as vf_zc_qp_pause() does (and
 * discarding, after vf_zc_qp_disable()), tells the vhost library where each
 * ring stopped, so that the guest, or a reconnecting one, resumes there, and
 * interrupts the guest once more on each ring.  Zero copy must have been
 * ended (vf_zc_qp_set_zc() with a null pool) first.  Control threads. */
void
vf_zc_qp_stop(struct vf_zc_qp *qp)
{
    vf_zc_spin_lock(&qp->lock);
    ovs_assert(!qp->zc);
    qp->guest_ready = false;
    qp->tx_disabled = qp->tx_discard = false;
    /* The next start lends again only once the port says so
     * (vf_zc_qp_set_txpool()), with a pool that has nothing of these
     * rings. */
    qp->tx_lend = false;
    if (qp->rings_started) {
        qp->rings_started = false;
        if (qp->txpool && vf_zc_txpool_in_flight(qp->txpool)) {
            /* The port has had the VF release every chain lent (invariant
             * 12 in the design): they all go back now, but for any the
             * driver would not free, which this ring, or the next one on
             * the guest's descriptors, must never see. */
            uint32_t held = vf_zc_txpool_abandon(qp->txpool, &qp->txq);

            vf_zc_vring_publish(&qp->txq);
            if (vf_zc_txpool_is_abandoned(qp->txpool)) {
                /* Once a stop at most, but the guest may stop its rings
                 * as often as it likes. */
                static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 60);

                VLOG_ERR_RL(&rl, "queue pair %"PRIu16": the VF still holds "
                            "%"PRIu32" guest transmit buffers as the ring "
                            "stops: they are lost to the guest",
                            qp->qid, held);
                qp->txpool = NULL;
            }
        }
        if (qp->vid >= 0) {
            rte_vhost_set_vring_base(qp->vid, 2 * qp->qid,
                                     qp->rxq.last_avail_idx,
                                     qp->rxq.last_used_idx);
            rte_vhost_set_vring_base(qp->vid, 2 * qp->qid + 1,
                                     qp->txq.last_avail_idx,
                                     qp->txq.last_used_idx);
        }
        interrupt_once_more(qp);
        qp->rx_callfd = qp->tx_callfd = -1;
        qp->vid = -1;
    }
    if (qp->logging) {
        /* Whatever the rings wrote last, such as the buffers the VF gave
         * back unused, is in the log now: the front end may look at it for
         * the last time once the rings stop. */
        flush_log_stats(qp);
        vf_zc_vring_set_log(&qp->rxq, NULL, 0);
        vf_zc_vring_set_log(&qp->txq, NULL, 0);
        memset(&qp->log, 0, sizeof qp->log);
        qp->logging = false;
    }
    vf_zc_spin_unlock(&qp->lock);
}

/* Lets the relay use the guest's rings again after vf_zc_qp_pause(), unless
 * they were stopped since (or only to discard, if they were disabled), or a
 * message holds them (then vf_zc_qp_release() does).  Control threads. */
void
vf_zc_qp_resume(struct vf_zc_qp *qp)
{
    vf_zc_spin_lock(&qp->lock);
    qp_run(qp);
    vf_zc_spin_unlock(&qp->lock);
}

/* Around the vhost library's handling of a message that changes the
 * eventfds of this queue pair's vrings (SET_VRING_CALL and the like): the
 * library closes the old ones meanwhile, so the relay does not run, and
 * nobody writes those eventfds, from vf_zc_qp_hold() to vf_zc_qp_release(),
 * whatever else control threads do to the queue pair in between.  Then the
 * queue pair takes the new eventfds from the library, with the interrupt it
 * owes the guest if one was held back, and goes on as it was.  Releasing a
 * queue pair that is not held does nothing.  Control threads. */
void
vf_zc_qp_hold(struct vf_zc_qp *qp)
{
    vf_zc_spin_lock(&qp->lock);
    qp->msg_hold = true;
    qp_run(qp);
    vf_zc_spin_unlock(&qp->lock);
}

void
vf_zc_qp_release(struct vf_zc_qp *qp)
{
    vf_zc_spin_lock(&qp->lock);
    if (qp->msg_hold) {
        if (qp->rings_started && qp->vid >= 0) {
            struct rte_vhost_vring vr;

            qp->rx_callfd = (!rte_vhost_get_vhost_vring(qp->vid, 2 * qp->qid,
                                                        &vr)
                             ? vr.callfd : -1);
            qp->tx_callfd = (!rte_vhost_get_vhost_vring(qp->vid,
                                                        2 * qp->qid + 1, &vr)
                             ? vr.callfd : -1);
        }
        qp->msg_hold = false;
        if (qp->interrupt_pending) {
            /* Lost if the rings stopped meanwhile: no eventfd then. */
            qp->interrupt_pending = false;
            interrupt_once_more(qp);
        }
        qp_run(qp);
    }
    vf_zc_spin_unlock(&qp->lock);
}

/* Most RARPs one queue pair keeps to send, however often it is asked: QEMU
 * asks 5 times after a migration. */
#define VF_ZC_MAX_ANNOUNCEMENTS 8

/* Makes the relay send a RARP from 'mac' through the VF queue of 'qp', so
 * that the switches between the VF and the guest's peers learn where the
 * guest is (as the vhost library's own dequeue does when a VMM sends
 * VHOST_USER_SEND_RARP after a migration).  The relay sends it once it
 * relays with the guest's rings: QEMU asks before it starts the guest's
 * device, and until the queue pair runs, the VF may be restarted (which may
 * lose what it was sending) and what the network sends to the guest would
 * be dropped.  Control threads. */
void
vf_zc_qp_announce(struct vf_zc_qp *qp, const struct eth_addr *mac)
{
    vf_zc_spin_lock(&qp->lock);
    qp->announce_mac = *mac;
    if (qp->announce_pending < VF_ZC_MAX_ANNOUNCEMENTS) {
        qp->announce_pending++;
    }
    vf_zc_spin_unlock(&qp->lock);
}

/* Sends one of the RARPs vf_zc_qp_announce() asked for, if the VF takes it
 * (otherwise, next round). */
static void
send_announcement(struct vf_zc_qp *qp)
    OVS_REQUIRES(qp->lock)
{
    struct rte_ether_addr mac;
    struct rte_mbuf *m;

    memcpy(&mac, &qp->announce_mac, sizeof mac);
    m = rte_net_make_rarp_packet(qp->mp, &mac);
    if (!m) {
        return;
    }
    if (rte_eth_tx_burst(qp->port_id, qp->vf_queue, &m, 1) == 1) {
        qp->announce_pending--;
        stat_add(&qp->stats.announcements, 1);
    } else {
        rte_pktmbuf_free(m);
    }
}

/* While the guest rings of 'qp' are stopped, makes the packets of its VF
 * queue reach the guest through the receive ring of 'to' (if nonnull), by
 * copy.  Control threads. */
void
vf_zc_qp_set_redirect(struct vf_zc_qp *qp, struct vf_zc_qp *to)
{
    ovs_assert(to != qp);
    vf_zc_spin_lock(&qp->lock);
    qp->rx_redirect = to;
    vf_zc_spin_unlock(&qp->lock);
}

/* Gives the queue pair 'pool' for zero-copy transmit (see 'tx_lend'), and
 * lends from it if 'lend' is true: chains of at least 'min_len' bytes in at
 * most 'max_segs' segments.  A pool with chains lent may be replaced only
 * once they have all come back.  Control threads. */
void
vf_zc_qp_set_txpool(struct vf_zc_qp *qp, struct vf_zc_txpool *pool,
                    bool lend, unsigned int max_segs, uint32_t min_len)
{
    vf_zc_spin_lock(&qp->lock);
    ovs_assert(pool == qp->txpool || !qp->txpool
               || !vf_zc_txpool_in_flight(qp->txpool));
    qp->txpool = pool;
    qp->tx_lend = pool && lend && max_segs;
    qp->tx_zc_max_segs = max_segs;
    qp->tx_zc_min_len = min_len;
    vf_zc_spin_unlock(&qp->lock);
}

/* Returns how many guest transmit chains the VF holds: lent and not yet
 * freed.  Control threads. */
uint32_t
vf_zc_qp_tx_held(struct vf_zc_qp *qp)
{
    uint32_t n;

    vf_zc_spin_lock(&qp->lock);
    n = qp->txpool ? vf_zc_txpool_held(qp->txpool) : 0;
    vf_zc_spin_unlock(&qp->lock);
    return n;
}

/* Makes the queue pair let go of its transmit pool, whose mbufs the VF would
 * not free even when stopped: the guest gets back every chain the VF has
 * released (vf_zc_txpool_abandon()), and never those it still holds.  The
 * caller keeps the pool until vf_zc_txpool_destroy() succeeds.  Control
 * threads, with the queue pair paused or stopped. */
void
vf_zc_qp_forget_txpool(struct vf_zc_qp *qp)
{
    vf_zc_spin_lock(&qp->lock);
    if (qp->txpool && qp->rings_started) {
        vf_zc_txpool_abandon(qp->txpool, &qp->txq);
        vf_zc_vring_publish(&qp->txq);
    }
    qp->txpool = NULL;
    qp->tx_lend = false;
    vf_zc_spin_unlock(&qp->lock);
}

/* Tells the queue pair that its VF queue takes its buffers from 'pool'
 * (attached to this queue pair's receive ring here, if the caller has not
 * already), or, if 'pool' is null, from a host mempool only.  With 'active',
 * the VF queue's packets reach the guest in place; otherwise by copy, for
 * reason 'fallback', and if 'pool' is nonnull, the relay itself switches to
 * zero copy once the guest has posted 'min_buffers' buffers that fit it (and
 * back, if it meets one that does not), at most once a second.  Control
 * threads. */
void
vf_zc_qp_set_zc(struct vf_zc_qp *qp, struct vf_zc_rxpool *pool, bool active,
                enum vf_zc_fallback fallback, uint32_t min_buffers)
{
    vf_zc_spin_lock(&qp->lock);
    ovs_assert(pool || !active);
    if (pool) {
        if (!pool->vq) {
            ovs_assert(qp->rings_started);
            vf_zc_rxpool_attach(pool, &qp->rxq, qp->rxq.mem, qp->hdr_len);
        }
        vf_zc_rxpool_set_zc(pool, active);
    }
    qp->zc = active ? pool : NULL;
    qp->zc_fallback = fallback;
    qp->zc_pool = pool;
    atomic_store_relaxed(&qp->zc_settled, false);
    qp->zc_min_buffers = min_buffers;
    qp->zc_bursts = 0;
    qp->zc_looks = 0;
    qp->zc_hold = 0;
    qp->zc_holds_failed = 0;
    qp->zc_hold_done = false;
    vf_zc_spin_unlock(&qp->lock);
}

/* Tells the queue pair that its VF queue, just set up with the pool of
 * vf_zc_qp_set_zc() in zero copy, holds guest buffers only.  Control
 * threads. */
void
vf_zc_qp_settle_zc(struct vf_zc_qp *qp)
{
    vf_zc_spin_lock(&qp->lock);
    atomic_store_relaxed(&qp->zc_settled, qp->zc != NULL);
    vf_zc_spin_unlock(&qp->lock);
}

/* Returns true if packets from the VF reach the guest of 'qp' in place, and
 * in '*settled' whether the VF holds no host buffers from before any more
 * (see 'zc_settled').  Any thread: a report only, with no lock. */
bool
vf_zc_qp_zero_copy(const struct vf_zc_qp *qp, bool *settled)
    OVS_NO_THREAD_SAFETY_ANALYSIS
{
    atomic_read_relaxed(CONST_CAST(atomic_bool *, &qp->zc_settled), settled);
    return qp->zc != NULL;
}

/* Returns the number of changes of zero copy the relay of 'qp' made by
 * itself so far (see 'zc_events').  Any thread. */
uint64_t
vf_zc_qp_zc_events(const struct vf_zc_qp *qp)
{
    return vf_zc_stat_read(&qp->zc_events);
}

/* Counts a restart of the VF queue of 'qp', by a control thread. */
void
vf_zc_qp_count_vf_queue_restart(struct vf_zc_qp *qp)
{
    uint64_t orig;

    atomic_add_relaxed(&qp->stats.vf_queue_restarts, 1, &orig);
}

/* Looks at the receive buffers the guest posted on 'qp', for 'pool' (see
 * vf_zc_rxpool_peek()).  Control threads. */
uint32_t
vf_zc_qp_peek(struct vf_zc_qp *qp, struct vf_zc_rxpool *pool,
              enum vf_zc_fallback *why)
{
    uint32_t n = 0;

    *why = VF_ZC_FALLBACK_FEW_BUFFERS;
    vf_zc_spin_lock(&qp->lock);
    if (qp->rings_started) {
        /* A control thread's look, outside any round of the relay. */
        vf_zc_vring_set_budget(&qp->rxq, VF_ZC_VRING_NO_LIMIT);
        n = vf_zc_rxpool_peek(pool, &qp->rxq, qp->rxq.mem, qp->hdr_len, why);
    }
    vf_zc_spin_unlock(&qp->lock);
    return n;
}

/* Notifies the guest through 'callfd' of what was published on 'vq', if it
 * asked for it. */
static void
notify_guest(struct vf_zc_qp *qp, struct vf_zc_vring *vq, int callfd)
{
    if (callfd >= 0 && vf_zc_vring_needs_notify(vq)) {
        eventfd_write(callfd, 1);
        stat_add(vq == &qp->rxq ? &qp->stats.guest_rx_notifications
                                : &qp->stats.guest_tx_notifications, 1);
    }
}

static void
report_broken(struct vf_zc_qp *qp)
    OVS_REQUIRES(qp->lock)
{
    if (!qp->broken_reported
        && (vf_zc_vring_is_broken(&qp->rxq)
            || vf_zc_vring_is_broken(&qp->txq))) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

        qp->broken_reported = true;
        COVERAGE_INC(vf_zc_ring_broken);
        VLOG_WARN_RL(&rl, "DPDK port %"PRIu16" queue pair %"PRIu16": guest "
                     "ring broken, queue pair stopped: %s",
                     qp->port_id, qp->qid,
                     vf_zc_vring_is_broken(&qp->rxq)
                     ? qp->rxq.error : qp->txq.error);
    }
}

/* Copies one packet of 'n_segs' segments into the guest's receive ring,
 * with virtio-net header flags 'hdr_flags', and returns what became of it. */
static enum vf_zc_net_rx_result
deliver_one(struct vf_zc_qp *qp, const struct vf_zc_seg *segs, size_t n_segs,
            uint8_t hdr_flags)
    OVS_REQUIRES(qp->lock)
{
    return vf_zc_net_rx_copy(&qp->rxq, qp->hdr_len, qp->mergeable, hdr_flags,
                             segs, n_segs);
}

/* What became of a burst of packets into the guest, tallied locally and added
 * to the queue pair's counters once per burst. */
struct rx_tally {
    uint64_t packets;
    uint64_t bytes;
    uint64_t drops[VF_ZC_N_DROPS];
    uint64_t zero_copy;         /* Of 'packets', delivered in place. */
    uint64_t fallbacks[VF_ZC_N_FALLBACKS];  /* Of 'packets', copied. */
};

static void
rx_tally_add(struct rx_tally *t, enum vf_zc_net_rx_result result,
             uint32_t len)
{
    switch (result) {
    case VF_ZC_NET_RX_OK:
        t->packets++;
        t->bytes += len;
        break;
    case VF_ZC_NET_RX_NO_BUFFERS:
        t->drops[VF_ZC_DROP_NO_BUFFER]++;
        break;
    case VF_ZC_NET_RX_TOO_BIG:
        t->drops[VF_ZC_DROP_OVERSIZE]++;
        break;
    case VF_ZC_NET_RX_BAD_BUFFER:
        t->drops[VF_ZC_DROP_BAD_BUFFER]++;
        break;
    case VF_ZC_NET_RX_BROKEN:
        t->drops[VF_ZC_DROP_RING_ERROR]++;
        break;
    case VF_ZC_NET_RX_BUDGET_SPENT:
        t->drops[VF_ZC_DROP_RING_BUDGET]++;
        break;
    }
}

static void
rx_tally_flush(struct vf_zc_qp *qp, const struct rx_tally *t,
               atomic_uint64_t *packets, atomic_uint64_t *bytes)
    OVS_REQUIRES(qp->lock)
{
    if (t->packets) {
        stat_add(packets, t->packets);
        stat_add(bytes, t->bytes);
    }
    for (int d = 0; d < VF_ZC_N_DROPS; d++) {
        if (t->drops[d]) {
            count_drop(qp, d, t->drops[d]);
        }
    }
}

/* Flushes the counters of packets from the VF, which add how each packet
 * reached the guest to rx_tally_flush()'s. */
static void
rx_tally_flush_vf(struct vf_zc_qp *qp, const struct rx_tally *t)
    OVS_REQUIRES(qp->lock)
{
    uint64_t copies = 0;

    rx_tally_flush(qp, t, &qp->stats.vf_to_guest_packets,
                   &qp->stats.vf_to_guest_bytes);
    if (t->zero_copy) {
        stat_add(&qp->stats.vf_to_guest_zero_copy_packets, t->zero_copy);
    }
    for (int f = 0; f < VF_ZC_N_FALLBACKS; f++) {
        if (t->fallbacks[f]) {
            stat_add(&qp->stats.fallbacks[f], t->fallbacks[f]);
            copies += t->fallbacks[f];
        }
    }
    if (copies) {
        stat_add(&qp->stats.vf_to_guest_copy_packets, copies);
    }
}

/* The virtio-net header flags for packet 'm' from the VF. */
static uint8_t
rx_hdr_flags(const struct vf_zc_qp *qp, const struct rte_mbuf *m)
    OVS_REQUIRES(qp->lock)
{
    return (qp->guest_csum
            && ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK)
                == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
            ? VF_ZC_VIRTIO_NET_HDR_F_DATA_VALID : 0);
}

/* Copies packet 'm' from the VF into the guest's receive ring, as the copy
 * path does, and tallies it, as a copy for reason 'why'. */
static void
copy_vf_packet(struct vf_zc_qp *qp, const struct rte_mbuf *m,
               enum vf_zc_fallback why, struct rx_tally *tally)
    OVS_REQUIRES(qp->lock)
{
    struct vf_zc_seg segs[VF_ZC_MAX_SEGS];
    enum vf_zc_net_rx_result result;
    size_t n_segs = 0;

    for (const struct rte_mbuf *s = m; s; s = s->next) {
        if (n_segs == VF_ZC_MAX_SEGS) {
            break;
        }
        segs[n_segs].data = rte_pktmbuf_mtod(s, const void *);
        segs[n_segs].len = s->data_len;
        n_segs++;
    }
    result = (n_segs < m->nb_segs
              ? VF_ZC_NET_RX_TOO_BIG
              : deliver_one(qp, segs, n_segs, rx_hdr_flags(qp, m)));
    rx_tally_add(tally, result, m->pkt_len);
    if (result == VF_ZC_NET_RX_OK) {
        tally->fallbacks[why]++;
    }
}

/* Returns true if 'qp' may switch between zero copy and copy now: it has
 * not for VF_ZC_SWITCH_INTERVAL_MS. */
static bool
zc_may_switch(const struct vf_zc_qp *qp)
    OVS_REQUIRES(qp->lock)
{
    return (!qp->zc_switched_at
            || time_msec() - qp->zc_switched_at >= VF_ZC_SWITCH_INTERVAL_MS);
}

/* Switches 'qp' to zero copy ('on') or to copy, for reason 'why', in place:
 * its VF queue keeps its pool (vf-zc-rxpool.h), which binds guest buffers
 * or hands out host ones as the driver refills. */
static void
zc_switch(struct vf_zc_qp *qp, bool on, enum vf_zc_fallback why)
    OVS_REQUIRES(qp->lock)
{
    vf_zc_rxpool_set_zc(qp->zc_pool, on);
    qp->zc = on ? qp->zc_pool : NULL;
    qp->zc_fallback = why;
    atomic_store_relaxed(&qp->zc_settled, false);
    qp->zc_pool->fallback = -1;
    qp->zc_switched_at = time_msec();
    qp->zc_hold = 0;
    qp->zc_looks = 0;
    qp->zc_bursts = 0;
    stat_add(&qp->stats.zc_switches, 1);
    stat_add(&qp->zc_events, 1);
    COVERAGE_INC(vf_zc_zero_copy_switch);

    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 60);
    VLOG_INFO_RL(&rl, "DPDK port %"PRIu16" queue pair %"PRIu16": zero copy "
                 "%s", qp->port_id, qp->qid,
                 on ? "on" : vf_zc_fallback_reason(why));
}

/* Looks at the guest's receive buffers for the pool of 'qp', which copies
 * because they were too few or too small.  If they now suit, and 'qp' may
 * switch, switches to zero copy and returns true; otherwise records why
 * not. */
static bool
zc_look(struct vf_zc_qp *qp)
    OVS_REQUIRES(qp->lock)
{
    enum vf_zc_fallback why;

    if (vf_zc_rxpool_peek(qp->zc_pool, &qp->rxq, qp->rxq.mem, qp->hdr_len,
                          &why) >= qp->zc_min_buffers) {
        if (!zc_may_switch(qp)) {
            return false;
        }
        zc_switch(qp, true, VF_ZC_FALLBACK_FEW_BUFFERS);
        return true;
    }
    /* Say why now, e.g. the buffers the guest posted since are too small
     * rather than too few: the port's status shows the reason. */
    if (qp->zc_fallback != why) {
        qp->zc_fallback = why;
        stat_add(&qp->zc_events, 1);
    }
    return false;
}

static bool
zc_waiting(const struct vf_zc_qp *qp)
    OVS_REQUIRES(qp->lock)
{
    return (!qp->zc && qp->zc_pool
            && (qp->zc_fallback == VF_ZC_FALLBACK_FEW_BUFFERS
                || qp->zc_fallback == VF_ZC_FALLBACK_BUFFER_TOO_SMALL));
}

/* Called after each burst from the VF, 'busy' if it had packets.  While zero
 * copy meets guest buffers it cannot take (the pool hands the VF host
 * buffers in their place meanwhile), switches to copy; while the queue pair
 * copies from the VF for a reason that the guest may lift (its buffers were
 * too few or too small), looks again now and then, and switches back. */
static void
zc_maybe_recheck(struct vf_zc_qp *qp, bool busy)
    OVS_REQUIRES(qp->lock)
{
    if (qp->zc) {
        if (OVS_UNLIKELY(qp->zc->fallback >= 0) && zc_may_switch(qp)) {
            zc_switch(qp, false, qp->zc->fallback);
        }
        return;
    }
    if (!zc_waiting(qp) || ++qp->zc_bursts < VF_ZC_RECHECK_INTERVAL) {
        return;
    }
    qp->zc_bursts = 0;
    if (zc_look(qp)) {
        return;
    }
    /* Too few buffers while packets keep coming: the copies may be what
     * keeps the guest's ring empty.  Hold the VF queue, now and then. */
    if (busy && qp->zc_fallback == VF_ZC_FALLBACK_FEW_BUFFERS
        && ++qp->zc_looks >= 1u << MIN(qp->zc_holds_failed,
                                        VF_ZC_HOLD_MAX_BACKOFF)) {
        qp->zc_looks = 0;
        qp->zc_hold = VF_ZC_HOLD_ITERATIONS;
        qp->zc_hold_done = false;
    }
}

/* One iteration of a hold: the VF queue is left alone while the guest posts
 * buffers, until they suffice (then the relay switches, which ends the
 * hold) or it times out. */
static void
zc_hold_step(struct vf_zc_qp *qp)
    OVS_REQUIRES(qp->lock)
{
    qp->zc_hold--;
    if (!qp->zc_hold_done
        && (qp->zc_hold % VF_ZC_HOLD_LOOK_INTERVAL == 0)) {
        qp->zc_hold_done = zc_look(qp);
    }
    if (!qp->zc_hold) {
        if (qp->zc_hold_done) {
            qp->zc_holds_failed = 0;
        } else {
            qp->zc_holds_failed++;
        }
    }
}

/* VF receive queue of 'qp', whose guest rings are stopped -> the guest
 * receive ring of the queue pair it redirects to, by copy.  That queue pair
 * is relayed by another PMD thread, perhaps: if its lock is busy, the VF
 * queue is left alone until the next round (its packets wait in the VF, as
 * for any slow guest), never waited for. */
static int
relay_vf_to_redirect(struct vf_zc_qp *qp)
    OVS_REQUIRES(qp->lock)
{
    struct vf_zc_qp *to = qp->rx_redirect;
    struct rte_mbuf *pkts[NETDEV_MAX_BURST];
    struct rx_tally tally;
    uint16_t n;

    if (!vf_zc_spin_trylock(&to->lock)) {
        return 0;
    }
    if (!to->guest_ready) {
        vf_zc_spin_unlock(&to->lock);
        return 0;
    }
    n = rte_eth_rx_burst(qp->port_id, qp->vf_queue, pkts, NETDEV_MAX_BURST);
    if (n) {
        memset(&tally, 0, sizeof tally);
        /* A round of work on 'to''s ring of its own, with its own budget. */
        vf_zc_vring_set_budget(&to->rxq, VF_ZC_VRING_ROUND_BUDGET);
        for (uint16_t i = 0; i < n; i++) {
            copy_vf_packet(to, pkts[i], VF_ZC_FALLBACK_REDIRECTED, &tally);
        }
        rte_pktmbuf_free_bulk(pkts, n);
        rx_tally_flush_vf(to, &tally);
        vf_zc_vring_publish(&to->rxq);
        notify_guest(to, &to->rxq, to->rx_callfd);
        report_broken(to);
        if (OVS_UNLIKELY(to->logging)) {
            flush_log_stats(to);
        }
    }
    vf_zc_spin_unlock(&to->lock);
    return n;
}

/* VF receive queue -> guest receive ring: in place for packets the VF
 * received into the guest's buffers, by copy for the others.  In zero copy,
 * rte_eth_rx_burst() itself takes the guest's new buffers for the VF. */
static int
relay_vf_to_guest(struct vf_zc_qp *qp)
    OVS_REQUIRES(qp->lock)
{
    struct rte_mbuf *pkts[NETDEV_MAX_BURST];
    struct rx_tally tally;
    bool settled = false;
    uint16_t n;

    if (qp->zc_pool && qp->zc_pool->vq && !qp->guest_ready) {
        /* Only while the port pauses or stops the queue pair: the guest's
         * ring is not ours to take buffers from. */
        return 0;
    }
    if (OVS_UNLIKELY(qp->zc_hold) && qp->guest_ready) {
        zc_hold_step(qp);
        return 0;
    }
    if (!qp->guest_ready) {
        if (qp->rx_redirect) {
            return relay_vf_to_redirect(qp);
        } else if (qp->rings_started && !qp->tx_disabled) {
            /* Paused, or held by a message, for a moment: the packets wait
             * in the VF's queue rather than be dropped. */
            return 0;
        }
    }
    n = rte_eth_rx_burst(qp->port_id, qp->vf_queue, pkts, NETDEV_MAX_BURST);
    if (!n) {
        if (qp->guest_ready) {
            zc_maybe_recheck(qp, false);
        }
        return 0;
    }
    if (!qp->guest_ready) {
        rte_pktmbuf_free_bulk(pkts, n);
        count_drop(qp, VF_ZC_DROP_NO_GUEST, n);
        return n;
    }

    if (qp->zc_pool) {
        /* Delivery in place writes each packet's virtio-net header into the
         * guest's buffer, a cache line this core rarely holds: ask for all
         * of them at once, so that the misses overlap rather than stall
         * one store after another. */
        for (uint16_t i = 0; i < n; i++) {
            OVS_PREFETCH_WRITE(rte_pktmbuf_mtod(pkts[i], uint8_t *)
                               - qp->hdr_len);
        }
    }

    memset(&tally, 0, sizeof tally);
    for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];

        /* The VF's ring may hold both kinds of buffers for a while after
         * a switch, and host ones in place of guest buffers the pool could
         * not bind. */
        if (!qp->zc_pool || !vf_zc_rxpool_owns(qp->zc_pool, m)) {
            copy_vf_packet(qp, m, (qp->zc
                                   ? (qp->zc->fallback >= 0
                                      ? qp->zc->fallback
                                      : VF_ZC_FALLBACK_SWITCHING)
                                   : qp->zc_fallback), &tally);
        } else if (vf_zc_rxpool_deliver(qp->zc_pool, m,
                                        rx_hdr_flags(qp, m))) {
            tally.packets++;
            tally.bytes += m->pkt_len;
            tally.zero_copy++;
            settled = true;
        } else {
            copy_vf_packet(qp, m, VF_ZC_FALLBACK_PACKET, &tally);
        }
    }
    /* Delivered guest buffers go back to the pool unbound, the others to be
     * handed to the VF again. */
    rte_pktmbuf_free_bulk(pkts, n);
    rx_tally_flush_vf(qp, &tally);
    if (settled && qp->zc) {
        bool was;

        atomic_read_relaxed(&qp->zc_settled, &was);
        if (!was) {
            atomic_store_relaxed(&qp->zc_settled, true);
            stat_add(&qp->zc_events, 1);
        }
    }
    zc_maybe_recheck(qp, true);

    vf_zc_vring_publish(&qp->rxq);
    notify_guest(qp, &qp->rxq, qp->rx_callfd);
    report_broken(qp);
    return n;
}

/* Copies the 'len' bytes that follow the virtio-net header of packet
 * 'chain' into an mbuf of qp->mp, or into a chain of them if one does not
 * hold them all.  Returns it, or NULL if the mempool has too few mbufs now.
 * 'len' is at most qp->tx_max_len. */
static struct rte_mbuf *
copy_guest_packet(struct vf_zc_qp *qp, const struct vf_zc_chain *chain,
                  uint32_t len)
    OVS_REQUIRES(qp->lock)
{
    uint32_t room = qp->tx_seg_room;
    struct rte_mbuf *segs[VF_ZC_MAX_SEGS];
    unsigned int n_segs = (OVS_LIKELY(len <= room) ? 1
                           : DIV_ROUND_UP(len, room));
    uint32_t done = 0;

    ovs_assert(n_segs <= ARRAY_SIZE(segs));     /* See vf_zc_qp_set_vf(). */
    if (rte_pktmbuf_alloc_bulk(qp->mp, segs, n_segs)) {
        return NULL;
    }
    for (unsigned int i = 0; i < n_segs; i++) {
        struct rte_mbuf *seg = segs[i];
        uint32_t seg_len = MIN(room, len - done);

        vf_zc_chain_copy_out(chain, qp->hdr_len + done,
                             rte_pktmbuf_mtod(seg, void *), seg_len);
        seg->data_len = seg_len;
        seg->next = i + 1 < n_segs ? segs[i + 1] : NULL;
        done += seg_len;
    }
    segs[0]->nb_segs = n_segs;
    segs[0]->pkt_len = len;
    return segs[0];
}

/* Takes back, through the guest's transmit ring, at most 'max' of the
 * chains that the VF has released (see vf-zc-txpool.h).  Returns how many;
 * the caller publishes them. */
static uint32_t
reclaim_guest_tx(struct vf_zc_qp *qp, uint32_t max)
    OVS_REQUIRES(qp->lock)
{
    return (qp->txpool && vf_zc_txpool_in_flight(qp->txpool)
            ? vf_zc_txpool_reclaim(qp->txpool, &qp->txq, max)
            : 0);
}

/* Guest transmit ring -> VF transmit queue: each packet lent to the VF in
 * place (see 'tx_lend'), or else copied.  Takes at most a burst of chains,
 * good or bad, within the ring's budget, and gives back at most a burst of
 * those the VF has released before the burst and a burst after it. */
static int
relay_guest_to_vf(struct vf_zc_qp *qp)
    OVS_REQUIRES(qp->lock)
{
    struct rte_mbuf *pkts[NETDEV_MAX_BURST];
    uint8_t how[NETDEV_MAX_BURST];      /* VF_ZC_N_TX_COPY if lent, else
                                         * why copied. */
    struct vf_zc_chain chain;
    uint64_t bytes = 0;
    uint32_t reclaimed;
    uint16_t n = 0;
    int taken = 0;

    reclaimed = reclaim_guest_tx(qp, NETDEV_MAX_BURST);
    while (taken < NETDEV_MAX_BURST) {
        enum vf_zc_vring_status status;
        enum vf_zc_tx_copy why;
        struct rte_mbuf *m;
        uint32_t len;

        status = vf_zc_vring_pop(&qp->txq, false, &chain);
        if (status == VF_ZC_VRING_BAD_CHAIN) {
            taken++;
            vf_zc_vring_push(&qp->txq, chain.head, 0);
            count_drop(qp, VF_ZC_DROP_BAD_BUFFER, 1);
            continue;
        } else if (status != VF_ZC_VRING_OK) {
            break;
        }
        len = chain.len > qp->hdr_len ? chain.len - qp->hdr_len : 0;
        if (!len || len > qp->tx_max_len) {
            taken++;
            vf_zc_vring_push(&qp->txq, chain.head, 0);
            count_drop(qp, VF_ZC_DROP_GUEST_TX_ERROR, 1);
            continue;
        }

        m = NULL;
        if (!qp->tx_lend) {
            why = VF_ZC_TX_COPY_OFF;
        } else if (len < qp->tx_zc_min_len) {
            why = VF_ZC_TX_COPY_SMALL;
        } else {
            m = vf_zc_txpool_lend(qp->txpool, &chain, qp->hdr_len,
                                  qp->txq.mem, qp->tx_zc_max_segs, &why);
        }
        if (m) {
            /* The chain goes back once the VF has released it. */
            how[n] = VF_ZC_N_TX_COPY;
        } else {
            m = copy_guest_packet(qp, &chain, len);
            if (!m) {
                /* Every host buffer is in the VF's queues: try again
                 * later.  The packet stays in the guest's ring, nothing is
                 * lost. */
                vf_zc_vring_unpop(&qp->txq, 1);
                break;
            }
            vf_zc_vring_push(&qp->txq, chain.head, 0);
            how[n] = why;
        }
        taken++;
        pkts[n++] = m;
        bytes += len;
    }

    if (n) {
        uint32_t copies[VF_ZC_N_TX_COPY + 1] = { 0 };   /* By 'how'. */
        uint64_t n_copies;
        uint16_t sent;

        /* The mbufs the VF takes are the VF's from then on: no reading
         * them afterward, so the bytes are those of all, less those of the
         * rest.  The chains lent in the rest come back as the others do,
         * once freed. */
        sent = rte_eth_tx_burst(qp->port_id, qp->vf_queue, pkts, n);
        if (sent < n) {
            for (uint16_t i = sent; i < n; i++) {
                bytes -= pkts[i]->pkt_len;
            }
            rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
            count_drop(qp, VF_ZC_DROP_VF_TX_FULL, n - sent);
        }
        for (uint16_t i = 0; i < sent; i++) {
            copies[how[i]]++;
        }
        stat_add(&qp->stats.guest_to_vf_bytes, bytes);
        stat_add(&qp->stats.guest_to_vf_packets, sent);
        if (copies[VF_ZC_N_TX_COPY]) {
            stat_add(&qp->stats.guest_to_vf_zero_copy_packets,
                     copies[VF_ZC_N_TX_COPY]);
        }
        n_copies = sent - copies[VF_ZC_N_TX_COPY];
        if (n_copies) {
            stat_add(&qp->stats.guest_to_vf_copy_packets, n_copies);
            for (int c = 0; c < VF_ZC_N_TX_COPY; c++) {
                if (copies[c]) {
                    stat_add(&qp->stats.tx_copies[c], copies[c]);
                }
            }
        }
        /* Software devices free what they sent at once. */
        reclaimed += reclaim_guest_tx(qp, NETDEV_MAX_BURST);
    } else if (qp->txpool && vf_zc_txpool_in_flight(qp->txpool)) {
        /* Nothing to send, and chains lent: most drivers free what they
         * sent only as they send more, so ask this one, whose transmit
         * queue only this thread uses, to free what it has sent.  Once a
         * round at most, and never again of a driver that cannot. */
        if (!qp->tx_no_cleanup
            && rte_eth_tx_done_cleanup(qp->port_id, qp->vf_queue, 0)
               == -ENOTSUP) {
            qp->tx_no_cleanup = true;
        }
        reclaimed += reclaim_guest_tx(qp, NETDEV_MAX_BURST);
    }

    if (taken || reclaimed) {
        vf_zc_vring_publish(&qp->txq);
        notify_guest(qp, &qp->txq, qp->tx_callfd);
    }
    report_broken(qp);
    return taken;
}

/* Guest transmit ring of a disabled queue pair (see vf_zc_qp_disable()):
 * takes at most a burst of chains, within the ring's budget, and gives each
 * back unread. */
static int
discard_guest_tx(struct vf_zc_qp *qp)
    OVS_REQUIRES(qp->lock)
{
    uint32_t reclaimed = reclaim_guest_tx(qp, NETDEV_MAX_BURST);
    struct vf_zc_chain chain;
    int taken = 0, bad = 0;

    while (taken < NETDEV_MAX_BURST) {
        enum vf_zc_vring_status status;

        status = vf_zc_vring_pop(&qp->txq, false, &chain);
        if (status == VF_ZC_VRING_BAD_CHAIN) {
            bad++;
        } else if (status != VF_ZC_VRING_OK) {
            break;
        }
        vf_zc_vring_push(&qp->txq, chain.head, 0);
        taken++;
    }
    if (taken || reclaimed) {
        vf_zc_vring_publish(&qp->txq);
        notify_guest(qp, &qp->txq, qp->tx_callfd);
    }
    if (taken) {
        if (bad) {
            count_drop(qp, VF_ZC_DROP_BAD_BUFFER, bad);
        }
        if (taken > bad) {
            count_drop(qp, VF_ZC_DROP_TX_DISABLED, taken - bad);
        }
    }
    report_broken(qp);
    return taken;
}

/* One iteration of the relay, for the PMD thread polling this queue pair.
 * Returns the number of packets moved or dropped. */
int
vf_zc_qp_relay(struct vf_zc_qp *qp)
{
    bool reporter_waiting;
    int n = 0;

    atomic_read_relaxed(&qp->reporter_waiting, &reporter_waiting);
    if (OVS_UNLIKELY(reporter_waiting) || !vf_zc_spin_trylock(&qp->lock)) {
        /* A control thread is stopping, starting or reporting on the queue
         * pair, or another PMD thread delivers into it: next time. */
        return 0;
    }
    if (OVS_UNLIKELY(!qp->poller[0])) {
        ovs_strlcpy(qp->poller, get_subprogram_name(), sizeof qp->poller);
    }
    if (qp->guest_ready || qp->tx_discard) {
        /* The VF's receive queue takes buffers from 'rxq' too, in zero
         * copy: within the same budget. */
        vf_zc_vring_set_budget(&qp->rxq, VF_ZC_VRING_ROUND_BUDGET);
        vf_zc_vring_set_budget(&qp->txq, VF_ZC_VRING_ROUND_BUDGET);
    }
    if (OVS_UNLIKELY(qp->announce_pending) && qp->vf_ready
        && qp->guest_ready) {
        send_announcement(qp);
    }
    if (qp->vf_ready && qp->vf_rx && qp->bypass) {
        n += relay_vf_to_guest(qp);
    }
    if (qp->vf_ready && qp->guest_ready) {
        n += relay_guest_to_vf(qp);
    } else if (qp->tx_discard) {
        n += discard_guest_tx(qp);
    }
    if (OVS_UNLIKELY(qp->logging)) {
        flush_log_stats(qp);
    }
    vf_zc_spin_unlock(&qp->lock);
    return n;
}

/* Receives packets from the VF for the pipeline, when they do not bypass it.
 * Returns 0 with packets in 'batch', or EAGAIN. */
int
vf_zc_qp_recv(struct vf_zc_qp *qp, struct dp_packet_batch *batch)
{
    uint16_t n = 0;

    if (!vf_zc_spin_trylock(&qp->lock)) {
        return EAGAIN;
    }
    /* Without bypass, the VF's receive queue never holds guest buffers
     * (see vf_zc_zc_refusal() in netdev-vf-zc.c), and the VF's mempool
     * makes each mbuf a dp_packet. */
    if (qp->vf_ready && qp->vf_rx && !qp->bypass && !qp->zc) {
        n = rte_eth_rx_burst(qp->port_id, qp->vf_queue,
                             (struct rte_mbuf **) batch->packets,
                             NETDEV_MAX_BURST);
    }
    vf_zc_spin_unlock(&qp->lock);

    if (!n) {
        return EAGAIN;
    }
    batch->count = n;
    dp_packet_batch_init_packet_fields(batch);
    return 0;
}

/* Delivers the packets the pipeline sent to the port into the guest, and
 * frees them.  If another thread is using the guest's ring (the relay, or
 * another sender), drops them and counts them (VF_ZC_DROP_RING_BUSY) rather
 * than wait.  Any PMD thread. */
void
vf_zc_qp_deliver(struct vf_zc_qp *qp, struct dp_packet_batch *batch)
{
    struct dp_packet *packet;

    if (!vf_zc_spin_trylock(&qp->lock)) {
        uint64_t orig;

        atomic_add_relaxed(&qp->stats.drops[VF_ZC_DROP_RING_BUSY],
                           dp_packet_batch_size(batch), &orig);
        coverage_drop(VF_ZC_DROP_RING_BUSY, dp_packet_batch_size(batch));
        dp_packet_delete_batch(batch, true);
        return;
    }
    if (!qp->guest_ready) {
        count_drop(qp, VF_ZC_DROP_NO_GUEST, dp_packet_batch_size(batch));
    } else {
        struct rx_tally tally;

        memset(&tally, 0, sizeof tally);
        vf_zc_vring_set_budget(&qp->rxq, VF_ZC_VRING_ROUND_BUDGET);
        DP_PACKET_BATCH_FOR_EACH (i, packet, batch) {
            struct vf_zc_seg seg = {
                .data = dp_packet_data(packet),
                .len = dp_packet_size(packet),
            };

            rx_tally_add(&tally, deliver_one(qp, &seg, 1, 0), seg.len);
        }
        rx_tally_flush(qp, &tally, &qp->stats.pipeline_to_guest_packets,
                       &qp->stats.pipeline_to_guest_bytes);
        vf_zc_vring_publish(&qp->rxq);
        notify_guest(qp, &qp->rxq, qp->rx_callfd);
        report_broken(qp);
        if (OVS_UNLIKELY(qp->logging)) {
            flush_log_stats(qp);
        }
    }
    vf_zc_spin_unlock(&qp->lock);
    dp_packet_delete_batch(batch, true);
}

/* If one of the guest's rings of 'qp' is broken, stores why in 'buf' and
 * returns true.  Returns false if the relay kept the queue pair too busy to
 * look (then the next look tells).  Control threads. */
bool
vf_zc_qp_get_ring_error(struct vf_zc_qp *qp, char *buf, size_t size)
{
    bool broken = false;

    if (!qp_lock_for_report(qp)) {
        return false;
    }
    if (qp->guest_ready || qp->tx_disabled) {
        const struct vf_zc_vring *vq = (vf_zc_vring_is_broken(&qp->rxq)
                                        ? &qp->rxq : &qp->txq);

        if (vf_zc_vring_is_broken(vq)) {
            snprintf(buf, size, "%s ring: %s", vq == &qp->rxq ? "rx" : "tx",
                     vq->error);
            broken = true;
        }
    }
    vf_zc_spin_unlock(&qp->lock);
    return broken;
}

static void
format_ring(struct ds *s, const char *name, const struct vf_zc_vring *vq)
{
    ds_put_format(s, "    guest %s ring: ", name);
    if (vf_zc_vring_is_broken(vq)) {
        ds_put_format(s, "BROKEN: %s\n", vq->error);
        return;
    }
    ds_put_format(s, "size %"PRIu16", avail %"PRIu16" (taken up to "
                  "%"PRIu16"), used %"PRIu16", in flight %"PRIu16
                  ", bad chains %"PRIu64"\n"
                  "      descriptors read %"PRIu64", rounds cut short by the "
                  "work budget %"PRIu64"\n",
                  vq->size, *(const volatile uint16_t *) &vq->avail->idx,
                  vq->last_avail_idx, vq->published_used_idx,
                  vf_zc_vring_in_flight(vq), vq->bad_chains,
                  vq->desc_reads, vq->budget_stops);
}

/* Describes 'qp' for vf-zc/show.  Control threads. */
void
vf_zc_qp_format(struct vf_zc_qp *qp, struct ds *s)
{
    if (!qp_lock_for_report(qp)) {
        ds_put_format(s, "  queue pair %"PRIu16": too busy to report on its "
                      "rings\n", qp->qid);
        goto counters;
    }
    ds_put_format(s, "  queue pair %"PRIu16": VF queue %"PRIu16" %s%s, "
                  "guest rings %s, polled by %s\n", qp->qid, qp->vf_queue,
                  qp->vf_ready ? "running" : "stopped",
                  qp->vf_rx ? "" : " (transmit only)",
                  (qp->guest_ready ? "relaying"
                   : qp->tx_disabled ? "disabled (transmit discarded)"
                   : "stopped"),
                  qp->poller[0] ? qp->poller : "(not yet)");
    if (qp->guest_ready || qp->tx_disabled) {
        format_ring(s, "rx", &qp->rxq);
        format_ring(s, "tx", &qp->txq);
    }
    if (!qp->vf_rx) {
        /* Receives nothing from the VF. */
    } else if (qp->zc) {
        ds_put_format(s, "    zero copy: active, %"PRIu32"-byte frames, "
                      "%"PRIu64" guest buffers held\n", qp->zc->data_size,
                      vf_zc_rxpool_held(qp->zc));
    } else {
        ds_put_format(s, "    zero copy: inactive (%s)\n",
                      vf_zc_fallback_reason(qp->zc_fallback));
    }
    if (qp->vf_rx) {
        ds_put_format(s, "    zero-copy switches: %"PRIu64", VF queue "
                      "restarts: %"PRIu64"\n",
                      vf_zc_stat_read(&qp->stats.zc_switches),
                      vf_zc_stat_read(&qp->stats.vf_queue_restarts));
    }
    ds_put_format(s, "    dirty-page log: %s", qp->logging ? "on" : "off");
    if (qp->logging) {
        ds_put_format(s, " (%"PRIu64"-byte log, used rings logged: %s)",
                      qp->log.size,
                      qp->log_used_gpa[0] && qp->log_used_gpa[1] ? "yes"
                      : "no");
    }
    ds_put_char(s, '\n');
    vf_zc_spin_unlock(&qp->lock);

counters:
    ds_put_format(s, "    vf_to_guest: %"PRIu64" packets, guest_to_vf: "
                  "%"PRIu64" packets, pipeline_to_guest: %"PRIu64" packets, "
                  "notifications: %"PRIu64"\n",
                  vf_zc_stat_read(&qp->stats.vf_to_guest_packets),
                  vf_zc_stat_read(&qp->stats.guest_to_vf_packets),
                  vf_zc_stat_read(&qp->stats.pipeline_to_guest_packets),
                  vf_zc_stat_read(&qp->stats.guest_rx_notifications)
                  + vf_zc_stat_read(&qp->stats.guest_tx_notifications));
    ds_put_format(s, "    vf_to_guest: %"PRIu64" in place, %"PRIu64
                  " copied\n",
                  vf_zc_stat_read(&qp->stats.vf_to_guest_zero_copy_packets),
                  vf_zc_stat_read(&qp->stats.vf_to_guest_copy_packets));
    ds_put_format(s, "    guest_to_vf: %"PRIu64" in place, %"PRIu64
                  " copied (",
                  vf_zc_stat_read(&qp->stats.guest_to_vf_zero_copy_packets),
                  vf_zc_stat_read(&qp->stats.guest_to_vf_copy_packets));
    for (int c = 0; c < VF_ZC_N_TX_COPY; c++) {
        ds_put_format(s, "%s%s %"PRIu64, c ? ", " : "",
                      vf_zc_tx_copy_name(c),
                      vf_zc_stat_read(&qp->stats.tx_copies[c]));
    }
    ds_put_cstr(s, ")\n");
    ds_put_format(s, "    dirty pages logged: %"PRIu64", beyond the log: "
                  "%"PRIu64", announcements sent: %"PRIu64"\n",
                  vf_zc_stat_read(&qp->stats.dirty_pages_logged),
                  vf_zc_stat_read(&qp->stats.dirty_log_misses),
                  vf_zc_stat_read(&qp->stats.announcements));
    ds_put_cstr(s, "    dropped:");
    for (int d = 0; d < VF_ZC_N_DROPS; d++) {
        ds_put_format(s, " %s %"PRIu64, vf_zc_drop_name(d),
                      vf_zc_stat_read(&qp->stats.drops[d]));
    }
    ds_put_char(s, '\n');
}

/* Chains that vf-zc/dump-vring shows at most, of those in flight. */
#define VF_ZC_DUMP_MAX_CHAINS 64

/* Appends to 's' the state of the guest's receive ring ('rx') or transmit
 * ring of 'qp' and the chains the device holds: in zero copy the guest
 * buffers that the VF or the pool holds, otherwise the avail entries taken
 * and not yet used.  The queue pair's lock is held only to copy them, not to
 * format them.  Returns false if the queue pair stayed too busy to look.
 * Control threads. */
bool
vf_zc_qp_dump_ring(struct vf_zc_qp *qp, bool rx, struct ds *s)
{
    struct vf_zc_vring *vq = rx ? &qp->rxq : &qp->txq;
    uint16_t heads[VF_ZC_DUMP_MAX_CHAINS];
    struct vf_zc_vring_chain_copy *chains;
    uint32_t n_heads, n_copied;
    bool zc_held;

    chains = xmalloc(VF_ZC_DUMP_MAX_CHAINS * sizeof *chains);
    if (!qp_lock_for_report(qp)) {
        free(chains);
        return false;
    }
    ds_put_format(s, "queue pair %"PRIu16", guest %s ring:\n", qp->qid,
                  rx ? "receive" : "transmit");
    if (!qp->guest_ready && !qp->tx_disabled) {
        vf_zc_spin_unlock(&qp->lock);
        ds_put_cstr(s, "  not started\n");
        free(chains);
        return true;
    }
    vf_zc_vring_format(vq, s);

    zc_held = rx && qp->zc_pool && qp->zc_pool->vq == vq;
    if (zc_held) {
        n_heads = vf_zc_rxpool_held_heads(qp->zc_pool, heads,
                                          ARRAY_SIZE(heads));
    } else {
        uint16_t n = vq->last_avail_idx - vq->last_used_idx;

        for (uint16_t i = 0; i < n && i < ARRAY_SIZE(heads); i++) {
            uint16_t slot = (vq->last_used_idx + i) & (vq->size - 1);

            heads[i] = vf_zc_vring_read_u16(&vq->avail->ring[slot]);
        }
        n_heads = n;
    }
    n_copied = MIN(n_heads, ARRAY_SIZE(heads));
    for (uint32_t i = 0; i < n_copied; i++) {
        vf_zc_vring_copy_chain(vq, heads[i], &chains[i]);
    }
    vf_zc_spin_unlock(&qp->lock);

    if (zc_held) {
        ds_put_format(s, "  in flight: %"PRIu32" guest buffers held for "
                      "zero copy%s\n", n_heads, n_heads ? ", heads:" : "");
    } else {
        ds_put_format(s, "  in flight: %"PRIu32" avail entries taken and not "
                      "used%s\n", n_heads, n_heads ? ", heads (as the avail "
                      "ring names them now):" : "");
    }
    for (uint32_t i = 0; i < n_copied; i++) {
        vf_zc_vring_format_chain(&chains[i], s);
    }
    if (n_heads > n_copied) {
        ds_put_format(s, "    and %"PRIu32" more\n", n_heads - n_copied);
    }
    free(chains);
    return true;
}

/* Checks zero copy on 'qp' (see vf_zc_rxpool_check()) and appends the
 * figures to 's'.  Returns false on a mismatch.  Control threads. */
bool
vf_zc_qp_check(struct vf_zc_qp *qp, struct ds *s)
{
    bool ok = true;

    if (!qp_lock_for_report(qp)) {
        ds_put_format(s, "queue pair %"PRIu16": too busy to check, try "
                      "again\n", qp->qid);
        return false;
    }
    ds_put_format(s, "queue pair %"PRIu16": ", qp->qid);
    if (qp->zc) {
        ds_put_cstr(s, "zero copy\n");
    } else {
        ds_put_format(s, "copy (%s)\n",
                      vf_zc_fallback_reason(qp->zc_fallback));
    }
    if (qp->zc_pool && qp->zc_pool->vq) {
        /* Also after a switch to copy: the VF may still hold guest
         * buffers. */
        ds_put_cstr(s, "  ");
        ok = vf_zc_rxpool_check(qp->zc_pool, qp->rxq.mem, s);
    }
    if (qp->txpool) {
        uint32_t in_flight = vf_zc_txpool_in_flight(qp->txpool);
        uint32_t n_slots = vf_zc_txpool_n_slots(qp->txpool);

        ds_put_format(s, "  transmit in place: %s, %"PRIu32" chains lent "
                      "(at most %"PRIu32"), %"PRIu32" held by the VF\n",
                      qp->tx_lend ? "on" : "off", in_flight, n_slots,
                      vf_zc_txpool_held(qp->txpool));
        if (in_flight > n_slots || (!qp->rings_started && in_flight)) {
            ds_put_cstr(s, "  FAIL: transmit chains lent beyond the table "
                        "or past a ring stop\n");
            ok = false;
        }
    }
    vf_zc_spin_unlock(&qp->lock);
    return ok;
}
