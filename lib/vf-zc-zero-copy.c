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

/* Zero-copy receive for a vf-zc port: which VF queues take the guest's
 * receive buffers (their pools, vf-zc-rxpool.h), making the guest's memory
 * reachable by the VF's device, and taking the buffers back before the
 * guest's memory or rings change.
 *
 * Threads: the main thread (reconfiguration), and DPDK's vhost-events thread
 * (before a guest's change); always with the port's 'mutex' held.  The
 * relay switches a queue between zero copy and copy by itself, in place,
 * once the queue has its pool (vf-zc-relay.h). */

#include "netdev-vf-zc-private.h"

#include <errno.h>
#include <string.h>
#include <sys/vfs.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_memory.h>
#include <rte_vhost.h>

#include "dp-packet.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "util.h"
#include "vf-zc-events.h"

VLOG_DEFINE_THIS_MODULE(vf_zc_zero_copy);

/* Zero-copy receive.
 *
 * A VF queue whose queue pair relays with the guest is set up with a
 * zero-copy pool (vf-zc-rxpool.h) when its queue pair first starts, if zero
 * copy is allowed and the guest's buffers suit it, or may come to (they are
 * too few or too small yet), and keeps that pool from then on: the pool
 * hands out the guest's buffers while zero copy is on, and the copy path's
 * ('vf_mp') otherwise, so that the relay switches between the two in place,
 * by itself (vf-zc-relay.h).  Setting a queue up with its pool the first
 * time, or again for a guest ring of another size, needs the VF stopped on
 * most drivers: both directions pause for a moment.
 *
 * Only taking the guest's buffers back from the VF, before the guest's
 * rings stop or its memory changes (invariant 1 in the design), may need
 * more: nothing if the VF holds none (drivers that take buffers only as
 * they receive), a stop and start of that one queue where the driver can
 * (and releases the buffers of a stopped queue), and otherwise a stop and
 * start of the whole VF, with the queue set up again, which releases them:
 * vf_zc_reclaim_guest_buffers(). */

/* Headers a zero-copy pool has beyond the VF ring it fills: a burst being
 * relayed, and a burst a driver may take ahead. */
#define VF_ZC_ZC_POOL_SLACK (2 * NETDEV_MAX_BURST)

/* The hugetlbfs magic number, from <linux/magic.h>. */
#define VF_ZC_HUGETLBFS_MAGIC 0x958458f6

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

/* Makes the guest's memory reachable by the VF's device.  A software device
 * (on the vdev bus: net_tap, net_null, net_pcap...) works on virtual
 * addresses and needs nothing.  A PCI device in IOVA-as-VA mode needs the
 * memory mapped for its DMA; in IOVA-as-PA mode, the physical address of each
 * page, which must be hugepage-backed so that it stays put.  Returns NULL on
 * success, otherwise a malloc'ed message: the port then copies. */
char *
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
void
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

/* Takes back from the VF every guest buffer that its queues hold, and gives
 * them to the guest unused; afterward no VF queue takes guest buffers until
 * vf_zc_begin_zero_copy().  Each queue keeps its pool, which hands out host
 * buffers meanwhile.  The queue pairs must be paused (vf_zc_qp_pause()); the
 * guest's memory must still be mapped. */
void
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
            vf_zc_event_count(VF_ZC_EVENT_VF_QUEUE_RESTART);
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

/* Zero-copy transmit: chains in flight at most, per queue pair, and the
 * shortest packet lent rather than copied.  Copying a short packet costs
 * less than lending it (an mbuf header, its reference count and the
 * callback); 256 bytes is a first guess, to be measured (bench/). */
#define VF_ZC_TX_SLOTS 128
#define VF_ZC_TX_MIN_LEN 256

/* How long a driver may take to free the guest buffers it sent, once asked
 * (rte_eth_tx_done_cleanup()), before the VF is stopped to free them. */
#define VF_ZC_TX_DRAIN_MS 100

