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

#ifndef VF_ZC_RELAY_H
#define VF_ZC_RELAY_H 1

/* The relay of one queue pair: the guest's vrings 2Q (receive) and 2Q + 1
 * (transmit), and a VF queue.
 *
 * From the VF to the guest, packets arrive either in place, when the VF's
 * receive queue is backed by the guest's own buffers (zero copy, see
 * vf-zc-rxpool.h), or in host buffers that the relay copies into the guest's
 * (copy mode, and the fallback for any packet zero copy cannot take).  From
 * the guest to the VF, packets are lent to the VF in the guest's own buffers
 * (zero-copy transmit, see vf-zc-txpool.h), or copied into host buffers:
 * one, or a chain of them when the VF takes chains and a packet does not
 * fit one.
 *
 * Normally the VF queue is Q too.  A guest may enable more queue pairs than
 * the VF has; the extra ones are "guest-only": they share VF queue Q mod N
 * for transmit, so that whatever the guest sends on any of its queues reaches
 * the VF, and only the primary queue pair of a VF queue receives from it.
 *
 * Threads
 * -------
 *
 * The PMD thread that polls the port's rx queue Q runs vf_zc_qp_relay()
 * (and vf_zc_qp_recv() when packets from the VF go to the pipeline).  Any PMD
 * thread may run vf_zc_qp_deliver() for packets the pipeline sends.  Control
 * threads (the main thread, DPDK's vhost-events thread) start and stop the
 * queue pair.
 *
 * 'lock' serializes everything that touches the guest's rings.  PMD threads
 * only try it: the relay skips a round, and pipeline output into the guest
 * is dropped and counted (VF_ZC_DROP_RING_BUSY), so a PMD thread never waits
 * for another thread, nor for a guest.  A control thread that starts or
 * stops the queue pair takes it, and so waits at most for one round of the
 * relay, whose work the rings' budgets bound (VF_ZC_VRING_ROUND_BUDGET
 * descriptors each: a round reads no more, whatever the guest writes).
 * Control threads that only report (status, vf-zc/show, vf-zc/check) never
 * wait behind a PMD thread: they read the counters with no lock, and try
 * 'lock' for the rest a few times, sleeping in between, and say so when they
 * could not take it.
 * Once vf_zc_qp_stop() returns, nothing touches the guest's rings or memory
 * until the next vf_zc_qp_start().
 *
 * A queue pair the guest disables (SET_VRING_ENABLE 0) without stopping its
 * rings is "disabled" (vf_zc_qp_disable()): vhost-user then requires the
 * back end to supply no new receive packets, but to go on taking and
 * discarding what the guest transmits.  The relay does so, a burst at a
 * time, until the queue pair is stopped or started again. */

#include <stdbool.h>
#include <stdint.h>

#include "openvswitch/types.h"
#include "ovs-atomic.h"
#include "util.h"
#include "vf-zc-dirty-log.h"
#include "vf-zc-rxpool.h"
#include "vf-zc-spinlock.h"
#include "vf-zc-txpool.h"
#include "vf-zc-vring.h"

struct dp_packet_batch;
struct ds;
struct rte_mempool;
struct vf_zc_guest_mem;

/* Why packets were dropped. */
enum vf_zc_drop {
    VF_ZC_DROP_NO_GUEST,        /* No guest ring to deliver to. */
    VF_ZC_DROP_NO_BUFFER,       /* The guest posted no receive buffer. */
    VF_ZC_DROP_OVERSIZE,        /* Does not fit the guest's buffers. */
    VF_ZC_DROP_RING_ERROR,      /* The guest's ring is broken. */
    VF_ZC_DROP_BAD_BUFFER,      /* A guest buffer was outside its memory. */
    VF_ZC_DROP_VF_TX_FULL,      /* The VF's transmit queue is full. */
    VF_ZC_DROP_GUEST_TX_ERROR,  /* Malformed packet from the guest. */
    VF_ZC_DROP_RING_BUDGET,     /* The guest's receive ring cost more work
                                 * than one burst may (see 'budget' in
                                 * struct vf_zc_vring). */
    VF_ZC_DROP_RING_BUSY,       /* Pipeline output found the guest's ring
                                 * in use by another thread. */
    VF_ZC_DROP_TX_DISABLED,     /* Sent by the guest on a queue pair it
                                 * had disabled (see vf_zc_qp_disable()). */
    VF_ZC_N_DROPS
};

