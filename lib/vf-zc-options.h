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

#ifndef VF_ZC_OPTIONS_H
#define VF_ZC_OPTIONS_H 1

/* Options of a vf-zc port (Interface:options in the database).
 *
 * This is the validation of what a user wrote, kept apart from the netdev
 * class so that it can be unit tested without DPDK.  Parsing never touches
 * devices or the file system; it only decides whether the options are
 * well-formed and says precisely what is wrong when they are not. */

#include <stdbool.h>

#include "openvswitch/compiler.h"

struct smap;

/* Largest number of queue pairs a vf-zc port relays.  Matches the vhost
 * library's limit of virtqueue pairs for one device. */
#define VF_ZC_MAX_QUEUE_PAIRS 128

struct vf_zc_options {
    char *vf_devargs;           /* "vf-devargs": how DPDK finds the VF. */
    char *vhost_server_path;    /* "vhost-server-path": client mode when
                                 * nonnull, server mode when null. */
    int n_rxq;                  /* "n_rxq": VF queue pairs to configure. */
    bool zero_copy;             /* "zero-copy": allow zero-copy receive. */
    bool bypass;                /* "bypass": relay VF to VM directly. */
};

void vf_zc_options_init(struct vf_zc_options *);
void vf_zc_options_destroy(struct vf_zc_options *);
void vf_zc_options_clone(struct vf_zc_options *dst,
                         const struct vf_zc_options *src);
bool vf_zc_options_equal(const struct vf_zc_options *,
                         const struct vf_zc_options *);

char *vf_zc_options_parse(const struct smap *args, struct vf_zc_options *)
    OVS_WARN_UNUSED_RESULT;
char *vf_zc_check_port_name(const char *name) OVS_WARN_UNUSED_RESULT;
char *vf_zc_check_socket_path(const char *path) OVS_WARN_UNUSED_RESULT;

#endif /* vf-zc-options.h */
