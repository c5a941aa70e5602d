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

/* rte_dev_dma_map() and rte_dev_dma_unmap(), to map guest memory for a VF
 * in IOVA-as-VA mode, are experimental in DPDK 22.11. */
#define ALLOW_EXPERIMENTAL_API 1

#include "netdev-vf-zc.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/vfs.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_memory.h>
#include <rte_mempool.h>
#include <rte_vhost.h>

#include "bitmap.h"
#include "coverage.h"
#include "dp-packet.h"
#include "dpdk.h"
#include "fatal-signal.h"
#include "netdev-dpdk.h"
#include "netdev-provider.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/vlog.h"
#include "ovs-atomic.h"
#include "ovs-thread.h"
#include "openvswitch/poll-loop.h"
#include "packets.h"
#include "smap.h"
#include "unixctl.h"
#include "util.h"
#include "vf-zc-guest-mem.h"
#include "vf-zc-mempool.h"
#include "vf-zc-options.h"
#include "vf-zc-relay.h"
#include "vf-zc-rxpool.h"

VLOG_DEFINE_THIS_MODULE(netdev_vf_zc);

COVERAGE_DEFINE(vf_zc_vf_restart);
COVERAGE_DEFINE(vf_zc_vf_queue_restart);

/* Threads and locks
 * =================
 *
 * Three kinds of threads touch a vf-zc port:
 *
 *   - The main thread runs every netdev_class function below except the
 *     rxq and send functions: construction, configuration, reconfiguration,
 *     status and statistics.
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
#define VF_ZC_MP_CACHE_SIZE 64

/* The virtio features a vf-zc port offers its guest.  vf-zc processes the
 * virtqueues itself, so this is exactly what its ring engine implements:
 * split rings only, no offloads yet (see vf_zc_vhost_set_features()).  The
 * link status (VIRTIO_NET_F_STATUS) is the VMM's to offer, as for
 * dpdkvhostuser ports: the vhost library's net device does not. */
#define VF_ZC_VIRTIO_FEATURES                   \
    ((1ULL << VIRTIO_NET_F_GUEST_CSUM)          \
     | (1ULL << VIRTIO_NET_F_MTU)               \
     | (1ULL << VIRTIO_NET_F_MRG_RXBUF)         \
     | (1ULL << VIRTIO_NET_F_CTRL_VQ)           \
     | (1ULL << VIRTIO_NET_F_MQ)                \
     | (1ULL << VIRTIO_F_ANY_LAYOUT)            \
     | (1ULL << VIRTIO_RING_F_INDIRECT_DESC)    \
     | (1ULL << VIRTIO_RING_F_EVENT_IDX)        \
     | (1ULL << VHOST_USER_F_PROTOCOL_FEATURES) \
     | (1ULL << VIRTIO_F_VERSION_1))

/* Headers a zero-copy pool has beyond the VF ring it fills: a burst being
 * relayed, and a burst a driver may take ahead. */
#define VF_ZC_ZC_POOL_SLACK (2 * NETDEV_MAX_BURST)

/* How often the main thread looks for changes of zero copy that the relay
 * made by itself, to refresh the ports' status (netdev_vf_zc_wait()). */
#define VF_ZC_STATUS_POLL_MS 500

/* The hugetlbfs magic number, from <linux/magic.h>. */
#define VF_ZC_HUGETLBFS_MAGIC 0x958458f6

/* Number of vrings a guest can have: an RX and a TX ring per queue pair. */
#define VF_ZC_MAX_VRINGS (2 * VF_ZC_MAX_QUEUE_PAIRS)

/* See "Threads and locks" above. */
static struct ovs_mutex vf_zc_mutex = OVS_MUTEX_INITIALIZER;

enum vf_zc_guest_state {
    VF_ZC_GUEST_DISCONNECTED,   /* No vhost-user connection. */
    VF_ZC_GUEST_CONNECTED,      /* Connected; the virtio device is not ready
                                 * (no rings yet, or the guest stopped it). */
    VF_ZC_GUEST_READY,          /* The guest's rings are set up. */
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
    unsigned long *started_qps OVS_GUARDED;     /* Queue pairs whose rings
                                                 * are started, one bit
                                                 * each. */
    int msg_vring OVS_GUARDED;          /* The vring of the vhost-user message
                                         * being handled that only changes
                                         * its notifications, or -1. */
    uint64_t guest_connections OVS_GUARDED;  /* Connections so far. */

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
     * Main thread. */
    uint64_t zc_events_seen OVS_GUARDED;
    bool zc_dma_mapped OVS_GUARDED;     /* 'guest_mem' is DMA-mapped for the
                                         * VF's device. */
};

struct netdev_rxq_vf_zc {
    struct netdev_rxq up;
};

static struct ovs_list vf_zc_ports OVS_GUARDED_BY(vf_zc_mutex)
    = OVS_LIST_INITIALIZER(&vf_zc_ports);

static const struct rte_vhost_device_ops vf_zc_vhost_ops;
static int netdev_vf_zc_construct(struct netdev *);

static bool
is_vf_zc_class(const struct netdev_class *class)
{
    return class->construct == netdev_vf_zc_construct;
}

static struct netdev_vf_zc *
netdev_vf_zc_cast(const struct netdev *netdev)
{
    ovs_assert(is_vf_zc_class(netdev_get_class(netdev)));
    return CONTAINER_OF(netdev, struct netdev_vf_zc, up);
}

static struct netdev_rxq_vf_zc *
netdev_rxq_vf_zc_cast(const struct netdev_rxq *rxq)
{
    return CONTAINER_OF(rxq, struct netdev_rxq_vf_zc, up);
}

/* The VF. */

/* Returns the DPDK port that 'devargs' names, if it is probed already. */
static uint16_t
vf_zc_find_port(const char *devargs)
{
    struct rte_dev_iterator iterator;
    uint16_t port_id;

    RTE_ETH_FOREACH_MATCHING_DEV (port_id, devargs, &iterator) {
        /* Leaving the loop early requires a cleanup. */
        rte_eth_iterator_cleanup(&iterator);
        return port_id;
    }
    return VF_ZC_PORT_ID_INVALID;
}

/* Returns true if some other user (a "dpdk" port, say) has started the
 * receive queues of 'port_id'.  Drivers that do not report queue state are
 * taken as unused. */
static bool
vf_zc_port_is_started_elsewhere(uint16_t port_id)
{
    struct rte_eth_rxq_info qinfo;

    return (!rte_eth_rx_queue_info_get(port_id, 0, &qinfo)
            && qinfo.queue_state == RTE_ETH_QUEUE_STATE_STARTED);
}

/* Finds or probes the VF that 'devargs' names and checks that no other port
 * uses it.  On success stores its port id in '*port_idp' and returns NULL;
 * otherwise returns a malloc'ed error message. */
static char *
vf_zc_vf_attach(const struct netdev_vf_zc *dev, const char *devargs,
                uint16_t *port_idp)
    OVS_REQUIRES(vf_zc_mutex)
{
    struct netdev_vf_zc *other;
    uint16_t port_id;

    port_id = vf_zc_find_port(devargs);
    if (port_id == VF_ZC_PORT_ID_INVALID) {
        int err = rte_dev_probe(devargs);

        if (err) {
            return xasprintf("could not probe VF \"%s\": %s", devargs,
                             rte_strerror(-err));
        }
        port_id = vf_zc_find_port(devargs);
        if (port_id == VF_ZC_PORT_ID_INVALID) {
            return xasprintf("VF \"%s\" was probed but is not an Ethernet "
                             "device", devargs);
        }
        VLOG_INFO("%s: probed VF \"%s\" as DPDK port %"PRIu16,
                  netdev_get_name(&dev->up), devargs, port_id);
    } else {
        LIST_FOR_EACH (other, list_node, &vf_zc_ports) {
            if (other != dev && other->port_id == port_id) {
                return xasprintf("VF \"%s\" (DPDK port %"PRIu16") is already "
                                 "used by vf-zc port %s", devargs, port_id,
                                 netdev_get_name(&other->up));
            }
        }
        if (vf_zc_port_is_started_elsewhere(port_id)) {
            return xasprintf("VF \"%s\" (DPDK port %"PRIu16") is already "
                             "used by another port", devargs, port_id);
        }
    }

    *port_idp = port_id;
    return NULL;
}

static void vf_zc_reclaim_guest_buffers(struct netdev_vf_zc *, int first);
static void vf_zc_count_restart(struct netdev_vf_zc *, const char *);
static void vf_zc_dma_unmap(struct netdev_vf_zc *);
static void vf_zc_start_vf_relay(struct netdev_vf_zc *);

/* Stops queue pairs 'first' and up: their use of the guest's rings, and
 * their VF queues' use of the guest's buffers.  Queue pairs below 'first'
 * go on, so that a guest stopping one of its queue pairs disturbs no other
 * (the started ones are always the first ones: see 'n_guest_qps').  With
 * 'first' 0, afterward the guest's memory may go away. */
static void
vf_zc_stop_queue_pairs(struct netdev_vf_zc *dev, int first)
    OVS_REQUIRES(dev->mutex)
{
    int n_active, n_guest;

    atomic_read_relaxed(&dev->n_active_qps, &n_active);
    atomic_read_relaxed(&dev->n_guest_qps, &n_guest);
    atomic_store_relaxed(&dev->n_active_qps, MIN(n_active, first));
    atomic_store_relaxed(&dev->n_guest_qps, MIN(n_guest, first));
    for (int i = first; i < VF_ZC_MAX_QUEUE_PAIRS; i++) {
        vf_zc_qp_set_redirect(&dev->qps[i], NULL);
        vf_zc_qp_pause(&dev->qps[i]);
    }
    /* The buffers the VF holds go back to the rings before the rings say
     * where they stopped. */
    vf_zc_reclaim_guest_buffers(dev, first);
    if (!first) {
        vf_zc_dma_unmap(dev);
    }
    for (int i = first; i < VF_ZC_MAX_QUEUE_PAIRS; i++) {
        /* No pool to switch to either: the VF's may go with it. */
        vf_zc_qp_set_zc(&dev->qps[i], NULL, false,
                        VF_ZC_FALLBACK_FEW_BUFFERS, 0);
        vf_zc_qp_stop(&dev->qps[i]);
        bitmap_set0(dev->started_qps, i);
    }
}

/* Stops every queue pair's use of the guest's rings, and the VF's use of the
 * guest's buffers.  Afterward the guest's memory may go away. */
static void
vf_zc_stop_guest_relay(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    vf_zc_stop_queue_pairs(dev, 0);
}

/* Stops every queue pair's use of the VF.  Afterward the VF may be stopped,
 * reconfigured or closed. */
static void
vf_zc_stop_vf_relay(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    for (int i = 0; i < VF_ZC_MAX_QUEUE_PAIRS; i++) {
        vf_zc_qp_set_vf(&dev->qps[i], dev->port_id, 0, false, false, NULL,
                        true);
    }
}

/* Stops the VF and frees its queues, mempool and device, so that the same
 * devargs can be probed again, by this port or another. */
static void
vf_zc_vf_detach(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    struct rte_eth_dev_info info;
    uint16_t port_id = dev->port_id;
    int err;

    if (port_id == VF_ZC_PORT_ID_INVALID) {
        return;
    }
    /* The VF may hold guest buffers: give them back first.  The guest's
     * relay restarts at the next reconfiguration. */
    vf_zc_stop_guest_relay(dev);
    vf_zc_stop_vf_relay(dev);

    if (dev->vf_started) {
        rte_eth_dev_stop(port_id);
        dev->vf_started = false;
    }

    err = rte_eth_dev_info_get(port_id, &info);
    rte_eth_dev_close(port_id);
    if (!err && info.device) {
        err = rte_dev_remove(info.device);
        if (err) {
            VLOG_WARN("%s: could not remove DPDK port %"PRIu16": %s",
                      netdev_get_name(&dev->up), port_id,
                      rte_strerror(-err));
        }
    }

    /* Closing the port released every buffer its queues held, but the
     * pipeline may still hold some of the copy path's. */
    vf_zc_mempool_retire(dev->vf_mp);
    dev->vf_mp = NULL;
    for (int q = 0; q < VF_ZC_MAX_QUEUE_PAIRS; q++) {
        vf_zc_rxpool_destroy(dev->zc_pools[q]);
        vf_zc_rxpool_destroy(dev->zc_old_pools[q]);
        dev->zc_pools[q] = dev->zc_old_pools[q] = NULL;
        dev->vfq_pools[q] = NULL;
    }

    dev->vf_n_rxq = dev->vf_n_txq = 0;
    dev->hwaddr = eth_addr_zero;
    VLOG_INFO("%s: detached DPDK port %"PRIu16,
              netdev_get_name(&dev->up), port_id);
}

/* rte_mempool_obj_iter() callback: marks each mbuf of a VF mempool as a
 * DPDK-backed dp_packet, so that a packet received on the VF can enter the
 * datapath without a copy. */

static uint32_t
vf_zc_frame_len(int mtu)
{
    return mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN + 2 * VLAN_HEADER_LEN;
}

