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

/* Unit tests of zero-copy transmit's pool (vf-zc-txpool.h) against a
 * simulated guest's transmit ring, the mbufs freed the way a VF driver frees
 * them: in any order, one segment at a time, or, for a ring that stops,
 * not at all.  DPDK's EAL runs without
 * hugepages or devices.
 *
 * ovstest test-vf-zc-txpool
 *
 * Prints what it checked; a broken expectation aborts. */

#include <config.h>
#undef NDEBUG
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "ovstest.h"
#include "util.h"
#include "vf-zc-sim-guest.h"
#include "vf-zc-txpool.h"
#include "vf-zc-vring.h"

#define HDR_LEN 12

/* The guest posts a chain of 'n' buffers of 'lens' bytes (the first one
 * starting with the virtio-net header), filled with 'fill' after the
 * header, and the device takes it into '*chain'. */
static void
post_and_pop(struct guest *g, struct vf_zc_vring *vq, int n,
             const uint32_t *lens, uint8_t fill, struct vf_zc_chain *chain)
{
    uint16_t head = guest_post(g, n, lens, false);
    uint16_t id = head;

    for (int i = 0; i < n; i++) {
        uint8_t *p = gpa_to_ptr(g, g->desc[id].addr);

        memset(p, fill, lens[i]);
        if (!i) {
            memset(p, 0, MIN(lens[i], HDR_LEN));
        }
        id = g->desc[id].next;
    }
    ovs_assert(vf_zc_vring_pop(vq, false, chain) == VF_ZC_VRING_OK);
    ovs_assert(chain->head == head);
}

/* Checks that 'm' holds 'len' bytes of 'fill', in 'n_segs' segments that lie
 * in guest memory itself. */
static void
check_lent(const struct guest *g, const struct rte_mbuf *m, uint32_t len,
           uint16_t n_segs, uint8_t fill)
{
    ovs_assert(m->nb_segs == n_segs);
    ovs_assert(m->pkt_len == len);
    for (const struct rte_mbuf *s = m; s; s = s->next) {
        const uint8_t *p = rte_pktmbuf_mtod(s, const uint8_t *);

        ovs_assert(RTE_MBUF_HAS_EXTBUF(s));
        ovs_assert(p >= g->mem && p + s->data_len <= g->mem + GUEST_SIZE);
        /* IOVA as VA: the address the NIC reads is the guest's buffer. */
        ovs_assert(rte_pktmbuf_iova(s) == (uintptr_t) p);
        for (uint16_t i = 0; i < s->data_len; i++) {
            ovs_assert(p[i] == fill);
        }
        len -= s->data_len;
    }
    ovs_assert(!len);
}

