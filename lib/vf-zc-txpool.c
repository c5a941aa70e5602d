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
#include "vf-zc-txpool.h"

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "ovs-atomic.h"
#include "util.h"
#include "vf-zc-guest-mem.h"
#include "vf-zc-vring.h"

/* One chain lent to the VF. */
struct vf_zc_txslot {
    /* Shared by every mbuf of the chain: its reference count is the number
     * of them the driver has not freed yet, and its free callback runs when
     * the last goes. */
    struct rte_mbuf_ext_shared_info shinfo;
    atomic_bool released;       /* Written by the free callback. */
    uint16_t head;              /* The chain's head, for the used ring. */
};

struct vf_zc_txpool {
    struct rte_mempool *mp;     /* Headers without data room. */
    struct vf_zc_txslot *slots; /* 'n_slots' of them, a power of 2. */
    uint32_t n_slots;

    /* Owner only (see "Threads" in vf-zc-txpool.h): slots[lent % n_slots]
     * is the next one to lend, slots[reclaimed % n_slots] the oldest one
     * lent and not yet reclaimed. */
    uint32_t lent;
    uint32_t reclaimed;

    /* Owner only: vf_zc_txpool_abandon() gave up on the chains the driver
     * still held.  The pool lends and reclaims nothing from then on. */
    bool abandoned;
};

const char *
vf_zc_tx_copy_name(enum vf_zc_tx_copy why)
{
    static const char *const names[VF_ZC_N_TX_COPY] = {
        [VF_ZC_TX_COPY_IN_FLIGHT] = "in_flight",
        [VF_ZC_TX_COPY_SEGMENTS] = "segments",
        [VF_ZC_TX_COPY_BIG_BUFFER] = "big_buffer",
        [VF_ZC_TX_COPY_UNREACHABLE] = "unreachable",
        [VF_ZC_TX_COPY_SMALL] = "small",
        [VF_ZC_TX_COPY_OFF] = "off",
    };

    return why < VF_ZC_N_TX_COPY ? names[why] : "unknown";
}

static void
txslot_released(void *addr OVS_UNUSED, void *slot_)
{
    struct vf_zc_txslot *slot = slot_;

    atomic_store_explicit(&slot->released, true, memory_order_release);
}

/* Creates a pool that lends at most 'n_slots' chains at a time (rounded up
 * to a power of 2), in mbufs from a mempool of 'n_mbufs' headers on NUMA
 * socket 'socket_id'.  Returns NULL, with rte_errno set, on failure. */
struct vf_zc_txpool *
vf_zc_txpool_create(const char *name, uint32_t n_slots, uint32_t n_mbufs,
                    int socket_id)
{
    struct vf_zc_txpool *pool;

    ovs_assert(n_slots && n_slots <= UINT32_MAX / 2);
    /* No per-lcore cache: a header freed by the driver goes straight back
     * to the ring that the owner takes from, whichever thread frees it. */
    struct rte_mempool *mp = rte_pktmbuf_pool_create(name, n_mbufs, 0, 0, 0,
                                                     socket_id);
    if (!mp) {
        return NULL;
    }

    pool = xzalloc(sizeof *pool);
    pool->mp = mp;
    pool->n_slots = 1;
    while (pool->n_slots < n_slots) {
        pool->n_slots *= 2;
    }
    pool->slots = xcalloc(pool->n_slots, sizeof *pool->slots);
    for (uint32_t i = 0; i < pool->n_slots; i++) {
        struct vf_zc_txslot *slot = &pool->slots[i];

        slot->shinfo.free_cb = txslot_released;
        slot->shinfo.fcb_opaque = slot;
        atomic_init(&slot->released, true);
    }
    return pool;
}

/* Frees 'pool' and returns true, if the driver holds none of its mbufs;
 * otherwise does nothing and returns false.  Chains released but not
 * reclaimed are forgotten: the caller reclaims them first if their ring is
 * still there. */