/* Creates the mempool that backs the VF's receive queues in copy mode. */
static struct rte_mempool *
vf_zc_vf_mempool_create(struct netdev_vf_zc *dev, int n_rxq, int n_txq,
                        uint16_t nb_rxd, uint16_t nb_txd, int socket_id)
    OVS_REQUIRES(dev->mutex)
{
    uint32_t data_room = RTE_PKTMBUF_HEADROOM
                         + MAX(RTE_MBUF_DEFAULT_DATAROOM,
                               ROUND_UP(vf_zc_frame_len(dev->mtu), 1024));
    unsigned int n_mbufs = (n_rxq * nb_rxd + n_txq * nb_txd
                            + n_rxq * 4 * NETDEV_MAX_BURST
                            + RTE_MAX_LCORE * VF_ZC_MP_CACHE_SIZE);
    char name[RTE_MEMPOOL_NAMESIZE];

    snprintf(name, sizeof name, "vfzc_%"PRIu16"_%u",
             dev->port_id, dev->vf_mp_generation++);
    return vf_zc_mempool_create(name, n_mbufs, VF_ZC_MP_CACHE_SIZE,
                                data_room, socket_id);
}

/* Counts a stop and start of the whole VF, while it runs, for 'why'
 * (a phrase that follows "restarted"), and logs the first one of the port:
 * every queue of the VF pauses meanwhile. */
static void
vf_zc_count_restart(struct netdev_vf_zc *dev, const char *why)
    OVS_REQUIRES(dev->mutex)
{
    dev->vf_restarts++;
    COVERAGE_INC(vf_zc_vf_restart);
    if (!dev->vf_restart_logged) {
        dev->vf_restart_logged = true;
        VLOG_INFO("%s: DPDK port %"PRIu16" restarted %s (logged once per "
                  "port; status key vf-restarts counts them)",
                  netdev_get_name(&dev->up), dev->port_id, why);
    }
}

/* (Re)configures and starts the VF with the port's queue count and MTU.
 * Returns NULL on success, otherwise a malloc'ed message; the VF is then
 * left stopped. */
static char *
vf_zc_vf_start(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    uint16_t port_id = dev->port_id;
    uint16_t nb_rxd = VF_ZC_VF_RING_SIZE;
    uint16_t nb_txd = VF_ZC_VF_RING_SIZE;
    struct rte_mempool *old_mp = dev->vf_mp;
    struct rte_eth_conf conf;
    struct rte_eth_dev_info info;
    struct rte_ether_addr mac;
    int socket_id, n_q, err;

    vf_zc_stop_vf_relay(dev);
    if (dev->vf_started) {
        vf_zc_count_restart(dev, "to apply a new MTU or number of queues");
        rte_eth_dev_stop(port_id);
        dev->vf_started = false;
    }

    err = rte_eth_dev_info_get(port_id, &info);
    if (err) {
        return xasprintf("could not query DPDK port %"PRIu16": %s",
                         port_id, rte_strerror(-err));
    }

    /* A queue pair is one VF RX queue and one VF TX queue; some drivers
     * (net_tap) insist on as many of one as of the other. */
    n_q = MIN(dev->opts.n_rxq, MIN(info.max_rx_queues, info.max_tx_queues));
    if (n_q < 1) {
        return xasprintf("DPDK port %"PRIu16" (%s) has no queues",
                         port_id, info.driver_name);
    }

    memset(&conf, 0, sizeof conf);
    if (n_q > 1) {
        conf.rx_adv_conf.rss_conf.rss_hf = ((RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP
                                             | RTE_ETH_RSS_UDP)
                                            & info.flow_type_rss_offloads);
        if (conf.rx_adv_conf.rss_conf.rss_hf) {
            conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        }
    }
    conf.rxmode.mtu = dev->mtu;
    err = rte_eth_dev_configure(port_id, n_q, n_q, &conf);
    if (err) {
        return xasprintf("could not configure DPDK port %"PRIu16" (%s) with "
                         "%d queue pairs and MTU %d: %s", port_id,
                         info.driver_name, n_q, dev->mtu, rte_strerror(-err));
    }

    err = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rxd, &nb_txd);
    if (err) {
        return xasprintf("DPDK port %"PRIu16" refused its ring sizes: %s",
                         port_id, rte_strerror(-err));
    }

    socket_id = rte_eth_dev_socket_id(port_id);
    if (socket_id < 0) {
        socket_id = SOCKET_ID_ANY;
    }
    dev->vf_mp = vf_zc_vf_mempool_create(dev, n_q, n_q, nb_rxd, nb_txd,
                                         socket_id);
    if (!dev->vf_mp) {
        dev->vf_mp = old_mp;
        return xasprintf("could not allocate the VF's buffers: %s (are "
                         "enough hugepages free?)", rte_strerror(rte_errno));
    }
    /* The old pool goes once the queues set up again below, and whatever
     * else holds its mbufs, have given them back; also if a setup fails. */
    vf_zc_mempool_retire(old_mp);

    for (int i = 0; i < VF_ZC_MAX_QUEUE_PAIRS; i++) {
        dev->vfq_pools[i] = NULL;
    }
    for (int i = 0; i < n_q; i++) {
        err = rte_eth_rx_queue_setup(port_id, i, nb_rxd, socket_id, NULL,
                                     dev->vf_mp);
        if (err) {
            return xasprintf("could not set up RX queue %d of DPDK port "
                             "%"PRIu16": %s", i, port_id, rte_strerror(-err));
        }
        err = rte_eth_tx_queue_setup(port_id, i, nb_txd, socket_id, NULL);
        if (err) {
            return xasprintf("could not set up TX queue %d of DPDK port "
                             "%"PRIu16": %s", i, port_id, rte_strerror(-err));
        }
    }

    for (int i = 0; i < VF_ZC_MAX_QUEUE_PAIRS; i++) {
        /* No queue has them any more. */
        vf_zc_rxpool_destroy(dev->zc_old_pools[i]);
        dev->zc_old_pools[i] = NULL;
    }

    err = rte_eth_dev_start(port_id);
    if (err) {
        return xasprintf("could not start DPDK port %"PRIu16": %s",
                         port_id, rte_strerror(-err));
    }
    dev->vf_started = true;
    dev->vf_n_rxq = dev->vf_n_txq = n_q;
    dev->vf_rss_queues = 0;     /* Started with the driver's table. */
    dev->vf_requested_n_rxq = dev->opts.n_rxq;
    dev->vf_mtu = dev->mtu;
    dev->vf_nb_rxd = nb_rxd;
    dev->vf_socket_id = socket_id;

    /* Everything the NIC delivers to the VF is meant for the guest, whose
     * MAC address the VF need not know.  Best effort: a VF that is not
     * trusted may refuse. */
    if (rte_eth_promiscuous_enable(port_id)) {
        VLOG_DBG("%s: DPDK port %"PRIu16" stays non-promiscuous",
                 netdev_get_name(&dev->up), port_id);
    }

    if (!rte_eth_macaddr_get(port_id, &mac)) {
        memcpy(dev->hwaddr.ea, mac.addr_bytes, ETH_ADDR_LEN);
    }
    return NULL;
}

/* Zero-copy receive.
 *
 * A VF queue whose queue pair relays with the guest takes its receive
 * buffers from a zero-copy pool (vf-zc-rxpool.h) when zero copy is allowed
 * and the guest's buffers suit it, and keeps that pool from then on: the
 * pool hands out the guest's buffers while zero copy is on, and the copy
 * path's ('vf_mp') otherwise, so that the relay switches between the two
 * in place, by itself (vf-zc-relay.h).  Setting a queue up with its pool the
 * first time, or again for a guest ring of another size, needs the VF
 * stopped on most drivers: both directions pause for a moment.
 *
 * Only taking the guest's buffers back from the VF, before the guest's
 * rings stop or its memory changes (invariant 1 in the design), may need
 * more: nothing if the VF holds none (drivers that take buffers only as
 * they receive), a stop and start of that one queue where the driver can
 * (and releases the buffers of a stopped queue), and otherwise a stop and
 * start of the whole VF, with the queue set up again, which releases them:
 * vf_zc_reclaim_guest_buffers(). */

/* Frame size that each guest buffer must hold after the virtio-net header
 * for zero copy: a whole frame of the VF's MTU, with one VLAN tag, since the
 * VF queue has no scatter (see vf-zc-rxpool.h); the VF strips the CRC. */
static uint32_t
vf_zc_zc_frame_len(int mtu)
{
    return mtu + RTE_ETHER_HDR_LEN + VLAN_HEADER_LEN;
}

/* Returns why the port's queue pairs cannot receive in place, judging by its
 * options and the guest's features and memory, or -1 if they may. */
static int
vf_zc_zc_refusal(const struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    if (!dev->opts.zero_copy) {
        return VF_ZC_FALLBACK_DISABLED;
    } else if (!dev->opts.bypass) {
        /* Packets from the VF go to the pipeline, which may drop them or
         * send them elsewhere: none may land in guest-visible memory first
         * (invariant 10 in the design), so the VF receives into host
         * buffers. */
        return VF_ZC_FALLBACK_BYPASS_OFF;
    } else if (dev->guest_features & (UINT64_C(1) << VHOST_F_LOG_ALL)) {
        /* vf-zc does not offer LOG_ALL yet, so this does not happen; if it
         * did, the copy path would be the one to log its writes. */
        return VF_ZC_FALLBACK_DIRTY_LOG;
    } else if (dev->zc_mem_error) {
        return VF_ZC_FALLBACK_TRANSLATION;
    }
    return -1;
}

/* Returns the zero-copy pool of VF queue 'q', for a VF ring of 'nb_rxd'
 * descriptors, creating it if needed, or NULL.  A pool that does not suit
 * goes, or waits in 'zc_old_pools' while the queue still has it. */
static struct vf_zc_rxpool *
vf_zc_zc_pool(struct netdev_vf_zc *dev, int q, uint16_t nb_rxd)
    OVS_REQUIRES(dev->mutex)
{
    uint32_t data_size = vf_zc_zc_frame_len(dev->vf_mtu);
    uint32_t n = nb_rxd + VF_ZC_ZC_POOL_SLACK;
    struct vf_zc_rxpool *pool = dev->zc_pools[q];

    if (pool && (pool->data_size != data_size || pool->n_hdrs < n)) {
        if (dev->vfq_pools[q] == pool) {
            /* An older one no queue has. */
            vf_zc_rxpool_destroy(dev->zc_old_pools[q]);
            dev->zc_old_pools[q] = pool;
        } else {
            vf_zc_rxpool_destroy(pool);
        }
        pool = dev->zc_pools[q] = NULL;
    }
    if (!pool) {
        char name[RTE_MEMPOOL_NAMESIZE];

        snprintf(name, sizeof name, "vfzc_g%"PRIu16"_%d_%u", dev->port_id, q,
                 dev->vf_mp_generation++);
        pool = vf_zc_rxpool_create(name, n, data_size, dev->vf_socket_id);
        if (!pool) {
            VLOG_WARN("%s: could not create zero-copy pool for VF queue %d: "
                      "%s", netdev_get_name(&dev->up), q,
                      rte_strerror(rte_errno));
        }
        dev->zc_pools[q] = pool;
    }
    return pool;
}

/* Number of descriptors a zero-copy VF queue gets from a guest ring of
 * 'ring_size': half of it, so that the pipeline's packets to the guest
 * still find buffers. */
static uint16_t
vf_zc_zc_nb_rxd(const struct netdev_vf_zc *dev, uint16_t ring_size)
    OVS_REQUIRES(dev->mutex)
{
    uint16_t nb_rxd = MAX(1, MIN(VF_ZC_VF_RING_SIZE, ring_size / 2));

    rte_eth_dev_adjust_nb_rx_tx_desc(dev->port_id, &nb_rxd, NULL);
    return nb_rxd;
}

/* Sets up VF queue 'q' again with 'pool' (its zero-copy pool) and 'nb_rxd'
 * descriptors, or with the copy path's buffers alone if 'pool' is null; its
 * driver releases the buffers it held.  The VF must be stopped. */
static int
vf_zc_setup_rxq(struct netdev_vf_zc *dev, int q, struct vf_zc_rxpool *pool,
                uint16_t nb_rxd)
    OVS_REQUIRES(dev->mutex)
{
    int err;

    err = rte_eth_rx_queue_setup(dev->port_id, q,
                                 pool ? nb_rxd : dev->vf_nb_rxd,
                                 dev->vf_socket_id, NULL,
                                 pool ? pool->mp : dev->vf_mp);
    if (err) {
        VLOG_ERR("%s: could not set up RX queue %d of DPDK port %"PRIu16
                 "%s: %s", netdev_get_name(&dev->up), q, dev->port_id,
                 pool ? " with the guest's buffers" : " for copying",
                 rte_strerror(-err));
        pool = NULL;
    }
    dev->vfq_pools[q] = pool;
    dev->vfq_nb_rxd[q] = pool ? nb_rxd : 0;
    if (!err && dev->zc_old_pools[q] && dev->zc_old_pools[q] != pool) {
        /* The queue released the old pool's buffers. */
        vf_zc_rxpool_destroy(dev->zc_old_pools[q]);
        dev->zc_old_pools[q] = NULL;
    }
    return err;
}

/* Starts the VF again after a switch, and the relay's use of it. */
static void
vf_zc_restart_vf(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    int err = rte_eth_dev_start(dev->port_id);

    if (err) {
        free(dev->vf_error);
        dev->vf_error = xasprintf("could not start DPDK port %"PRIu16": %s",
                                  dev->port_id, rte_strerror(-err));
        VLOG_ERR("%s: %s", netdev_get_name(&dev->up), dev->vf_error);
    } else {
        dev->vf_started = true;
    }
    vf_zc_start_vf_relay(dev);
}