static void
test_lend_and_reclaim(void)
{
    struct vf_zc_chain chains[4];
    struct rte_mbuf *m[4];
    enum vf_zc_tx_copy why;
    struct vf_zc_txpool *pool;
    struct vf_zc_vring vq;
    struct guest g;

    guest_init(&g);
    device_init(&g, &vq, false, false);
    pool = vf_zc_txpool_create("test_txpool", 3, 16, SOCKET_ID_ANY);
    ovs_assert(pool && vf_zc_txpool_n_slots(pool) == 4);

    /* The header in a buffer of its own; the header and the packet in one;
     * a packet in three buffers after the header's. */
    post_and_pop(&g, &vq, 2, (uint32_t []) { HDR_LEN, 60 }, 0xa1, &chains[0]);
    post_and_pop(&g, &vq, 1, (uint32_t []) { HDR_LEN + 1500 }, 0xa2,
                 &chains[1]);
    post_and_pop(&g, &vq, 4, (uint32_t []) { HDR_LEN, 100, 200, 300 }, 0xa3,
                 &chains[2]);
    m[0] = vf_zc_txpool_lend(pool, &chains[0], HDR_LEN, &g.map, 1, &why);
    m[1] = vf_zc_txpool_lend(pool, &chains[1], HDR_LEN, &g.map, 1, &why);
    check_lent(&g, m[0], 60, 1, 0xa1);
    check_lent(&g, m[1], 1500, 1, 0xa2);
    printf("one buffer: lent in place, after the header\n");

    ovs_assert(!vf_zc_txpool_lend(pool, &chains[2], HDR_LEN, &g.map, 2,
                                  &why));
    ovs_assert(why == VF_ZC_TX_COPY_SEGMENTS);
    m[2] = vf_zc_txpool_lend(pool, &chains[2], HDR_LEN, &g.map, 3, &why);
    check_lent(&g, m[2], 600, 3, 0xa3);
    printf("three buffers: copied for a VF that takes 2 segments, "
           "lent in 3 to one that takes 3\n");
    ovs_assert(vf_zc_txpool_in_flight(pool) == 3);
    ovs_assert(vf_zc_txpool_held(pool) == 3);

    /* The driver frees them out of order, and the chain one segment at a
     * time: each goes back once the ones lent before it have. */
    rte_pktmbuf_free(m[1]);
    ovs_assert(vf_zc_txpool_held(pool) == 2);
    ovs_assert(!vf_zc_txpool_reclaim(pool, &vq, UINT32_MAX));
    rte_pktmbuf_free_seg(m[2]->next->next);
    rte_pktmbuf_free_seg(m[2]->next);
    m[2]->next = NULL;
    m[2]->nb_segs = 1;
    ovs_assert(vf_zc_txpool_held(pool) == 2);
    rte_pktmbuf_free(m[0]);
    ovs_assert(vf_zc_txpool_held(pool) == 1);
    ovs_assert(vf_zc_txpool_reclaim(pool, &vq, 1) == 1);
    ovs_assert(vf_zc_txpool_reclaim(pool, &vq, UINT32_MAX) == 1);
    ovs_assert(!vf_zc_txpool_reclaim(pool, &vq, UINT32_MAX));
    rte_pktmbuf_free_seg(m[2]);
    ovs_assert(vf_zc_txpool_reclaim(pool, &vq, UINT32_MAX) == 1);
    vf_zc_vring_publish(&vq);
    for (int i = 0; i < 3; i++) {
        struct vf_zc_vring_used_elem e = guest_get_used(&g);

        ovs_assert(e.id == chains[i].head && !e.len);
    }
    ovs_assert(g.used->idx == g.last_used);
    ovs_assert(!vf_zc_txpool_in_flight(pool) && !vf_zc_txpool_held(pool));
    printf("freed out of order, segment by segment: "
           "each chain back once, in order\n");

    /* At most 4 chains in flight. */
    for (int i = 0; i < 4; i++) {
        post_and_pop(&g, &vq, 1, (uint32_t []) { HDR_LEN + 64 }, i,
                     &chains[i]);
        m[i] = vf_zc_txpool_lend(pool, &chains[i], HDR_LEN, &g.map, 1, &why);
        ovs_assert(m[i]);
    }
    post_and_pop(&g, &vq, 1, (uint32_t []) { HDR_LEN + 64 }, 9, &chains[0]);
    ovs_assert(!vf_zc_txpool_lend(pool, &chains[0], HDR_LEN, &g.map, 1,
                                  &why));
    ovs_assert(why == VF_ZC_TX_COPY_IN_FLIGHT);
    vf_zc_vring_push(&vq, chains[0].head, 0);
    ovs_assert(!vf_zc_txpool_destroy(pool));
    printf("5th chain in flight: copied; pool kept while lent\n");

    rte_pktmbuf_free_bulk(m, 4);
    ovs_assert(vf_zc_txpool_reclaim(pool, &vq, UINT32_MAX) == 4);
    vf_zc_vring_publish(&vq);
    ovs_assert(vf_zc_txpool_destroy(pool));
    printf("all freed: pool destroyed\n");
    guest_destroy(&g);
}