const char *vf_zc_drop_name(enum vf_zc_drop);

/* Reads one of the counters below, from any thread. */
static inline uint64_t
vf_zc_stat_read(const atomic_uint64_t *c)
{
    uint64_t v;

    atomic_read_relaxed(CONST_CAST(atomic_uint64_t *, c), &v);
    return v;
}

/* Counters of one queue pair.  Written by PMD threads with relaxed atomics,
 * with 'lock' held, except drops[VF_ZC_DROP_RING_BUSY], which is counted by
 * threads that could not take 'lock' (an atomic add); read by any thread,
 * with no lock. */
struct vf_zc_qp_stats {
    atomic_uint64_t vf_to_guest_packets;
    atomic_uint64_t vf_to_guest_bytes;
    atomic_uint64_t pipeline_to_guest_packets;
    atomic_uint64_t pipeline_to_guest_bytes;
    atomic_uint64_t guest_to_vf_packets;
    atomic_uint64_t guest_to_vf_bytes;

    /* Interrupts sent to the guest, for its receive ring and for its
     * transmit ring. */
    atomic_uint64_t guest_rx_notifications;
    atomic_uint64_t guest_tx_notifications;

    atomic_uint64_t drops[VF_ZC_N_DROPS];

    /* Of vf_to_guest_packets: delivered in place, and copied.  Copies are
     * also counted by why the queue pair was not in zero copy. */
    atomic_uint64_t vf_to_guest_zero_copy_packets;
    atomic_uint64_t vf_to_guest_copy_packets;
    atomic_uint64_t fallbacks[VF_ZC_N_FALLBACKS];

    /* Of guest_to_vf_packets: lent to the VF in place, and copied, also
     * counted by why. */
    atomic_uint64_t guest_to_vf_zero_copy_packets;
    atomic_uint64_t guest_to_vf_copy_packets;
    atomic_uint64_t tx_copies[VF_ZC_N_TX_COPY];

    /* Pages marked in the guest's dirty-page log while it was being
     * migrated (a page written twice counts twice), and pages written that
     * were beyond the log, so not marked (only a front end that sized its
     * log wrong causes those). */
    atomic_uint64_t dirty_pages_logged;
    atomic_uint64_t dirty_log_misses;

    /* RARPs sent through the VF to announce the guest after a migration
     * (see vf_zc_qp_announce()). */
    atomic_uint64_t announcements;

    /* Switches between zero copy and copy, by the relay; and restarts of
     * the VF queue, alone or with the whole VF, to take guest buffers
     * back, by control threads. */
    atomic_uint64_t zc_switches;
    atomic_uint64_t vf_queue_restarts;
};

struct vf_zc_qp {
    /* Set once by vf_zc_qp_init(). */
    uint16_t qid;               /* Queue pair number. */

    struct vf_zc_spinlock lock;
    atomic_bool reporter_waiting;   /* A control thread that only reports
                                     * wants 'lock': the relay lets it have
                                     * it before its next round. */

