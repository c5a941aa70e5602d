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

/* Unit tests of zero-copy receive's pool (vf-zc-rxpool.h) against a
 * simulated guest, driven the way a VF driver and the relay drive it, with
 * no EAL: the pool's headers are ordinary memory.
 *
 * ovstest test-vf-zc-rxpool COMMAND
 *
 * Each command prints what it checked; a broken expectation aborts. */

#include <config.h>
#undef NDEBUG
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "command-line.h"
#include "dp-packet.h"
#include "openvswitch/dynamic-string.h"
#include "ovstest.h"
#include "random.h"
#include "util.h"
#include "vf-zc-hostile-ring.h"
#include "vf-zc-rxpool.h"
#include "vf-zc-sim-guest.h"
#include "vf-zc-vring.h"

#define HDR_LEN 12
#define DATA_SIZE 1518          /* A frame of MTU 1500 with a VLAN tag. */
#define BUF_LEN 2048            /* What the guest usually posts. */

/* Buffer of descriptor 'head' when the test posts the same buffer for each
 * descriptor again and again. */
static uint64_t
head_buf_gpa(uint16_t head)
{
    return GUEST_BASE + 65536 + head * 4096;
}

static void
post_head(struct guest *g, uint16_t head, uint32_t len)
{
    g->desc[head].addr = head_buf_gpa(head);
    g->desc[head].len = len;
    g->desc[head].flags = VF_ZC_VRING_DESC_F_WRITE;
    g->desc[head].next = 0;
    guest_make_available(g, head);
}

struct fixture {
    struct guest g;
    struct vf_zc_vring vq;
    struct rte_mbuf **hdrs;
    struct vf_zc_rxpool *pool;
};

static void
fixture_init(struct fixture *f, uint32_t n_hdrs)
{
    guest_init(&f->g);
    device_init(&f->g, &f->vq, false, false);
    f->hdrs = xmalloc(n_hdrs * sizeof *f->hdrs);
    for (uint32_t i = 0; i < n_hdrs; i++) {
        f->hdrs[i] = xmalloc_cacheline(vf_zc_rxpool_header_size());
    }
    f->pool = vf_zc_rxpool_create_bare(n_hdrs, DATA_SIZE, f->hdrs);
    vf_zc_rxpool_attach(f->pool, &f->vq, &f->g.map, HDR_LEN);
}

static void
fixture_destroy(struct fixture *f)
{
    if (f->pool->vq) {
        vf_zc_rxpool_detach(f->pool);
    }
    for (uint32_t i = 0; i < f->pool->n_hdrs; i++) {
        free_cacheline(f->hdrs[i]);
    }
    vf_zc_rxpool_destroy(f->pool);
    free(f->hdrs);
    guest_destroy(&f->g);
}

static void
check_pool(struct fixture *f)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    if (!vf_zc_rxpool_check(f->pool, &f->g.map, &s)) {
        ovs_fatal(0, "pool check failed: %s", ds_cstr(&s));
    }
    ds_destroy(&s);
}

