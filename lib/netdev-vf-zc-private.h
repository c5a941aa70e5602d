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

#ifndef NETDEV_VF_ZC_PRIVATE_H
#define NETDEV_VF_ZC_PRIVATE_H 1

/* The parts of a vf-zc port, and what they share: the port itself (struct
 * netdev_vf_zc) and the locks that protect it.  Each part has a file:
 *
 *   netdev-vf-zc.c     the netdev class: configuration, reconfiguration,
 *                      the queue pairs' start and stop, and the rx queue
 *                      and send functions that relay;
 *   vf-zc-status.c     the port's status and statistics;
 *   vf-zc-vf.c         the VF device, its queues and its mempools;
 *   vf-zc-vhost.c      the vhost-user socket, its callbacks and message
 *                      hooks, which follow what the guest does;
 *   vf-zc-zero-copy.c  zero-copy receive: which VF queues take the guest's
 *                      buffers, DMA mapping, and taking the buffers back;
 *   vf-zc-unixctl.c    the vf-zc/ ovs-appctl commands.
 *
 * Below them, per queue pair: the relay (vf-zc-relay.h), the zero-copy pool
 * (vf-zc-rxpool.h), the ring engine (vf-zc-vring.h) and guest memory
 * (vf-zc-guest-mem.h), each calling only the ones after it. */

#include <stdbool.h>
#include <stdint.h>

#include "netdev-provider.h"
#include "openvswitch/list.h"
#include "openvswitch/types.h"
#include "ovs-atomic.h"
#include "ovs-thread.h"
#include "vf-zc-guest-mem.h"
#include "vf-zc-options.h"
#include "vf-zc-relay.h"
#include "vf-zc-rxpool.h"

struct rte_mempool;

/* Threads and locks
 * =================
 *
 * Three kinds of threads touch a vf-zc port:
 *
 *   - The main thread runs every netdev_class function (netdev-vf-zc.c)
 *     except the rxq and send functions: construction, configuration,
 *     reconfiguration, status and statistics; and the vf-zc/ commands.
 *
 *   - DPDK's vhost-events thread runs the vhost-user callbacks
 *     (vf_zc_vhost_ops) and message hooks (vf_zc_vhost_msg_ops).  Before
 *     the guest's memory, features or rings change, they stop the queue
 *     pairs concerned, which may take the guest's buffers back from the VF:
 *     that may stop and start a VF queue, or even the whole VF (see
 *     vf_zc_reclaim_guest_buffers()).  Afterward they ask the main thread
 *     to reconfigure the port, which starts the queue pairs again.
 *
 *   - PMD threads run the rxq and send functions, which relay through the
 *     port's queue pairs (vf-zc-relay.h).  dpif-netdev stops polling a
 *     port's rx queues before it calls reconfigure(), but send() may run at
 *     any time, and the VF or the guest may go away at any time: control
 *     threads therefore stop a queue pair (vf_zc_qp_stop(),
 *     vf_zc_qp_set_vf()) before they change what it uses.
 *
 * 'vf_zc_mutex' protects 'vf_zc_ports' and is taken before any port's
 * 'mutex'.  Neither is ever held while a vhost-user socket is unregistered:
 * rte_vhost_driver_unregister() waits for running vhost callbacks, and those
 * take both locks. */

/* A DPDK port id that names no port. */
#define VF_ZC_PORT_ID_INVALID RTE_MAX_ETHPORTS

/* Descriptors asked for on each VF queue; the driver may adjust them. */
#define VF_ZC_VF_RING_SIZE 1024

/* Per-lcore cache of the VF's copy-path mempool. */
#define VF_ZC_MP_CACHE_SIZE 32

/* Mbufs the VF's copy-path mempool has beyond its queues' with bypass off,
 * for packets that wait in other ports' transmit queues. */
#define VF_ZC_MP_PIPELINE_MBUFS 4096

/* How often the main thread looks for changes of zero copy that the relay
 * made by itself, to refresh the ports' status (netdev_vf_zc_wait()). */
#define VF_ZC_STATUS_POLL_MS 500

/* Number of vrings a guest can have: an RX and a TX ring per queue pair. */
#define VF_ZC_MAX_VRINGS (2 * VF_ZC_MAX_QUEUE_PAIRS)

/* See "Threads and locks" above. */
extern struct ovs_mutex vf_zc_mutex;
extern struct ovs_list vf_zc_ports OVS_GUARDED_BY(vf_zc_mutex);