/* Takes back from the VF every guest buffer that its queues hold, and gives
 * them to the guest unused; afterward no VF queue takes guest buffers until
 * vf_zc_begin_zero_copy().  Each queue keeps its pool, which hands out host
 * buffers meanwhile.  The queue pairs must be paused (vf_zc_qp_pause()); the
 * guest's memory must still be mapped. */
static void
vf_zc_reclaim_guest_buffers(struct netdev_vf_zc *dev, int first)
    OVS_REQUIRES(dev->mutex)
{
    bool setup[VF_ZC_MAX_QUEUE_PAIRS];
    bool any = false;

    for (int q = 0; q < dev->vf_n_rxq; q++) {
        setup[q] = false;
    }
    for (int q = first; q < dev->vf_n_rxq; q++) {
        struct vf_zc_qp *qp = &dev->qps[q];
        struct vf_zc_rxpool *pool = dev->vfq_pools[q];

        if (!pool || !pool->vq) {
            continue;
        }
        /* No more guest buffers: those in the pool go back now. */
        vf_zc_qp_set_zc(qp, pool, false, VF_ZC_FALLBACK_FEW_BUFFERS, 0);
        if (vf_zc_rxpool_held(pool)
            && !rte_eth_dev_rx_queue_stop(dev->port_id, q)) {
            /* The driver released the queue's buffers, if it is like most
             * of those that can stop one queue. */
            if (rte_eth_dev_rx_queue_start(dev->port_id, q)) {
                VLOG_ERR("%s: could not restart VF queue %d",
                         netdev_get_name(&dev->up), q);
            }
            vf_zc_qp_count_vf_queue_restart(qp);
            COVERAGE_INC(vf_zc_vf_queue_restart);
        }
        if (vf_zc_rxpool_held(pool)) {
            setup[q] = any = true;
        }
    }

    if (any) {
        /* The VF stops writing into guest memory before its queues are
         * set up again (invariant 1 in the design). */
        vf_zc_count_restart(dev, "to take the guest's buffers back from a "
                            "queue that its driver cannot stop alone");
        vf_zc_stop_vf_relay(dev);
        for (int q = 0; q < first; q++) {
            /* Their pools serve the driver while the VF stops and starts:
             * nobody else may use them meanwhile. */
            vf_zc_qp_pause(&dev->qps[q]);
        }
        if (dev->vf_started) {
            rte_eth_dev_stop(dev->port_id);
            dev->vf_started = false;
        }
        for (int q = 0; q < dev->vf_n_rxq; q++) {
            if (setup[q]) {
                vf_zc_setup_rxq(dev, q, dev->vfq_pools[q],
                                dev->vfq_nb_rxd[q]);
                vf_zc_qp_count_vf_queue_restart(&dev->qps[q]);
            }
        }
        vf_zc_restart_vf(dev);
        for (int q = 0; q < first; q++) {
            vf_zc_qp_resume(&dev->qps[q]);
        }
    }

    for (int q = first; q < dev->vf_n_rxq; q++) {
        struct vf_zc_rxpool *pool = dev->qps[q].zc_pool;

        if (pool && pool->vq) {
            vf_zc_qp_set_zc(&dev->qps[q], NULL, false,
                            VF_ZC_FALLBACK_FEW_BUFFERS, 0);
            vf_zc_rxpool_detach(pool);
            if (pool->lost) {
                VLOG_ERR("%s: VF queue %d kept %"PRIu64" guest buffers "
                         "after it was released", netdev_get_name(&dev->up),
                         q, pool->lost);
            }
        }
    }
}

/* Makes the guest's memory reachable by the VF's device.  A software device
 * (on the vdev bus: net_tap, net_null, net_pcap...) works on virtual
 * addresses and needs nothing.  A PCI device in IOVA-as-VA mode needs the
 * memory mapped for its DMA; in IOVA-as-PA mode, the physical address of each
 * page, which must be hugepage-backed so that it stays put.  Returns NULL on
 * success, otherwise a malloc'ed message: the port then copies. */
static char *
vf_zc_dma_map(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    struct rte_vhost_memory *vmem;
    struct rte_eth_dev_info info;
    const char *bus;
    char *error = NULL;

    if (rte_eth_dev_info_get(dev->port_id, &info) || !info.device) {
        return xstrdup("the VF's device is unknown");
    }
    bus = rte_bus_name(rte_dev_bus(info.device));
    if (strcmp(bus, "pci")) {
        return NULL;
    }
    if (rte_vhost_get_mem_table(dev->vid, &vmem)) {
        return xstrdup("could not read the guest's memory table");
    }

    /* 'guest_mem' was built from the same table, region for region, under
     * the same mutex; a table that changed since is refused, not indexed. */
    if (vmem->nregions != dev->guest_mem.n_regions) {
        free(vmem);
        return xstrdup("the guest's memory table changed");
    }
    for (uint32_t i = 0; i < vmem->nregions && !error; i++) {
        const struct rte_vhost_mem_region *r = &vmem->regions[i];
        struct statfs fs;
        uint64_t pg;

        if (fstatfs(r->fd, &fs) || fs.f_type != VF_ZC_HUGETLBFS_MAGIC) {
            error = xasprintf("guest memory region %"PRIu32" is not "
                              "hugepage-backed, so it cannot be pinned", i);
            break;
        }
        pg = fs.f_bsize;

        if (rte_eal_iova_mode() == RTE_IOVA_VA) {
            int err = rte_extmem_register(r->mmap_addr, r->mmap_size, NULL,
                                          0, pg);
            if (err && rte_errno != EEXIST) {
                error = xasprintf("could not register guest memory region "
                                  "%"PRIu32": %s", i, rte_strerror(rte_errno));
            } else if (rte_dev_dma_map(info.device, r->mmap_addr,
                                       (uintptr_t) r->mmap_addr,
                                       r->mmap_size)) {
                error = xasprintf("could not map guest memory region "
                                  "%"PRIu32" for DMA by the VF: %s", i,
                                  rte_strerror(rte_errno));
                rte_extmem_unregister(r->mmap_addr, r->mmap_size);
            } else {
                dev->zc_dma_mapped = true;
            }
        } else {
            const struct vf_zc_guest_region *gr = &dev->guest_mem.regions[i];
            size_t n = vf_zc_guest_region_n_pages(gr, pg);
            uint64_t *pages = xmalloc(n * sizeof *pages);
            uintptr_t first = (uintptr_t) gr->hva & ~(pg - 1);

            for (size_t p = 0; p < n && !error; p++) {
                pages[p] = rte_mem_virt2phy((void *) (first + p * pg));
                if (pages[p] == RTE_BAD_PHYS_ADDR) {
                    error = xasprintf("no physical address for guest memory "
                                      "region %"PRIu32, i);
                }
            }
            if (error) {
                free(pages);
            } else {
                vf_zc_guest_mem_set_pages(&dev->guest_mem, i, pg, pages);
            }
        }
    }
    free(vmem);
    return error;
}

/* Undoes vf_zc_dma_map() after the VF gave the guest's buffers back. */
static void
vf_zc_dma_unmap(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    struct rte_vhost_memory *vmem;
    struct rte_eth_dev_info info;

    if (!dev->zc_dma_mapped) {
        return;
    }
    dev->zc_dma_mapped = false;
    if (rte_eth_dev_info_get(dev->port_id, &info) || !info.device
        || rte_vhost_get_mem_table(dev->vid, &vmem)) {
        return;
    }
    /* The table is still the one mapped: its changes are handled after the
     * relay, and this, stopped. */
    for (uint32_t i = 0; i < vmem->nregions; i++) {
        const struct rte_vhost_mem_region *r = &vmem->regions[i];

        rte_dev_dma_unmap(info.device, r->mmap_addr,
                          (uintptr_t) r->mmap_addr, r->mmap_size);
        rte_extmem_unregister(r->mmap_addr, r->mmap_size);
    }
    free(vmem);
}

/* Gives each VF queue from 'first' to 'n_qps' - 1, whose queue pair has just
 * started to relay with the guest, the guest's buffers, where zero copy is
 * allowed and they suit it, and records why not elsewhere.
 *
 * A queue that may come to take the guest's buffers gets its pool now,
 * while the guest, which has just started its rings, has no traffic yet:
 * the pool hands out guest buffers or host ones (see vf-zc-rxpool.h), so
 * that the relay switches it between zero copy and copy later by itself, in
 * place, without stopping anything.  Only a queue that does not have its
 * pool yet (the guest's first start, or a ring of another size) is set up
 * again, which stops the VF for a moment.  The queue pairs' rings must be
 * started. */
static void
vf_zc_begin_zero_copy(struct netdev_vf_zc *dev, int first, int n_qps)
    OVS_REQUIRES(dev->mutex)
{
    enum vf_zc_fallback why[VF_ZC_MAX_QUEUE_PAIRS];
    struct vf_zc_rxpool *pools[VF_ZC_MAX_QUEUE_PAIRS];
    uint16_t nb_rxd[VF_ZC_MAX_QUEUE_PAIRS];
    bool active[VF_ZC_MAX_QUEUE_PAIRS];
    bool setup[VF_ZC_MAX_QUEUE_PAIRS];
    int refusal = vf_zc_zc_refusal(dev);
    bool any = false;

    ovs_assert(first >= 0 && first < n_qps);
    for (int q = first; q < n_qps; q++) {
        struct vf_zc_qp *qp = &dev->qps[q];
        bool has_pool;

        nb_rxd[q] = vf_zc_zc_nb_rxd(dev, qp->rxq.size);
        pools[q] = refusal < 0 ? vf_zc_zc_pool(dev, q, nb_rxd[q]) : NULL;
        why[q] = refusal >= 0 ? refusal : VF_ZC_FALLBACK_VF;
        active[q] = (pools[q]
                     && vf_zc_qp_peek(qp, pools[q], &why[q]) >= nb_rxd[q]);
        if (!active[q] && why[q] != VF_ZC_FALLBACK_FEW_BUFFERS
            && why[q] != VF_ZC_FALLBACK_BUFFER_TOO_SMALL) {
            /* Nothing the guest does changes this: no pool. */
            pools[q] = NULL;
        }
        has_pool = (pools[q] && dev->vfq_pools[q] == pools[q]
                    && dev->vfq_nb_rxd[q] == nb_rxd[q]);
        setup[q] = pools[q] && !has_pool;
        any = any || setup[q];
        if (pools[q]) {
            vf_zc_rxpool_set_host_mp(pools[q], dev->vf_mp);
        }
        if (!setup[q]) {
            vf_zc_qp_set_zc(qp, pools[q], active[q], why[q], nb_rxd[q]);
        }
    }
    if (!any) {
        return;
    }

    vf_zc_count_restart(dev, "to give its queues the guest's buffers");
    vf_zc_stop_vf_relay(dev);
    for (int q = 0; q < n_qps; q++) {
        vf_zc_qp_pause(&dev->qps[q]);
    }
    rte_eth_dev_stop(dev->port_id);
    dev->vf_started = false;
    for (int q = first; q < n_qps; q++) {
        if (!setup[q]) {
            continue;
        }
        /* The driver takes buffers from the pool as the queue is set up, or
         * started, or as it receives: the pool must know its ring and mode
         * first. */
        vf_zc_qp_set_zc(&dev->qps[q], pools[q], active[q], why[q],
                        nb_rxd[q]);
        if (vf_zc_setup_rxq(dev, q, pools[q], nb_rxd[q])) {
            vf_zc_qp_set_zc(&dev->qps[q], NULL, false, VF_ZC_FALLBACK_VF, 0);
            vf_zc_rxpool_detach(pools[q]);
            vf_zc_setup_rxq(dev, q, NULL, 0);
        } else {
            /* In zero copy, the queue took guest buffers only. */
            vf_zc_qp_settle_zc(&dev->qps[q]);
        }
        vf_zc_qp_count_vf_queue_restart(&dev->qps[q]);
    }
    vf_zc_restart_vf(dev);
    if (!dev->vf_started) {
        /* Perhaps the driver could not fill its ring at start: copy. */
        vf_zc_reclaim_guest_buffers(dev, 0);
    }
    for (int q = 0; q < n_qps; q++) {
        vf_zc_qp_resume(&dev->qps[q]);
    }
}

/* Describes zero copy for the port's status: "active", or "inactive (why)",
 * or how many queue pairs have it. */
static char *
vf_zc_zc_status(const struct netdev_vf_zc *dev, int n_qps)
    OVS_REQUIRES(dev->mutex)
    OVS_NO_THREAD_SAFETY_ANALYSIS
{
    int n_active = 0, first_inactive = -1;
    char *reason, *status;

    for (int q = 0; q < n_qps; q++) {
        bool settled;

        if (vf_zc_qp_zero_copy(&dev->qps[q], &settled) && settled) {
            n_active++;
        } else if (first_inactive < 0) {
            first_inactive = q;
        }
    }

    if (!n_qps) {
        int refusal = vf_zc_zc_refusal(dev);

        return xasprintf("inactive (%s)", refusal >= 0
                         ? vf_zc_fallback_reason(refusal)
                         : "no guest to receive into");
    } else if (n_active == n_qps) {
        return xstrdup("active");
    }

    /* Zero copy is on, but the VF may hold host buffers still: it is
     * "active" once a packet has come in a guest buffer, so that every
     * packet from then on is delivered in place. */
    if (dev->qps[first_inactive].zc) {
        reason = xstrdup("switching: waiting for a packet in a guest "
                         "buffer");
    } else {
        enum vf_zc_fallback why = dev->qps[first_inactive].zc_fallback;
        bool detail = why == VF_ZC_FALLBACK_TRANSLATION && dev->zc_mem_error;

        reason = xasprintf("%s%s%s", vf_zc_fallback_reason(why),
                           detail ? ": " : "",
                           detail ? dev->zc_mem_error : "");
    }
    status = (!n_active
              ? xasprintf("inactive (%s)", reason)
              : xasprintf("active on %d of %d queue pairs (queue pair %d: "
                          "%s)", n_active, n_qps, first_inactive, reason));
    free(reason);
    return status;
}

