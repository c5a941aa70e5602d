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
#include "vf-zc-rxpool.h"

#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "openvswitch/dynamic-string.h"
#include "ovs-thread.h"
#include "util.h"
#include "vf-zc-guest-mem.h"
#include "vf-zc-virtio-net.h"
#include "vf-zc-vring.h"

/* What the pool records about one mbuf header, in its private area. */
struct vf_zc_rxbuf {
    uint8_t *guest;             /* The guest buffer (where the virtio-net
                                 * header goes), or NULL if unbound. */
    uint64_t gpa;               /* Its guest-physical address. */
    uint32_t len;               /* Bytes in the guest buffer. */
    uint16_t head;              /* Its chain's head descriptor. */
    bool in_pool;               /* In one of the pool's stacks. */
    bool delivered;             /* Returned through the used ring. */
};

#define RXBUF_PRIV_SIZE ROUND_UP(sizeof(struct vf_zc_rxbuf), \
                                 RTE_MBUF_PRIV_ALIGN)

static const char *const fallback_names[VF_ZC_N_FALLBACKS] = {
    [VF_ZC_FALLBACK_DISABLED] = "disabled",
    [VF_ZC_FALLBACK_VF] = "vf_refused",
    [VF_ZC_FALLBACK_BUFFER_TOO_SMALL] = "guest_buffer_too_small",
    [VF_ZC_FALLBACK_TRANSLATION] = "translation",
    [VF_ZC_FALLBACK_FEW_BUFFERS] = "few_guest_buffers",
    [VF_ZC_FALLBACK_PACKET] = "vf_packet_layout",
    [VF_ZC_FALLBACK_BYPASS_OFF] = "bypass_off",
    [VF_ZC_FALLBACK_REDIRECTED] = "redirected",
    [VF_ZC_FALLBACK_SWITCHING] = "switching",
};

static const char *const fallback_reasons[VF_ZC_N_FALLBACKS] = {
    [VF_ZC_FALLBACK_DISABLED] = "disabled by options:zero-copy=false",
    [VF_ZC_FALLBACK_VF] = "the VF refused a queue backed by guest buffers",
    [VF_ZC_FALLBACK_BUFFER_TOO_SMALL] = "the guest's receive buffers are "
                                        "smaller than a frame",
    [VF_ZC_FALLBACK_TRANSLATION] = "guest memory cannot be mapped for the "
                                   "VF",
    [VF_ZC_FALLBACK_FEW_BUFFERS] = "waiting for the guest to post enough "
                                   "receive buffers",
    [VF_ZC_FALLBACK_PACKET] = "the VF split a packet",
    [VF_ZC_FALLBACK_BYPASS_OFF] = "options:bypass=false: the pipeline sees "
                                  "each packet before the guest may",
    [VF_ZC_FALLBACK_REDIRECTED] = "the guest has not enabled this VF "
                                  "queue's queue pair",
    [VF_ZC_FALLBACK_SWITCHING] = "the VF still held host buffers from "
                                 "before zero copy switched on",
};

/* Short name, for counters: "zero_copy_fallback_<name>". */
const char *
vf_zc_fallback_name(enum vf_zc_fallback fb)
{
    return fb < VF_ZC_N_FALLBACKS ? fallback_names[fb] : "unknown";
}

/* A sentence, for the port's status. */
const char *
vf_zc_fallback_reason(enum vf_zc_fallback fb)
{
    return fb < VF_ZC_N_FALLBACKS ? fallback_reasons[fb] : "unknown";
}

static inline struct vf_zc_rxbuf *
rxbuf(const struct rte_mbuf *m)
{
    return (struct vf_zc_rxbuf *) (uintptr_t) (m + 1);
}

/* Returns the bytes one header takes: the mbuf and the pool's record. */
size_t
vf_zc_rxpool_header_size(void)
{
    return sizeof(struct rte_mbuf) + RXBUF_PRIV_SIZE;
}