/* Keeps queue pair 'q''s transmit pool, abandoned and no longer the queue
 * pair's, aside until the VF has freed the last of its mbufs (a later
 * retirement looks) or the port goes (netdev_vf_zc_destruct()): the next
 * vf_zc_begin_zero_copy_tx() creates another. */
static void
vf_zc_retire_txpool(struct netdev_vf_zc *dev, int q)
    OVS_REQUIRES(dev->mutex)
{
    size_t n = 0;

    /* Those whose last mbufs the VF has freed since go now: only pools
     * that a driver still holds mbufs of stay. */
    for (size_t i = 0; i < dev->n_tx_retired; i++) {
        if (!vf_zc_txpool_destroy(dev->tx_retired[i])) {
            dev->tx_retired[n++] = dev->tx_retired[i];
        }
    }
    dev->n_tx_retired = n;
    dev->tx_retired = xrealloc(dev->tx_retired, (dev->n_tx_retired + 1)
                                                * sizeof *dev->tx_retired);
    dev->tx_retired[dev->n_tx_retired++] = dev->tx_pools[q];
    dev->tx_pools[q] = NULL;
}

/* Whether the port's queue pairs may lend the guest's transmit buffers to the
 * VF, as far as the port's options and state say. */
static enum vf_zc_tx_zc
vf_zc_tx_zc_allowed(const struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    return (!dev->opts.zero_copy ? VF_ZC_TX_ZC_DISABLED
            : dev->zc_mem_error ? VF_ZC_TX_ZC_UNREACHABLE
            : dev->tx_driver_keeps ? VF_ZC_TX_ZC_DRIVER_KEEPS
            : VF_ZC_TX_ZC_ON);
}

/* Lets queue pair 'q', which has just started to relay with the guest, lend
 * the guest's transmit buffers to the VF, if zero copy is allowed, with the
 * pool the queue pair has (or a new one). */
void
vf_zc_begin_zero_copy_tx(struct netdev_vf_zc *dev, int q)
    OVS_REQUIRES(dev->mutex)
{
    /* The VF reads the guest's memory only where it can reach it.  The
     * VF's transmit queues take no chains while they receive whole frames
     * (see vf_zc_vf_start()): one buffer after the header. */
    enum vf_zc_tx_zc why = vf_zc_tx_zc_allowed(dev);
    unsigned int max_segs = 1;

    /* A driver that frees what it sent without the mbuf library (fast
     * free) would never return the guest's buffers. */
    for (int i = 0; why == VF_ZC_TX_ZC_ON && i < dev->vf_n_txq; i++) {
        struct rte_eth_txq_info info;

        if (!rte_eth_tx_queue_info_get(dev->port_id, i, &info)
            && info.conf.offloads & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE) {
            why = VF_ZC_TX_ZC_FAST_FREE;
        }
    }
    if (dev->tx_pools[q] && vf_zc_txpool_is_abandoned(dev->tx_pools[q])) {
        /* The queue pair's last rings stopped with chains the VF held
         * (vf_zc_qp_stop()).  The queue pair has let go of the pool then,
         * under 'dev->mutex' as here: the port is its owner now. */
        vf_zc_retire_txpool(dev, q);
    }
    if (why == VF_ZC_TX_ZC_ON && !dev->tx_pools[q]) {
        char name[RTE_MEMPOOL_NAMESIZE];

        snprintf(name, sizeof name, "vfzc_t%"PRIu16"_%d_%u", dev->port_id, q,
                 dev->vf_mp_generation++);
        /* A header goes back to the pool only after the free callback
         * that releases its chain: a burst's worth more than the table
         * needs. */
        dev->tx_pools[q] = vf_zc_txpool_create(name, VF_ZC_TX_SLOTS,
                                               (VF_ZC_TX_SLOTS
                                                + NETDEV_MAX_BURST)
                                               * max_segs,
                                               dev->vf_socket_id);
        if (!dev->tx_pools[q]) {
            VLOG_WARN("%s: could not create zero-copy transmit pool for "
                      "queue pair %d: %s", netdev_get_name(&dev->up), q,
                      rte_strerror(rte_errno));
            why = VF_ZC_TX_ZC_NO_POOL;
        }
    }
    dev->tx_zc[q] = why;
    vf_zc_qp_set_txpool(&dev->qps[q], dev->tx_pools[q],
                        why == VF_ZC_TX_ZC_ON, max_segs, VF_ZC_TX_MIN_LEN);
}