static void
test_refusals(void)
{
    static uint8_t outside[HDR_LEN + 64];
    struct vf_zc_chain chain;
    enum vf_zc_tx_copy why;
    struct vf_zc_txpool *pool;
    struct vf_zc_vring vq;
    struct guest g;

    guest_init(&g);
    device_init(&g, &vq, false, false);
    pool = vf_zc_txpool_create("test_txpool_refusals", 4, 1, SOCKET_ID_ANY);
    ovs_assert(pool);

    post_and_pop(&g, &vq, 2, (uint32_t []) { HDR_LEN, 70000 }, 1, &chain);
    ovs_assert(!vf_zc_txpool_lend(pool, &chain, HDR_LEN, &g.map, 4, &why));
    ovs_assert(why == VF_ZC_TX_COPY_BIG_BUFFER);
    printf("a 70000-byte buffer: copied (%s)\n", vf_zc_tx_copy_name(why));

    /* What the ring engine never hands out, but a region the VF does not
     * reach looks the same to the pool. */
    chain.n_iov = 1;
    chain.iov[0].base = outside;
    chain.iov[0].len = chain.len = sizeof outside;
    ovs_assert(!vf_zc_txpool_lend(pool, &chain, HDR_LEN, &g.map, 4, &why));
    ovs_assert(why == VF_ZC_TX_COPY_UNREACHABLE);
    printf("a buffer outside guest memory: copied (%s)\n",
           vf_zc_tx_copy_name(why));

    /* One header in the mempool: a chain of two buffers cannot have it. */
    post_and_pop(&g, &vq, 3, (uint32_t []) { HDR_LEN, 10, 10 }, 2, &chain);
    ovs_assert(!vf_zc_txpool_lend(pool, &chain, HDR_LEN, &g.map, 4, &why));
    ovs_assert(why == VF_ZC_TX_COPY_IN_FLIGHT);
    ovs_assert(!vf_zc_txpool_in_flight(pool));
    printf("no mbuf header left: copied (%s), nothing lent\n",
           vf_zc_tx_copy_name(why));

    /* A header split over two buffers, then the packet. */
    post_and_pop(&g, &vq, 3, (uint32_t []) { 5, HDR_LEN - 5 + 40, 0 }, 3,
                 &chain);
    {
        struct rte_mbuf *m = vf_zc_txpool_lend(pool, &chain, HDR_LEN, &g.map,
                                               4, &why);
        const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);

        ovs_assert(m && m->nb_segs == 1 && m->pkt_len == 40);
        for (int i = 0; i < 40; i++) {
            ovs_assert(p[i] == 3);
        }
        rte_pktmbuf_free(m);
    }
    ovs_assert(vf_zc_txpool_reclaim(pool, &vq, UINT32_MAX) == 1);
    printf("a header split over two buffers, an empty one after the packet: "
           "lent in 1 segment\n");
    ovs_assert(vf_zc_txpool_destroy(pool));
    guest_destroy(&g);
}

/* A ring stops while the driver holds a chain that no stop of the VF makes
 * it free: the guest gets back every other chain at once, and that one
 * never, even once the driver frees it at last. */