/* The vhost-user socket. */

/* Registers and starts the vhost-user socket at 'path'.  Returns NULL on
 * success, otherwise a malloc'ed message; nothing is left registered then.
 *
 * Called with no lock held: the vhost callbacks may start running as soon as
 * the socket is started. */
/* Offers exactly VF_ZC_VIRTIO_FEATURES on vhost-user socket 'path'.
 *
 * The library's own feature set is narrowed rather than replaced: a socket
 * whose application sets the feature set is no longer the library's
 * built-in net device, and then the library declares the device ready only
 * once every vring the guest set up is enabled.  A Linux guest with fewer
 * vCPUs than queue pairs sets up all of them and enables as many as it has
 * vCPUs, and would never be relayed.  As the built-in net device, the
 * device is ready as soon as its first queue pair is, as for dpdkvhostuser
 * ports; vf-zc follows the others as the guest enables them.  vf-zc still
 * processes every ring itself.  Returns 0 or -1. */
static int
vf_zc_vhost_set_features(const char *path)
{
    uint64_t features;

    if (rte_vhost_driver_disable_features(path, ~VF_ZC_VIRTIO_FEATURES)
        || rte_vhost_driver_get_features(path, &features)) {
        return -1;
    }
    if (features != VF_ZC_VIRTIO_FEATURES
        && rte_vhost_driver_enable_features(path, (VF_ZC_VIRTIO_FEATURES
                                                   & ~features))) {
        /* The library lacks some of them for its built-in device. */
        VLOG_WARN("%s: the vhost library's net device lacks virtio features "
                  "%#"PRIx64"; a guest is relayed only once it has enabled "
                  "every queue pair it set up", path,
                  (uint64_t) (VF_ZC_VIRTIO_FEATURES & ~features));
        return rte_vhost_driver_set_features(path, VF_ZC_VIRTIO_FEATURES);
    }
    return 0;
}

static char *
vf_zc_vhost_register(const char *path, bool client)
    OVS_EXCLUDED(vf_zc_mutex)
{
    uint64_t flags = client ? RTE_VHOST_USER_CLIENT : 0;
    const char *what;

    if (rte_vhost_driver_register(path, flags)) {
        return xasprintf("could not create vhost-user %s socket %s (is the "
                         "path already used by another port?)",
                         client ? "client" : "server", path);
    }
    if (rte_vhost_driver_callback_register(path, &vf_zc_vhost_ops)) {
        what = "register callbacks for";
        goto error;
    }
    if (vf_zc_vhost_set_features(path)) {
        what = "set the virtio features of";
        goto error;
    }
    if (rte_vhost_driver_start(path)) {
        what = client ? "start" : "listen on";
        goto error;
    }
    if (!client) {
        fatal_signal_add_file_to_unlink(path);
    }
    return NULL;

error:
    rte_vhost_driver_unregister(path);
    return xasprintf("could not %s vhost-user socket %s%s", what, path,
                     client ? "" : " (a file is there already, or its "
                     "directory is missing or not writable)");
}

static void
vf_zc_vhost_unregister(const char *path, bool client)
    OVS_EXCLUDED(vf_zc_mutex)
{
    if (rte_vhost_driver_unregister(path)) {
        VLOG_WARN("could not unregister vhost-user socket %s", path);
    }
    if (!client) {
        fatal_signal_remove_file_to_unlink(path);
        unlink(path);
    }
}

/* vhost-user callbacks.  They run in DPDK's vhost-events thread. */

static struct netdev_vf_zc *
vf_zc_lookup_by_vid(int vid)
    OVS_REQUIRES(vf_zc_mutex)
{
    char path[PATH_MAX];
    struct netdev_vf_zc *dev;

    if (rte_vhost_get_ifname(vid, path, sizeof path)) {
        return NULL;
    }
    LIST_FOR_EACH (dev, list_node, &vf_zc_ports) {
        if (dev->vhost_path && !strcmp(dev->vhost_path, path)) {
            return dev;
        }
    }
    return NULL;
}

/* Returns the port of 'vid', for a vhost callback about 'event', or NULL,
 * logged, if the socket is no vf-zc port's (any more).  Each callback locks
 * the port it finds, and keeps 'vf_zc_mutex' until it has unlocked it, so
 * that the port cannot go away meanwhile. */
static struct netdev_vf_zc *
vf_zc_vhost_port(int vid, const char *event)
    OVS_REQUIRES(vf_zc_mutex)
{
    struct netdev_vf_zc *dev = vf_zc_lookup_by_vid(vid);

    if (!dev) {
        VLOG_INFO("vhost device %d: %s for a socket of no vf-zc port",
                  vid, event);
    }
    return dev;
}

/* What a vhost-user request (from the vhost-user specification), which the
 * vhost library processes itself, means for the relay, which processes the
 * rings: */
enum vf_zc_msg_scope {
    VF_ZC_MSG_NONE,         /* Nothing it uses (logging, config...). */
    VF_ZC_MSG_DEVICE,       /* The memory, the features or the whole device
                             * change: every queue pair stops first, and
                             * the VF gives the guest's buffers back. */
    VF_ZC_MSG_RING,         /* One vring stops or changes: its queue pair
                             * (and those above it) stop first. */
    VF_ZC_MSG_NOTIFY,       /* One vring's notification file descriptors
                             * change: its queue pair pauses during the
                             * message, then takes the new ones. */
};

/* Returns what 'msg', a vhost-user message (header then payload), means for
 * the relay, and in '*vring' the vring it is about, if any. */
static enum vf_zc_msg_scope
vf_zc_vhost_msg_scope(const void *msg, int *vring)
{
    /* The header: request, flags, size (32 bits each), then the payload:
     * for vring messages, either a 32-bit index first (vring state and
     * address), or a 64-bit value whose low byte is the index (file
     * descriptor messages). */
    const uint8_t *p = msg;
    uint32_t request, index;

    memcpy(&request, p, sizeof request);
    memcpy(&index, p + 12, sizeof index);
    *vring = -1;
    switch (request) {
    case 2:     /* VHOST_USER_SET_FEATURES */
    case 4:     /* VHOST_USER_RESET_OWNER */
    case 5:     /* VHOST_USER_SET_MEM_TABLE */
    case 37:    /* VHOST_USER_ADD_MEM_REG */
    case 38:    /* VHOST_USER_REM_MEM_REG */
        return VF_ZC_MSG_DEVICE;
    case 8:     /* VHOST_USER_SET_VRING_NUM */
    case 9:     /* VHOST_USER_SET_VRING_ADDR */
    case 10:    /* VHOST_USER_SET_VRING_BASE */
    case 11:    /* VHOST_USER_GET_VRING_BASE */
        *vring = index;
        return VF_ZC_MSG_RING;
    case 12:    /* VHOST_USER_SET_VRING_KICK */
    case 13:    /* VHOST_USER_SET_VRING_CALL */
    case 14:    /* VHOST_USER_SET_VRING_ERR */
        *vring = index & 0xff;
        return VF_ZC_MSG_NOTIFY;
    default:
        /* SET_VRING_ENABLE works through the vring_state_changed
         * callback. */
        return VF_ZC_MSG_NONE;
    }
}

/* Around the vhost library's handling of a message that may change what the
 * relay uses: before it ('done' false), stop or pause the queue pairs it
 * affects, and only those; after it ('done' true), let them go on, or the
 * main thread restart them with the new rings.  'msg' starts with the
 * vhost-user header, whose first member is the request. */
static void
vf_zc_vhost_msg_event(int vid, const void *msg, bool done)
{
    struct netdev_vf_zc *dev;
    enum vf_zc_msg_scope scope;
    int vring, qp;

    scope = vf_zc_vhost_msg_scope(msg, &vring);
    if (scope == VF_ZC_MSG_NONE) {
        return;
    }
    qp = vring >= 0 ? vring / 2 : 0;
    if (scope != VF_ZC_MSG_DEVICE && qp >= VF_ZC_MAX_QUEUE_PAIRS) {
        /* Beyond the queue pairs vf-zc relays. */
        return;
    }
    ovs_mutex_lock(&vf_zc_mutex);
    dev = vf_zc_vhost_port(vid, done ? "ring change done" : "ring change");
    if (dev) {
        ovs_mutex_lock(&dev->mutex);
        if (scope == VF_ZC_MSG_NOTIFY) {
            /* The library closes the old descriptor and, on the way,
             * reports the vring disabled and then enabled again: neither
             * stops anything. */
            if (!done) {
                dev->msg_vring = vring;
                vf_zc_qp_pause(&dev->qps[qp]);
            } else {
                dev->msg_vring = -1;
                vf_zc_qp_refresh_callfds(&dev->qps[qp]);
                vf_zc_qp_resume(&dev->qps[qp]);
            }
        } else {
            dev->guest_msg_pending = !done;
            if (done) {
                netdev_request_reconfigure(&dev->up);
            } else {
                vf_zc_stop_queue_pairs(dev, qp);
            }
        }
        ovs_mutex_unlock(&dev->mutex);
    }
    ovs_mutex_unlock(&vf_zc_mutex);
}

static enum rte_vhost_msg_result
vf_zc_pre_msg_handle(int vid, void *msg)
{
    vf_zc_vhost_msg_event(vid, msg, false);
    return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
}

static enum rte_vhost_msg_result
vf_zc_post_msg_handle(int vid, void *msg)
{
    vf_zc_vhost_msg_event(vid, msg, true);
    return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
}

static const struct rte_vhost_user_extern_ops vf_zc_vhost_msg_ops = {
    .pre_msg_handle = vf_zc_pre_msg_handle,
    .post_msg_handle = vf_zc_post_msg_handle,
};

/* The vhost callbacks, each with the port of its device locked. */

static void
vf_zc_guest_connected(struct netdev_vf_zc *dev, int vid)
    OVS_REQUIRES(dev->mutex)
{
    if (rte_vhost_extern_callback_register(vid, &vf_zc_vhost_msg_ops,
                                           NULL)) {
        VLOG_ERR("%s: could not register vhost-user message hooks; the "
                 "relay cannot follow the guest's ring changes",
                 netdev_get_name(&dev->up));
    }
    dev->vid = vid;
    dev->guest_msg_pending = false;
    dev->msg_vring = -1;
    dev->guest_state = VF_ZC_GUEST_CONNECTED;
    dev->guest_features = 0;
    dev->guest_connections++;
    bitmap_set_multiple(dev->enabled_vrings, 0, VF_ZC_MAX_VRINGS, false);
    VLOG_INFO("%s: guest connected on %s", netdev_get_name(&dev->up),
              dev->vhost_path);
    netdev_change_seq_changed(&dev->up);
}

static void
vf_zc_guest_disconnected(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    vf_zc_stop_guest_relay(dev);
    dev->guest_msg_pending = false;
    dev->msg_vring = -1;
    dev->vid = -1;
    dev->guest_state = VF_ZC_GUEST_DISCONNECTED;
    dev->guest_features = 0;
    bitmap_set_multiple(dev->enabled_vrings, 0, VF_ZC_MAX_VRINGS, false);
    VLOG_INFO("%s: guest disconnected from %s", netdev_get_name(&dev->up),
              dev->vhost_path);
    netdev_request_reconfigure(&dev->up);
}

static void
vf_zc_guest_ready(struct netdev_vf_zc *dev, int vid)
    OVS_REQUIRES(dev->mutex)
{
    uint64_t features = 0;

    rte_vhost_get_negotiated_features(vid, &features);
    dev->vid = vid;
    dev->guest_state = VF_ZC_GUEST_READY;
    dev->guest_features = features;
    dev->guest_msg_pending = false;
    /* The library calls this once the first queue pair's vrings are set up
     * and enabled; it may tell of their enabling only afterward. */
    bitmap_set1(dev->enabled_vrings, 0);
    bitmap_set1(dev->enabled_vrings, 1);
    VLOG_INFO("%s: guest ready: %"PRIu16" vrings, features %#"PRIx64,
              netdev_get_name(&dev->up), rte_vhost_get_vring_num(vid),
              features);
    netdev_request_reconfigure(&dev->up);
}

static void
vf_zc_guest_stopped(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    /* The library unmaps the guest's memory once this returns. */
    vf_zc_stop_guest_relay(dev);
    if (dev->guest_state == VF_ZC_GUEST_READY) {
        dev->guest_state = VF_ZC_GUEST_CONNECTED;
    }
    VLOG_INFO("%s: guest stopped its virtio device",
              netdev_get_name(&dev->up));
    netdev_request_reconfigure(&dev->up);
}