    /* Written by control threads with 'lock' held; read by the relay with
     * 'lock' held. */
    uint16_t port_id OVS_GUARDED;               /* The VF. */
    uint16_t vf_queue OVS_GUARDED;              /* The VF queue pair this
                                                 * one uses. */
    bool vf_ready OVS_GUARDED;                  /* Queue 'vf_queue' runs. */
    bool vf_rx OVS_GUARDED;                     /* This queue pair receives
                                                 * from the VF (it is the
                                                 * primary one of
                                                 * 'vf_queue'). */
    bool guest_ready OVS_GUARDED;               /* The rings below may be
                                                 * relayed (see also
                                                 * 'tx_discard'). */
    bool bypass OVS_GUARDED;                    /* VF packets go straight to
                                                 * the guest. */
    int vid OVS_GUARDED;                        /* vhost device, if
                                                 * 'rings_started'. */
    int rx_callfd OVS_GUARDED;                  /* Guest notification */
    int tx_callfd OVS_GUARDED;                  /* eventfds, or -1. */
    size_t hdr_len OVS_GUARDED;                 /* virtio-net header size. */
    bool mergeable OVS_GUARDED;                 /* VIRTIO_NET_F_MRG_RXBUF. */
    struct rte_mempool *mp OVS_GUARDED;             /* For copies from the
                                                     * guest to the VF. */
    uint32_t tx_max_len OVS_GUARDED;            /* Longest packet the guest
                                                 * may send to the VF (a
                                                 * chain of 'mp' mbufs if
                                                 * longer than one). */
    uint32_t tx_seg_room OVS_GUARDED;           /* Bytes one 'mp' mbuf holds
                                                 * after its headroom. */
    struct vf_zc_vring rxq OVS_GUARDED;             /* Guest receive ring
                                                     * (vring 2 * qid). */
    struct vf_zc_vring txq OVS_GUARDED;             /* Guest transmit ring
                                                     * (vring 2 * qid + 1). */
    struct vf_zc_dirty_log log OVS_GUARDED;     /* The guest's dirty-page
                                                 * log, while it is being
                                                 * migrated (see
                                                 * vf_zc_qp_set_log()). */
    bool logging OVS_GUARDED;                   /* 'log' and 'log_used_gpa'
                                                 * apply from the next
                                                 * start. */
    uint64_t log_used_gpa[2] OVS_GUARDED;       /* Where the front end logs
                                                 * each ring's used ring. */
    bool guest_csum OVS_GUARDED;                /* VIRTIO_NET_F_GUEST_CSUM:
                                                 * checksums the VF validated
                                                 * may be marked so. */
    bool rings_started OVS_GUARDED;             /* vf_zc_qp_start()
                                                 * succeeded, and
                                                 * vf_zc_qp_stop() has not
                                                 * yet saved where the rings
                                                 * stopped. */
    bool tx_disabled OVS_GUARDED;               /* Disabled by the guest,
                                                 * rings started (see
                                                 * vf_zc_qp_disable()). */
    bool tx_discard OVS_GUARDED;                /* 'tx_disabled', and not
                                                 * paused nor held: the relay
                                                 * discards what the guest
                                                 * transmits. */
    bool msg_hold OVS_GUARDED;                  /* A vhost-user message that
                                                 * changes the rings'
                                                 * eventfds is being handled
                                                 * (vf_zc_qp_hold()): the
                                                 * relay leaves the rings
                                                 * alone, and nobody writes
                                                 * their eventfds, until
                                                 * vf_zc_qp_release(). */
    bool interrupt_pending OVS_GUARDED;         /* An interrupt held back by
                                                 * 'msg_hold', for
                                                 * vf_zc_qp_release(). */
    bool broken_reported OVS_GUARDED;           /* A broken ring was
                                                 * logged. */
    struct vf_zc_qp *rx_redirect OVS_GUARDED;   /* While this queue pair's
                                                 * guest rings are stopped
                                                 * or disabled,
                                                 * the one whose receive
                                                 * ring gets its VF queue's
                                                 * packets (the guest has
                                                 * enabled fewer queue pairs
                                                 * than the VF has queues),
                                                 * or NULL: then they are
                                                 * dropped, as no_guest,
                                                 * unless the rings are
                                                 * only paused or held for
                                                 * a moment. */

