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

#ifndef VF_ZC_EVENTS_H
#define VF_ZC_EVENTS_H 1

/* Coverage counters (ovs-appctl coverage/show) for the events of a vf-zc
 * port's life.
 *
 * Many of these events happen in DPDK's vhost-events thread, which is not an
 * Open vSwitch thread: it never folds its per-thread coverage counts into the
 * totals (coverage_try_clear()), so COVERAGE_INC() there would count
 * nothing.  Instead, any thread counts an event here, atomically, and the
 * main thread adds what was counted to the coverage counters in
 * vf_zc_events_run().  Events of PMD threads (drops, zero-copy switches) use
 * COVERAGE_INC() directly: PMD threads fold their counts. */

enum vf_zc_event {
    VF_ZC_EVENT_PORT_CREATE,
    VF_ZC_EVENT_PORT_DESTROY,
    VF_ZC_EVENT_RECONFIGURE,
    VF_ZC_EVENT_RELAY_START,
    VF_ZC_EVENT_RELAY_STOP,
    VF_ZC_EVENT_VF_PROBE,
    VF_ZC_EVENT_VF_START,
    VF_ZC_EVENT_VF_START_ERROR,
    VF_ZC_EVENT_VF_RESTART,
    VF_ZC_EVENT_VF_QUEUE_RESTART,
    VF_ZC_EVENT_VF_DETACH,
    VF_ZC_EVENT_GUEST_CONNECT,
    VF_ZC_EVENT_GUEST_DISCONNECT,
    VF_ZC_EVENT_GUEST_READY,
    VF_ZC_EVENT_GUEST_STOP,
    VF_ZC_EVENT_GUEST_VRING_ENABLE,
    VF_ZC_EVENT_GUEST_VRING_DISABLE,
    VF_ZC_EVENT_GUEST_FEATURES,
    VF_ZC_EVENT_GUEST_ANNOUNCE,
    VF_ZC_EVENT_VHOST_MSG_REFUSED,
    VF_ZC_N_EVENTS
};

void vf_zc_event_count(enum vf_zc_event);
void vf_zc_events_run(void);

#endif /* vf-zc-events.h */
