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

/* The netdev class of vf-zc ports: construction, configuration and
 * reconfiguration, the start and stop of the queue pairs with the guest,
 * and the rx queue and send functions through which PMD threads relay.  The
 * other parts of a port are in the files that netdev-vf-zc-private.h lists.
 *
 * Threads: see "Threads and locks" in netdev-vf-zc-private.h. */

#include "netdev-vf-zc.h"
#include "netdev-vf-zc-private.h"

#include <errno.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_vhost.h>

#include "bitmap.h"
#include "dp-packet.h"
#include "dpdk.h"
#include "netdev-dpdk.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "smap.h"
#include "util.h"
#include "vf-zc-events.h"
#include "vf-zc-mempool.h"

VLOG_DEFINE_THIS_MODULE(netdev_vf_zc);

struct ovs_mutex vf_zc_mutex = OVS_MUTEX_INITIALIZER;
struct ovs_list vf_zc_ports OVS_GUARDED_BY(vf_zc_mutex)
    = OVS_LIST_INITIALIZER(&vf_zc_ports);

struct netdev_rxq_vf_zc {
    struct netdev_rxq up;
};

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

/* Ends the relay of queue pairs 'first' and up with the guest: their use of
 * the guest's receive rings, and their VF queues' use of the guest's
 * buffers.  Queue pairs below 'first' go on, so that a guest stopping one
 * of its queue pairs disturbs no other (the started ones are always the
 * first ones: see 'n_guest_qps').
 *
 * Without 'disable', they stop altogether.  With 'disable', those that
 * relay become disabled: they go on emptying their transmit rings,
 * discarding what the guest sends there (see vf_zc_qp_disable()).  That
 * includes enabled ones above a disabled one: QEMU disables a guest's queue
 * pairs from the lowest on, one message at a time, and each must discard
 * what Linux sends there meanwhile.  Queue pairs disabled already stay so;
 * a queue pair starts again once the guest has enabled it and every one
 * below.
 *
 * Either way, what the VF receives on their queues goes to the guest
 * through the queue pairs that go on, if any, and is dropped only if none
 * does. */
static void
vf_zc_end_queue_pairs(struct netdev_vf_zc *dev, int first, bool disable)
    OVS_REQUIRES(dev->mutex)
{
    int n_active, n_guest, n_ring, n_left;

    atomic_read_relaxed(&dev->n_active_qps, &n_active);
    atomic_read_relaxed(&dev->n_guest_qps, &n_guest);
    atomic_read_relaxed(&dev->n_ring_qps, &n_ring);
    n_left = MIN(n_active, first);
    atomic_store_relaxed(&dev->n_active_qps, n_left);
    atomic_store_relaxed(&dev->n_guest_qps, MIN(n_guest, first));
    if (!disable) {
        atomic_store_relaxed(&dev->n_ring_qps, MIN(n_ring, first));
    }
    for (int i = first; i < VF_ZC_MAX_QUEUE_PAIRS; i++) {
        /* From now on, and until vf_zc_sync_guest_relay() catches up with
         * the guest (the main thread, in a moment), their VF queues'
         * packets go to the guest through the queue pairs that go on: the
         * VF's RSS still sends flows to these queues. */
        vf_zc_qp_set_redirect(&dev->qps[i],
                              n_left ? &dev->qps[i % n_left] : NULL);
        if (!disable || bitmap_is_set(dev->started_qps, i)) {
            vf_zc_qp_pause(&dev->qps[i]);
        }
    }
    /* The buffers the VF holds go back to the rings before the rings say
     * where they stopped, and before the guest's memory may go. */
    vf_zc_reclaim_guest_buffers(dev, first);
    vf_zc_reclaim_guest_tx(dev, first);
    if (!first && !disable) {
        vf_zc_dma_unmap(dev);
    }
    for (int i = first; i < VF_ZC_MAX_QUEUE_PAIRS; i++) {
        if (disable && !bitmap_is_set(dev->started_qps, i)) {
            continue;
        }
        /* No pool to switch to either: the VF's may go with it. */
        vf_zc_qp_set_zc(&dev->qps[i], NULL, false,
                        VF_ZC_FALLBACK_FEW_BUFFERS, 0);
        if (disable) {
            vf_zc_qp_disable(&dev->qps[i]);
        } else {
            vf_zc_qp_stop(&dev->qps[i]);
        }
        if (bitmap_is_set(dev->started_qps, i)) {
            vf_zc_event_count(VF_ZC_EVENT_RELAY_STOP);
        }
        bitmap_set0(dev->started_qps, i);
    }
}

/* Stops queue pairs 'first' and up (see vf_zc_end_queue_pairs()).  With
 * 'first' 0, afterward the guest's memory may go away. */
void
vf_zc_stop_queue_pairs(struct netdev_vf_zc *dev, int first)
    OVS_REQUIRES(dev->mutex)
{
    vf_zc_end_queue_pairs(dev, first, false);
}

/* Ends the relay of queue pairs 'first' and up, the guest having disabled
 * their vrings, or one below (see vf_zc_end_queue_pairs()).  The guest's
 * memory stays in use. */
