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

/* What a vf-zc port reports: the Interface table's status column and its
 * statistics column (netdev_stats and the custom statistics).
 *
 * Each is given twice over, so that operators' tools and collectors work
 * unchanged: under the names that dpdk and dpdkvhostuser interfaces use, with
 * the same meaning (port_no, driver_name, mode, socket, features, rx_q0_*,
 * ...), and under vf-zc's own names, which say which side of the relay a
 * thing belongs to (vf-*, guest-*, relay-*; counters of vf-zc's own making
 * carry OVS's "ovs_" prefix).  Documentation/topics/dpdk/vf-zc.rst and
 * vswitchd/vswitch.xml list them all.
 *
 * Threads: the main thread (which also serves ovs-appctl).  Counters are
 * read without any queue pair's lock (vf_zc_stat_read()); the port's mutex
 * is taken for the port's own fields; a broken ring's error is read with
 * vf_zc_qp_get_ring_error(), which gives up after about 10 ms if the queue
 * pair's PMD thread keeps it busy. */

#include "netdev-vf-zc-private.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_version.h>
#include <rte_vhost.h>

#include "openvswitch/dynamic-string.h"
#include "packets.h"
#include "smap.h"
#include "util.h"

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

/* Whether the guest is being logged for live migration (VHOST_F_LOG_ALL), and
 * whether the 'n_qps' started queue pairs mark their writes. */
static const char *
vf_zc_dirty_log_status(const struct netdev_vf_zc *dev, int n_qps)
    OVS_REQUIRES(dev->mutex)
{
    int n_logging = 0;

    if (dev->guest_state != VF_ZC_GUEST_READY
        || !(dev->guest_features & (UINT64_C(1) << VHOST_F_LOG_ALL))) {
        return "off";
    }
    for (int q = 0; q < n_qps; q++) {
        n_logging += vf_zc_qp_logging(&dev->qps[q]);
    }
    return (n_logging == n_qps
            ? "on"
            : "on (queue pairs starting)");
}

/* RTE_ETH_SPEED_NUM_* as netdev-dpdk's link_speed says it ("10Gbps"). */
static char *
vf_zc_link_speed(uint32_t mbps)
{
    if (mbps == RTE_ETH_SPEED_NUM_NONE || mbps == RTE_ETH_SPEED_NUM_UNKNOWN) {
        return xstrdup("Not Defined");
    } else if (mbps < 1000) {
        return xasprintf("%"PRIu32"Mbps", mbps);
    } else if (mbps % 1000) {
        return xasprintf("%"PRIu32".%"PRIu32"Gbps", mbps / 1000,
                         mbps % 1000 / 100);
    } else {
        return xasprintf("%"PRIu32"Gbps", mbps / 1000);
    }
}

/* The keys of a dpdk interface's status (netdev_dpdk_get_status()), for the
 * VF, and n_rxq and n_txq: the VF queues the port relays. */
static void
vf_zc_dpdk_status(struct netdev_vf_zc *dev, struct smap *args)
    OVS_REQUIRES(dev->mutex)
{
    struct rte_eth_dev_info info;
    struct rte_eth_link link;
    const char *bus_info;

    if (dev->port_id == VF_ZC_PORT_ID_INVALID
        || rte_eth_dev_info_get(dev->port_id, &info)) {
        return;
    }

    smap_add_format(args, "port_no", "%"PRIu16, dev->port_id);
    smap_add_format(args, "numa_id", "%d",
                    rte_eth_dev_socket_id(dev->port_id));
    smap_add(args, "driver_name", info.driver_name);
    smap_add_format(args, "min_rx_bufsize", "%"PRIu32, info.min_rx_bufsize);
    smap_add_format(args, "max_rx_pktlen", "%"PRIu32,
                    vf_zc_frame_len(dev->vf_mtu ? dev->vf_mtu : dev->mtu));
    smap_add_format(args, "max_rx_queues", "%"PRIu16, info.max_rx_queues);
    smap_add_format(args, "max_tx_queues", "%"PRIu16, info.max_tx_queues);
    smap_add_format(args, "max_mac_addrs", "%"PRIu32, info.max_mac_addrs);
    smap_add_format(args, "max_hash_mac_addrs", "%"PRIu32,
                    info.max_hash_mac_addrs);
    smap_add_format(args, "max_vfs", "%"PRIu16, info.max_vfs);
    smap_add_format(args, "max_vmdq_pools", "%"PRIu16, info.max_vmdq_pools);
    /* ethernetCsmacd (RFC 3635), as netdev-dpdk says of every port. */
    smap_add(args, "if_type", "6");
    smap_add_format(args, "if_descr", "%s %s", rte_version(),
                    info.driver_name);
    bus_info = rte_dev_bus_info(info.device);
    smap_add_format(args, "bus_info", "bus_name=%s%s%s",
                    rte_bus_name(rte_dev_bus(info.device)),
                    bus_info ? ", " : "", bus_info ? bus_info : "");
    if (!rte_eth_link_get_nowait(dev->port_id, &link)) {
        char *speed = vf_zc_link_speed(link.link_speed);

        smap_add(args, "link_speed", speed);
        free(speed);
    }
    smap_add_format(args, "n_rxq", "%d", dev->vf_n_rxq);
    smap_add_format(args, "n_txq", "%d", dev->vf_n_txq);
}