enum vf_zc_guest_state {
    VF_ZC_GUEST_DISCONNECTED,   /* No vhost-user connection. */
    VF_ZC_GUEST_CONNECTED,      /* Connected; the virtio device is not ready
                                 * (no rings yet, or the guest stopped it). */
    VF_ZC_GUEST_READY,          /* The guest's rings are set up. */
};

/* Whether a queue pair lends the guest's transmit buffers to the VF, as
 * vf_zc_begin_zero_copy_tx() decided when the queue pair last started, or
 * why it does not. */
enum vf_zc_tx_zc {
    VF_ZC_TX_ZC_ON,
    VF_ZC_TX_ZC_DISABLED,       /* options:zero-copy=false. */
    VF_ZC_TX_ZC_UNREACHABLE,    /* The VF cannot reach the guest's memory
                                 * ('zc_mem_error'). */
    VF_ZC_TX_ZC_FAST_FREE,      /* The VF's transmit queues free what they
                                 * sent without the mbuf library. */
    VF_ZC_TX_ZC_NO_POOL,        /* No memory for the queue pair's pool. */
    VF_ZC_TX_ZC_DRIVER_KEEPS,   /* The VF's driver kept guest buffers
                                 * through a stop ('tx_driver_keeps'). */
};

struct netdev_vf_zc {
    struct netdev up;

    /* In 'vf_zc_ports'. */
    struct ovs_list list_node OVS_GUARDED_BY(vf_zc_mutex);

    /* Protects the members below.  Members that the vhost callbacks use to
     * find a port ('port_id', 'vhost_path') are written with both
     * 'vf_zc_mutex' and 'mutex' held, so holding either is enough to read
     * them. */
    struct ovs_mutex mutex OVS_ACQ_AFTER(vf_zc_mutex);

    /* Configuration accepted by set_config().  Main thread. */
    struct vf_zc_options opts OVS_GUARDED;
    char *iface_id OVS_GUARDED;         /* external_ids:iface-id, or NULL. */
    bool bypass_warned OVS_GUARDED;     /* The warning about the binding was
                                         * logged, */
    bool bypass_warned_on OVS_GUARDED;  /* with bypass on, or off. */

    /* The VF.  Main thread; also the vhost-events thread, when it takes the
     * guest's buffers back from the VF (vf_zc_reclaim_guest_buffers()),
     * which may restart the VF. */
    uint16_t port_id OVS_GUARDED;       /* VF_ZC_PORT_ID_INVALID if none. */
    bool vf_started OVS_GUARDED;
    char *vf_error OVS_GUARDED;         /* Why the VF is not running. */
    int vf_n_rxq OVS_GUARDED;           /* Queues configured on the VF. */
    int vf_n_txq OVS_GUARDED;
    int vf_requested_n_rxq OVS_GUARDED; /* options:n_rxq when the VF was
                                         * started (it may offer fewer). */
    int vf_mtu OVS_GUARDED;             /* MTU the VF was started with. */
    int vf_rss_queues OVS_GUARDED;      /* Queues the VF's RSS redirection
                                         * table spreads flows over, or 0 for
                                         * the driver's own table. */
    uint16_t vf_nb_rxd OVS_GUARDED;     /* Descriptors per VF RX queue in
                                         * copy mode. */
    int vf_socket_id OVS_GUARDED;
    struct rte_mempool *vf_mp OVS_GUARDED;  /* The VF's RX buffers. */
    bool vf_mp_bypass OVS_GUARDED;          /* options:bypass when 'vf_mp'
                                             * was made: if true, it holds
                                             * no dp_packets. */
    bool vf_scatter OVS_GUARDED;            /* The VF receives and sends
                                             * frames in chains of 'vf_mp'
                                             * buffers. */
    uint32_t vf_tx_max_len OVS_GUARDED;     /* Longest packet the relay
                                             * copies to the VF, in one or
                                             * a chain of 'vf_mp' mbufs. */
    unsigned int vf_mp_generation OVS_GUARDED;  /* Makes mempool names
                                                 * unique. */
    struct eth_addr hwaddr OVS_GUARDED;
    int mtu OVS_GUARDED;                /* Requested MTU (mtu_request). */
    enum netdev_flags flags OVS_GUARDED;
    int requested_n_txq OVS_GUARDED;    /* From set_tx_multiq(). */