static void
vf_zc_guest_vring_changed(struct netdev_vf_zc *dev, uint16_t vring,
                          int enable)
    OVS_REQUIRES(dev->mutex)
{
    if (vring == dev->msg_vring) {
        /* Within a message that only changes the vring's notifications
         * (see vf_zc_vhost_msg_event()): not a real change. */
        return;
    } else if (vring < VF_ZC_MAX_VRINGS) {
        if (!enable) {
            /* Only its queue pair, and those above, stop. */
            vf_zc_stop_queue_pairs(dev, vring / 2);
        }
        bitmap_set(dev->enabled_vrings, vring, enable);
        VLOG_DBG("%s: guest %s vring %"PRIu16, netdev_get_name(&dev->up),
                 enable ? "enabled" : "disabled", vring);
        netdev_request_reconfigure(&dev->up);
    } else {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

        VLOG_WARN_RL(&rl, "%s: guest changed vring %"PRIu16", beyond the %d "
                     "vrings vf-zc relays", netdev_get_name(&dev->up),
                     vring, VF_ZC_MAX_VRINGS);
    }
}

static void
vf_zc_guest_features_changed(struct netdev_vf_zc *dev, uint64_t features)
    OVS_REQUIRES(dev->mutex)
{
    dev->guest_features = features;
    netdev_change_seq_changed(&dev->up);
}

/* What a vhost callback is about, for vf_zc_vhost_event(). */
enum vf_zc_vhost_event {
    VF_ZC_VHOST_NEW_CONNECTION,
    VF_ZC_VHOST_DESTROY_CONNECTION,
    VF_ZC_VHOST_NEW_DEVICE,
    VF_ZC_VHOST_DESTROY_DEVICE,
    VF_ZC_VHOST_VRING_STATE,
    VF_ZC_VHOST_FEATURES,
};

/* Handles vhost callback 'event' for device 'vid' ('arg1' and 'arg2' are the
 * callback's own arguments), with its port locked.  Returns -1 if no vf-zc
 * port has 'vid', otherwise 0.  vhost-events thread. */
static int
vf_zc_vhost_event(int vid, enum vf_zc_vhost_event event, uint64_t arg1,
                  int arg2)
{
    static const char *const names[] = {
        [VF_ZC_VHOST_NEW_CONNECTION] = "new connection",
        [VF_ZC_VHOST_DESTROY_CONNECTION] = "connection closed",
        [VF_ZC_VHOST_NEW_DEVICE] = "device ready",
        [VF_ZC_VHOST_DESTROY_DEVICE] = "device stopped",
        [VF_ZC_VHOST_VRING_STATE] = "vring state change",
        [VF_ZC_VHOST_FEATURES] = "features changed",
    };
    struct netdev_vf_zc *dev;

    ovs_mutex_lock(&vf_zc_mutex);
    dev = vf_zc_vhost_port(vid, names[event]);
    if (dev) {
        ovs_mutex_lock(&dev->mutex);
        switch (event) {
        case VF_ZC_VHOST_NEW_CONNECTION:
            vf_zc_guest_connected(dev, vid);
            break;
        case VF_ZC_VHOST_DESTROY_CONNECTION:
            vf_zc_guest_disconnected(dev);
            break;
        case VF_ZC_VHOST_NEW_DEVICE:
            vf_zc_guest_ready(dev, vid);
            break;
        case VF_ZC_VHOST_DESTROY_DEVICE:
            vf_zc_guest_stopped(dev);
            break;
        case VF_ZC_VHOST_VRING_STATE:
            vf_zc_guest_vring_changed(dev, arg1, arg2);
            break;
        case VF_ZC_VHOST_FEATURES:
            vf_zc_guest_features_changed(dev, arg1);
            break;
        }
        ovs_mutex_unlock(&dev->mutex);
    }
    ovs_mutex_unlock(&vf_zc_mutex);
    return dev ? 0 : -1;
}

static int
vf_zc_new_connection(int vid)
{
    return vf_zc_vhost_event(vid, VF_ZC_VHOST_NEW_CONNECTION, 0, 0);
}

static void
vf_zc_destroy_connection(int vid)
{
    vf_zc_vhost_event(vid, VF_ZC_VHOST_DESTROY_CONNECTION, 0, 0);
}

static int
vf_zc_new_device(int vid)
{
    return vf_zc_vhost_event(vid, VF_ZC_VHOST_NEW_DEVICE, 0, 0);
}

static void
vf_zc_destroy_device(int vid)
{
    vf_zc_vhost_event(vid, VF_ZC_VHOST_DESTROY_DEVICE, 0, 0);
}

static int
vf_zc_vring_state_changed(int vid, uint16_t vring, int enable)
{
    return vf_zc_vhost_event(vid, VF_ZC_VHOST_VRING_STATE, vring, enable);
}

static int
vf_zc_features_changed(int vid, uint64_t features)
{
    return vf_zc_vhost_event(vid, VF_ZC_VHOST_FEATURES, features, 0);
}

static const struct rte_vhost_device_ops vf_zc_vhost_ops = {
    .new_device = vf_zc_new_device,
    .destroy_device = vf_zc_destroy_device,
    .vring_state_changed = vf_zc_vring_state_changed,
    .features_changed = vf_zc_features_changed,
    .new_connection = vf_zc_new_connection,
    .destroy_connection = vf_zc_destroy_connection,
};

/* Number of queue pairs whose RX and TX vrings the guest has both enabled. */
static int
vf_zc_guest_queue_pairs(const struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    int n = 0;

    if (dev->guest_state != VF_ZC_GUEST_READY) {
        return 0;
    }
    for (int i = 0; i < VF_ZC_MAX_QUEUE_PAIRS; i++) {
        if (bitmap_is_set(dev->enabled_vrings, 2 * i)
            && bitmap_is_set(dev->enabled_vrings, 2 * i + 1)) {
            n++;
        }
    }
    return n;
}

/* netdev_class functions. */

static struct netdev *
netdev_vf_zc_alloc(void)
{
    struct netdev_vf_zc *dev = xzalloc(sizeof *dev);

    return &dev->up;
}

static int
netdev_vf_zc_construct(struct netdev *netdev)
{
    struct netdev_vf_zc *dev = netdev_vf_zc_cast(netdev);

    ovs_mutex_init(&dev->mutex);
    /* Nobody else can see the port yet: the mutex only satisfies the
     * compiler's checks. */
    ovs_mutex_lock(&dev->mutex);
    vf_zc_options_init(&dev->opts);
    dev->port_id = VF_ZC_PORT_ID_INVALID;
    dev->mtu = RTE_ETHER_MTU;
    dev->flags = NETDEV_UP | NETDEV_PROMISC;
    dev->requested_n_txq = 1;
    dev->vid = -1;
    dev->guest_state = VF_ZC_GUEST_DISCONNECTED;
    dev->enabled_vrings = bitmap_allocate(VF_ZC_MAX_VRINGS);
    dev->started_qps = bitmap_allocate(VF_ZC_MAX_QUEUE_PAIRS);
    dev->msg_vring = -1;
    dev->qps = xcalloc(VF_ZC_MAX_QUEUE_PAIRS, sizeof *dev->qps);
    dev->zc_pools = xcalloc(VF_ZC_MAX_QUEUE_PAIRS, sizeof *dev->zc_pools);
    dev->vfq_pools = xcalloc(VF_ZC_MAX_QUEUE_PAIRS, sizeof *dev->vfq_pools);
    dev->vfq_nb_rxd = xcalloc(VF_ZC_MAX_QUEUE_PAIRS,
                              sizeof *dev->vfq_nb_rxd);
    dev->zc_old_pools = xcalloc(VF_ZC_MAX_QUEUE_PAIRS,
                                sizeof *dev->zc_old_pools);
    for (int i = 0; i < VF_ZC_MAX_QUEUE_PAIRS; i++) {
        vf_zc_qp_init(&dev->qps[i], i);
    }
    atomic_init(&dev->n_active_qps, 0);
    atomic_init(&dev->n_vf_queues, 0);
    atomic_init(&dev->n_guest_qps, 0);
    vf_zc_guest_mem_init(&dev->guest_mem);
    ovs_mutex_unlock(&dev->mutex);

    netdev->n_rxq = 1;
    netdev->n_txq = 1;

    ovs_mutex_lock(&vf_zc_mutex);
    ovs_list_push_back(&vf_zc_ports, &dev->list_node);
    ovs_mutex_unlock(&vf_zc_mutex);
    return 0;
}

static void
netdev_vf_zc_destruct(struct netdev *netdev)
{
    struct netdev_vf_zc *dev = netdev_vf_zc_cast(netdev);
    bool client;
    char *path;

    /* Once out of the list and without a socket path, no vhost callback can
     * find the port any more. */
    ovs_mutex_lock(&vf_zc_mutex);
    ovs_list_remove(&dev->list_node);
    ovs_mutex_lock(&dev->mutex);
    vf_zc_stop_guest_relay(dev);
    vf_zc_stop_vf_relay(dev);
    path = dev->vhost_path;
    client = dev->vhost_client;
    dev->vhost_path = NULL;
    ovs_mutex_unlock(&dev->mutex);
    ovs_mutex_unlock(&vf_zc_mutex);

    if (path) {
        vf_zc_vhost_unregister(path, client);
        free(path);
    }

    ovs_mutex_lock(&dev->mutex);
    vf_zc_vf_detach(dev);
    vf_zc_options_destroy(&dev->opts);
    free(dev->vf_error);
    free(dev->relay_error);
    free(dev->zc_mem_error);
    vf_zc_guest_mem_destroy(&dev->guest_mem);
    free(dev->qps);
    free(dev->zc_pools);
    free(dev->vfq_pools);
    free(dev->vfq_nb_rxd);
    free(dev->zc_old_pools);
    bitmap_free(dev->enabled_vrings);
    bitmap_free(dev->started_qps);
    ovs_mutex_unlock(&dev->mutex);
    ovs_mutex_destroy(&dev->mutex);
}

static void
netdev_vf_zc_dealloc(struct netdev *netdev)
{
    free(netdev_vf_zc_cast(netdev));
}