/* The keys of a dpdkvhostuser interface's status
 * (netdev_dpdk_vhost_user_get_status()), for the guest's side. */
static void
vf_zc_vhost_status(struct netdev_vf_zc *dev, struct smap *args)
    OVS_REQUIRES(dev->mutex)
{
    uint16_t n_vrings, mtu;
    int numa;

    smap_add(args, "mode", dev->vhost_client ? "client" : "server");
    if (dev->guest_state == VF_ZC_GUEST_DISCONNECTED) {
        smap_add(args, "status", "disconnected");
        return;
    }
    smap_add(args, "status", "connected");
    if (dev->vhost_path) {
        smap_add(args, "socket", dev->vhost_path);
    }
    if (dev->guest_state != VF_ZC_GUEST_READY) {
        return;
    }
    smap_add_format(args, "features", "0x%016"PRIx64, dev->guest_features);
    if (!rte_vhost_get_mtu(dev->vid, &mtu)) {
        smap_add_format(args, "mtu", "%"PRIu16, mtu);
    }
    numa = rte_vhost_get_numa_node(dev->vid);
    if (numa >= 0) {
        smap_add_format(args, "numa", "%d", numa);
    }
    n_vrings = rte_vhost_get_vring_num(dev->vid);
    if (n_vrings) {
        smap_add_format(args, "num_of_vrings", "%"PRIu16, n_vrings);
    }
    for (int i = 0; i < n_vrings; i++) {
        struct rte_vhost_vring vring;

        if (!rte_vhost_get_vhost_vring(dev->vid, i, &vring)) {
            smap_add_nocopy(args, xasprintf("vring_%d_size", i),
                            xasprintf("%"PRIu16, vring.size));
        }
    }
}

/* The port's status column: the keys of dpdk and dpdkvhostuser interfaces
 * first, then vf-zc's own. */