void
vf_zc_disable_queue_pairs(struct netdev_vf_zc *dev, int first)
    OVS_REQUIRES(dev->mutex)
{
    vf_zc_end_queue_pairs(dev, first, true);
}

/* Stops every queue pair's use of the guest's rings, and the VF's use of the
 * guest's buffers.  Afterward the guest's memory may go away. */
void
vf_zc_stop_guest_relay(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    vf_zc_stop_queue_pairs(dev, 0);
}

/* rte_mempool_obj_iter() callback: marks each mbuf of a VF mempool as a
 * DPDK-backed dp_packet, so that a packet received on the VF can enter the
 * datapath without a copy. */

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

    vf_zc_event_count(VF_ZC_EVENT_PORT_CREATE);
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
    dev->tx_pools = xcalloc(VF_ZC_MAX_QUEUE_PAIRS, sizeof *dev->tx_pools);
    dev->tx_zc = xcalloc(VF_ZC_MAX_QUEUE_PAIRS, sizeof *dev->tx_zc);
    dev->zc_old_pools = xcalloc(VF_ZC_MAX_QUEUE_PAIRS,
                                sizeof *dev->zc_old_pools);
    for (int i = 0; i < VF_ZC_MAX_QUEUE_PAIRS; i++) {
        vf_zc_qp_init(&dev->qps[i], i);
    }
    atomic_init(&dev->n_active_qps, 0);
    atomic_init(&dev->n_vf_queues, 0);
    atomic_init(&dev->n_guest_qps, 0);
    atomic_init(&dev->n_ring_qps, 0);
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

    vf_zc_event_count(VF_ZC_EVENT_PORT_DESTROY);
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
    free(dev->iface_id);
    free(dev->vf_error);
    free(dev->relay_error);
    free(dev->refused_msg_reason);
    free(dev->zc_mem_error);
    vf_zc_guest_mem_destroy(&dev->guest_mem);
    free(dev->qps);
    free(dev->zc_pools);
    free(dev->vfq_pools);
    free(dev->vfq_nb_rxd);
    free(dev->zc_old_pools);
    for (int q = 0; q < VF_ZC_MAX_QUEUE_PAIRS; q++) {
        /* The VF has gone, and every mbuf it held with it. */
        if (!vf_zc_txpool_destroy(dev->tx_pools[q])) {
            VLOG_ERR("%s: queue pair %d's transmit pool still had mbufs "
                     "out: leaked", netdev_get_name(netdev), q);
        }
    }
    free(dev->tx_pools);
    free(dev->tx_zc);
    for (size_t i = 0; i < dev->n_tx_retired; i++) {
        if (!vf_zc_txpool_destroy(dev->tx_retired[i])) {
            VLOG_ERR("%s: a retired transmit pool still had mbufs out: "
                     "leaked", netdev_get_name(netdev));
        }
    }
    free(dev->tx_retired);
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

/* Warns, once each time a port becomes bound to a logical port and each time
 * bypass changes while it is, that its relay skips the logical port's flows:
 * both ways with bypass on, from the VM to the VF with bypass off. */
static void
vf_zc_check_bypass_binding(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    const char *name = netdev_get_name(&dev->up);

    if (!dev->iface_id) {
        dev->bypass_warned = false;
        return;
    }
    if (dev->bypass_warned && dev->bypass_warned_on == dev->opts.bypass) {
        return;
    }
    dev->bypass_warned = true;
    dev->bypass_warned_on = dev->opts.bypass;
    if (dev->opts.bypass) {
        VLOG_WARN("%s: bound to logical port %s (external_ids:iface-id), "
                  "but with options:bypass=true the traffic between the VF "
                  "and the VM skips the OpenFlow pipeline both ways, so the "
                  "logical port's flows (OVN's ACLs and port security among "
                  "them) never see it: that is right only if the NIC "
                  "enforces the same policy; options:bypass=false sends the "
                  "VF's traffic to the VM through the flows", name,
                  dev->iface_id);
    } else {
        VLOG_WARN("%s: bound to logical port %s (external_ids:iface-id): "
                  "the VM's traffic to the VF skips the OpenFlow pipeline, "
                  "so the logical port's flows on it (from-lport ACLs, port "
                  "security) never see it: the NIC must enforce them", name,
                  dev->iface_id);
    }
}

