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

/* The VF of a vf-zc port: finding or probing it, its queues and mempools,
 * starting, restarting and stopping it, and pointing the queue pairs at it.
 *
 * Threads: the main thread (configuration, reconfiguration), and DPDK's
 * vhost-events thread when it takes the guest's buffers back from the VF
 * (vf-zc-zero-copy.c), which may restart the VF; always with the port's
 * 'mutex' held.  See "Threads and locks" in netdev-vf-zc-private.h. */

#include "netdev-vf-zc-private.h"

#include <errno.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dp-packet.h"
#include "openvswitch/vlog.h"
#include "ovs-numa.h"
#include "packets.h"
#include "util.h"
#include "vf-zc-events.h"
#include "vf-zc-mempool.h"

VLOG_DEFINE_THIS_MODULE(vf_zc_vf);

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
char *
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
        vf_zc_event_count(VF_ZC_EVENT_VF_PROBE);
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

uint32_t
vf_zc_frame_len(int mtu)
{
    return mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN + 2 * VLAN_HEADER_LEN;
}

/* Returns how many lcores may hold mbufs of the VF's copy pool in their
 * caches: the main thread, which sets the queues up, and a PMD thread per
 * core.  Not only those that poll the VF now: a PMD thread that polled it
 * before its rx queues moved (a rebalance, a new pmd-cpu-mask) keeps what
 * its cache holds, and with bypass off the pipeline frees the VF's packets
 * on any.  Threads that are not lcores (handlers, DPDK's vhost-events
 * thread) have no cache. */
static unsigned int
vf_zc_vf_mempool_lcores(void)
{
    int n_cores = ovs_numa_get_n_cores();

    return (n_cores == OVS_CORE_UNSPEC ? RTE_MAX_LCORE
            : MIN(n_cores + 1, RTE_MAX_LCORE));
}

/* Returns the longest packet the relay sends from the guest to the VF at MTU
 * 'mtu': a frame with two VLAN tags, rounded up to 1 kB, at least 2 kB. */
static uint32_t
vf_zc_vf_tx_max_len(int mtu)
{
    return MAX(RTE_MBUF_DEFAULT_DATAROOM,
               ROUND_UP(vf_zc_frame_len(mtu), 1024));
}

/* Creates the mempool that backs the VF's receive queues in copy mode, and
 * from which the relay copies the guest's packets to the VF: of dp_packets
 * with bypass off, when the VF's packets enter the pipeline; of plain mbufs
 * otherwise.  Its buffers hold a whole frame, or 2 kB if the VF receives and
 * sends frames in chains of buffers ('vf_scatter').  A pool made for bypass
 * on cannot serve with it off (netdev_vf_zc_reconfigure() replaces it); one
 * made for bypass off serves either way. */
static struct rte_mempool *
vf_zc_vf_mempool_create(struct netdev_vf_zc *dev, int n_q, uint16_t nb_rxd,
                        uint16_t nb_txd, int socket_id)
    OVS_REQUIRES(dev->mutex)
{
    uint32_t data_room = (dev->vf_scatter
                          ? RTE_MBUF_DEFAULT_BUF_SIZE
                          : (RTE_PKTMBUF_HEADROOM
                             + vf_zc_vf_tx_max_len(dev->mtu)));
    unsigned int n_mbufs = vf_zc_mempool_n_mbufs(n_q, nb_rxd, n_q, nb_txd,
                                                 vf_zc_vf_mempool_lcores(),
                                                 VF_ZC_MP_CACHE_SIZE);
    char name[RTE_MEMPOOL_NAMESIZE];
    struct rte_mempool *mp;

    if (!dev->opts.bypass) {
        /* The VF's packets may wait in other ports' transmit queues. */
        n_mbufs += VF_ZC_MP_PIPELINE_MBUFS;
    }

    snprintf(name, sizeof name, "vfzc_%"PRIu16"_%u",
             dev->port_id, dev->vf_mp_generation++);
    mp = vf_zc_mempool_create(name, n_mbufs, VF_ZC_MP_CACHE_SIZE, data_room,
                              socket_id, !dev->opts.bypass);
    if (mp) {
        dev->vf_mp_bypass = dev->opts.bypass;
        dev->vf_tx_max_len = vf_zc_vf_tx_max_len(dev->mtu);
    }
    return mp;
}

/* Counts a stop and start of the whole VF, while it runs, for 'why'
 * (a phrase that follows "restarted"), and logs the first one of the port:
 * every queue of the VF pauses meanwhile. */