int
vf_zc_get_status(struct netdev_vf_zc *dev, struct smap *args)
{
    ovs_mutex_lock(&dev->mutex);

    vf_zc_dpdk_status(dev, args);
    vf_zc_vhost_status(dev, args);

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
    if (dev->refused_msgs) {
        smap_add_format(args, "vhost-refused-messages", "%"PRIu64,
                        dev->refused_msgs);
        smap_add(args, "vhost-refused-reason", dev->refused_msg_reason);
    }
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
    zc = vf_zc_zc_tx_status(dev, n_active);
    smap_add(args, "zero-copy-tx", zc);
    free(zc);
    smap_add(args, "dirty-logging", vf_zc_dirty_log_status(dev, n_guest));
    if (dev->iface_id) {
        smap_add(args, "iface-id", dev->iface_id);
        if (dev->opts.bypass) {
            smap_add_format(args, "bypass-warning", "options:bypass=true: "
                            "the traffic between the VF and the VM skips the "
                            "flows of logical port %s both ways (OVN's ACLs "
                            "and port security included); right only if the "
                            "NIC enforces them", dev->iface_id);
        } else {
            smap_add_format(args, "bypass-warning", "the VM's traffic to the "
                            "VF skips the flows of logical port %s "
                            "(from-lport ACLs and port security included); "
                            "right only if the NIC enforces them",
                            dev->iface_id);
        }
    }
    /* Also the rings of queue pairs the guest has disabled. */
    int n_ring;
    atomic_read_relaxed(&dev->n_ring_qps, &n_ring);
    for (int q = 0; q < n_ring; q++) {
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

/* The counters of every queue pair, summed, and the VF's own drops. */
struct vf_zc_totals {
    uint64_t vf_to_guest_packets, vf_to_guest_bytes;
    uint64_t pipeline_to_guest_packets, pipeline_to_guest_bytes;
    uint64_t guest_to_vf_packets, guest_to_vf_bytes;
    uint64_t guest_notifications;
    uint64_t drops[VF_ZC_N_DROPS];
    uint64_t vf_to_guest_zero_copy_packets, vf_to_guest_copy_packets;
    uint64_t fallbacks[VF_ZC_N_FALLBACKS];
    uint64_t guest_to_vf_zero_copy_packets, guest_to_vf_copy_packets;
    uint64_t tx_copies[VF_ZC_N_TX_COPY];
    uint64_t dirty_pages_logged, dirty_log_misses, announcements;

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
        sum->guest_notifications
            += (vf_zc_stat_read(&s->guest_rx_notifications)
                + vf_zc_stat_read(&s->guest_tx_notifications));
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
        sum->guest_to_vf_zero_copy_packets
            += vf_zc_stat_read(&s->guest_to_vf_zero_copy_packets);
        sum->guest_to_vf_copy_packets
            += vf_zc_stat_read(&s->guest_to_vf_copy_packets);
        for (int c = 0; c < VF_ZC_N_TX_COPY; c++) {
            sum->tx_copies[c] += vf_zc_stat_read(&s->tx_copies[c]);
        }
        sum->dirty_pages_logged += vf_zc_stat_read(&s->dirty_pages_logged);
        sum->dirty_log_misses += vf_zc_stat_read(&s->dirty_log_misses);
        sum->announcements += vf_zc_stat_read(&s->announcements);
    }
}

/* Interface statistics follow the vhost-user ports' convention: "tx" is into
 * the VM, "rx" is from the VM. */
int
vf_zc_get_stats(struct netdev_vf_zc *dev, struct netdev_stats *stats)
{
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
                         + t.drops[VF_ZC_DROP_GUEST_TX_ERROR]
                         + t.drops[VF_ZC_DROP_TX_DISABLED]);
    stats->rx_errors = t.drops[VF_ZC_DROP_GUEST_TX_ERROR];
    return 0;
}

/* Custom statistics are built in a growing array. */
struct vf_zc_counters {
    struct netdev_custom_counter *c;
    size_t n, allocated;
};

static void OVS_PRINTF_FORMAT(3, 4)
vf_zc_counter(struct vf_zc_counters *cs, uint64_t value,
              const char *format, ...)
{
    va_list args;

    if (cs->n >= cs->allocated) {
        cs->c = x2nrealloc(cs->c, &cs->allocated, sizeof *cs->c);
    }
    va_start(args, format);
    vsnprintf(cs->c[cs->n].name, sizeof cs->c[cs->n].name, format, args);
    va_end(args);
    cs->c[cs->n++].value = value;
}

/* vf-zc's own counters, summed over the queue pairs, with OVS's "ovs_"
 * prefix for counters of its own making. */
static void
vf_zc_own_counters(struct netdev_vf_zc *dev, struct vf_zc_counters *cs)
{
    struct vf_zc_totals t;

    vf_zc_sum_stats(dev, &t);
#define VF_ZC_OWN(NAME, VALUE) vf_zc_counter(cs, VALUE, "ovs_" NAME)
    VF_ZC_OWN("vf_to_guest_packets", t.vf_to_guest_packets);
    VF_ZC_OWN("vf_to_guest_bytes", t.vf_to_guest_bytes);
    VF_ZC_OWN("pipeline_to_guest_packets", t.pipeline_to_guest_packets);
    VF_ZC_OWN("pipeline_to_guest_bytes", t.pipeline_to_guest_bytes);
    VF_ZC_OWN("guest_to_vf_packets", t.guest_to_vf_packets);
    VF_ZC_OWN("guest_to_vf_bytes", t.guest_to_vf_bytes);
    VF_ZC_OWN("guest_notifications", t.guest_notifications);
    VF_ZC_OWN("vf_to_guest_zero_copy_packets",
              t.vf_to_guest_zero_copy_packets);
    VF_ZC_OWN("vf_to_guest_copy_packets", t.vf_to_guest_copy_packets);
    VF_ZC_OWN("guest_to_vf_zero_copy_packets",
              t.guest_to_vf_zero_copy_packets);
    VF_ZC_OWN("guest_to_vf_copy_packets", t.guest_to_vf_copy_packets);
    VF_ZC_OWN("vf_rx_nombuf", t.vf_rx_nombuf);
    VF_ZC_OWN("vf_rx_missed", t.vf_rx_missed);
    VF_ZC_OWN("dirty_pages_logged", t.dirty_pages_logged);
    VF_ZC_OWN("dirty_log_misses", t.dirty_log_misses);
    VF_ZC_OWN("guest_announcements", t.announcements);
#undef VF_ZC_OWN
    for (int f = 0; f < VF_ZC_N_FALLBACKS; f++) {
        vf_zc_counter(cs, t.fallbacks[f], "ovs_zero_copy_fallback_%s",
                      vf_zc_fallback_name(f));
    }
    for (int c = 0; c < VF_ZC_N_TX_COPY; c++) {
        vf_zc_counter(cs, t.tx_copies[c], "ovs_zero_copy_tx_fallback_%s",
                      vf_zc_tx_copy_name(c));
    }
    for (int d = 0; d < VF_ZC_N_DROPS; d++) {
        vf_zc_counter(cs, t.drops[d], "ovs_dropped_%s", vf_zc_drop_name(d));
    }
}