static const char *
vf_zc_tx_zc_reason(enum vf_zc_tx_zc why)
{
    switch (why) {
    case VF_ZC_TX_ZC_ON:
        return "on";
    case VF_ZC_TX_ZC_DISABLED:
        return "disabled by options:zero-copy=false";
    case VF_ZC_TX_ZC_UNREACHABLE:
        return "guest memory cannot be mapped for the VF";
    case VF_ZC_TX_ZC_FAST_FREE:
        return "the VF's driver frees sent buffers without the mbuf "
               "library (MBUF_FAST_FREE)";
    case VF_ZC_TX_ZC_NO_POOL:
        return "no memory for the transmit pool";
    case VF_ZC_TX_ZC_DRIVER_KEEPS:
        return "the VF's driver kept guest buffers even when stopped";
    }
    return "unknown";
}

/* The status key "zero-copy-tx": whether the 'n_qps' queue pairs that relay
 * lend the guest's transmit buffers to the VF, as vf_zc_zc_status() says of
 * its receive buffers. */
char *
vf_zc_zc_tx_status(const struct netdev_vf_zc *dev, int n_qps)
    OVS_REQUIRES(dev->mutex)
{
    int n_on = 0, first_off = -1;
    enum vf_zc_tx_zc why;

    for (int q = 0; q < n_qps; q++) {
        if (dev->tx_zc[q] == VF_ZC_TX_ZC_ON) {
            n_on++;
        } else if (first_off < 0) {
            first_off = q;
        }
    }
    if (n_qps && n_on == n_qps) {
        return xstrdup("active");
    } else if (!n_qps) {
        /* What the next guest would get. */
        why = vf_zc_tx_zc_allowed(dev);
        return xasprintf("inactive (%s)", why == VF_ZC_TX_ZC_ON
                         ? "no guest to send from"
                         : vf_zc_tx_zc_reason(why));
    }

    why = dev->tx_zc[first_off];
    bool detail = why == VF_ZC_TX_ZC_UNREACHABLE && dev->zc_mem_error;
    char *reason = xasprintf("%s%s%s", vf_zc_tx_zc_reason(why),
                             detail ? ": " : "",
                             detail ? dev->zc_mem_error : "");
    char *status = (!n_on
                    ? xasprintf("inactive (%s)", reason)
                    : xasprintf("active on %d of %d queue pairs (queue pair "
                                "%d: %s)", n_on, n_qps, first_off, reason));
    free(reason);
    return status;
}

static uint32_t
vf_zc_tx_held(struct netdev_vf_zc *dev, int first)
    OVS_REQUIRES(dev->mutex)
{
    uint32_t held = 0;

    for (int q = first; q < VF_ZC_MAX_QUEUE_PAIRS; q++) {
        held += dev->tx_pools[q] ? vf_zc_qp_tx_held(&dev->qps[q]) : 0;
    }
    return held;
}

/* Asks the started VF's driver to free the 'held' guest transmit buffers that
 * queue pairs 'first' and up lent it, then stops and restarts each transmit
 * queue, then, if it still holds some, the whole VF.  Cleanup goes on for
 * VF_ZC_TX_DRAIN_MS at most, and only while it frees something, of these
 * queue pairs' or of others queued before them: a driver that frees nothing
 * in two rounds, a millisecond apart, has nothing left on the wire. */
