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

#ifndef VF_ZC_HOSTILE_RING_H
#define VF_ZC_HOSTILE_RING_H 1

/* Rings written by a hostile guest to make the device work as hard as it can
 * per buffer: for vf-zc's unit tests of the work bound (invariant 8 in the
 * design).  Each attack posts one head in every avail entry, and the guest
 * posts the whole ring again whenever the device has taken it, so the
 * device never runs out of work. */

#include <stdbool.h>
#include <stdint.h>

#include "vf-zc-guest-mem.h"
#include "vf-zc-vring.h"

enum hostile_attack {
    HOSTILE_WHOLE_TABLE,        /* A chain through the whole descriptor
                                 * table, every descriptor empty. */
    HOSTILE_LONGEST,            /* The longest chain the device takes
                                 * (VF_ZC_CHAIN_MAX_DESC), all empty. */
    HOSTILE_INDIRECT_WHOLE,     /* An indirect table as large as the ring,
                                 * chained through, all empty. */
    HOSTILE_INDIRECT_LONGEST,   /* An indirect table as long as the device
                                 * takes, all empty. */
    HOSTILE_BAD_CHAIN,          /* A buffer outside guest memory. */
    HOSTILE_NO_PAYLOAD,         /* A buffer just big enough for a
                                 * virtio-net header. */
    N_HOSTILE_ATTACKS
};

const char *hostile_attack_name(enum hostile_attack);
bool hostile_attack_from_string(const char *, enum hostile_attack *);

struct hostile_ring {
    uint32_t size;
    uint64_t gpa;               /* Guest-physical address of 'mem'. */
    uint8_t *mem;               /* Guest memory: rings, table, buffers. */
    bool own_mem;               /* 'mem' was allocated by hostile_ring. */
    struct vf_zc_guest_mem map;
    struct vf_zc_vring_desc *desc;
    struct vf_zc_vring_avail *avail;
    struct vf_zc_vring_used *used;
};

size_t hostile_ring_mem_size(uint32_t size);
void hostile_ring_init(struct hostile_ring *, uint32_t size,
                       enum hostile_attack, bool device_writes);
void hostile_ring_build(struct hostile_ring *, void *mem, uint64_t gpa,
                        uint32_t size, enum hostile_attack,
                        bool device_writes);
void hostile_ring_destroy(struct hostile_ring *);
void hostile_ring_device_init(struct hostile_ring *, struct vf_zc_vring *);
void hostile_ring_repost(struct hostile_ring *, const struct vf_zc_vring *);

#endif /* vf-zc-hostile-ring.h */