    /* The VF queue's receive buffers come from 'zc_pool', attached to
     * 'rxq' (vf-zc-rxpool.h), or from a host mempool only if it is null.
     * Zero copy from the VF to the guest is on when 'zc' is nonnull (it is
     * then 'zc_pool'); otherwise 'zc_fallback' says why packets are copied.
     * Written by control threads with 'lock' held; the relay also switches
     * 'zc' and updates 'zc_fallback', with 'lock' held, as the guest's
     * buffers change. */
    struct vf_zc_rxpool *zc OVS_GUARDED;
    enum vf_zc_fallback zc_fallback OVS_GUARDED;
    struct vf_zc_rxpool *zc_pool OVS_GUARDED;

    /* After a switch to zero copy in place, the VF may hold host buffers
     * still, from before: packets it places in them are copied.  Zero copy
     * has "settled" once a packet arrived in a guest buffer (a NIC fills
     * its ring in order, so the host buffers before it are used up), or
     * if the VF queue was set up with guest buffers only.  The relay and
     * control threads write it with 'lock' held; any thread reads it. */
    atomic_bool zc_settled;

    /* Changes of zero copy the relay made by itself (switches, settling, a
     * new reason to copy): the netdev polls it to refresh the port's
     * status.  Written by the relay, read by any thread. */
    atomic_uint64_t zc_events;
    uint32_t zc_min_buffers OVS_GUARDED;            /* Buffers the guest must
                                                     * have posted for the VF
                                                     * queue to take them. */

    /* When the relay last switched between zero copy and copy (see
     * zc_switch() in vf-zc-relay.c), in msec, or 0.  Relay only, with
     * 'lock' held. */
    long long int zc_switched_at OVS_GUARDED;

    /* While the queue pair copies for a reason the guest may lift, the
     * relay looks at the guest's receive buffers again every
     * VF_ZC_RECHECK_INTERVAL bursts.  A guest that consumes packets more
     * slowly than the VF delivers them never has 'zc_min_buffers' posted,
     * since each copy takes one as soon as it is posted: the relay then
     * "holds" the VF queue for a moment (does not read it, so that the VF
     * queues or drops, as for any slow guest) and looks again.  Relay only,
     * with 'lock' held; reset by vf_zc_qp_set_zc(). */
    unsigned int zc_bursts OVS_GUARDED;             /* Since the relay last
                                                     * looked. */
    unsigned int zc_looks OVS_GUARDED;              /* Looks since the last
                                                     * hold. */
    unsigned int zc_hold OVS_GUARDED;               /* Iterations left in a
                                                     * hold, or 0. */
    unsigned int zc_holds_failed OVS_GUARDED;           /* Consecutive holds
                                                         * that did not end
                                                         * with enough
                                                         * buffers: holds grow
                                                         * rarer (exponential
                                                         * backoff). */
    bool zc_hold_done OVS_GUARDED;              /* This hold has seen enough
                                                 * buffers. */
    /* Zero-copy transmit (vf-zc-txpool.h): while 'tx_lend' is true, the
     * guest's transmit chains of at least 'tx_zc_min_len' bytes and at
     * most 'tx_zc_max_segs' buffers go to the VF in place, lent from
     * 'txpool'; the others are copied.  'txpool' stays while it has chains
     * lent, so that they come back, unless the VF would not free some as
     * the rings stop (vf_zc_qp_stop(), vf_zc_qp_forget_txpool()): then the
     * pool is abandoned and the port keeps it.  A stop clears 'tx_lend'.
     * Written by control threads with 'lock' held
     * (vf_zc_qp_set_txpool()). */
    struct vf_zc_txpool *txpool OVS_GUARDED;
    bool tx_lend OVS_GUARDED;
    bool tx_no_cleanup OVS_GUARDED;     /* The VF's driver has no
                                         * rte_eth_tx_done_cleanup().  Relay
                                         * only; vf_zc_qp_set_vf() resets
                                         * it. */
    unsigned int tx_zc_max_segs OVS_GUARDED;
    uint32_t tx_zc_min_len OVS_GUARDED;