/* The layout of a bound mbuf (vf-zc-rxpool.h). */
static void
test_bind(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct rte_mbuf *m[4];
    struct fixture f;

    fixture_init(&f, 8);
    for (uint16_t h = 0; h < 4; h++) {
        post_head(&f.g, h, BUF_LEN);
    }
    ovs_assert(!vf_zc_rxpool_get(f.pool, m, 4));
    for (int i = 0; i < 4; i++) {
        uint8_t *guest = gpa_to_ptr(&f.g, head_buf_gpa(i));

        ovs_assert(rte_pktmbuf_mtod(m[i], uint8_t *) == guest + HDR_LEN);
        ovs_assert((uint8_t *) m[i]->buf_addr + RTE_PKTMBUF_HEADROOM
                   == guest + HDR_LEN);
        ovs_assert(m[i]->buf_len == RTE_PKTMBUF_HEADROOM + DATA_SIZE);
        ovs_assert(rte_mbuf_data_iova_default(m[i])
                   == (uintptr_t) guest + HDR_LEN);
    }
    printf("4 mbufs bound after the header of 4 guest buffers\n");
    check_pool(&f);

    /* A fifth: none posted. */
    struct rte_mbuf *extra;
    ovs_assert(vf_zc_rxpool_get(f.pool, &extra, 1) == -ENOBUFS);
    ovs_assert(f.pool->fallback < 0);
    printf("no buffer posted: -ENOBUFS\n");

    /* The VF receives 60 bytes into m[1]; the relay delivers it. */
    memset(rte_pktmbuf_mtod(m[1], uint8_t *), 0xab, 60);
    m[1]->data_len = m[1]->pkt_len = 60;
    ovs_assert(vf_zc_rxpool_owns(f.pool, m[1]));
    ovs_assert(vf_zc_rxpool_deliver(f.pool, m[1], 0));
    vf_zc_rxpool_put(f.pool, &m[1], 1);
    vf_zc_vring_publish(&f.vq);

    struct vf_zc_vring_used_elem e = guest_get_used(&f.g);
    const uint8_t *guest = gpa_to_ptr(&f.g, head_buf_gpa(1));
    ovs_assert(e.id == 1 && e.len == HDR_LEN + 60);
    ovs_assert(guest[10] == 1 && guest[11] == 0);   /* num_buffers. */
    ovs_assert(guest[HDR_LEN] == 0xab && guest[HDR_LEN + 59] == 0xab);
    printf("delivered in place: used len %"PRIu32", num_buffers 1\n", e.len);

    /* Two segments: not in place. */
    m[2]->next = m[3];
    m[2]->nb_segs = 2;
    ovs_assert(!vf_zc_rxpool_deliver(f.pool, m[2], 0));
    m[2]->next = NULL;
    m[2]->nb_segs = 1;
    printf("a packet in two segments: refused\n");

    /* Freed without delivery: recycled, handed out first. */
    vf_zc_rxpool_put(f.pool, &m[2], 1);
    ovs_assert(!vf_zc_rxpool_get(f.pool, &extra, 1) && extra == m[2]);
    printf("a buffer freed undelivered: handed out again\n");
    check_pool(&f);

    vf_zc_rxpool_put(f.pool, &extra, 1);
    vf_zc_rxpool_put(f.pool, &m[0], 1);
    vf_zc_rxpool_put(f.pool, &m[3], 1);
    vf_zc_rxpool_detach(f.pool);
    for (int i = 0; i < 3; i++) {
        e = guest_get_used(&f.g);
        ovs_assert(e.len == 0 && e.id != 1);
    }
    ovs_assert(f.g.used->idx == f.g.last_used);
    ovs_assert(!f.pool->lost && !vf_zc_rxpool_held(f.pool));
    printf("detached: 3 buffers returned unused\n");
    fixture_destroy(&f);
}