/* Makes 'm', in whatever state it is, a header of 'pool' bound to nothing,
 * and puts it in the pool. */
static void
header_add(struct vf_zc_rxpool *pool, struct rte_mbuf *m)
{
    memset(m, 0, vf_zc_rxpool_header_size());
    m->pool = pool->mp;
    m->priv_size = RXBUF_PRIV_SIZE;
    m->nb_segs = 1;
    m->port = RTE_MBUF_PORT_INVALID;
    rte_mbuf_refcnt_set(m, 1);
    rxbuf(m)->in_pool = true;
    pool->unbound[pool->n_unbound++] = m;
}

static void
header_unbind(struct rte_mbuf *m)
{
    struct vf_zc_rxbuf *b = rxbuf(m);

    b->guest = NULL;
    b->len = 0;
    b->delivered = false;
    m->buf_addr = NULL;
    m->buf_len = 0;
    rte_mbuf_iova_set(m, 0);
}

static struct vf_zc_rxpool *
rxpool_alloc(uint32_t n, uint32_t data_size)
{
    struct vf_zc_rxpool *pool = xzalloc(sizeof *pool);

    pool->data_size = data_size;
    pool->n_hdrs = n;
    pool->hdrs = xcalloc(n, sizeof *pool->hdrs);
    pool->unbound = xcalloc(n, sizeof *pool->unbound);
    pool->bound = xcalloc(n, sizeof *pool->bound);
    pool->fallback = -1;
    return pool;
}

/* Creates a pool of 'n' headers over the caller's memory 'hdrs', each
 * vf_zc_rxpool_header_size() bytes, with no mempool: the caller calls
 * vf_zc_rxpool_get() and vf_zc_rxpool_put() itself.  For tests. */
struct vf_zc_rxpool *
vf_zc_rxpool_create_bare(uint32_t n, uint32_t data_size,
                         struct rte_mbuf **hdrs)
{
    struct vf_zc_rxpool *pool = rxpool_alloc(n, data_size);

    for (uint32_t i = 0; i < n; i++) {
        header_add(pool, hdrs[i]);
        pool->hdrs[i] = hdrs[i];
    }
    return pool;
}

/* The mempool operations. */

static int
rxpool_ops_alloc(struct rte_mempool *mp)
{
    mp->pool_data = mp->pool_config;
    return 0;
}

static void
rxpool_ops_free(struct rte_mempool *mp OVS_UNUSED)
{
    /* vf_zc_rxpool_destroy() frees the pool after the mempool. */
}

static int
rxpool_ops_enqueue(struct rte_mempool *mp, void *const *objs, unsigned int n)
{
    struct vf_zc_rxpool *pool = mp->pool_data;

    if (pool->populating) {
        /* rte_mempool_populate_*() hands every header in once, before
         * vf_zc_rxpool_create() initializes them. */
        for (unsigned int i = 0; i < n; i++) {
            header_add(pool, objs[i]);
        }
        return 0;
    }
    vf_zc_rxpool_put(pool, (struct rte_mbuf *const *) objs, n);
    return 0;
}

static int
rxpool_ops_dequeue(struct rte_mempool *mp, void **objs, unsigned int n)
{
    return vf_zc_rxpool_get(mp->pool_data, (struct rte_mbuf **) objs, n);
}

static unsigned int
rxpool_ops_get_count(const struct rte_mempool *mp)
{
    const struct vf_zc_rxpool *pool = mp->pool_data;

    unsigned int n = pool->n_bound + (pool->vq ? pool->n_unbound : 0);

    return pool->host_mp ? n + rte_mempool_avail_count(pool->host_mp) : n;
}

static struct rte_mempool_ops rxpool_ops = {
    .name = "vf_zc_guest",
    .alloc = rxpool_ops_alloc,
    .free = rxpool_ops_free,
    .enqueue = rxpool_ops_enqueue,
    .dequeue = rxpool_ops_dequeue,
    .get_count = rxpool_ops_get_count,
};