static int
netdev_vf_zc_get_config(const struct netdev *netdev, struct smap *args)
{
    struct netdev_vf_zc *dev = netdev_vf_zc_cast(netdev);

    ovs_mutex_lock(&dev->mutex);
    if (dev->opts.vf_devargs) {
        smap_add(args, "vf-devargs", dev->opts.vf_devargs);
    }
    if (dev->opts.vhost_server_path) {
        smap_add(args, "vhost-server-path", dev->opts.vhost_server_path);
    }
    smap_add_format(args, "n_rxq", "%d", dev->opts.n_rxq);
    smap_add(args, "zero-copy", dev->opts.zero_copy ? "true" : "false");
    smap_add(args, "bypass", dev->opts.bypass ? "true" : "false");
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

/* Applies a change of VF: detaches the old one, attaches the new one.  Heavy
 * work that could fail is done here rather than in reconfigure() so that a
 * bad vf-devargs is reported in the Interface's error column. */
static char *
vf_zc_set_vf(struct netdev_vf_zc *dev, const char *devargs)
    OVS_EXCLUDED(vf_zc_mutex, dev->mutex)
{
    uint16_t port_id = VF_ZC_PORT_ID_INVALID;
    char *error;

    ovs_mutex_lock(&vf_zc_mutex);
    ovs_mutex_lock(&dev->mutex);
    vf_zc_vf_detach(dev);
    dev->port_id = VF_ZC_PORT_ID_INVALID;
    error = vf_zc_vf_attach(dev, devargs, &port_id);
    dev->port_id = port_id;
    free(dev->vf_error);
    dev->vf_error = NULL;
    ovs_mutex_unlock(&dev->mutex);
    ovs_mutex_unlock(&vf_zc_mutex);
    return error;
}

/* Moves the port's vhost-user socket to 'path' in client or server mode. */
static char *
vf_zc_set_vhost(struct netdev_vf_zc *dev, const char *path, bool client)
    OVS_EXCLUDED(vf_zc_mutex, dev->mutex)
{
    bool old_client;
    char *old_path;
    char *error;

    ovs_mutex_lock(&vf_zc_mutex);
    ovs_mutex_lock(&dev->mutex);
    vf_zc_stop_guest_relay(dev);
    old_path = dev->vhost_path;
    old_client = dev->vhost_client;
    dev->vhost_path = NULL;
    ovs_mutex_unlock(&dev->mutex);
    ovs_mutex_unlock(&vf_zc_mutex);

    if (old_path) {
        vf_zc_vhost_unregister(old_path, old_client);
        free(old_path);
    }

    /* Publish the path before the socket starts, so that the first vhost
     * callback finds the port. */
    ovs_mutex_lock(&vf_zc_mutex);
    ovs_mutex_lock(&dev->mutex);
    dev->vhost_path = xstrdup(path);
    dev->vhost_client = client;
    dev->vid = -1;
    dev->guest_state = VF_ZC_GUEST_DISCONNECTED;
    ovs_mutex_unlock(&dev->mutex);
    ovs_mutex_unlock(&vf_zc_mutex);

    error = vf_zc_vhost_register(path, client);
    if (error) {
        ovs_mutex_lock(&vf_zc_mutex);
        ovs_mutex_lock(&dev->mutex);
        free(dev->vhost_path);
        dev->vhost_path = NULL;
        ovs_mutex_unlock(&dev->mutex);
        ovs_mutex_unlock(&vf_zc_mutex);
    } else {
        VLOG_INFO("%s: vhost-user %s socket %s", netdev_get_name(&dev->up),
                  client ? "client" : "server", path);
    }
    return error;
}

static int
netdev_vf_zc_set_config(struct netdev *netdev, const struct smap *args,
                        char **errp)
{
    struct netdev_vf_zc *dev = netdev_vf_zc_cast(netdev);
    const char *name = netdev_get_name(netdev);
    struct vf_zc_options opts;
    bool vf_changed, vhost_changed, other_changed;
    char *vhost_path = NULL;
    char *error = NULL;
    int err = EINVAL;

    if (!dpdk_available()) {
        VLOG_ERR_BUF(errp, "%s: vf-zc ports need DPDK, which is not enabled "
                     "(set other_config:dpdk-init=true in Open_vSwitch)",
                     name);
        return EOPNOTSUPP;
    }

    vf_zc_options_init(&opts);
    error = vf_zc_options_parse(args, &opts);
    if (!error && !opts.vhost_server_path) {
        error = vf_zc_check_port_name(name);
    }
    if (error) {
        goto out;
    }
    vhost_path = (opts.vhost_server_path
                  ? xstrdup(opts.vhost_server_path)
                  : xasprintf("%s/%s", netdev_dpdk_get_vhost_sock_dir(),
                              name));
    error = vf_zc_check_socket_path(vhost_path);
    if (error) {
        goto out;
    }

    ovs_mutex_lock(&dev->mutex);
    vf_changed = (dev->port_id == VF_ZC_PORT_ID_INVALID
                  || !nullable_string_is_equal(dev->opts.vf_devargs,
                                               opts.vf_devargs));
    vhost_changed = (!nullable_string_is_equal(dev->vhost_path, vhost_path)
                     || dev->vhost_client != !!opts.vhost_server_path);
    other_changed = !vf_zc_options_equal(&dev->opts, &opts);
    ovs_mutex_unlock(&dev->mutex);

    if (vf_changed) {
        error = vf_zc_set_vf(dev, opts.vf_devargs);
        if (error) {
            goto out;
        }
    }
    if (vhost_changed) {
        error = vf_zc_set_vhost(dev, vhost_path, !!opts.vhost_server_path);
        if (error) {
            goto out;
        }
    }

    if (vf_changed || vhost_changed || other_changed) {
        ovs_mutex_lock(&dev->mutex);
        vf_zc_options_destroy(&dev->opts);
        vf_zc_options_clone(&dev->opts, &opts);
        ovs_mutex_unlock(&dev->mutex);
        netdev_request_reconfigure(netdev);
    }
    err = 0;

out:
    if (error) {
        VLOG_ERR_BUF(errp, "%s: %s", name, error);
        free(error);
    }
    free(vhost_path);
    vf_zc_options_destroy(&opts);
    return err;
}

static int
netdev_vf_zc_get_numa_id(const struct netdev *netdev)
{
    struct netdev_vf_zc *dev = netdev_vf_zc_cast(netdev);
    int numa_id = 0;

    ovs_mutex_lock(&dev->mutex);
    if (dev->port_id != VF_ZC_PORT_ID_INVALID) {
        numa_id = MAX(rte_eth_dev_socket_id(dev->port_id), 0);
    }
    ovs_mutex_unlock(&dev->mutex);
    return numa_id;
}

static int
netdev_vf_zc_set_tx_multiq(struct netdev *netdev, unsigned int n_txq)
{
    struct netdev_vf_zc *dev = netdev_vf_zc_cast(netdev);

    ovs_mutex_lock(&dev->mutex);
    if (dev->requested_n_txq != n_txq) {
        dev->requested_n_txq = n_txq;
        netdev_request_reconfigure(netdev);
    }
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

/* Rebuilds the map of the guest's memory from the vhost library's table.
 * Every queue pair must be stopped. */
static char *
vf_zc_load_guest_mem(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    struct rte_vhost_memory *mem;
    char *error = NULL;

    vf_zc_guest_mem_destroy(&dev->guest_mem);
    if (rte_vhost_get_mem_table(dev->vid, &mem)) {
        return xstrdup("could not read the guest's memory table");
    }
    for (uint32_t i = 0; i < mem->nregions && !error; i++) {
        const struct rte_vhost_mem_region *r = &mem->regions[i];

        error = vf_zc_guest_mem_add(&dev->guest_mem, r->guest_phys_addr,
                                    r->size,
                                    (void *) (uintptr_t) r->host_user_addr);
    }
    free(mem);
    return error;
}

/* Points the queue pairs at the VF as it is now. */
static void
vf_zc_start_vf_relay(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    int n_vf = MIN(dev->vf_n_rxq, dev->opts.n_rxq);

    for (int i = 0; i < VF_ZC_MAX_QUEUE_PAIRS; i++) {
        vf_zc_qp_set_vf(&dev->qps[i], dev->port_id, n_vf ? i % n_vf : 0,
                        dev->vf_started && n_vf, i < n_vf,
                        dev->vf_mp, dev->opts.bypass);
    }
    atomic_store_relaxed(&dev->n_vf_queues, dev->vf_started ? n_vf : 0);
}

/* Makes the VF's RSS redirection table spread flows over its first 'n'
 * queues, if it has one, so that flows land where the guest has enabled a
 * queue pair.  Flows that land elsewhere all the same (no table, or packets
 * already queued) are delivered through an enabled queue pair by the relay
 * (vf_zc_qp_set_redirect()). */
static void
vf_zc_steer_rss(struct netdev_vf_zc *dev, int n)
    OVS_REQUIRES(dev->mutex)
{
    /* Queues the table spreads over now; 0 means all, as the VF started. */
    int now = dev->vf_rss_queues ? dev->vf_rss_queues : dev->vf_n_rxq;
    struct rte_eth_rss_reta_entry64 *reta;
    struct rte_eth_dev_info info;
    size_t n_groups;

    if (n < 1 || n == now || dev->vf_n_rxq < 2
        || rte_eth_dev_info_get(dev->port_id, &info) || !info.reta_size) {
        return;
    }
    n_groups = DIV_ROUND_UP(info.reta_size, RTE_ETH_RETA_GROUP_SIZE);
    reta = xcalloc(n_groups, sizeof *reta);
    for (size_t i = 0; i < info.reta_size; i++) {
        struct rte_eth_rss_reta_entry64 *g;

        g = &reta[i / RTE_ETH_RETA_GROUP_SIZE];
        g->mask |= UINT64_C(1) << (i % RTE_ETH_RETA_GROUP_SIZE);
        g->reta[i % RTE_ETH_RETA_GROUP_SIZE] = i % n;
    }
    if (!rte_eth_dev_rss_reta_update(dev->port_id, reta, info.reta_size)) {
        dev->vf_rss_queues = n;
        VLOG_INFO("%s: the VF's RSS spreads flows over %d of its %d queues",
                  netdev_get_name(&dev->up), n, dev->vf_n_rxq);
    }
    free(reta);
}

/* Brings the relay in line with the guest's rings: one queue pair for each
 * pair of vrings the guest enabled, from the first on.  The first ones, up
 * to the VF's queue pairs, relay both ways; the guest's extra ones, if any,
 * transmit through the VF's queues too, so that nothing the guest sends is
 * stranded.  Queue pairs that run already go on untouched: a guest that
 * enables one more disturbs none of the others. */
static void
vf_zc_sync_guest_relay(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    int n_vf = MIN(dev->vf_n_rxq, dev->opts.n_rxq);
    int n_started = 0, n_new_first = -1;
    char *error = NULL;

    if (dev->guest_state != VF_ZC_GUEST_READY || !dev->vf_started || !n_vf) {
        vf_zc_stop_guest_relay(dev);
        return;
    }
    if (dev->guest_msg_pending) {
        /* The message's own queue pairs are stopped; the others go on. */
        return;
    }

    if (bitmap_is_all_zeros(dev->started_qps, VF_ZC_MAX_QUEUE_PAIRS)) {
        /* The memory may have changed since the last start; nothing uses
         * it now. */
        free(dev->relay_error);
        dev->relay_error = NULL;
        vf_zc_dma_unmap(dev);
        error = vf_zc_load_guest_mem(dev);
        free(dev->zc_mem_error);
        dev->zc_mem_error = (!error && dev->opts.zero_copy
                             ? vf_zc_dma_map(dev) : NULL);
    }
    for (int q = 0; !error && q < VF_ZC_MAX_QUEUE_PAIRS; q++) {
        if (!bitmap_is_set(dev->enabled_vrings, 2 * q)
            || !bitmap_is_set(dev->enabled_vrings, 2 * q + 1)) {
            break;
        }
        if (!bitmap_is_set(dev->started_qps, q)) {
            error = vf_zc_qp_start(&dev->qps[q], dev->vid, &dev->guest_mem,
                                   dev->guest_features);
            if (error) {
                break;
            }
            bitmap_set1(dev->started_qps, q);
            if (n_new_first < 0) {
                n_new_first = q;
            }
        }
        n_started++;
    }
    if (error) {
        VLOG_ERR("%s: cannot relay with the guest: %s",
                 netdev_get_name(&dev->up), error);
        vf_zc_stop_guest_relay(dev);
        free(dev->relay_error);
        dev->relay_error = error;
        return;
    }
    /* Those above the first disabled one stop (see
     * vf_zc_stop_queue_pairs()). */
    vf_zc_stop_queue_pairs(dev, n_started);
    if (!n_started) {
        return;
    }

    if (n_new_first >= 0 && n_new_first < MIN(n_started, n_vf)) {
        char *zc;

        vf_zc_begin_zero_copy(dev, n_new_first, MIN(n_started, n_vf));
        zc = vf_zc_zc_status(dev, MIN(n_started, n_vf));
        VLOG_INFO("%s: relaying %d queue pairs%s, zero copy %s",
                  netdev_get_name(&dev->up), MIN(n_started, n_vf),
                  n_started > n_vf ? ", and the guest's extra ones' transmit"
                  : "", zc);
        free(zc);
    }
    /* Flows go to the queues whose queue pair the guest has enabled; those
     * that reach the others all the same are delivered through one it
     * has. */
    vf_zc_steer_rss(dev, MIN(n_started, n_vf));
    for (int q = 0; q < n_vf; q++) {
        vf_zc_qp_set_redirect(&dev->qps[q], (q < n_started ? NULL
                                             : &dev->qps[q % n_started]));
    }
    atomic_store_relaxed(&dev->n_guest_qps, n_started);
    atomic_store_relaxed(&dev->n_active_qps, MIN(n_started, n_vf));
}

static int
netdev_vf_zc_reconfigure(struct netdev *netdev)
{
    struct netdev_vf_zc *dev = netdev_vf_zc_cast(netdev);

    ovs_mutex_lock(&dev->mutex);
    if (dev->port_id != VF_ZC_PORT_ID_INVALID
        && (!dev->vf_started
            || dev->vf_requested_n_rxq != dev->opts.n_rxq
            || dev->vf_mtu != dev->mtu)) {
        char *error;

        vf_zc_stop_guest_relay(dev);
        error = vf_zc_vf_start(dev);
        free(dev->vf_error);
        dev->vf_error = error;
        if (error) {
            VLOG_ERR("%s: %s", netdev_get_name(netdev), error);
        } else {
            VLOG_INFO("%s: DPDK port %"PRIu16" started with %d queue pairs, "
                      "MTU %d", netdev_get_name(netdev), dev->port_id,
                      dev->vf_n_rxq, dev->vf_mtu);
        }
    } else if (dev->relay_zero_copy != dev->opts.zero_copy
               || dev->relay_bypass != dev->opts.bypass) {
        /* Zero copy is decided again for every queue pair. */
        vf_zc_stop_guest_relay(dev);
    }
    dev->relay_zero_copy = dev->opts.zero_copy;
    dev->relay_bypass = dev->opts.bypass;

    vf_zc_start_vf_relay(dev);
    vf_zc_sync_guest_relay(dev);

    /* One rx queue of the port per VF queue, so that PMD threads poll each
     * and the usual rx queue placement applies.  A VF that grants fewer
     * queues than options:n_rxq asks for gets fewer rx queues: the PMD
     * thread polling rx queue Q must be the only one to transmit on VF
     * queue Q (see 'n_vf_queues'). */
    netdev->n_rxq = MAX(1, MIN(dev->vf_n_rxq, dev->opts.n_rxq));
    netdev->n_txq = dev->requested_n_txq;
    netdev_change_seq_changed(netdev);
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

static const struct {
    int bit;
    const char *name;
} vf_zc_feature_names[] = {
    { VIRTIO_NET_F_CSUM, "CSUM" },
    { VIRTIO_NET_F_GUEST_CSUM, "GUEST_CSUM" },
    { VIRTIO_NET_F_MTU, "MTU" },
    { VIRTIO_NET_F_MAC, "MAC" },
    { VIRTIO_NET_F_GUEST_TSO4, "GUEST_TSO4" },
    { VIRTIO_NET_F_GUEST_TSO6, "GUEST_TSO6" },
    { VIRTIO_NET_F_HOST_TSO4, "HOST_TSO4" },
    { VIRTIO_NET_F_HOST_TSO6, "HOST_TSO6" },
    { VIRTIO_NET_F_MRG_RXBUF, "MRG_RXBUF" },
    { VIRTIO_NET_F_STATUS, "STATUS" },
    { VIRTIO_NET_F_CTRL_VQ, "CTRL_VQ" },
    { VIRTIO_NET_F_CTRL_RX, "CTRL_RX" },
    { VIRTIO_NET_F_GUEST_ANNOUNCE, "GUEST_ANNOUNCE" },
    { VIRTIO_NET_F_MQ, "MQ" },
    { VHOST_F_LOG_ALL, "LOG_ALL" },
    { VIRTIO_F_ANY_LAYOUT, "ANY_LAYOUT" },
    { VIRTIO_RING_F_INDIRECT_DESC, "INDIRECT_DESC" },
    { VIRTIO_RING_F_EVENT_IDX, "EVENT_IDX" },
    { VHOST_USER_F_PROTOCOL_FEATURES, "PROTOCOL_FEATURES" },
    { VIRTIO_F_VERSION_1, "VERSION_1" },
};

static void
vf_zc_format_features(struct ds *s, uint64_t features)
{
    for (size_t i = 0; i < ARRAY_SIZE(vf_zc_feature_names); i++) {
        uint64_t bit = UINT64_C(1) << vf_zc_feature_names[i].bit;

        if (features & bit) {
            ds_put_format(s, "%s%s", s->length ? " " : "",
                          vf_zc_feature_names[i].name);
            features &= ~bit;
        }
    }
    if (features) {
        ds_put_format(s, "%s%#"PRIx64, s->length ? " " : "", features);
    }
}

static const char *
vf_zc_guest_state_to_string(enum vf_zc_guest_state state)
{
    switch (state) {
    case VF_ZC_GUEST_DISCONNECTED:
        return "disconnected";
    case VF_ZC_GUEST_CONNECTED:
        return "connected";
    case VF_ZC_GUEST_READY:
        return "ready";
    }
    OVS_NOT_REACHED();
}

static int
netdev_vf_zc_get_status(const struct netdev *netdev, struct smap *args)
{
    struct netdev_vf_zc *dev = netdev_vf_zc_cast(netdev);

    ovs_mutex_lock(&dev->mutex);

    if (dev->opts.vf_devargs) {
        smap_add(args, "vf-devargs", dev->opts.vf_devargs);
    }
    if (dev->port_id != VF_ZC_PORT_ID_INVALID) {
        struct rte_eth_dev_info info;

        smap_add_format(args, "vf-port-id", "%"PRIu16, dev->port_id);
        if (!rte_eth_dev_info_get(dev->port_id, &info)) {
            smap_add(args, "vf-driver", info.driver_name);
            smap_add_format(args, "vf-max-rxq", "%"PRIu16,
                            info.max_rx_queues);
            smap_add_format(args, "vf-max-txq", "%"PRIu16,
                            info.max_tx_queues);
        }
        smap_add_format(args, "vf-numa-id", "%d",
                        rte_eth_dev_socket_id(dev->port_id));
        smap_add_format(args, "vf-n-rxq", "%d", dev->vf_n_rxq);
        smap_add_format(args, "vf-n-txq", "%d", dev->vf_n_txq);
        smap_add_format(args, "vf-mac", ETH_ADDR_FMT,
                        ETH_ADDR_ARGS(dev->hwaddr));
    }
    smap_add(args, "vf-state",
             dev->vf_error ? dev->vf_error
             : dev->vf_started ? "running"
             : dev->port_id != VF_ZC_PORT_ID_INVALID ? "stopped"
             : "detached");
    smap_add_format(args, "vf-restarts", "%"PRIu64, dev->vf_restarts);

    if (dev->vhost_path) {
        smap_add(args, "vhost-socket", dev->vhost_path);
        smap_add(args, "vhost-mode", dev->vhost_client ? "client" : "server");
    }
    smap_add(args, "guest-state",
             vf_zc_guest_state_to_string(dev->guest_state));
    smap_add(args, "guest-connected",
             dev->guest_state != VF_ZC_GUEST_DISCONNECTED ? "true" : "false");
    smap_add_format(args, "guest-connections", "%"PRIu64,
                    dev->guest_connections);
    if (dev->guest_state == VF_ZC_GUEST_READY) {
        struct ds names = DS_EMPTY_INITIALIZER;

        smap_add_format(args, "guest-features", "%#"PRIx64,
                        dev->guest_features);
        vf_zc_format_features(&names, dev->guest_features);
        smap_add(args, "guest-feature-names", ds_cstr(&names));
        ds_destroy(&names);
        smap_add_format(args, "guest-vrings", "%"PRIu16,
                        rte_vhost_get_vring_num(dev->vid));

        /* The VM's MTU is offered to it by its VMM (QEMU's host_mtu), which
         * tells the back end; vf-zc applies mtu_request to the VF only. */
        uint16_t guest_mtu;
        if (!rte_vhost_get_mtu(dev->vid, &guest_mtu)) {
            smap_add_format(args, "guest-mtu", "%"PRIu16, guest_mtu);
            if (guest_mtu > dev->mtu) {
                smap_add_format(args, "guest-mtu-warning", "the guest's MTU "
                                "%"PRIu16" exceeds the port's %d: larger "
                                "frames from the guest are dropped",
                                guest_mtu, dev->mtu);
            }
        }
    }
    smap_add_format(args, "guest-queue-pairs", "%d",
                    vf_zc_guest_queue_pairs(dev));

    int n_active, n_guest;
    atomic_read_relaxed(&dev->n_active_qps, &n_active);
    atomic_read_relaxed(&dev->n_guest_qps, &n_guest);
    smap_add_format(args, "relay-queue-pairs", "%d", n_active);
    if (n_guest > n_active) {
        smap_add_format(args, "relay-guest-only-qps", "%d",
                        n_guest - n_active);
    }
    if (n_guest) {
        /* Which VF queue (and so which rx queue's PMD thread) relays each
         * queue pair. */
        struct ds map = DS_EMPTY_INITIALIZER;
        int n_vf = MIN(dev->vf_n_rxq, dev->opts.n_rxq);

        for (int q = 0; q < n_guest && n_vf; q++) {
            ds_put_format(&map, "%sqp%d:vf%d", q ? " " : "", q, q % n_vf);
        }
        smap_add(args, "relay-vf-queues", ds_cstr(&map));
        ds_destroy(&map);
    }
    if (dev->relay_error) {
        smap_add(args, "relay-error", dev->relay_error);
    }
    char *zc = vf_zc_zc_status(dev, n_active);
    smap_add(args, "zero-copy", zc);
    free(zc);
    for (int q = 0; q < n_guest; q++) {
        char error[160];

        if (vf_zc_qp_get_ring_error(&dev->qps[q], error, sizeof error)) {
            char *key = xasprintf("relay-error-qp%d", q);

            smap_add(args, key, error);
            free(key);
        }
    }

    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

static int
netdev_vf_zc_get_etheraddr(const struct netdev *netdev, struct eth_addr *mac)
{
    struct netdev_vf_zc *dev = netdev_vf_zc_cast(netdev);

    ovs_mutex_lock(&dev->mutex);
    *mac = dev->hwaddr;
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

static int
netdev_vf_zc_set_etheraddr(struct netdev *netdev, const struct eth_addr mac)
{
    struct netdev_vf_zc *dev = netdev_vf_zc_cast(netdev);
    int err = 0;

    ovs_mutex_lock(&dev->mutex);
    if (!eth_addr_equals(dev->hwaddr, mac)) {
        if (dev->port_id != VF_ZC_PORT_ID_INVALID) {
            struct rte_ether_addr ea;

            memcpy(ea.addr_bytes, mac.ea, ETH_ADDR_LEN);
            err = -rte_eth_dev_default_mac_addr_set(dev->port_id, &ea);
        }
        if (!err) {
            dev->hwaddr = mac;
            netdev_change_seq_changed(netdev);
        }
    }
    ovs_mutex_unlock(&dev->mutex);
    return err;
}

static int
netdev_vf_zc_get_mtu(const struct netdev *netdev, int *mtup)
{
    struct netdev_vf_zc *dev = netdev_vf_zc_cast(netdev);

    ovs_mutex_lock(&dev->mutex);
    *mtup = dev->mtu;
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

static int
netdev_vf_zc_set_mtu(struct netdev *netdev, int mtu)
{
    struct netdev_vf_zc *dev = netdev_vf_zc_cast(netdev);

    if (mtu < RTE_ETHER_MIN_MTU || vf_zc_frame_len(mtu) > 9728) {
        VLOG_WARN("%s: unsupported MTU %d", netdev_get_name(netdev), mtu);
        return EINVAL;
    }

    ovs_mutex_lock(&dev->mutex);
    if (dev->mtu != mtu) {
        dev->mtu = mtu;
        netdev_request_reconfigure(netdev);
    }
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

static int
netdev_vf_zc_get_carrier(const struct netdev *netdev, bool *carrier)
{
    struct netdev_vf_zc *dev = netdev_vf_zc_cast(netdev);

    ovs_mutex_lock(&dev->mutex);
    *carrier = dev->vf_started && dev->guest_state == VF_ZC_GUEST_READY;
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

/* Sums the counters of every queue pair into 'sum'. */
struct vf_zc_totals {
    uint64_t vf_to_guest_packets, vf_to_guest_bytes;
    uint64_t pipeline_to_guest_packets, pipeline_to_guest_bytes;
    uint64_t guest_to_vf_packets, guest_to_vf_bytes;
    uint64_t guest_notifications;
    uint64_t drops[VF_ZC_N_DROPS];
    uint64_t vf_to_guest_zero_copy_packets, vf_to_guest_copy_packets;
    uint64_t fallbacks[VF_ZC_N_FALLBACKS];

    /* Packets the VF itself dropped: no buffer to receive into (in zero
     * copy, the guest posted none), or its queue was full. */
    uint64_t vf_rx_nombuf, vf_rx_missed;
};

static void
vf_zc_sum_stats(struct netdev_vf_zc *dev, struct vf_zc_totals *sum)
{
    struct rte_eth_stats vf_stats;

    memset(sum, 0, sizeof *sum);
    ovs_mutex_lock(&dev->mutex);
    if (dev->port_id != VF_ZC_PORT_ID_INVALID
        && !rte_eth_stats_get(dev->port_id, &vf_stats)) {
        sum->vf_rx_nombuf = vf_stats.rx_nombuf;
        sum->vf_rx_missed = vf_stats.imissed;
    }
    ovs_mutex_unlock(&dev->mutex);

    for (int q = 0; q < VF_ZC_MAX_QUEUE_PAIRS; q++) {
        const struct vf_zc_qp_stats *s = &dev->qps[q].stats;

        sum->vf_to_guest_packets += vf_zc_stat_read(&s->vf_to_guest_packets);
        sum->vf_to_guest_bytes += vf_zc_stat_read(&s->vf_to_guest_bytes);
        sum->pipeline_to_guest_packets
            += vf_zc_stat_read(&s->pipeline_to_guest_packets);
        sum->pipeline_to_guest_bytes
            += vf_zc_stat_read(&s->pipeline_to_guest_bytes);
        sum->guest_to_vf_packets += vf_zc_stat_read(&s->guest_to_vf_packets);
        sum->guest_to_vf_bytes += vf_zc_stat_read(&s->guest_to_vf_bytes);
        sum->guest_notifications += vf_zc_stat_read(&s->guest_notifications);
        for (int d = 0; d < VF_ZC_N_DROPS; d++) {
            sum->drops[d] += vf_zc_stat_read(&s->drops[d]);
        }
        sum->vf_to_guest_zero_copy_packets
            += vf_zc_stat_read(&s->vf_to_guest_zero_copy_packets);
        sum->vf_to_guest_copy_packets
            += vf_zc_stat_read(&s->vf_to_guest_copy_packets);
        for (int f = 0; f < VF_ZC_N_FALLBACKS; f++) {
            sum->fallbacks[f] += vf_zc_stat_read(&s->fallbacks[f]);
        }
    }
}

/* Interface statistics follow the vhost-user ports' convention: "tx" is into
 * the VM, "rx" is from the VM. */
static int
netdev_vf_zc_get_stats(const struct netdev *netdev,
                       struct netdev_stats *stats)
{
    struct netdev_vf_zc *dev = netdev_vf_zc_cast(netdev);
    struct vf_zc_totals t;

    vf_zc_sum_stats(dev, &t);
    memset(stats, 0, sizeof *stats);
    stats->tx_packets = t.vf_to_guest_packets + t.pipeline_to_guest_packets;
    stats->tx_bytes = t.vf_to_guest_bytes + t.pipeline_to_guest_bytes;
    /* Drops on the way into the VM count as tx_dropped, on the way out of it
     * as rx_dropped.  A bad guest buffer can be either way: tx, where the
     * guest posts most buffers. */
    stats->tx_dropped = (t.drops[VF_ZC_DROP_NO_GUEST]
                         + t.drops[VF_ZC_DROP_NO_BUFFER]
                         + t.drops[VF_ZC_DROP_OVERSIZE]
                         + t.drops[VF_ZC_DROP_RING_ERROR]
                         + t.drops[VF_ZC_DROP_BAD_BUFFER]
                         + t.drops[VF_ZC_DROP_RING_BUDGET]
                         + t.drops[VF_ZC_DROP_RING_BUSY]
                         + t.vf_rx_nombuf + t.vf_rx_missed);
    stats->rx_packets = t.guest_to_vf_packets;
    stats->rx_bytes = t.guest_to_vf_bytes;
    stats->rx_dropped = (t.drops[VF_ZC_DROP_VF_TX_FULL]
                         + t.drops[VF_ZC_DROP_GUEST_TX_ERROR]);
    stats->rx_errors = t.drops[VF_ZC_DROP_GUEST_TX_ERROR];
    return 0;
}

static int
netdev_vf_zc_get_custom_stats(const struct netdev *netdev,
                              struct netdev_custom_stats *custom)
{
    struct netdev_vf_zc *dev = netdev_vf_zc_cast(netdev);
    struct vf_zc_totals t;
    size_t n = 0;

    vf_zc_sum_stats(dev, &t);
    custom->counters = xcalloc(11 + VF_ZC_N_DROPS + VF_ZC_N_FALLBACKS,
                               sizeof *custom->counters);

#define VF_ZC_COUNTER(NAME, VALUE)                                      \
    ovs_strlcpy(custom->counters[n].name, NAME,                        \
                sizeof custom->counters[n].name);                      \
    custom->counters[n++].value = VALUE;

    VF_ZC_COUNTER("vf_to_guest_packets", t.vf_to_guest_packets);
    VF_ZC_COUNTER("vf_to_guest_bytes", t.vf_to_guest_bytes);
    VF_ZC_COUNTER("pipeline_to_guest_packets", t.pipeline_to_guest_packets);
    VF_ZC_COUNTER("pipeline_to_guest_bytes", t.pipeline_to_guest_bytes);
    VF_ZC_COUNTER("guest_to_vf_packets", t.guest_to_vf_packets);
    VF_ZC_COUNTER("guest_to_vf_bytes", t.guest_to_vf_bytes);
    VF_ZC_COUNTER("guest_notifications", t.guest_notifications);
    VF_ZC_COUNTER("vf_to_guest_zero_copy_packets",
                  t.vf_to_guest_zero_copy_packets);
    VF_ZC_COUNTER("vf_to_guest_copy_packets", t.vf_to_guest_copy_packets);
    VF_ZC_COUNTER("vf_rx_nombuf", t.vf_rx_nombuf);
    VF_ZC_COUNTER("vf_rx_missed", t.vf_rx_missed);
    for (int f = 0; f < VF_ZC_N_FALLBACKS; f++) {
        char name[NETDEV_CUSTOM_STATS_NAME_SIZE];

        snprintf(name, sizeof name, "zero_copy_fallback_%s",
                 vf_zc_fallback_name(f));
        VF_ZC_COUNTER(name, t.fallbacks[f]);
    }
    for (int d = 0; d < VF_ZC_N_DROPS; d++) {
        char name[NETDEV_CUSTOM_STATS_NAME_SIZE];

        snprintf(name, sizeof name, "dropped_%s", vf_zc_drop_name(d));
        VF_ZC_COUNTER(name, t.drops[d]);
    }
#undef VF_ZC_COUNTER

    custom->size = n;
    return 0;
}

static int
netdev_vf_zc_update_flags(struct netdev *netdev, enum netdev_flags off,
                          enum netdev_flags on, enum netdev_flags *old_flagsp)
{
    struct netdev_vf_zc *dev = netdev_vf_zc_cast(netdev);

    if ((off | on) & ~(NETDEV_UP | NETDEV_PROMISC)) {
        return EINVAL;
    }
    ovs_mutex_lock(&dev->mutex);
    *old_flagsp = dev->flags;
    dev->flags = (dev->flags & ~off) | on;
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

/* Packets that the pipeline outputs to the port go into the VM, through the
 * receive ring of one of the queue pairs that relay (each queue pair
 * serializes its ring between the relay and senders). */
static int
netdev_vf_zc_send(struct netdev *netdev, int qid,
                  struct dp_packet_batch *batch,
                  bool concurrent_txq OVS_UNUSED)
{
    struct netdev_vf_zc *dev = netdev_vf_zc_cast(netdev);
    int n_active;

    atomic_read_relaxed(&dev->n_active_qps, &n_active);
    vf_zc_qp_deliver(&dev->qps[n_active ? qid % n_active : 0], batch);
    return 0;
}

static struct netdev_rxq *
netdev_vf_zc_rxq_alloc(void)
{
    struct netdev_rxq_vf_zc *rx = xzalloc(sizeof *rx);

    return &rx->up;
}

static int
netdev_vf_zc_rxq_construct(struct netdev_rxq *rxq OVS_UNUSED)
{
    return 0;
}

static void
netdev_vf_zc_rxq_destruct(struct netdev_rxq *rxq OVS_UNUSED)
{
}

static void
netdev_vf_zc_rxq_dealloc(struct netdev_rxq *rxq)
{
    free(netdev_rxq_vf_zc_cast(rxq));
}

static struct vf_zc_qp *
vf_zc_rxq_qp(const struct netdev_rxq *rxq)
{
    struct netdev_vf_zc *dev = netdev_vf_zc_cast(rxq->netdev);

    return (rxq->queue_id < VF_ZC_MAX_QUEUE_PAIRS
            ? &dev->qps[rxq->queue_id] : NULL);
}

/* The relay of the queue pair that this rx queue stands for, and of the
 * guest-only queue pairs that share its VF queue, run by the PMD thread
 * polling it: the only thread that transmits on that VF queue. */
static int
netdev_vf_zc_rxq_bypass(struct netdev_rxq *rxq)
{
    struct netdev_vf_zc *dev = netdev_vf_zc_cast(rxq->netdev);
    struct vf_zc_qp *qp = vf_zc_rxq_qp(rxq);
    int n_vf, n_guest, n;

    atomic_read_relaxed(&dev->n_vf_queues, &n_vf);
    if (!qp || rxq->queue_id >= n_vf) {
        /* No VF queue of its own (the VF is stopped, or has fewer queues
         * than the port had rx queues until its next reconfiguration). */
        return 0;
    }
    n = vf_zc_qp_relay(qp);

    /* The guest's queue pairs beyond the VF's: Q + N, Q + 2N... use VF
     * queue Q of N. */
    atomic_read_relaxed(&dev->n_guest_qps, &n_guest);
    for (int q = rxq->queue_id + n_vf; q < n_guest; q += n_vf) {
        n += vf_zc_qp_relay(&dev->qps[q]);
    }
    return n;
}

/* Packets from the VF for the pipeline: only with options:bypass=false. */
static int
netdev_vf_zc_rxq_recv(struct netdev_rxq *rxq, struct dp_packet_batch *batch,
                      int *qfill)
{
    struct vf_zc_qp *qp = vf_zc_rxq_qp(rxq);

    if (qfill) {
        *qfill = 0;
    }
    if (!qp) {
        return EAGAIN;
    }
    return vf_zc_qp_recv(qp, batch);
}

/* Refreshes the status of the ports whose relay switched zero copy by
 * itself (the relay tells no one, since it takes no lock), and frees the VF
 * mempools whose buffers have all come back.  Main thread. */
static void
netdev_vf_zc_run(const struct netdev_class *netdev_class OVS_UNUSED)
{
    struct netdev_vf_zc *dev;

    ovs_mutex_lock(&vf_zc_mutex);
    LIST_FOR_EACH (dev, list_node, &vf_zc_ports) {
        uint64_t events = 0;

        for (int q = 0; q < VF_ZC_MAX_QUEUE_PAIRS; q++) {
            events += vf_zc_qp_zc_events(&dev->qps[q]);
        }
        ovs_mutex_lock(&dev->mutex);
        if (events != dev->zc_events_seen) {
            dev->zc_events_seen = events;
            netdev_change_seq_changed(&dev->up);
        }
        ovs_mutex_unlock(&dev->mutex);
    }
    ovs_mutex_unlock(&vf_zc_mutex);
    vf_zc_mempool_sweep();
}

/* Makes the main thread look for such changes now and then. */
static void
netdev_vf_zc_wait(const struct netdev_class *netdev_class OVS_UNUSED)
{
    bool any;

    ovs_mutex_lock(&vf_zc_mutex);
    any = !ovs_list_is_empty(&vf_zc_ports);
    ovs_mutex_unlock(&vf_zc_mutex);
    if (any) {
        poll_timer_wait(VF_ZC_STATUS_POLL_MS);
    }
}

static const struct netdev_class vf_zc_class = {
    .type = "vf-zc",
    .is_pmd = true,
    .run = netdev_vf_zc_run,
    .wait = netdev_vf_zc_wait,
    .alloc = netdev_vf_zc_alloc,
    .construct = netdev_vf_zc_construct,
    .destruct = netdev_vf_zc_destruct,
    .dealloc = netdev_vf_zc_dealloc,
    .get_config = netdev_vf_zc_get_config,
    .set_config = netdev_vf_zc_set_config,
    .get_numa_id = netdev_vf_zc_get_numa_id,
    .set_tx_multiq = netdev_vf_zc_set_tx_multiq,
    .send = netdev_vf_zc_send,
    .set_etheraddr = netdev_vf_zc_set_etheraddr,
    .get_etheraddr = netdev_vf_zc_get_etheraddr,
    .get_mtu = netdev_vf_zc_get_mtu,
    .set_mtu = netdev_vf_zc_set_mtu,
    .get_carrier = netdev_vf_zc_get_carrier,
    .get_stats = netdev_vf_zc_get_stats,
    .get_custom_stats = netdev_vf_zc_get_custom_stats,
    .get_status = netdev_vf_zc_get_status,
    .update_flags = netdev_vf_zc_update_flags,
    .reconfigure = netdev_vf_zc_reconfigure,
    .rxq_alloc = netdev_vf_zc_rxq_alloc,
    .rxq_construct = netdev_vf_zc_rxq_construct,
    .rxq_destruct = netdev_vf_zc_rxq_destruct,
    .rxq_dealloc = netdev_vf_zc_rxq_dealloc,
    .rxq_recv = netdev_vf_zc_rxq_recv,
    .rxq_bypass = netdev_vf_zc_rxq_bypass,
};

/* ovs-appctl vf-zc/show [PORT]. */

static void
vf_zc_show_port(struct netdev_vf_zc *dev, struct ds *s)
    OVS_REQUIRES(vf_zc_mutex)
{
    struct smap status = SMAP_INITIALIZER(&status);
    const struct smap_node **nodes;
    int n_active;

    ds_put_format(s, "%s:\n", netdev_get_name(&dev->up));
    netdev_vf_zc_get_status(&dev->up, &status);
    nodes = smap_sort(&status);
    for (size_t i = 0; i < smap_count(&status); i++) {
        ds_put_format(s, "  %s: %s\n", nodes[i]->key, nodes[i]->value);
    }
    free(nodes);
    smap_destroy(&status);

    struct netdev_custom_stats custom;
    netdev_vf_zc_get_custom_stats(&dev->up, &custom);
    ds_put_cstr(s, "  statistics:\n");
    for (size_t i = 0; i < custom.size; i++) {
        ds_put_format(s, "    %s: %"PRIu64"\n", custom.counters[i].name,
                      custom.counters[i].value);
    }
    netdev_free_custom_stats_counters(&custom);

    atomic_read_relaxed(&dev->n_guest_qps, &n_active);
    ovs_mutex_lock(&dev->mutex);
    for (int q = 0; q < MAX(n_active, dev->vf_n_rxq)
                    && q < VF_ZC_MAX_QUEUE_PAIRS; q++) {
        vf_zc_qp_format(&dev->qps[q], s);
    }
    ovs_mutex_unlock(&dev->mutex);
}

static void
vf_zc_unixctl_show(struct unixctl_conn *conn, int argc, const char *argv[],
                   void *aux OVS_UNUSED)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    struct netdev_vf_zc *dev;
    bool found = false;

    ovs_mutex_lock(&vf_zc_mutex);
    LIST_FOR_EACH (dev, list_node, &vf_zc_ports) {
        if (argc < 2 || !strcmp(argv[1], netdev_get_name(&dev->up))) {
            vf_zc_show_port(dev, &s);
            found = true;
        }
    }
    ovs_mutex_unlock(&vf_zc_mutex);

    if (argc >= 2 && !found) {
        unixctl_command_reply_error(conn, "no such vf-zc port");
    } else {
        unixctl_command_reply(conn, ds_cstr(&s));
    }
    ds_destroy(&s);
}

/* ovs-appctl vf-zc/check PORT: verifies zero copy on a live port. */
static void
vf_zc_unixctl_check(struct unixctl_conn *conn, int argc OVS_UNUSED,
                    const char *argv[], void *aux OVS_UNUSED)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    struct netdev_vf_zc *dev;
    bool found = false;
    bool ok = true;

    ovs_mutex_lock(&vf_zc_mutex);
    LIST_FOR_EACH (dev, list_node, &vf_zc_ports) {
        if (!strcmp(argv[1], netdev_get_name(&dev->up))) {
            int n_active;

            found = true;
            ovs_mutex_lock(&dev->mutex);
            atomic_read_relaxed(&dev->n_active_qps, &n_active);
            if (!n_active) {
                ds_put_cstr(&s, "no queue pair relays with a guest\n");
            }
            for (int q = 0; q < n_active; q++) {
                ok = vf_zc_qp_check(&dev->qps[q], &s) && ok;
            }
            ovs_mutex_unlock(&dev->mutex);
        }
    }
    ovs_mutex_unlock(&vf_zc_mutex);

    if (!found) {
        unixctl_command_reply_error(conn, "no such vf-zc port");
    } else if (!ok) {
        ds_put_format(&s, "%s: zero-copy check FAILED\n", argv[1]);
        unixctl_command_reply_error(conn, ds_cstr(&s));
    } else {
        ds_put_format(&s, "%s: zero-copy check passed\n", argv[1]);
        unixctl_command_reply(conn, ds_cstr(&s));
    }
    ds_destroy(&s);
}

void
netdev_vf_zc_register(void)
{
    unixctl_command_register("vf-zc/show", "[port]", 0, 1,
                             vf_zc_unixctl_show, NULL);
    unixctl_command_register("vf-zc/check", "port", 1, 1,
                             vf_zc_unixctl_check, NULL);
    netdev_register_provider(&vf_zc_class);
}