/* A buffer smaller than the programmed size is never handed out. */
static void
test_too_small(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    enum vf_zc_fallback why;
    struct rte_mbuf *m[3];
    struct fixture f;

    fixture_init(&f, 8);
    post_head(&f.g, 0, BUF_LEN);
    post_head(&f.g, 1, HDR_LEN + DATA_SIZE);    /* Just big enough. */
    post_head(&f.g, 2, HDR_LEN + DATA_SIZE - 1);

    ovs_assert(vf_zc_rxpool_peek(f.pool, &f.vq, &f.g.map, HDR_LEN, &why)
               == 3);
    ovs_assert(vf_zc_rxpool_get(f.pool, m, 3) == -ENOBUFS);
    ovs_assert(f.pool->fallback == VF_ZC_FALLBACK_BUFFER_TOO_SMALL);
    ovs_assert(f.vq.last_avail_idx == 2);
    printf("third buffer 1 byte short: not taken, fallback %s\n",
           vf_zc_fallback_name(f.pool->fallback));

    ovs_assert(vf_zc_rxpool_peek(f.pool, &f.vq, &f.g.map, HDR_LEN, &why) == 0
               && why == VF_ZC_FALLBACK_BUFFER_TOO_SMALL);
    printf("peek at it: %s\n", vf_zc_fallback_reason(why));

    /* The two that fit stay bound for the next request. */
    ovs_assert(!vf_zc_rxpool_get(f.pool, m, 2));
    ovs_assert(vf_zc_rxpool_get(f.pool, &m[2], 1) == -ENOBUFS);
    check_pool(&f);

    /* The small one is left for the copy path. */
    struct vf_zc_chain chain;
    ovs_assert(vf_zc_vring_pop(&f.vq, true, &chain) == VF_ZC_VRING_OK
               && chain.head == 2);
    vf_zc_vring_push(&f.vq, chain.head, 0);
    printf("the copy path takes it\n");

    /* A chain of one empty descriptor has no buffer: refused too, even right
     * after a good buffer was looked at (whose traces an unchecked read of
     * the empty chain's first buffer would find). */
    post_head(&f.g, 3, BUF_LEN);
    ovs_assert(vf_zc_rxpool_peek(f.pool, &f.vq, &f.g.map, HDR_LEN, &why) == 1);
    ovs_assert(!vf_zc_rxpool_get(f.pool, &m[2], 1));
    post_head(&f.g, 4, 0);
    ovs_assert(vf_zc_rxpool_peek(f.pool, &f.vq, &f.g.map, HDR_LEN, &why) == 0
               && why == VF_ZC_FALLBACK_BUFFER_TOO_SMALL);
    struct rte_mbuf *extra;
    ovs_assert(vf_zc_rxpool_get(f.pool, &extra, 1) == -ENOBUFS);
    ovs_assert(f.vq.last_avail_idx == 4);
    printf("an empty descriptor: not taken\n");

    vf_zc_rxpool_put(f.pool, m, 3);
    vf_zc_rxpool_detach(f.pool);
    fixture_destroy(&f);
}

/* Zero copy switched off and on again in place, with the VF holding guest
 * buffers: those in the pool go back to the guest at once, those the VF
 * holds as they come back, and none is handed out meanwhile; switched on
 * again, the pool binds new ones. */
static void
test_switch(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct rte_mbuf *m[4], *extra;
    struct fixture f;

    fixture_init(&f, 8);
    for (uint16_t head = 0; head < 6; head++) {
        post_head(&f.g, head, BUF_LEN);
    }
    ovs_assert(!vf_zc_rxpool_get(f.pool, m, 4));
    /* The VF frees one undelivered (a driver releasing its ring): the pool
     * keeps it, bound, for the next request. */
    vf_zc_rxpool_put(f.pool, &m[3], 1);
    ovs_assert(f.pool->n_bound == 1 && vf_zc_rxpool_held(f.pool) == 4);

    vf_zc_rxpool_set_zc(f.pool, false);
    ovs_assert(f.pool->n_bound == 0 && vf_zc_rxpool_held(f.pool) == 3);
    ovs_assert(f.g.used->idx == 1);
    printf("off: the buffer in the pool went back at once\n");

    /* No host mempool: nothing to hand out; the ring is left alone. */
    ovs_assert(vf_zc_rxpool_get(f.pool, &extra, 1) == -ENOBUFS);
    ovs_assert(f.vq.last_avail_idx == 4);
    printf("off: no guest buffer handed out\n");

    /* One the VF held, delivered in place after the switch (a packet it
     * had received already), and one it frees undelivered. */
    m[0]->data_len = m[0]->pkt_len = 60;
    ovs_assert(vf_zc_rxpool_deliver(f.pool, m[0], 0));
    vf_zc_rxpool_put(f.pool, &m[0], 1);
    vf_zc_rxpool_put(f.pool, &m[1], 1);
    ovs_assert(f.pool->n_bound == 0 && vf_zc_rxpool_held(f.pool) == 1);
    ovs_assert(f.g.used->idx == 3);
    check_pool(&f);
    printf("off: the VF's go back as it frees them\n");

    vf_zc_rxpool_set_zc(f.pool, true);
    ovs_assert(!vf_zc_rxpool_get(f.pool, &extra, 1));
    ovs_assert(f.vq.last_avail_idx == 5);
    printf("on again: binds the next buffer\n");

    vf_zc_rxpool_put(f.pool, &m[2], 1);
    vf_zc_rxpool_put(f.pool, &extra, 1);
    vf_zc_rxpool_detach(f.pool);
    ovs_assert(!f.pool->lost && !vf_zc_rxpool_held(f.pool));
    ovs_assert(f.g.used->idx == 5);
    printf("detached: every descriptor returned once\n");
    fixture_destroy(&f);
}

