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

#ifndef VF_ZC_TXPOOL_H
#define VF_ZC_TXPOOL_H 1

/* Zero-copy transmit: the guest's transmit buffers lent to the VF as the
 * payload of mbufs.
 *
 * For a chain the guest posted on its transmit ring, vf_zc_txpool_lend()
 * builds an mbuf, or a chain of them, from headers of the pool's own
 * mempool, each attached (rte_pktmbuf_attach_extbuf()) to one of the
 * chain's buffers, the virtio-net header left out.  The VF's driver sends
 * it as any other mbuf, and the NIC reads the packet straight from guest
 * memory.  The chain stays the NIC's until the driver frees the last of
 * those mbufs: the external buffer's free callback then marks it released,
 * and vf_zc_txpool_reclaim() returns it to the guest through the used ring.
 *
 * The chains lent are kept in the order they were lent, in a table of
 * 'n_slots' entries, and go back in that order: a chain released early
 * waits for those lent before it, and a chain costs one table entry
 * whatever its length.  (The owner pushes the chains it copies at once, so
 * they may pass those lent: right only because vf-zc does not offer
 * VIRTIO_F_IN_ORDER.)  The table bounds what is in flight: when it
 * is full, or its mempool has no header left, the owner copies the packet
 * instead, and the guest's ring never waits for the NIC.
 *
 * A chain is lent only if the VF can send it as it is: each of its buffers
 * (after the header) must fit an mbuf (at most 65535 bytes), lie in memory
 * the VF reaches (vf_zc_guest_mem_to_iova()), and there must be no more of
 * them than the VF takes segments in one packet.  Otherwise
 * vf_zc_txpool_lend() says why, and the owner copies it.
 *
 * Invariant 12 of the design: no guest buffer stays with the NIC past a
 * ring stop, a device reset or a memory-table change.  Before any of them
 * the owner has the driver release every mbuf (rte_eth_tx_done_cleanup(),
 * or by stopping the VF's transmit queue) until vf_zc_txpool_held() is 0,
 * then reclaims every chain into the used ring before the ring stops.  If
 * the driver would not let go of some, even with the VF stopped, the owner
 * abandons the pool (vf_zc_txpool_abandon()): the guest gets back every
 * chain but those, and never those.
 *
 * Threads
 * -------
 *
 * vf_zc_txpool_lend(), vf_zc_txpool_reclaim(), vf_zc_txpool_abandon() and
 * the functions that report on the pool run in one thread at a time, the
 * pool's owner: the PMD thread relaying the queue pair, with its lock held,
 * or a control thread while the relay is paused or stopped.  The free callback runs in
 * whatever thread frees the mbufs: the VF transmit queue's own PMD thread,
 * inside rte_eth_tx_burst() (possibly while relaying another queue pair
 * that shares the queue), or a control thread that stops the queue.  It
 * only marks its table entry released, with release ordering, and the
 * owner reads that mark with acquire ordering; the header itself goes back
 * to the mempool, which is thread-safe. */

#include <stdbool.h>
#include <stdint.h>

struct rte_mbuf;
struct vf_zc_chain;
struct vf_zc_guest_mem;
struct vf_zc_vring;

/* Why a packet is copied to the VF rather than lent. */
enum vf_zc_tx_copy {
    VF_ZC_TX_COPY_IN_FLIGHT,    /* The table is full, or no header left. */
    VF_ZC_TX_COPY_SEGMENTS,     /* More buffers than the VF takes segments. */
    VF_ZC_TX_COPY_BIG_BUFFER,   /* A buffer longer than an mbuf holds. */
    VF_ZC_TX_COPY_UNREACHABLE,  /* A buffer the VF cannot reach by DMA. */
    VF_ZC_TX_COPY_SMALL,        /* Shorter than copying is dearer than
                                 * lending (for the owner to decide). */
    VF_ZC_TX_COPY_OFF,          /* Zero-copy transmit is off (the owner's
                                 * reason: see its status). */
    VF_ZC_N_TX_COPY
};

const char *vf_zc_tx_copy_name(enum vf_zc_tx_copy);

struct vf_zc_txpool *vf_zc_txpool_create(const char *name, uint32_t n_slots,
                                         uint32_t n_mbufs, int socket_id);
bool vf_zc_txpool_destroy(struct vf_zc_txpool *);

struct rte_mbuf *vf_zc_txpool_lend(struct vf_zc_txpool *,
                                   const struct vf_zc_chain *,
                                   uint32_t hdr_len,
                                   const struct vf_zc_guest_mem *,
                                   unsigned int max_segs,
                                   enum vf_zc_tx_copy *why);
uint32_t vf_zc_txpool_reclaim(struct vf_zc_txpool *, struct vf_zc_vring *,
                              uint32_t max);
uint32_t vf_zc_txpool_abandon(struct vf_zc_txpool *, struct vf_zc_vring *);
bool vf_zc_txpool_is_abandoned(const struct vf_zc_txpool *);

uint32_t vf_zc_txpool_in_flight(const struct vf_zc_txpool *);
uint32_t vf_zc_txpool_held(const struct vf_zc_txpool *);
uint32_t vf_zc_txpool_n_slots(const struct vf_zc_txpool *);

#endif /* vf-zc-txpool.h */