bool
vf_zc_txpool_destroy(struct vf_zc_txpool *pool)
{
    if (!pool) {
        return true;
    }
    if (vf_zc_txpool_held(pool) || !rte_mempool_full(pool->mp)) {
        return false;
    }
    rte_mempool_free(pool->mp);
    free(pool->slots);
    free(pool);
    return true;
}

/* Lends the packet of 'chain', which follows its first 'hdr_len' bytes
 * (the virtio-net header), to the VF: returns an mbuf, the first of
 * 'max_segs' at most, whose data are the chain's buffers in 'mem', and that
 * the caller must hand to the VF or free.  Its chain is lent until the
 * driver frees it, then reclaimed by vf_zc_txpool_reclaim(), and the caller
 * must not push it to the used ring itself.  Returns NULL, with the reason
 * in '*why', if the packet must be copied instead; the chain is then the
 * caller's as before.  The packet must not be empty. */
struct rte_mbuf *
vf_zc_txpool_lend(struct vf_zc_txpool *pool, const struct vf_zc_chain *chain,
                  uint32_t hdr_len, const struct vf_zc_guest_mem *mem,
                  unsigned int max_segs, enum vf_zc_tx_copy *why)
{
    struct rte_mbuf *segs[VF_ZC_CHAIN_MAX_IOV];
    struct {
        uint8_t *base;
        uint64_t iova;
        uint16_t len;
    } bufs[VF_ZC_CHAIN_MAX_IOV];
    struct vf_zc_txslot *slot;
    uint32_t skip = hdr_len, pkt_len = 0;
    unsigned int n = 0;

    ovs_assert(chain->len > hdr_len);

    if (pool->abandoned || pool->lent - pool->reclaimed >= pool->n_slots) {
        *why = VF_ZC_TX_COPY_IN_FLIGHT;
        return NULL;
    }

    /* The buffers after the header, each checked before any mbuf is
     * taken.  'chain' is a copy the ring engine made: nothing here reads
     * what the guest may still be writing, except the packet itself, which
     * only the NIC reads. */
    for (uint16_t i = 0; i < chain->n_iov; i++) {
        const struct vf_zc_iov *iov = &chain->iov[i];
        uint32_t len = iov->len;
        uint8_t *base = iov->base;

        if (skip >= len) {
            skip -= len;
            continue;
        }
        base += skip;
        len -= skip;
        skip = 0;
        if (n >= max_segs) {
            *why = VF_ZC_TX_COPY_SEGMENTS;
            return NULL;
        } else if (len > UINT16_MAX) {
            *why = VF_ZC_TX_COPY_BIG_BUFFER;
            return NULL;
        } else if (!vf_zc_guest_mem_to_iova(mem, base, len, &bufs[n].iova)) {
            *why = VF_ZC_TX_COPY_UNREACHABLE;
            return NULL;
        }
        bufs[n].base = base;
        bufs[n].len = len;
        pkt_len += len;
        n++;
    }
    ovs_assert(n);                      /* chain->len > hdr_len. */

    if (rte_pktmbuf_alloc_bulk(pool->mp, segs, n)) {
        *why = VF_ZC_TX_COPY_IN_FLIGHT;
        return NULL;
    }

    slot = &pool->slots[pool->lent & (pool->n_slots - 1)];
    slot->head = chain->head;
    atomic_store_relaxed(&slot->released, false);
    rte_mbuf_ext_refcnt_set(&slot->shinfo, n);
    for (unsigned int i = 0; i < n; i++) {
        struct rte_mbuf *m = segs[i];

        rte_pktmbuf_attach_extbuf(m, bufs[i].base, bufs[i].iova, bufs[i].len,
                                  &slot->shinfo);
        m->data_len = bufs[i].len;
        m->next = i + 1 < n ? segs[i + 1] : NULL;
    }
    segs[0]->nb_segs = n;
    segs[0]->pkt_len = pkt_len;
    pool->lent++;
    return segs[0];
}