void
netdev_vf_zc_set_iface_id(struct netdev *netdev, const char *iface_id)
{
    struct netdev_vf_zc *dev;

    if (!is_vf_zc_class(netdev_get_class(netdev))) {
        return;
    }
    dev = netdev_vf_zc_cast(netdev);
    ovs_mutex_lock(&dev->mutex);
    if (!nullable_string_is_equal(dev->iface_id, iface_id)) {
        free(dev->iface_id);
        dev->iface_id = nullable_xstrdup(iface_id);
        dev->bypass_warned = false;
        vf_zc_check_bypass_binding(dev);
        netdev_change_seq_changed(netdev);
    }
    ovs_mutex_unlock(&dev->mutex);
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
        vf_zc_check_bypass_binding(dev);
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
    int n_started = 0, n_new_first = -1, n_ring;
    char *error = NULL;

    if (dev->guest_state != VF_ZC_GUEST_READY || !dev->vf_started || !n_vf) {
        vf_zc_stop_guest_relay(dev);
        return;
    }
    if (dev->guest_msg_pending) {
        /* The message's own queue pairs are stopped; the others go on. */
        return;
    }

    atomic_read_relaxed(&dev->n_ring_qps, &n_ring);
    if (!n_ring) {
        /* The memory may have changed since the last start; nothing uses
         * it now.  (Disabled queue pairs still use it, but then it has not
         * changed: a new memory table stops them all.) */
        free(dev->relay_error);
        dev->relay_error = NULL;
        vf_zc_dma_unmap(dev);
        error = vf_zc_load_guest_mem(dev);
        free(dev->zc_mem_error);
        dev->zc_mem_error = (!error && dev->opts.zero_copy
                             ? vf_zc_dma_map(dev) : NULL);
    }
    for (int q = 0; !error && q < VF_ZC_MAX_QUEUE_PAIRS; q++) {
        if (!vf_zc_qp_enabled(dev, q)) {
            break;
        }
        if (!bitmap_is_set(dev->started_qps, q)) {
            error = vf_zc_qp_start(&dev->qps[q], dev->vid, &dev->guest_mem,
                                   dev->guest_features);
            if (error) {
                break;
            }
            bitmap_set1(dev->started_qps, q);
            vf_zc_begin_zero_copy_tx(dev, q);
            vf_zc_event_count(VF_ZC_EVENT_RELAY_START);
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
    /* Those from the first disabled one on end (see
     * vf_zc_end_queue_pairs()). */
    vf_zc_disable_queue_pairs(dev, n_started);
    atomic_store_relaxed(&dev->n_ring_qps, MAX(n_ring, n_started));
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

    vf_zc_event_count(VF_ZC_EVENT_RECONFIGURE);
    ovs_mutex_lock(&dev->mutex);
    if (dev->port_id != VF_ZC_PORT_ID_INVALID
        && (!dev->vf_started
            || dev->vf_requested_n_rxq != dev->opts.n_rxq
            || dev->vf_mtu != dev->mtu
            || (dev->vf_mp_bypass && !dev->opts.bypass)
            || (dev->vf_scatter && dev->opts.zero_copy))) {
        /* (With bypass turned off, the VF's packets enter the pipeline, as
         * dp_packets: a pool made for bypass on holds none.  Zero copy
         * needs a VF that does not scatter.) */
        char *error;

        vf_zc_stop_guest_relay(dev);
        error = vf_zc_vf_start(dev);
        free(dev->vf_error);
        dev->vf_error = error;
        if (error) {
            VLOG_ERR("%s: %s", netdev_get_name(netdev), error);
        } else {
            VLOG_INFO("%s: DPDK port %"PRIu16" started with %d queue pairs, "
                      "MTU %d%s", netdev_get_name(netdev), dev->port_id,
                      dev->vf_n_rxq, dev->vf_mtu,
                      (dev->vf_scatter
                       ? ", frames in chains of 2 kB buffers" : ""));
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

static int
netdev_vf_zc_get_status(const struct netdev *netdev, struct smap *args)
{
    return vf_zc_get_status(netdev_vf_zc_cast(netdev), args);
}

static int
netdev_vf_zc_get_stats(const struct netdev *netdev,
                       struct netdev_stats *stats)
{
    return vf_zc_get_stats(netdev_vf_zc_cast(netdev), stats);
}

static int
netdev_vf_zc_get_custom_stats(const struct netdev *netdev,
                              struct netdev_custom_stats *custom)
{
    return vf_zc_get_custom_stats(netdev_vf_zc_cast(netdev), custom);
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
    int n_vf, n_ring, n;

    atomic_read_relaxed(&dev->n_vf_queues, &n_vf);
    if (!qp || rxq->queue_id >= n_vf) {
        /* No VF queue of its own (the VF is stopped, or has fewer queues
         * than the port had rx queues until its next reconfiguration). */
        return 0;
    }
    n = vf_zc_qp_relay(qp);

    /* The guest's queue pairs beyond the VF's: Q + N, Q + 2N... use VF
     * queue Q of N; also once the guest has disabled them, while their
     * rings run. */
    atomic_read_relaxed(&dev->n_ring_qps, &n_ring);
    for (int q = rxq->queue_id + n_vf; q < n_ring; q += n_vf) {
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
        /* No port mutex: the vhost-events thread may hold it for as long
         * as a VF restart takes. */
        if (events != dev->zc_events_seen) {
            dev->zc_events_seen = events;
            netdev_change_seq_changed(&dev->up);
        }
    }
    ovs_mutex_unlock(&vf_zc_mutex);
    vf_zc_mempool_sweep();
    vf_zc_events_run();
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

void
netdev_vf_zc_register(void)
{
    vf_zc_unixctl_register();
    netdev_register_provider(&vf_zc_class);
}