/* Every descriptor taken is returned exactly once, however the buffers go
 * (delivered, dropped and recycled, held by the VF) and however often the
 * queue stops and starts again. */
static void
test_exactly_once(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    bool outstanding[RING_SIZE] = { false };
    struct rte_mbuf *in_vf[64];
    uint64_t posted = 0, used = 0, delivered = 0, unused = 0;
    size_t n_in_vf = 0;
    int restarts = 0;
    struct fixture f;

    random_set_seed(0x5eed);
    fixture_init(&f, 12);
    for (int step = 0; step < 20000; step++) {
        /* The guest reaps used buffers and posts free ones. */
        while (f.g.used->idx != f.g.last_used) {
            struct vf_zc_vring_used_elem e = guest_get_used(&f.g);

            ovs_assert(e.id < RING_SIZE && outstanding[e.id]);
            outstanding[e.id] = false;
            used++;
            if (e.len) {
                delivered++;
            } else {
                unused++;
            }
        }
        for (uint16_t h = 0; h < RING_SIZE; h++) {
            if (!outstanding[h] && random_range(2)) {
                outstanding[h] = true;
                post_head(&f.g, h, BUF_LEN);
                posted++;
            }
        }

        switch (f.pool->vq ? random_range(4) : 4) {
        case 0: {
            /* The driver takes buffers. */
            unsigned int n = 1 + random_range(4);

            if (n_in_vf + n <= ARRAY_SIZE(in_vf)
                && !vf_zc_rxpool_get(f.pool, &in_vf[n_in_vf], n)) {
                n_in_vf += n;
            }
            break;
        }
        case 1:
        case 2:
            /* The VF receives into one; the relay delivers it, or drops
             * it. */
            if (n_in_vf) {
                size_t i = random_range(n_in_vf);
                struct rte_mbuf *m = in_vf[i];

                in_vf[i] = in_vf[--n_in_vf];
                m->data_len = m->pkt_len = 1 + random_range(DATA_SIZE);
                if (random_range(4)) {
                    ovs_assert(vf_zc_rxpool_deliver(f.pool, m, 0));
                }
                vf_zc_rxpool_put(f.pool, &m, 1);
                vf_zc_vring_publish(&f.vq);
            }
            break;
        case 3:
            /* The queue stops: the driver releases what it holds. */
            vf_zc_rxpool_put(f.pool, in_vf, n_in_vf);
            n_in_vf = 0;
            check_pool(&f);
            vf_zc_rxpool_detach(f.pool);
            ovs_assert(!vf_zc_rxpool_held(f.pool) && !f.pool->lost);
            break;
        case 4:
            /* ...and starts again. */
            vf_zc_rxpool_attach(f.pool, &f.vq, &f.g.map, HDR_LEN);
            restarts++;
            break;
        }
        if (!random_range(64) && f.pool->vq) {
            check_pool(&f);
        }
    }

    if (f.pool->vq) {
        vf_zc_rxpool_put(f.pool, in_vf, n_in_vf);
        vf_zc_rxpool_detach(f.pool);
    }
    while (f.g.used->idx != f.g.last_used) {
        struct vf_zc_vring_used_elem e = guest_get_used(&f.g);

        ovs_assert(outstanding[e.id]);
        outstanding[e.id] = false;
        used++;
    }
    /* What is still outstanding was never taken. */
    ovs_assert(f.vq.last_avail_idx == f.vq.last_used_idx);
    ovs_assert(f.pool->taken == f.pool->returned && !f.pool->lost);
    ovs_assert(delivered > 1000 && unused > 100 && restarts > 100);
    printf("every descriptor taken returned exactly once, over more than "
           "100 stops and restarts\n");
    fixture_destroy(&f);
}