/* Pushes to 'vq''s used ring, in the order they were lent and up to 'max' of
 * them, the chains whose mbufs the driver has all freed.  The caller
 * publishes them.  Returns how many it pushed. */
uint32_t
vf_zc_txpool_reclaim(struct vf_zc_txpool *pool, struct vf_zc_vring *vq,
                     uint32_t max)
{
    uint32_t n = 0;

    while (n < max && !pool->abandoned && pool->reclaimed != pool->lent) {
        struct vf_zc_txslot *slot
            = &pool->slots[pool->reclaimed & (pool->n_slots - 1)];
        bool released;

        atomic_read_explicit(&slot->released, &released,
                             memory_order_acquire);
        if (!released) {
            break;
        }
        vf_zc_vring_push(vq, slot->head, 0);
        pool->reclaimed++;
        n++;
    }
    return n;
}

/* For a ring about to stop while the driver still holds chains lent from
 * 'pool', which no stop of the VF made it free: pushes to 'vq''s used ring
 * every chain the driver has released, those lent after a held one
 * included, and returns how many chains it still holds (then, and only
 * then, the pool is abandoned).  The caller publishes them.
 *
 * The chains held never go back: the guest's ring, or the next one on its
 * descriptors, must not see them again, whenever the driver frees them.  So
 * if any is held, the pool is abandoned: it lends and reclaims nothing more,
 * and the caller keeps it aside until vf_zc_txpool_destroy() succeeds, once
 * the driver has freed the last of them.  Pushing chains out of the order
 * they were lent is right only because vf-zc does not offer
 * VIRTIO_F_IN_ORDER (see above). */
uint32_t
vf_zc_txpool_abandon(struct vf_zc_txpool *pool, struct vf_zc_vring *vq)
{
    uint32_t held = 0;

    if (pool->abandoned) {
        return vf_zc_txpool_held(pool);
    }
    vf_zc_txpool_reclaim(pool, vq, UINT32_MAX);
    if (pool->reclaimed == pool->lent) {
        /* All back, in order: the pool may go on. */
        return 0;
    }
    pool->abandoned = true;
    for (uint32_t i = pool->reclaimed; i != pool->lent; i++) {
        struct vf_zc_txslot *slot = &pool->slots[i & (pool->n_slots - 1)];
        bool released;

        /* A chain released from here on stays in the pool: only those
         * released now are pushed, each once. */
        atomic_read_explicit(&slot->released, &released,
                             memory_order_acquire);
        if (released) {
            vf_zc_vring_push(vq, slot->head, 0);
        } else {
            held++;
        }
    }
    if (!held) {
        /* The driver freed the last of them meanwhile, from another
         * thread: every chain is back, and the pool may go on. */
        pool->reclaimed = pool->lent;
        pool->abandoned = false;
    }
    return held;
}

/* Returns true if vf_zc_txpool_abandon() gave up on chains of 'pool'. */
bool
vf_zc_txpool_is_abandoned(const struct vf_zc_txpool *pool)
{
    return pool->abandoned;
}

/* Chains lent and not yet reclaimed (with those of an abandoned pool that
 * went back as it was abandoned). */
uint32_t
vf_zc_txpool_in_flight(const struct vf_zc_txpool *pool)
{
    return pool->lent - pool->reclaimed;
}

/* Chains lent whose mbufs the driver has not all freed yet.  Owner only
 * (see "Threads" in vf-zc-txpool.h); it may fall meanwhile, never rise. */
uint32_t
vf_zc_txpool_held(const struct vf_zc_txpool *pool)
{
    uint32_t n = 0;

    for (uint32_t i = pool->reclaimed; i != pool->lent; i++) {
        struct vf_zc_txslot *slot = &pool->slots[i & (pool->n_slots - 1)];
        bool released;

        atomic_read_explicit(&slot->released, &released,
                             memory_order_acquire);
        n += !released;
    }
    return n;
}

uint32_t
vf_zc_txpool_n_slots(const struct vf_zc_txpool *pool)
{
    return pool->n_slots;
}