void
vf_zc_count_restart(struct netdev_vf_zc *dev, const char *why)
    OVS_REQUIRES(dev->mutex)
{
    dev->vf_restarts++;
    vf_zc_event_count(VF_ZC_EVENT_VF_RESTART);
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
char *
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
    int socket_id, n_q, n_segs, err;

    vf_zc_stop_vf_relay(dev);
    if (dev->vf_started) {
        vf_zc_count_restart(dev, "to apply a new MTU, number of queues, "
                            "bypass or zero copy");
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
    /* Frames that do not fit 2 kB, in chains of 2 kB buffers if the VF
     * receives and sends them so: a quarter of the memory at MTU 9000.
     * Only with bypass on, since the pipeline takes no chains (with bypass
     * off, the VF's packets enter it as they came); and only with zero copy
     * off, since a queue that scatters may place a segment in the headroom
     * of a guest buffer, outside it (see vf-zc-rxpool.h), and zero copy
     * falls back on the copy pool's buffers in queues whose driver was told
     * that buffers hold a whole frame. */
    n_segs = DIV_ROUND_UP(vf_zc_vf_tx_max_len(dev->mtu),
                          RTE_MBUF_DEFAULT_DATAROOM);
    dev->vf_scatter = (dev->opts.bypass && !dev->opts.zero_copy
                       && n_segs > 1
                       && info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER
                       && (info.tx_offload_capa
                           & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
                       && (!info.tx_desc_lim.nb_mtu_seg_max
                           || info.tx_desc_lim.nb_mtu_seg_max >= n_segs));
    if (dev->vf_scatter) {
        conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
        conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
    }
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
    dev->vf_mp = vf_zc_vf_mempool_create(dev, n_q, nb_rxd, nb_txd,
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
        vf_zc_event_count(VF_ZC_EVENT_VF_START_ERROR);
        return xasprintf("could not start DPDK port %"PRIu16": %s",
                         port_id, rte_strerror(-err));
    }
    vf_zc_event_count(VF_ZC_EVENT_VF_START);
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

/* Sets up VF queue 'q' again with 'pool' (its zero-copy pool) and 'nb_rxd'
 * descriptors, or with the copy path's buffers alone if 'pool' is null; its
 * driver releases the buffers it held.  The VF must be stopped. */
int
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

/* Stops every queue pair's use of the VF.  Afterward the VF may be stopped,
 * reconfigured or closed. */
void
vf_zc_stop_vf_relay(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    for (int i = 0; i < VF_ZC_MAX_QUEUE_PAIRS; i++) {
        vf_zc_qp_set_vf(&dev->qps[i], dev->port_id, 0, false, false, NULL,
                        0, true);
    }
}

/* Points the queue pairs at the VF as it is now. */
void
vf_zc_start_vf_relay(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    int n_vf = MIN(dev->vf_n_rxq, dev->opts.n_rxq);

    for (int i = 0; i < VF_ZC_MAX_QUEUE_PAIRS; i++) {
        vf_zc_qp_set_vf(&dev->qps[i], dev->port_id, n_vf ? i % n_vf : 0,
                        dev->vf_started && n_vf, i < n_vf, dev->vf_mp,
                        dev->vf_tx_max_len,
                        /* A pool of plain mbufs keeps the relay in bypass
                         * until netdev_vf_zc_reconfigure() replaces it. */
                        dev->opts.bypass || dev->vf_mp_bypass);
    }
    atomic_store_relaxed(&dev->n_vf_queues, dev->vf_started ? n_vf : 0);
}

/* Starts the VF again after a switch, and the relay's use of it. */
void
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

/* Makes the VF's RSS redirection table spread flows over its first 'n'
 * queues, if it has one, so that flows land where the guest has enabled a
 * queue pair.  Flows that land elsewhere all the same (no table, or packets
 * already queued) are delivered through an enabled queue pair by the relay
 * (vf_zc_qp_set_redirect()). */
void
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

/* Stops the VF and frees its queues, mempool and device, so that the same
 * devargs can be probed again, by this port or another. */
void
vf_zc_vf_detach(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    struct rte_eth_dev_info info;
    uint16_t port_id = dev->port_id;
    int err;

    if (port_id == VF_ZC_PORT_ID_INVALID) {
        return;
    }
    vf_zc_event_count(VF_ZC_EVENT_VF_DETACH);
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
    dev->tx_driver_keeps = false;       /* The next VF may free them. */
    dev->hwaddr = eth_addr_zero;
    VLOG_INFO("%s: detached DPDK port %"PRIu16,
              netdev_get_name(&dev->up), port_id);
}