/* The work bound, for binding: a driver asking for buffers again and again
 * within one round of the relay (as rte_eth_rx_burst() may) reads no more
 * descriptors than the round's budget, whatever the guest posted. */
#define ROUND_BUDGET VF_ZC_VRING_ROUND_BUDGET

static void
test_work_bound(struct ovs_cmdl_context *ctx)
{
    for (int i = 1; i < ctx->argc; i++) {
        uint32_t size = atoi(ctx->argv[i]);

        for (int a = 0; a < N_HOSTILE_ATTACKS; a++) {
            struct rte_mbuf **hdrs = xmalloc(64 * sizeof *hdrs);
            struct rte_mbuf *m[NETDEV_MAX_BURST];
            struct vf_zc_rxpool *pool;
            struct hostile_ring h;
            struct vf_zc_vring vq;
            uint64_t most = 0;

            for (int j = 0; j < 64; j++) {
                hdrs[j] = xmalloc_cacheline(vf_zc_rxpool_header_size());
            }
            pool = vf_zc_rxpool_create_bare(64, DATA_SIZE, hdrs);
            hostile_ring_init(&h, size, a, true);
            hostile_ring_device_init(&h, &vq);
            vf_zc_rxpool_attach(pool, &vq, &h.map, HDR_LEN);

            for (int r = 0; r < 16; r++) {
                uint64_t before = vq.desc_reads;

                vf_zc_vring_set_budget(&vq, ROUND_BUDGET);
                for (int req = 0; req < 8; req++) {
                    if (!vf_zc_rxpool_get(pool, m, NETDEV_MAX_BURST)) {
                        vf_zc_rxpool_put(pool, m, NETDEV_MAX_BURST);
                    }
                }
                vf_zc_vring_publish(&vq);
                hostile_ring_repost(&h, &vq);
                ovs_assert(vq.desc_reads - before <= ROUND_BUDGET);
                most = MAX(most, vq.desc_reads - before);
            }
            printf("ring %"PRIu32", %s: binding read at most %"PRIu64
                   " descriptors a round\n", size, hostile_attack_name(a),
                   most);

            vf_zc_rxpool_detach(pool);
            ovs_assert(!pool->lost);
            for (int j = 0; j < 64; j++) {
                free_cacheline(hdrs[j]);
            }
            vf_zc_rxpool_destroy(pool);
            free(hdrs);
            hostile_ring_destroy(&h);
        }
    }
    printf("every round within %d descriptors\n", ROUND_BUDGET);
}

static const struct ovs_cmdl_command commands[] = {
    { "bind", NULL, 0, 0, test_bind, OVS_RO },
    { "work-bound", NULL, 1, INT_MAX, test_work_bound, OVS_RO },
    { "too-small", NULL, 0, 0, test_too_small, OVS_RO },
    { "switch", NULL, 0, 0, test_switch, OVS_RO },
    { "exactly-once", NULL, 0, 0, test_exactly_once, OVS_RO },
    { NULL, NULL, 0, 0, NULL, OVS_RO },
};

static void
test_vf_zc_rxpool_main(int argc, char *argv[])
{
    struct ovs_cmdl_context ctx = {
        .argc = argc - 1,
        .argv = argv + 1,
    };

    set_program_name(argv[0]);
    ovs_cmdl_run_command(&ctx, commands);
}

OVSTEST_REGISTER("test-vf-zc-rxpool", test_vf_zc_rxpool_main);