static void
record_header(struct rte_mempool *mp OVS_UNUSED, void *pool_, void *obj,
              unsigned int idx)
{
    struct vf_zc_rxpool *pool = pool_;

    pool->hdrs[idx] = obj;
}

/* Creates a pool of 'n' mbuf headers, named 'name', that binds them to guest
 * buffers of at least H + 'data_size' bytes once attached to a ring.  Returns
 * NULL, with rte_errno set, on failure. */
struct vf_zc_rxpool *
vf_zc_rxpool_create(const char *name, uint32_t n, uint32_t data_size,
                    int socket_id)
{
    static struct ovsthread_once once = OVSTHREAD_ONCE_INITIALIZER;
    struct rte_pktmbuf_pool_private *priv;
    struct vf_zc_rxpool *pool;
    struct rte_mempool *mp;

    if (ovsthread_once_start(&once)) {
        rte_mempool_register_ops(&rxpool_ops);
        ovsthread_once_done(&once);
    }

    mp = rte_mempool_create_empty(name, n, vf_zc_rxpool_header_size(), 0,
                                  sizeof *priv, socket_id, 0);
    if (!mp) {
        return NULL;
    }
    pool = rxpool_alloc(n, data_size);
    pool->mp = mp;
    if (rte_mempool_set_ops_byname(mp, rxpool_ops.name, pool)) {
        goto error;
    }

    /* What drivers read to size their receive buffers. */
    priv = rte_mempool_get_priv(mp);
    memset(priv, 0, sizeof *priv);
    priv->mbuf_data_room_size = RTE_PKTMBUF_HEADROOM + data_size;
    priv->mbuf_priv_size = RXBUF_PRIV_SIZE;

    pool->populating = true;
    if (rte_mempool_populate_default(mp) != n) {
        goto error;
    }
    pool->populating = false;
    rte_mempool_obj_iter(mp, record_header, pool);
    return pool;

error:
    rte_mempool_free(mp);
    pool->mp = NULL;
    vf_zc_rxpool_destroy(pool);
    return NULL;
}

/* Frees 'pool', which must be detached, with every header back in it. */
void
vf_zc_rxpool_destroy(struct vf_zc_rxpool *pool)
{
    if (pool) {
        ovs_assert(!pool->vq);
        /* rte_mempool_free() dequeues every object it frees: only the
         * pool's own headers. */
        pool->host_mp = NULL;
        rte_mempool_free(pool->mp);
        free(pool->hdrs);
        free(pool->unbound);
        free(pool->bound);
        free(pool);
    }
}

/* Gives the guest buffer of header 'm' back to the guest unused (not yet
 * published), and puts 'm' in the pool, unbound. */
static void
return_unused(struct vf_zc_rxpool *pool, struct rte_mbuf *m)
{
    vf_zc_vring_push(pool->vq, rxbuf(m)->head, 0);
    pool->returned++;
    header_unbind(m);
    pool->unbound[pool->n_unbound++] = m;
}

/* Gives back to the guest, unused, the guest buffers of the headers in the
 * pool, and publishes them. */
static void
return_recycled(struct vf_zc_rxpool *pool)
{
    if (!pool->n_bound) {
        return;
    }
    while (pool->n_bound) {
        return_unused(pool, pool->bound[--pool->n_bound]);
    }
    vf_zc_vring_publish(pool->vq);
}

/* Turns zero copy on or off for the attached pool: off, it binds no more
 * guest buffers, and gives back those it holds, now and as they come back
 * from the VF; the VF's ring refills from the host mempool.  The caller owns
 * the pool (see "Threads" in vf-zc-rxpool.h). */
void
vf_zc_rxpool_set_zc(struct vf_zc_rxpool *pool, bool on)
{
    pool->zc_on = on;
    if (!on && pool->vq) {
        return_recycled(pool);
    }
}