static void
test_abandon(void)
{
    struct vf_zc_chain chains[3];
    struct rte_mbuf *m[3];
    enum vf_zc_tx_copy why;
    struct vf_zc_txpool *pool;
    struct vf_zc_vring vq;
    struct guest g;

    guest_init(&g);
    device_init(&g, &vq, false, false);
    pool = vf_zc_txpool_create("test_txpool_abandon", 4, 8, SOCKET_ID_ANY);
    ovs_assert(pool);

    /* Nothing held: all back in order, and the pool goes on lending. */
    for (int i = 0; i < 2; i++) {
        post_and_pop(&g, &vq, 1, (uint32_t []) { HDR_LEN + 64 }, i,
                     &chains[i]);
        m[i] = vf_zc_txpool_lend(pool, &chains[i], HDR_LEN, &g.map, 1, &why);
        ovs_assert(m[i]);
    }
    rte_pktmbuf_free_bulk(m, 2);
    ovs_assert(!vf_zc_txpool_abandon(pool, &vq));
    ovs_assert(!vf_zc_txpool_is_abandoned(pool));
    vf_zc_vring_publish(&vq);
    for (int i = 0; i < 2; i++) {
        ovs_assert(guest_get_used(&g).id == chains[i].head);
    }
    ovs_assert(!vf_zc_txpool_in_flight(pool));
    printf("stop with nothing held: every chain back in order, "
           "the pool lends on\n");

    /* The first chain held, the two lent after it released. */
    for (int i = 0; i < 3; i++) {
        post_and_pop(&g, &vq, 1, (uint32_t []) { HDR_LEN + 64 }, i,
                     &chains[i]);
        m[i] = vf_zc_txpool_lend(pool, &chains[i], HDR_LEN, &g.map, 1, &why);
        ovs_assert(m[i]);
    }
    rte_pktmbuf_free(m[2]);
    rte_pktmbuf_free(m[1]);
    ovs_assert(vf_zc_txpool_abandon(pool, &vq) == 1);
    ovs_assert(vf_zc_txpool_is_abandoned(pool));
    ovs_assert(vf_zc_txpool_abandon(pool, &vq) == 1);
    vf_zc_vring_publish(&vq);
    for (int i = 1; i < 3; i++) {
        ovs_assert(guest_get_used(&g).id == chains[i].head);
    }
    ovs_assert(g.used->idx == g.last_used);
    ovs_assert(vf_zc_vring_in_flight(&vq) == 1);
    ovs_assert(vf_zc_txpool_held(pool) == 1);
    printf("stop with the oldest chain held: the 2 released after it "
           "back, that one kept\n");

    post_and_pop(&g, &vq, 1, (uint32_t []) { HDR_LEN + 64 }, 9, &chains[1]);
    ovs_assert(!vf_zc_txpool_lend(pool, &chains[1], HDR_LEN, &g.map, 1,
                                  &why));
    ovs_assert(why == VF_ZC_TX_COPY_IN_FLIGHT);
    vf_zc_vring_push(&vq, chains[1].head, 0);
    vf_zc_vring_publish(&vq);
    ovs_assert(guest_get_used(&g).id == chains[1].head);
    ovs_assert(!vf_zc_txpool_destroy(pool));
    printf("abandoned: lends nothing more, kept while the chain is held\n");

    /* The driver frees it at last: it stays the device's. */
    rte_pktmbuf_free(m[0]);
    ovs_assert(!vf_zc_txpool_held(pool));
    ovs_assert(!vf_zc_txpool_reclaim(pool, &vq, UINT32_MAX));
    ovs_assert(!vf_zc_txpool_abandon(pool, &vq));
    vf_zc_vring_publish(&vq);
    ovs_assert(g.used->idx == g.last_used);
    ovs_assert(vf_zc_vring_in_flight(&vq) == 1);
    ovs_assert(vf_zc_txpool_destroy(pool));
    printf("held chain freed at last: never back to the ring; "
           "pool destroyed\n");
    guest_destroy(&g);
}

static void
test_vf_zc_txpool_main(int argc OVS_UNUSED, char *argv[])
{
    char *eal_args[] = {
        argv[0], "--no-huge", "-m", "64", "--no-pci", "--no-shconf",
        "--no-telemetry", "-l", "0", "--log-level=lib.eal:error",
    };

    set_program_name(argv[0]);
    if (rte_eal_init(ARRAY_SIZE(eal_args), eal_args) < 0) {
        ovs_fatal(0, "EAL initialization failed");
    }
    test_lend_and_reclaim();
    test_refusals();
    test_abandon();
    rte_eal_cleanup();
}

OVSTEST_REGISTER("test-vf-zc-txpool", test_vf_zc_txpool_main);
