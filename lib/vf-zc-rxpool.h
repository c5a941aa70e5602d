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

#ifndef VF_ZC_RXPOOL_H
#define VF_ZC_RXPOOL_H 1

/* Zero-copy receive: a DPDK mempool whose mbufs are the guest's own receive
 * buffers.
 *
 * A VF receive queue set up with this pool fills its descriptors with mbufs
 * the pool hands out, as it would from any pktmbuf pool; the pool's mempool
 * operations ("vf_zc_guest") bind each mbuf header, as it is taken, to the
 * next buffer the guest posted on its receive virtqueue.  The NIC then
 * writes the packet straight into guest memory, and delivering it is writing
 * the virtio-net header in front of it and returning the buffer through the
 * used ring.  Stock drivers see an ordinary pool.
 *
 * Layout of one bound mbuf, for a guest buffer at G of L bytes, a virtio-net
 * header of H bytes and the pool's data size D (L >= H + D):
 *
 *     buf_addr = G + H - RTE_PKTMBUF_HEADROOM    buf_len = HEADROOM + D
 *     data_off = RTE_PKTMBUF_HEADROOM, so the packet lands at G + H
 *     buf_iova = IOVA(G + H) - RTE_PKTMBUF_HEADROOM
 *
 * Drivers place received data at buf_addr + data_off (or DMA to buf_iova +
 * RTE_PKTMBUF_HEADROOM) and never beyond buf_len, so the NIC writes only
 * inside the guest's buffer.  The headroom itself lies outside it and must
 * never be written, so the VF queue is set up without scatter: a driver may
 * place a second segment at buf_addr (net_tap and net_pcap do).  Hence D
 * holds a whole frame.  A guest buffer smaller than H + D, or one a device
 * cannot reach, is never bound: the pool records why ('fallback'), for its
 * owner to move the queue to the copy path.
 *
 * The same pool also backs the VF queue in copy mode, so that a queue goes
 * from one mode to the other without being set up again (which most drivers
 * allow only while the whole port is stopped): given a host mempool
 * (vf_zc_rxpool_set_host_mp()), the pool hands out that mempool's own mbufs
 * while it does not bind (it is detached, or zero copy is off), and for a
 * guest buffer it cannot bind, so that the VF never goes without a buffer
 * for that.  Those mbufs belong to the host mempool, and go back to it when
 * freed.  A switch takes effect as the driver refills its ring: the buffers
 * it already holds stay as they are.
 *
 * Every descriptor the pool takes from the avail ring is returned through
 * the used ring exactly once: filled, by vf_zc_rxpool_deliver(), or unused
 * (length 0), by vf_zc_rxpool_detach(), for the buffers the pool still holds
 * when the queue stops, or as soon as zero copy is off for those the pool
 * holds then or gets back.  An mbuf freed without delivery (a packet the
 * relay copied elsewhere, a driver releasing its ring) keeps its guest
 * buffer and, while zero copy is on, is handed out again first.
 *
 * Threads
 * -------
 *
 * A pool is used by one thread at a time: the PMD thread relaying its queue
 * pair (with the queue pair's lock held, inside rte_eth_rx_burst() and the
 * relay), or a control thread setting up, starting, stopping or releasing
 * the VF queue while the relay is stopped.  The guest's ring it is attached
 * to must stay mapped until vf_zc_rxpool_detach(). */

#include <stdbool.h>
#include <stdint.h>

#include "openvswitch/compiler.h"

struct ds;
struct rte_mbuf;
struct rte_mempool;
struct vf_zc_guest_mem;
struct vf_zc_vring;

/* Why a VF queue's packets reach the guest by copy rather than in place. */
enum vf_zc_fallback {
    VF_ZC_FALLBACK_DISABLED,        /* options:zero-copy=false. */
    VF_ZC_FALLBACK_VF,              /* The VF refused the pool. */
    VF_ZC_FALLBACK_BUFFER_TOO_SMALL,    /* A guest buffer smaller than a
                                         * frame. */
    VF_ZC_FALLBACK_TRANSLATION,     /* Guest memory a device cannot reach. */
    VF_ZC_FALLBACK_FEW_BUFFERS,     /* The guest posted too few buffers to
                                     * fill the VF's ring. */
    VF_ZC_FALLBACK_PACKET,          /* One packet the VF did not place as
                                     * expected (several segments). */
    VF_ZC_FALLBACK_BYPASS_OFF,      /* options:bypass=false: the pipeline
                                     * decides on each packet before the
                                     * guest may see it. */
    VF_ZC_FALLBACK_REDIRECTED,      /* The VF queue's own queue pair is not
                                     * enabled: its packets go through
                                     * another's. */
    VF_ZC_FALLBACK_SWITCHING,       /* A host buffer that the VF still held
                                     * from before zero copy switched on. */
    VF_ZC_N_FALLBACKS
};

