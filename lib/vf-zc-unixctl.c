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

/* The vf-zc/ ovs-appctl commands: vf-zc/show, vf-zc/check,
 * vf-zc/dump-vring and vf-zc/mem-table (documented in
 * lib/netdev-vf-zc-unixctl.man, part of ovs-vswitchd(8)).
 *
 * Threads: the main thread, with 'vf_zc_mutex' held; they never wait for a
 * PMD thread or a guest (see vf-zc-relay.h). */

#include "netdev-vf-zc-private.h"

#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>

#include "netdev.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "smap.h"
#include "unixctl.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(vf_zc_unixctl);

static void
vf_zc_show_port(struct netdev_vf_zc *dev, struct ds *s)
    OVS_REQUIRES(vf_zc_mutex)
{
    struct smap status = SMAP_INITIALIZER(&status);
    const struct smap_node **nodes;
    int n_ring;

    ds_put_format(s, "%s:\n", netdev_get_name(&dev->up));
    netdev_get_status(&dev->up, &status);
    nodes = smap_sort(&status);
    for (size_t i = 0; i < smap_count(&status); i++) {
        ds_put_format(s, "  %s: %s\n", nodes[i]->key, nodes[i]->value);
    }
    free(nodes);
    smap_destroy(&status);

    struct netdev_custom_stats custom;
    netdev_get_custom_stats(&dev->up, &custom);
    ds_put_cstr(s, "  statistics:\n");
    for (size_t i = 0; i < custom.size; i++) {
        ds_put_format(s, "    %s: %"PRIu64"\n", custom.counters[i].name,
                      custom.counters[i].value);
    }
    netdev_free_custom_stats_counters(&custom);

    /* Also those the guest disabled, while their rings run. */
    atomic_read_relaxed(&dev->n_ring_qps, &n_ring);
    ovs_mutex_lock(&dev->mutex);
    for (int q = 0; q < MAX(n_ring, dev->vf_n_rxq)
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

/* Returns the vf-zc port named 'name', or NULL. */
static struct netdev_vf_zc *
vf_zc_port_by_name(const char *name)
    OVS_REQUIRES(vf_zc_mutex)
{
    struct netdev_vf_zc *dev;

    LIST_FOR_EACH (dev, list_node, &vf_zc_ports) {
        if (!strcmp(name, netdev_get_name(&dev->up))) {
            return dev;
        }
    }
    return NULL;
}

/* ovs-appctl vf-zc/dump-vring PORT QUEUE [rx|tx]: the guest's rings of one
 * queue pair, and the chains in flight. */
static void
vf_zc_unixctl_dump_vring(struct unixctl_conn *conn, int argc,
                         const char *argv[], void *aux OVS_UNUSED)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    const char *error = NULL;
    struct netdev_vf_zc *dev;
    bool rx = true, tx = true;
    unsigned int q;

    if (!str_to_uint(argv[2], 10, &q) || q >= VF_ZC_MAX_QUEUE_PAIRS) {
        error = "QUEUE must be a queue pair number";
    } else if (argc > 3 && !strcmp(argv[3], "rx")) {
        tx = false;
    } else if (argc > 3 && !strcmp(argv[3], "tx")) {
        rx = false;
    } else if (argc > 3) {
        error = "the ring must be rx (the guest's receive ring) or tx";
    }
    if (error) {
        unixctl_command_reply_error(conn, error);
        return;
    }

    ovs_mutex_lock(&vf_zc_mutex);
    dev = vf_zc_port_by_name(argv[1]);
    if (!dev) {
        error = "no such vf-zc port";
    } else {
        struct vf_zc_qp *qp = &dev->qps[q];

        if ((rx && !vf_zc_qp_dump_ring(qp, true, &s))
            || (tx && !vf_zc_qp_dump_ring(qp, false, &s))) {
            error = "the queue pair stayed too busy to look at, try again";
        }
    }
    ovs_mutex_unlock(&vf_zc_mutex);

    if (error) {
        unixctl_command_reply_error(conn, error);
    } else {
        unixctl_command_reply(conn, ds_cstr(&s));
    }
    ds_destroy(&s);
}

/* Whether the VF is a device on a bus that reaches memory by DMA (PCI), or
 * a virtual device, which the CPU serves. */
static bool
vf_zc_vf_does_dma(const struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    struct rte_eth_dev_info info;

    return (dev->port_id != VF_ZC_PORT_ID_INVALID
            && !rte_eth_dev_info_get(dev->port_id, &info) && info.device
            && !strcmp(rte_bus_name(rte_dev_bus(info.device)), "pci"));
}

/* How the VF reaches the guest's memory. */
static char *
vf_zc_dma_status(const struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    if (dev->port_id == VF_ZC_PORT_ID_INVALID) {
        return xstrdup("no VF");
    } else if (!vf_zc_vf_does_dma(dev)) {
        return xstrdup("not needed (the VF is a virtual device)");
    } else if (dev->zc_mem_error) {
        return xasprintf("not usable: %s", dev->zc_mem_error);
    } else if (dev->zc_dma_mapped) {
        return xstrdup("mapped for the VF (IOVA as VA)");
    } else if (dev->guest_mem.n_regions
               && dev->guest_mem.regions[0].page_iova) {
        return xstrdup("by physical address (IOVA as PA)");
    } else {
        return xstrdup("not mapped (zero copy has not used this memory "
                       "table)");
    }
}

/* ovs-appctl vf-zc/mem-table PORT: the guest's memory regions as the relay
 * uses them. */
static void
vf_zc_unixctl_mem_table(struct unixctl_conn *conn, int argc OVS_UNUSED,
                        const char *argv[], void *aux OVS_UNUSED)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    struct netdev_vf_zc *dev;

    ovs_mutex_lock(&vf_zc_mutex);
    dev = vf_zc_port_by_name(argv[1]);
    if (dev) {
        const struct vf_zc_guest_mem *mem = &dev->guest_mem;
        bool does_dma;
        char *dma;

        ovs_mutex_lock(&dev->mutex);
        dma = vf_zc_dma_status(dev);
        does_dma = vf_zc_vf_does_dma(dev);
        ds_put_format(&s, "%s: %"PRIuSIZE" guest memory regions, DMA: %s\n",
                      argv[1], mem->n_regions, dma);
        free(dma);
        for (size_t i = 0; i < mem->n_regions; i++) {
            const struct vf_zc_guest_region *r = &mem->regions[i];

            ds_put_format(&s, "  region %"PRIuSIZE": guest %#"PRIx64
                          "-%#"PRIx64" (%"PRIu64" bytes), host %p, ", i,
                          r->gpa, r->gpa + r->size - 1, r->size,
                          (void *) r->hva);
            if (r->page_iova) {
                ds_put_format(&s, "IOVA %#"PRIx64" (first of %"PRIuSIZE
                              " pages of %"PRIu64" bytes)\n",
                              r->page_iova[0],
                              vf_zc_guest_region_n_pages(r, r->page_size),
                              r->page_size);
            } else if (!does_dma || dev->zc_dma_mapped) {
                ds_put_format(&s, "IOVA %p (as host)\n", (void *) r->hva);
            } else {
                ds_put_cstr(&s, "no IOVA\n");
            }
        }
        ovs_mutex_unlock(&dev->mutex);
    }
    ovs_mutex_unlock(&vf_zc_mutex);

    if (!dev) {
        unixctl_command_reply_error(conn, "no such vf-zc port");
    } else {
        unixctl_command_reply(conn, ds_cstr(&s));
    }
    ds_destroy(&s);
}

/* Registers the vf-zc/ commands. */
void
vf_zc_unixctl_register(void)
{
    unixctl_command_register("vf-zc/show", "[port]", 0, 1,
                             vf_zc_unixctl_show, NULL);
    unixctl_command_register("vf-zc/check", "port", 1, 1,
                             vf_zc_unixctl_check, NULL);
    unixctl_command_register("vf-zc/dump-vring", "port queue [rx|tx]", 2, 3,
                             vf_zc_unixctl_dump_vring, NULL);
    unixctl_command_register("vf-zc/mem-table", "port", 1, 1,
                             vf_zc_unixctl_mem_table, NULL);
}
