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

#ifndef VF_ZC_VIRTIO_NET_H
#define VF_ZC_VIRTIO_NET_H 1

/* The virtio-net device's use of its virtqueues (virtio 1.2, section 5.1.6):
 * packets into a receive queue, with or without mergeable buffers, and out
 * of a transmit queue.  Plain C over struct vf_zc_vring; packets are given
 * as lists of byte ranges, so that any buffer type can be relayed. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vf-zc-vring.h"

/* struct virtio_net_hdr_mrg_rxbuf. */
struct vf_zc_virtio_net_hdr {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
    uint16_t num_buffers;       /* Only with MRG_RXBUF or VERSION_1. */
};
#define VF_ZC_VIRTIO_NET_HDR_F_DATA_VALID 2

/* Feature bits that change the header. */
#define VF_ZC_VIRTIO_NET_F_MRG_RXBUF 15
#define VF_ZC_VIRTIO_F_VERSION_1 32

/* Largest number of buffers one received packet may take with mergeable
 * buffers.  A 9000-byte frame fits in 32 buffers of 290 bytes; guests post
 * buffers of 1500 bytes or more.  A packet that needs more is dropped. */
#define VF_ZC_NET_RX_MAX_BUFFERS 32

size_t vf_zc_virtio_net_hdr_len(uint64_t features);

/* A byte range of a packet. */
struct vf_zc_seg {
    const void *data;
    uint32_t len;
};

enum vf_zc_net_rx_result {
    VF_ZC_NET_RX_OK,            /* Delivered. */
    VF_ZC_NET_RX_NO_BUFFERS,    /* The guest has not posted enough buffers:
                                 * ring unchanged. */
    VF_ZC_NET_RX_TOO_BIG,       /* Without mergeable buffers, the packet does
                                 * not fit the next buffer: ring unchanged. */
    VF_ZC_NET_RX_BAD_BUFFER,    /* A buffer was outside guest memory: the
                                 * packet was dropped, and the buffers taken
                                 * for it returned unused. */
    VF_ZC_NET_RX_BROKEN,        /* The ring is broken. */
    VF_ZC_NET_RX_BUDGET_SPENT,  /* The ring's work budget is spent: ring
                                 * unchanged. */
};

enum vf_zc_net_rx_result vf_zc_net_rx_copy(struct vf_zc_vring *rxq,
                                           size_t hdr_len, bool mergeable,
                                           uint8_t hdr_flags,
                                           const struct vf_zc_seg *segs,
                                           size_t n_segs);

#endif /* vf-zc-virtio-net.h */