/* Makes 'mp' (or nothing, if NULL) the host mempool that backs the pool's
 * VF queue whenever it does not bind guest buffers.  Every mbuf of the old
 * one must have been released by the VF queue, or 'mp' must outlive them
 * (vf-zc-mempool.h frees a mempool only once all its mbufs are back). */
void
vf_zc_rxpool_set_host_mp(struct vf_zc_rxpool *pool, struct rte_mempool *mp)
{
    pool->host_mp = mp;
}

/* Binds headers to the buffers the guest posts on 'vq', whose buffers are in
 * 'mem', and which the guest expects to start with a virtio-net header of
 * 'hdr_len' bytes.
 *
 * Binding pops chains from 'vq' within its budget, which its owner sets for
 * each round of work: a driver asking for more headers than the budget
 * allows is refused, as by an empty pool.  Until the owner sets a budget,
 * there is no limit, so that a control thread can fill a VF queue as it
 * sets it up (at most one chain per descriptor of that queue). */
void
vf_zc_rxpool_attach(struct vf_zc_rxpool *pool, struct vf_zc_vring *vq,
                    const struct vf_zc_guest_mem *mem, uint32_t hdr_len)
{
    ovs_assert(!pool->vq && !pool->n_bound);
    vf_zc_vring_set_budget(vq, VF_ZC_VRING_NO_LIMIT);
    pool->vq = vq;
    pool->mem = mem;
    pool->hdr_len = hdr_len;
    pool->zc_on = true;
    pool->fallback = -1;
}

/* Returns every guest buffer still bound in the pool to the guest, unused,
 * and publishes them; then the pool takes no more from the ring.  The VF must
 * have released its buffers (its queue was released or set up again): a
 * header still out would be lost, and counted in 'lost'. */
void
vf_zc_rxpool_detach(struct vf_zc_rxpool *pool)
{
    if (!pool->vq) {
        return;
    }
    return_recycled(pool);
    pool->lost += pool->taken - pool->returned;
    pool->returned = pool->taken;
    pool->vq = NULL;
    pool->mem = NULL;
}

/* Checks whether 'chain', taken from a receive ring whose packets start with
 * a header of 'hdr_len' bytes, can back a bound mbuf: its first buffer must
 * hold the header and D bytes after it, all reachable by the device.  Returns
 * -1 and the IOVA of the packet's place in '*iova' if so, otherwise why not.
 * Only the first buffer counts: the packet must follow the header in one
 * piece of memory. */
static int
chain_refusal(const struct vf_zc_rxpool *pool, const struct vf_zc_chain *chain,
              const struct vf_zc_guest_mem *mem, uint32_t hdr_len,
              uint64_t *iova)
{
    /* A chain of empty descriptors has no buffer at all. */
    if (!chain->n_iov || chain->iov[0].len < hdr_len + pool->data_size) {
        return VF_ZC_FALLBACK_BUFFER_TOO_SMALL;
    }
    if (!vf_zc_guest_mem_to_iova(mem, chain->iov[0].base + hdr_len,
                                 pool->data_size, iova)) {
        return VF_ZC_FALLBACK_TRANSLATION;
    }
    return -1;
}

/* Binds an unbound header to the next buffer the guest posted, into '*mp'.
 * Returns false if there is none, or it cannot be bound (then it stays in the
 * ring, for the copy path, and 'fallback' says why), or the ring's budget is
 * spent.  Bad chains on the way are returned unused; each costs the budget
 * at least one descriptor, so their number is bounded too. */
