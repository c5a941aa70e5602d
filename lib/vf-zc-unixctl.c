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

/* The vf-zc/ ovs-appctl commands: vf-zc/show and vf-zc/check.
 *
 * Threads: the main thread, with 'vf_zc_mutex' held; they never wait for a
 * PMD thread or a guest (see vf-zc-relay.h). */

#include "netdev-vf-zc-private.h"

#include <string.h>

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

/* Registers the vf-zc/ commands. */
void
vf_zc_unixctl_register(void)
{
    unixctl_command_register("vf-zc/show", "[port]", 0, 1,
                             vf_zc_unixctl_show, NULL);
    unixctl_command_register("vf-zc/check", "port", 1, 1,
                             vf_zc_unixctl_check, NULL);
}
