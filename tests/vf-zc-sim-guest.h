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

#ifndef VF_ZC_SIM_GUEST_H
#define VF_ZC_SIM_GUEST_H 1

/* A simulated guest for vf-zc's unit tests: a virtqueue and its buffers in
 * ordinary memory, written the way a virtio driver writes them.  Tests may
 * also write the ring directly, the way a broken or hostile driver might. */

#include <stdbool.h>
#include <stdint.h>

#include "vf-zc-guest-mem.h"
#include "vf-zc-vring.h"

/* The simulated guest: one memory region at GUEST_BASE holding the rings,
 * then buffers. */
#define GUEST_BASE UINT64_C(0x40000000)
#define GUEST_SIZE (1024 * 1024)
#define RING_SIZE 16

struct guest {
    uint8_t *mem;
    struct vf_zc_guest_mem map;
    struct vf_zc_vring_desc *desc;
    struct vf_zc_vring_avail *avail;
    struct vf_zc_vring_used *used;
    uint16_t avail_idx;         /* Driver's next avail entry. */
    uint16_t next_desc;         /* Next free descriptor (round robin). */
    uint64_t next_buf;          /* Next free buffer GPA (bump allocator). */
    uint16_t last_used;         /* Driver's next used entry to read. */
};

uint64_t desc_gpa(void);
uint64_t avail_gpa(void);
uint64_t used_gpa(void);
void *gpa_to_ptr(struct guest *, uint64_t gpa);

void guest_init(struct guest *);
void guest_destroy(struct guest *);
void device_init(struct guest *, struct vf_zc_vring *, bool event_idx,
                 bool indirect);

uint64_t guest_alloc(struct guest *, uint32_t len);
uint16_t guest_write_chain(struct guest *, int n, const uint32_t *lens,
                           bool writable);
void guest_make_available(struct guest *, uint16_t head);
uint16_t guest_post(struct guest *, int n, const uint32_t *lens,
                    bool writable);
struct vf_zc_vring_used_elem guest_get_used(struct guest *);

#endif /* vf-zc-sim-guest.h */