static bool
bind_next(struct vf_zc_rxpool *pool, struct rte_mbuf **mp)
{
    struct vf_zc_vring *vq = pool->vq;
    struct vf_zc_chain chain;
    struct vf_zc_rxbuf *b;
    struct rte_mbuf *m;
    uint8_t *data;
    uint64_t iova;
    int refusal;

    for (;;) {
        enum vf_zc_vring_status status = vf_zc_vring_pop(vq, true, &chain);

        if (status == VF_ZC_VRING_OK) {
            break;
        } else if (status == VF_ZC_VRING_BAD_CHAIN) {
            vf_zc_vring_push(vq, chain.head, 0);
            pool->taken++;
            pool->returned++;
            pool->bad_chains++;
        } else {
            return false;
        }
    }

    refusal = chain_refusal(pool, &chain, pool->mem, pool->hdr_len, &iova);
    if (refusal >= 0) {
        vf_zc_vring_unpop(vq, 1);
        pool->fallback = refusal;
        return false;
    }
    data = chain.iov[0].base + pool->hdr_len;

    m = pool->unbound[--pool->n_unbound];
    b = rxbuf(m);
    b->guest = chain.iov[0].base;
    b->gpa = chain.iov[0].gpa;
    b->len = chain.iov[0].len;
    b->head = chain.head;
    b->delivered = false;
    m->buf_addr = data - RTE_PKTMBUF_HEADROOM;
    rte_mbuf_iova_set(m, iova - RTE_PKTMBUF_HEADROOM);
    m->buf_len = RTE_PKTMBUF_HEADROOM + pool->data_size;
    m->data_off = RTE_PKTMBUF_HEADROOM;
    pool->taken++;
    *mp = m;
    return true;
}

/* Takes 'n' mbufs from the host mempool into 'mbufs', or none.  Returns
 * true on success. */
static bool
get_host(struct vf_zc_rxpool *pool, struct rte_mbuf **mbufs, unsigned int n)
{
    if (!n) {
        return true;
    }
    if (!pool->host_mp || rte_mempool_get_bulk(pool->host_mp, (void **) mbufs,
                                               n)) {
        return false;
    }
    pool->host_handouts += n;
    return true;
}

/* Hands out 'n' mbufs, or none: returns 0 or -ENOBUFS, as a mempool dequeue
 * does.  While zero copy is on, they are headers bound to guest buffers, the
 * ones recycled first; a guest buffer that cannot be bound is replaced by a
 * host mbuf, if there is a host mempool.  Otherwise they are host mbufs.  A
 * guest that has posted too few buffers gets no host mbufs: the VF then has
 * fewer buffers, as for any driver whose pool runs low. */
int
vf_zc_rxpool_get(struct vf_zc_rxpool *pool, struct rte_mbuf **mbufs,
                 unsigned int n)
{
    unsigned int i = 0;

    if (!pool->vq || !pool->zc_on) {
        if (pool->vq) {
            return_recycled(pool);
        }
        if (get_host(pool, mbufs, n)) {
            return 0;
        }
        pool->get_failures++;
        return -ENOBUFS;
    }

    while (i < n && pool->n_bound) {
        mbufs[i++] = pool->bound[--pool->n_bound];
    }
    while (i < n && pool->n_unbound) {
        if (bind_next(pool, &mbufs[i])) {
            i++;
        } else if (pool->fallback >= 0 && get_host(pool, &mbufs[i], 1)) {
            /* The guest's next buffer is the copy path's, and so is the
             * packet the VF will place here. */
            i++;
        } else {
            break;
        }
    }
    if (i < n) {
        /* All or nothing: keep the ones bound for the next request. */
        while (i > 0) {
            struct rte_mbuf *m = mbufs[--i];

            if (m->pool == pool->mp) {
                pool->bound[pool->n_bound++] = m;
            } else {
                rte_mempool_put(m->pool, m);
                pool->host_handouts--;
            }
        }
        pool->get_failures++;
        return -ENOBUFS;
    }
    for (i = 0; i < n; i++) {
        if (mbufs[i]->pool == pool->mp) {
            rxbuf(mbufs[i])->in_pool = false;
        }
    }
    return 0;
}

/* Takes back 'n' headers.  One whose buffer was not delivered keeps it, to
 * be handed out again; the others become unbound. */