    struct eth_addr announce_mac OVS_GUARDED;   /* The guest's MAC, and */
    unsigned int announce_pending OVS_GUARDED;  /* RARPs to send for it
                                                 * (vf_zc_qp_announce()). */
    char poller[32] OVS_GUARDED;                /* Name of the PMD thread
                                                 * relaying, recorded at its
                                                 * first burst after a
                                                 * start. */

    struct vf_zc_qp_stats stats;
};

void vf_zc_qp_init(struct vf_zc_qp *, uint16_t qid);
void vf_zc_qp_set_vf(struct vf_zc_qp *, uint16_t port_id, uint16_t vf_queue,
                     bool ready, bool vf_rx, struct rte_mempool *,
                     uint32_t tx_max_len, bool bypass);
char *vf_zc_qp_start(struct vf_zc_qp *, int vid,
                     const struct vf_zc_guest_mem *, uint64_t features)
    OVS_WARN_UNUSED_RESULT;
void vf_zc_qp_start_rings(struct vf_zc_qp *, int vid,
                          const struct vf_zc_vring rings[2], int rx_callfd,
                          int tx_callfd, uint64_t features);
void vf_zc_qp_set_log(struct vf_zc_qp *, const struct vf_zc_dirty_log *,
                      uint64_t rx_used_gpa, uint64_t tx_used_gpa);
bool vf_zc_qp_logging(const struct vf_zc_qp *);
void vf_zc_qp_pause(struct vf_zc_qp *);
void vf_zc_qp_disable(struct vf_zc_qp *);
void vf_zc_qp_stop(struct vf_zc_qp *);
void vf_zc_qp_resume(struct vf_zc_qp *);
void vf_zc_qp_hold(struct vf_zc_qp *);
void vf_zc_qp_release(struct vf_zc_qp *);
void vf_zc_qp_announce(struct vf_zc_qp *, const struct eth_addr *);
void vf_zc_qp_set_redirect(struct vf_zc_qp *, struct vf_zc_qp *to);
void vf_zc_qp_set_zc(struct vf_zc_qp *, struct vf_zc_rxpool *, bool active,
                     enum vf_zc_fallback, uint32_t min_buffers);
void vf_zc_qp_settle_zc(struct vf_zc_qp *);
void vf_zc_qp_set_txpool(struct vf_zc_qp *, struct vf_zc_txpool *, bool lend,
                         unsigned int max_segs, uint32_t min_len);
uint32_t vf_zc_qp_tx_held(struct vf_zc_qp *);
void vf_zc_qp_forget_txpool(struct vf_zc_qp *);
bool vf_zc_qp_zero_copy(const struct vf_zc_qp *, bool *settled);
uint64_t vf_zc_qp_zc_events(const struct vf_zc_qp *);
void vf_zc_qp_count_vf_queue_restart(struct vf_zc_qp *);
uint32_t vf_zc_qp_peek(struct vf_zc_qp *, struct vf_zc_rxpool *,
                       enum vf_zc_fallback *);
bool vf_zc_qp_check(struct vf_zc_qp *, struct ds *);

int vf_zc_qp_relay(struct vf_zc_qp *);
int vf_zc_qp_recv(struct vf_zc_qp *, struct dp_packet_batch *);
void vf_zc_qp_deliver(struct vf_zc_qp *, struct dp_packet_batch *);

bool vf_zc_qp_dump_ring(struct vf_zc_qp *, bool rx, struct ds *);
bool vf_zc_qp_get_ring_error(struct vf_zc_qp *, char *buf, size_t size);

void vf_zc_qp_format(struct vf_zc_qp *, struct ds *);

#endif /* vf-zc-relay.h */