/* Per queue pair, the counters that dpdkvhostuser interfaces take from
 * DPDK's vhost library, under its names: "rx_qN_" for what came from the
 * guest's transmit ring of queue pair N, "tx_qN_" for what went into its
 * receive ring.  Only those vf-zc counts; for the queue pairs whose rings
 * run. */
static void
vf_zc_vhost_queue_counters(struct netdev_vf_zc *dev,
                           struct vf_zc_counters *cs)
{
    int n_ring;

    atomic_read_relaxed(&dev->n_ring_qps, &n_ring);
    for (int q = 0; q < n_ring; q++) {
        const struct vf_zc_qp_stats *s = &dev->qps[q].stats;

        vf_zc_counter(cs, vf_zc_stat_read(&s->guest_to_vf_packets),
                      "rx_q%d_good_packets", q);
        vf_zc_counter(cs, vf_zc_stat_read(&s->guest_to_vf_bytes),
                      "rx_q%d_good_bytes", q);
        vf_zc_counter(cs, vf_zc_stat_read(&s->guest_tx_notifications),
                      "rx_q%d_guest_notifications", q);
    }
    for (int q = 0; q < n_ring; q++) {
        const struct vf_zc_qp_stats *s = &dev->qps[q].stats;

        vf_zc_counter(cs, (vf_zc_stat_read(&s->vf_to_guest_packets)
                           + vf_zc_stat_read(&s->pipeline_to_guest_packets)),
                      "tx_q%d_good_packets", q);
        vf_zc_counter(cs, (vf_zc_stat_read(&s->vf_to_guest_bytes)
                           + vf_zc_stat_read(&s->pipeline_to_guest_bytes)),
                      "tx_q%d_good_bytes", q);
        vf_zc_counter(cs, vf_zc_stat_read(&s->guest_rx_notifications),
                      "tx_q%d_guest_notifications", q);
    }
}

/* The VF's extended statistics, as its driver names them, from the VF's
 * point of view ("rx" from the wire), with the prefix "vf_". */
static void
vf_zc_vf_xstats(struct netdev_vf_zc *dev, struct vf_zc_counters *cs)
    OVS_REQUIRES(dev->mutex)
{
    struct rte_eth_xstat_name *names;
    struct rte_eth_xstat *values;
    int n;

    if (dev->port_id == VF_ZC_PORT_ID_INVALID) {
        return;
    }
    n = rte_eth_xstats_get_names(dev->port_id, NULL, 0);
    if (n <= 0) {
        return;
    }
    names = xcalloc(n, sizeof *names);
    values = xcalloc(n, sizeof *values);
    if (rte_eth_xstats_get_names(dev->port_id, names, n) == n
        && rte_eth_xstats_get(dev->port_id, values, n) == n) {
        for (int i = 0; i < n; i++) {
            if (values[i].id < n) {
                vf_zc_counter(cs, values[i].value, "vf_%s",
                              names[values[i].id].name);
            }
        }
    }
    free(names);
    free(values);
}

int
vf_zc_get_custom_stats(struct netdev_vf_zc *dev,
                       struct netdev_custom_stats *custom)
{
    struct vf_zc_counters cs = { NULL, 0, 0 };

    vf_zc_own_counters(dev, &cs);
    vf_zc_vhost_queue_counters(dev, &cs);
    ovs_mutex_lock(&dev->mutex);
    vf_zc_vf_xstats(dev, &cs);
    ovs_mutex_unlock(&dev->mutex);

    custom->counters = cs.c;
    custom->size = MIN(cs.n, UINT16_MAX);
    return 0;
}