void
vf_zc_rxpool_put(struct vf_zc_rxpool *pool, struct rte_mbuf *const *mbufs,
                 unsigned int n)
{
    bool publish = false;

    for (unsigned int i = 0; i < n; i++) {
        struct rte_mbuf *m = mbufs[i];
        struct vf_zc_rxbuf *b = rxbuf(m);

        /* A header freed twice would overflow the stacks. */
        ovs_assert(!b->in_pool);
        b->in_pool = true;
        if (b->guest && !b->delivered && pool->vq && pool->zc_on) {
            pool->bound[pool->n_bound++] = m;
        } else if (b->guest && !b->delivered && pool->vq) {
            /* Zero copy is off: the guest gets it back at once. */
            return_unused(pool, m);
            publish = true;
        } else {
            if (b->guest && !b->delivered) {
                /* Detached while this buffer was out. */
                pool->lost++;
            }
            header_unbind(m);
            pool->unbound[pool->n_unbound++] = m;
        }
    }
    if (publish) {
        vf_zc_vring_publish(pool->vq);
    }
}

/* Returns true if 'm' is a header of 'pool' bound to a guest buffer. */
bool
vf_zc_rxpool_owns(const struct vf_zc_rxpool *pool, const struct rte_mbuf *m)
{
    return m->pool == pool->mp && m->priv_size == RXBUF_PRIV_SIZE
           && rxbuf(m)->guest;
}

/* Delivers packet 'm', which the VF received into a buffer of 'pool', to the
 * guest where it lies: writes the virtio-net header in front of it, with
 * 'hdr_flags', and pushes the buffer to the used ring (unpublished).  Returns
 * false, changing nothing, if the VF did not place it where expected (in
 * several segments, or not at the buffer's data offset): the caller copies
 * it and frees 'm', which recycles the buffer.  Either way the caller frees
 * 'm' afterward. */
bool
vf_zc_rxpool_deliver(struct vf_zc_rxpool *pool, struct rte_mbuf *m,
                     uint8_t hdr_flags)
{
    struct vf_zc_rxbuf *b = rxbuf(m);
    struct vf_zc_virtio_net_hdr hdr;

    if (m->nb_segs != 1 || m->next || b->delivered || !pool->vq
        || rte_pktmbuf_mtod(m, uint8_t *) != b->guest + pool->hdr_len
        || m->data_len > pool->data_size || m->pkt_len != m->data_len) {
        return false;
    }

    memset(&hdr, 0, sizeof hdr);
    hdr.flags = hdr_flags;
    hdr.num_buffers = 1;
    /* A constant size lets the compiler store the header in place instead
     * of calling memcpy() for every packet. */
    if (OVS_LIKELY(pool->hdr_len == sizeof hdr)) {
        memcpy(b->guest, &hdr, sizeof hdr);
    } else {
        memcpy(b->guest, &hdr, pool->hdr_len);
    }
    /* The NIC's write and this header are visible to the guest once the
     * buffer is published: both are logged before, if the guest is being
     * migrated. */
    vf_zc_vring_log_write(pool->vq, b->gpa, pool->hdr_len + m->data_len);
    vf_zc_vring_push(pool->vq, b->head, pool->hdr_len + m->data_len);
    b->delivered = true;
    pool->returned++;
    return true;
}

/* Looks at the buffers the guest has posted on 'vq' (memory 'mem', header
 * 'hdr_len') without taking any, for a queue about to be given to the VF.
 * Returns how many are posted, or 0 if the next one cannot be bound (then
 * '*why' says why). */
uint32_t
vf_zc_rxpool_peek(const struct vf_zc_rxpool *pool, struct vf_zc_vring *vq,
                  const struct vf_zc_guest_mem *mem, uint32_t hdr_len,
                  enum vf_zc_fallback *why)
{
    uint32_t n = vf_zc_vring_avail_count(vq);
    enum vf_zc_vring_status status;
    struct vf_zc_chain chain;
    uint64_t iova;
    int refusal;