static void
vf_zc_drain_vf_tx(struct netdev_vf_zc *dev, int first, uint32_t held)
    OVS_REQUIRES(dev->mutex)
{
    bool cleanup = true, restart = false;
    int idle = 0;

    vf_zc_stop_vf_relay(dev);
    for (int ms = 0; held && cleanup && idle < 2 && ms < VF_ZC_TX_DRAIN_MS;
         ms++) {
        uint32_t before = held;
        bool freed = false;

        for (int q = 0; q < dev->vf_n_txq; q++) {
            int n = rte_eth_tx_done_cleanup(dev->port_id, q, 0);

            if (n == -ENOTSUP) {
                cleanup = false;
            }
            freed |= n > 0;
        }
        held = vf_zc_tx_held(dev, first);
        idle = held < before || freed ? 0 : idle + 1;
        if (held && cleanup && idle < 2) {
            xnanosleep(1000 * 1000);
        }
    }
    for (int q = 0; held && q < dev->vf_n_txq; q++) {
        /* Most drivers that can stop one queue free its mbufs. */
        if (!rte_eth_dev_tx_queue_stop(dev->port_id, q)
            && rte_eth_dev_tx_queue_start(dev->port_id, q)) {
            /* A queue left stopped would drop every other queue pair's
             * packets to it: the whole VF starts again. */
            static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 60);

            VLOG_ERR_RL(&rl, "%s: could not restart VF transmit queue %d",
                        netdev_get_name(&dev->up), q);
            restart = true;
        }
        held = vf_zc_tx_held(dev, first);
    }
    if (held || restart) {
        vf_zc_count_restart(dev, held
                            ? "to take back guest transmit buffers that "
                              "its driver would not free"
                            : "to restart a transmit queue");
        for (int q = 0; q < first; q++) {
            vf_zc_qp_pause(&dev->qps[q]);
        }
        rte_eth_dev_stop(dev->port_id);
        dev->vf_started = false;
        vf_zc_restart_vf(dev);
        for (int q = 0; q < first; q++) {
            vf_zc_qp_resume(&dev->qps[q]);
        }
    } else {
        vf_zc_start_vf_relay(dev);
    }
}

/* Has the VF release every guest transmit buffer that queue pairs 'first'
 * and up lent it, before their rings stop or the guest's memory changes
 * (invariant 12 in the design).  Drivers free what they sent as they send
 * more, or when asked to (rte_eth_tx_done_cleanup()); what one still holds
 * then goes when the VF stops, which it then does, as the counted exception
 * of invariant 9.  No PMD thread uses the VF meanwhile: the VF's transmit
 * queues have one writer at a time (invariant 11).  What even a stopped VF
 * holds is lost to the guest, and only that: the rest of each ring goes
 * back.  The queue pairs from 'first' on must be paused. */
void
vf_zc_reclaim_guest_tx(struct netdev_vf_zc *dev, int first)
    OVS_REQUIRES(dev->mutex)
{
    uint32_t held = vf_zc_tx_held(dev, first);

    if (!held) {
        return;
    }
    if (dev->vf_started) {
        vf_zc_drain_vf_tx(dev, first, held);
    }
    for (int q = first; q < VF_ZC_MAX_QUEUE_PAIRS; q++) {
        uint32_t n = dev->tx_pools[q] ? vf_zc_qp_tx_held(&dev->qps[q]) : 0;

        if (n) {
            /* Their chains must never reach a ring again. */
            VLOG_ERR("%s: the VF still holds %"PRIu32" guest transmit "
                     "buffers of queue pair %d after it stopped: they are "
                     "lost to the guest, and the port lends no more",
                     netdev_get_name(&dev->up), n, q);
            vf_zc_qp_forget_txpool(&dev->qps[q]);
            vf_zc_retire_txpool(dev, q);
            dev->tx_driver_keeps = true;
        }
    }
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
void
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
char *
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