    /* The vhost-user socket.  Main thread. */
    char *vhost_path OVS_GUARDED;       /* Registered socket, or NULL. */
    bool vhost_client OVS_GUARDED;      /* Client (true) or server mode. */

    /* The guest.  Written by the vhost-events thread (and by the main
     * thread as the socket changes); read by both. */
    enum vf_zc_guest_state guest_state OVS_GUARDED;
    int vid OVS_GUARDED;                /* vhost device id, -1 if none. */
    uint64_t guest_features OVS_GUARDED;
    unsigned long *enabled_vrings OVS_GUARDED;  /* VF_ZC_MAX_VRINGS bits. */
    unsigned long *started_qps OVS_GUARDED;     /* Queue pairs relaying
                                                 * with the guest's rings,
                                                 * one bit each. */
    int msg_vring OVS_GUARDED;          /* The vring of the vhost-user message
                                         * being handled that only changes
                                         * its notifications, or -1. */
    uint64_t guest_connections OVS_GUARDED;  /* Connections so far. */
    uint64_t refused_msgs OVS_GUARDED;  /* vhost-user messages refused (see
                                         * vf_zc_vhost_msg_refusal()), */
    char *refused_msg_reason OVS_GUARDED;   /* and why the last one was. */

    /* The relay.  VF_ZC_MAX_QUEUE_PAIRS queue pairs, for the life of the
     * port; each protects itself (see vf-zc-relay.h). */
    struct vf_zc_qp *qps;
    atomic_int n_active_qps;            /* Queue pairs relaying both ways with
                                         * the guest; send() spreads over
                                         * them. */
    atomic_int n_vf_queues;             /* VF queue pairs the relay uses.  VF
                                         * queue Q is the port's rx queue Q,
                                         * whose PMD thread alone relays
                                         * every queue pair that uses it:
                                         * one writer per VF TX queue. */
    atomic_int n_guest_qps;             /* All queue pairs started with the
                                         * guest, including guest-only ones
                                         * beyond the VF's queues. */
    atomic_int n_ring_qps;              /* Those, and the ones after them
                                         * that the guest has disabled but
                                         * whose rings still run, to discard
                                         * what the guest sends there (see
                                         * vf_zc_qp_disable()). */

    /* The guest's memory as the started queue pairs use it.  Rebuilt only
     * while every queue pair is stopped. */
    struct vf_zc_guest_mem guest_mem OVS_GUARDED;
    bool guest_msg_pending OVS_GUARDED; /* A vhost-user message that changes
                                         * rings or memory is being handled:
                                         * do not start queue pairs. */
    char *relay_error OVS_GUARDED;      /* Why the relay could not start. */
    bool relay_zero_copy OVS_GUARDED;   /* options:zero-copy and bypass, as */
    bool relay_bypass OVS_GUARDED;      /* the queue pairs started with. */

    /* Zero-copy receive: one pool per VF queue, created on first use and
     * kept while the VF's MTU stays (vf-zc-rxpool.h).  Used by the queue
     * pair of the same number. */
    struct vf_zc_rxpool **zc_pools OVS_GUARDED;
    char *zc_mem_error OVS_GUARDED;     /* Why the guest's memory cannot be
                                         * given to the VF, or NULL. */

    /* What each VF receive queue was last set up with: a zero-copy pool
     * (one of 'zc_pools', which then also gives it host buffers) and its
     * ring size, or NULL for 'vf_mp' alone.  A queue keeps its pool while
     * the guest comes and goes, so that zero copy starts and stops without
     * setting the queue up again. */
    struct vf_zc_rxpool **vfq_pools OVS_GUARDED;
    uint16_t *vfq_nb_rxd OVS_GUARDED;
    /* Zero-copy transmit: one pool per queue pair, created when it first
     * starts with zero copy allowed and kept for the life of the port
     * (vf-zc-txpool.h). */
    struct vf_zc_txpool **tx_pools OVS_GUARDED;
    enum vf_zc_tx_zc *tx_zc OVS_GUARDED;   /* Whether each queue pair lends,
                                            * as it last started. */
    struct vf_zc_txpool **tx_retired OVS_GUARDED;   /* Pools whose mbufs */
    size_t n_tx_retired OVS_GUARDED;                /* a stopped VF kept. */
    bool tx_driver_keeps OVS_GUARDED;   /* The VF's driver kept some even
                                         * when stopped: the port lends no
                                         * more until the VF is attached
                                         * again, so that a guest that
                                         * stops its rings over and over
                                         * costs no pool, and no VF
                                         * restart, each time. */
    struct vf_zc_rxpool **zc_old_pools OVS_GUARDED;  /* A pool that no
                                                      * longer suits but
                                                      * that its VF queue
                                                      * still has, until it
                                                      * is set up again. */

