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
#include "vf-zc-events.h"

#include "coverage.h"
#include "ovs-atomic.h"
#include "util.h"

/* See vf-zc-events.h.  Documentation/topics/dpdk/vf-zc.rst lists them. */
COVERAGE_DEFINE(vf_zc_port_create);
COVERAGE_DEFINE(vf_zc_port_destroy);
COVERAGE_DEFINE(vf_zc_reconfigure);
COVERAGE_DEFINE(vf_zc_relay_start);
COVERAGE_DEFINE(vf_zc_relay_stop);
COVERAGE_DEFINE(vf_zc_vf_probe);
COVERAGE_DEFINE(vf_zc_vf_start);
COVERAGE_DEFINE(vf_zc_vf_start_error);
COVERAGE_DEFINE(vf_zc_vf_restart);
COVERAGE_DEFINE(vf_zc_vf_queue_restart);
COVERAGE_DEFINE(vf_zc_vf_detach);
COVERAGE_DEFINE(vf_zc_guest_connect);
COVERAGE_DEFINE(vf_zc_guest_disconnect);
COVERAGE_DEFINE(vf_zc_guest_ready);
COVERAGE_DEFINE(vf_zc_guest_stop);
COVERAGE_DEFINE(vf_zc_guest_vring_enable);
COVERAGE_DEFINE(vf_zc_guest_vring_disable);
COVERAGE_DEFINE(vf_zc_guest_features);
COVERAGE_DEFINE(vf_zc_guest_announce);
COVERAGE_DEFINE(vf_zc_vhost_msg_refused);

/* Events counted so far, by any thread. */
static atomic_uint64_t counts[VF_ZC_N_EVENTS];

/* Of those, the ones added to the coverage counters.  Main thread only. */
static uint64_t folded[VF_ZC_N_EVENTS];

/* Counts one 'event'.  Any thread. */
void
vf_zc_event_count(enum vf_zc_event event)
{
    uint64_t orig;

    ovs_assert(event < VF_ZC_N_EVENTS);
    atomic_add_relaxed(&counts[event], 1, &orig);
}

static void
coverage_add(enum vf_zc_event event, uint64_t n)
{
    switch (event) {
    case VF_ZC_EVENT_PORT_CREATE:
        COVERAGE_ADD(vf_zc_port_create, n);
        break;
    case VF_ZC_EVENT_PORT_DESTROY:
        COVERAGE_ADD(vf_zc_port_destroy, n);
        break;
    case VF_ZC_EVENT_RECONFIGURE:
        COVERAGE_ADD(vf_zc_reconfigure, n);
        break;
    case VF_ZC_EVENT_RELAY_START:
        COVERAGE_ADD(vf_zc_relay_start, n);
        break;
    case VF_ZC_EVENT_RELAY_STOP:
        COVERAGE_ADD(vf_zc_relay_stop, n);
        break;
    case VF_ZC_EVENT_VF_PROBE:
        COVERAGE_ADD(vf_zc_vf_probe, n);
        break;
    case VF_ZC_EVENT_VF_START:
        COVERAGE_ADD(vf_zc_vf_start, n);
        break;
    case VF_ZC_EVENT_VF_START_ERROR:
        COVERAGE_ADD(vf_zc_vf_start_error, n);
        break;
    case VF_ZC_EVENT_VF_RESTART:
        COVERAGE_ADD(vf_zc_vf_restart, n);
        break;
    case VF_ZC_EVENT_VF_QUEUE_RESTART:
        COVERAGE_ADD(vf_zc_vf_queue_restart, n);
        break;
    case VF_ZC_EVENT_VF_DETACH:
        COVERAGE_ADD(vf_zc_vf_detach, n);
        break;
    case VF_ZC_EVENT_GUEST_CONNECT:
        COVERAGE_ADD(vf_zc_guest_connect, n);
        break;
    case VF_ZC_EVENT_GUEST_DISCONNECT:
        COVERAGE_ADD(vf_zc_guest_disconnect, n);
        break;
    case VF_ZC_EVENT_GUEST_READY:
        COVERAGE_ADD(vf_zc_guest_ready, n);
        break;
    case VF_ZC_EVENT_GUEST_STOP:
        COVERAGE_ADD(vf_zc_guest_stop, n);
        break;
    case VF_ZC_EVENT_GUEST_VRING_ENABLE:
        COVERAGE_ADD(vf_zc_guest_vring_enable, n);
        break;
    case VF_ZC_EVENT_GUEST_VRING_DISABLE:
        COVERAGE_ADD(vf_zc_guest_vring_disable, n);
        break;
    case VF_ZC_EVENT_GUEST_FEATURES:
        COVERAGE_ADD(vf_zc_guest_features, n);
        break;
    case VF_ZC_EVENT_GUEST_ANNOUNCE:
        COVERAGE_ADD(vf_zc_guest_announce, n);
        break;
    case VF_ZC_EVENT_VHOST_MSG_REFUSED:
        COVERAGE_ADD(vf_zc_vhost_msg_refused, n);
        break;
    case VF_ZC_N_EVENTS:
    default:
        OVS_NOT_REACHED();
    }
}

/* Adds the events counted since the last call to the coverage counters.
 * Main thread. */
void
vf_zc_events_run(void)
{
    for (int e = 0; e < VF_ZC_N_EVENTS; e++) {
        uint64_t n;

        atomic_read_relaxed(&counts[e], &n);
        if (n != folded[e]) {
            coverage_add(e, n - folded[e]);
            folded[e] = n;
        }
    }
}