    *why = VF_ZC_FALLBACK_FEW_BUFFERS;
    status = n ? vf_zc_vring_pop(vq, true, &chain) : VF_ZC_VRING_EMPTY;
    if (status == VF_ZC_VRING_OK || status == VF_ZC_VRING_BAD_CHAIN) {
        /* Leave it there.  A bad chain is the relay's to return. */
        vf_zc_vring_unpop(vq, 1);
    }
    if (status != VF_ZC_VRING_OK) {
        return 0;
    }

    refusal = chain_refusal(pool, &chain, mem, hdr_len, &iova);
    if (refusal >= 0) {
        *why = refusal;
        return 0;
    }
    return n;
}

/* Stores in 'heads' the head descriptors of up to 'max' guest buffers that
 * the pool holds (in the VF, or recycled in the pool), and returns how many
 * it holds in all. */
uint32_t
vf_zc_rxpool_held_heads(const struct vf_zc_rxpool *pool, uint16_t *heads,
                        uint32_t max)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < pool->n_hdrs; i++) {
        const struct vf_zc_rxbuf *b = rxbuf(pool->hdrs[i]);

        if (b->guest && !b->delivered) {
            if (n < max) {
                heads[n] = b->head;
            }
            n++;
        }
    }
    return n;
}

/* Checks that every guest buffer the pool holds (in the VF, or recycled in
 * the pool) lies in 'mem', the guest's current memory, and is laid out as
 * vf-zc-rxpool.h says; that the descriptors taken are those held plus those
 * returned; and that the guest's ring has exactly those in flight.  Appends
 * the figures, and each problem, to 's'.  Returns true if all is well. */
bool
vf_zc_rxpool_check(const struct vf_zc_rxpool *pool,
                   const struct vf_zc_guest_mem *mem, struct ds *s)
{
    uint32_t in_vf = 0, recycled = 0, outside = 0, misplaced = 0;
    uint64_t held = vf_zc_rxpool_held(pool);
    bool ok = true;

    for (uint32_t i = 0; i < pool->n_hdrs; i++) {
        const struct rte_mbuf *m = pool->hdrs[i];
        const struct vf_zc_rxbuf *b = rxbuf(m);

        if (!b->guest || b->delivered) {
            continue;
        }
        if (b->in_pool) {
            recycled++;
        } else {
            in_vf++;
        }
        if (!mem || !vf_zc_guest_mem_contains(mem, b->guest, b->len)) {
            outside++;
        }
        if ((uint8_t *) m->buf_addr + RTE_PKTMBUF_HEADROOM
            != b->guest + pool->hdr_len
            || m->buf_len != RTE_PKTMBUF_HEADROOM + pool->data_size
            || b->len < pool->hdr_len + pool->data_size) {
            misplaced++;
        }
    }

    ds_put_format(s, "descriptors taken %"PRIu64" = in flight %"PRIu64
                  " (in the VF %"PRIu32", recycled %"PRIu32") + used %"PRIu64
                  "\n", pool->taken, held, in_vf, recycled, pool->returned);
    if (in_vf + recycled != held) {
        ds_put_format(s, "MISMATCH: %"PRIu32" buffers bound, %"PRIu64" "
                      "descriptors held\n", in_vf + recycled, held);
        ok = false;
    }
    if (pool->vq && vf_zc_vring_in_flight(pool->vq) != held) {
        ds_put_format(s, "MISMATCH: the guest ring has %"PRIu16" descriptors "
                      "in flight, the pool holds %"PRIu64"\n",
                      vf_zc_vring_in_flight(pool->vq), held);
        ok = false;
    }
    if (outside) {
        ds_put_format(s, "MISMATCH: %"PRIu32" buffers outside the guest's "
                      "current memory\n", outside);
        ok = false;
    }
    if (misplaced) {
        ds_put_format(s, "MISMATCH: %"PRIu32" buffers laid out wrongly\n",
                      misplaced);
        ok = false;
    }
    if (pool->lost) {
        ds_put_format(s, "MISMATCH: %"PRIu64" descriptors lost\n",
                      pool->lost);
        ok = false;
    }
    return ok;
}