const char *vf_zc_fallback_name(enum vf_zc_fallback);
const char *vf_zc_fallback_reason(enum vf_zc_fallback);

struct vf_zc_rxpool {
    /* Set at creation. */
    struct rte_mempool *mp;     /* NULL if the pool is driven directly. */
    uint32_t data_size;         /* D above. */
    uint32_t n_hdrs;
    struct rte_mbuf **hdrs;     /* Every header. */

    /* The guest receive ring buffers come from, or NULL. */
    struct vf_zc_vring *vq;
    const struct vf_zc_guest_mem *mem;
    uint32_t hdr_len;           /* H above. */
    bool zc_on;                 /* Binds guest buffers (while attached). */

    /* Host buffers, for copy mode and for guest buffers it cannot bind, or
     * NULL: then the pool hands out only guest buffers. */
    struct rte_mempool *host_mp;
    uint64_t host_handouts;     /* Host mbufs handed out. */

    /* Headers in the pool: two stacks. */
    struct rte_mbuf **unbound;  /* Bound to nothing. */
    uint32_t n_unbound;
    struct rte_mbuf **bound;    /* Bound to a guest buffer, to hand out
                                 * before taking new ones. */
    uint32_t n_bound;
    bool populating;            /* Headers arrive uninitialized. */

    /* Descriptors taken from the avail ring and returned through the used
     * ring, since the pool was created. */
    uint64_t taken;
    uint64_t returned;
    uint64_t bad_chains;        /* Returned unused: outside guest memory. */
    uint64_t lost;              /* Could not be returned: detached before the
                                 * VF released them.  Always 0. */
    uint64_t get_failures;      /* Requests the pool could not fill. */

    /* Set when the pool met a guest buffer it cannot bind; the owner moves
     * the queue to the copy path. */
    int fallback;               /* enum vf_zc_fallback, or -1. */
};

struct vf_zc_rxpool *vf_zc_rxpool_create(const char *name, uint32_t n,
                                         uint32_t data_size, int socket_id);
void vf_zc_rxpool_destroy(struct vf_zc_rxpool *);

/* Without a mempool, for tests. */
struct vf_zc_rxpool *vf_zc_rxpool_create_bare(uint32_t n, uint32_t data_size,
                                              struct rte_mbuf **hdrs);
size_t vf_zc_rxpool_header_size(void);

void vf_zc_rxpool_attach(struct vf_zc_rxpool *, struct vf_zc_vring *,
                         const struct vf_zc_guest_mem *, uint32_t hdr_len);
void vf_zc_rxpool_detach(struct vf_zc_rxpool *);
void vf_zc_rxpool_set_zc(struct vf_zc_rxpool *, bool on);
void vf_zc_rxpool_set_host_mp(struct vf_zc_rxpool *, struct rte_mempool *);

int vf_zc_rxpool_get(struct vf_zc_rxpool *, struct rte_mbuf **, unsigned n);
void vf_zc_rxpool_put(struct vf_zc_rxpool *, struct rte_mbuf *const *,
                      unsigned n);

bool vf_zc_rxpool_owns(const struct vf_zc_rxpool *, const struct rte_mbuf *);
bool vf_zc_rxpool_deliver(struct vf_zc_rxpool *, struct rte_mbuf *,
                          uint8_t hdr_flags);

uint32_t vf_zc_rxpool_peek(const struct vf_zc_rxpool *, struct vf_zc_vring *,
                           const struct vf_zc_guest_mem *, uint32_t hdr_len,
                           enum vf_zc_fallback *);

/* Returns the number of descriptors the pool holds: taken, not yet
 * returned. */
static inline uint64_t
vf_zc_rxpool_held(const struct vf_zc_rxpool *pool)
{
    return pool->taken - pool->returned;
}

uint32_t vf_zc_rxpool_held_heads(const struct vf_zc_rxpool *,
                                  uint16_t *heads, uint32_t max);
bool vf_zc_rxpool_check(const struct vf_zc_rxpool *,
                        const struct vf_zc_guest_mem *, struct ds *);

#endif /* vf-zc-rxpool.h */
