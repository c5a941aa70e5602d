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

#ifndef NETDEV_VF_ZC_H
#define NETDEV_VF_ZC_H 1

/* The "vf-zc" netdev class: one port pairs an SR-IOV VF (any DPDK ethdev)
 * with a VM's vhost-user socket, and PMD threads relay packets between the
 * two without the OpenFlow pipeline.  See Documentation/topics/dpdk/vf-zc.rst.
 *
 * Registered by netdev_initialize() in every DPDK build.  A vf-zc port only
 * works once DPDK is initialized (other_config:dpdk-init); until then its
 * configuration is refused with an error that says so. */

struct netdev;

void netdev_vf_zc_register(void);

/* Tells 'netdev', if it is a vf-zc port (any other netdev is left alone),
 * the logical port that its Interface's external_ids:iface-id binds it to,
 * or NULL.  With bypass on, the VF's traffic to the VM skips the logical
 * port's flows: the port's status says so, and it logs a warning. */
void netdev_vf_zc_set_iface_id(struct netdev *, const char *iface_id);

#endif /* netdev-vf-zc.h */