    /* Times the whole VF was stopped and started again while it ran, and
     * whether the reason was logged (once per port). */
    uint64_t vf_restarts OVS_GUARDED;
    bool vf_restart_logged OVS_GUARDED;

    /* The queue pairs' 'zc_events' when the status was last refreshed.
     * Main thread only, with 'vf_zc_mutex' held (netdev_vf_zc_run()). */
    uint64_t zc_events_seen OVS_GUARDED_BY(vf_zc_mutex);
    bool zc_dma_mapped OVS_GUARDED;     /* 'guest_mem' is DMA-mapped for the
                                         * VF's device. */
};

/* netdev-vf-zc.c. */
void vf_zc_stop_queue_pairs(struct netdev_vf_zc *dev, int first)
    OVS_REQUIRES(dev->mutex);
void vf_zc_disable_queue_pairs(struct netdev_vf_zc *dev, int first)
    OVS_REQUIRES(dev->mutex);
void vf_zc_stop_guest_relay(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex);

/* vf-zc-vf.c. */
char *vf_zc_vf_attach(const struct netdev_vf_zc *dev, const char *devargs,
                      uint16_t *port_idp)
    OVS_REQUIRES(vf_zc_mutex);
uint32_t vf_zc_frame_len(int mtu);
void vf_zc_count_restart(struct netdev_vf_zc *dev, const char *why)
    OVS_REQUIRES(dev->mutex);
char *vf_zc_vf_start(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex);
int vf_zc_setup_rxq(struct netdev_vf_zc *dev, int q, struct vf_zc_rxpool *pool,
                    uint16_t nb_rxd)
    OVS_REQUIRES(dev->mutex);
void vf_zc_stop_vf_relay(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex);
void vf_zc_start_vf_relay(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex);
void vf_zc_restart_vf(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex);
void vf_zc_steer_rss(struct netdev_vf_zc *dev, int n)
    OVS_REQUIRES(dev->mutex);
void vf_zc_vf_detach(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex);

/* vf-zc-zero-copy.c. */
char *vf_zc_dma_map(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex);
void vf_zc_dma_unmap(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex);
void vf_zc_reclaim_guest_buffers(struct netdev_vf_zc *dev, int first)
    OVS_REQUIRES(dev->mutex);
void vf_zc_reclaim_guest_tx(struct netdev_vf_zc *dev, int first)
    OVS_REQUIRES(dev->mutex);
void vf_zc_begin_zero_copy_tx(struct netdev_vf_zc *dev, int q)
    OVS_REQUIRES(dev->mutex);
void vf_zc_begin_zero_copy(struct netdev_vf_zc *dev, int first, int n_qps)
    OVS_REQUIRES(dev->mutex);
char *vf_zc_zc_status(const struct netdev_vf_zc *dev, int n_qps)
    OVS_REQUIRES(dev->mutex);
char *vf_zc_zc_tx_status(const struct netdev_vf_zc *dev, int n_qps)
    OVS_REQUIRES(dev->mutex);

/* vf-zc-vhost.c. */
char *vf_zc_vhost_register(const char *path, bool client)
    OVS_EXCLUDED(vf_zc_mutex);
void vf_zc_vhost_unregister(const char *path, bool client)
    OVS_EXCLUDED(vf_zc_mutex);
int vf_zc_guest_queue_pairs(const struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex);
bool vf_zc_qp_enabled(const struct netdev_vf_zc *dev, int q)
    OVS_REQUIRES(dev->mutex);

/* vf-zc-status.c. */
int vf_zc_get_status(struct netdev_vf_zc *dev, struct smap *)
    OVS_EXCLUDED(dev->mutex);
int vf_zc_get_stats(struct netdev_vf_zc *dev, struct netdev_stats *)
    OVS_EXCLUDED(dev->mutex);
int vf_zc_get_custom_stats(struct netdev_vf_zc *dev,
                           struct netdev_custom_stats *)
    OVS_EXCLUDED(dev->mutex);

/* vf-zc-unixctl.c. */
void vf_zc_unixctl_register(void);

#endif /* netdev-vf-zc-private.h */
