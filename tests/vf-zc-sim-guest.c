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
#undef NDEBUG
#include "vf-zc-sim-guest.h"

#include <string.h>

#include "util.h"

/* Where the rings are. */
uint64_t
desc_gpa(void)
{
    return GUEST_BASE;
}

uint64_t
avail_gpa(void)
{
    return GUEST_BASE + 16 * RING_SIZE;
}

uint64_t
used_gpa(void)
{
    return GUEST_BASE + 4096;
}

void *
gpa_to_ptr(struct guest *g, uint64_t gpa)
{
    return g->mem + (gpa - GUEST_BASE);
}

void
guest_init(struct guest *g)
{
    char *error;

    memset(g, 0, sizeof *g);
    g->mem = xzalloc(GUEST_SIZE);
    vf_zc_guest_mem_init(&g->map);
    error = vf_zc_guest_mem_add(&g->map, GUEST_BASE, GUEST_SIZE, g->mem);
    ovs_assert(!error);
    g->desc = gpa_to_ptr(g, desc_gpa());
    g->avail = gpa_to_ptr(g, avail_gpa());
    g->used = gpa_to_ptr(g, used_gpa());
    g->next_buf = GUEST_BASE + 8192;
}

void
guest_destroy(struct guest *g)
{
    vf_zc_guest_mem_destroy(&g->map);
    free(g->mem);
}

void
device_init(struct guest *g, struct vf_zc_vring *vq, bool event_idx,
            bool indirect)
{
    bool ok = vf_zc_vring_init(vq, g->desc, g->avail, g->used, RING_SIZE,
                               &g->map, event_idx, indirect, 0, 0);
    ovs_assert(ok);
}

uint64_t
guest_alloc(struct guest *g, uint32_t len)
{
    uint64_t gpa = g->next_buf;

    g->next_buf += ROUND_UP(len, 64);
    ovs_assert(g->next_buf <= GUEST_BASE + GUEST_SIZE);
    return gpa;
}

/* Writes a chain of 'n' descriptors of the given lengths and returns its
 * head; does not make it available. */
uint16_t
guest_write_chain(struct guest *g, int n, const uint32_t *lens, bool writable)
{
    uint16_t head = g->next_desc;

    for (int i = 0; i < n; i++) {
        uint16_t d = (head + i) % RING_SIZE;

        g->desc[d].addr = guest_alloc(g, lens[i]);
        g->desc[d].len = lens[i];
        g->desc[d].flags = ((writable ? VF_ZC_VRING_DESC_F_WRITE : 0)
                            | (i + 1 < n ? VF_ZC_VRING_DESC_F_NEXT : 0));
        g->desc[d].next = (d + 1) % RING_SIZE;
    }
    g->next_desc = (head + n) % RING_SIZE;
    return head;
}

void
guest_make_available(struct guest *g, uint16_t head)
{
    g->avail->ring[g->avail_idx % RING_SIZE] = head;
    g->avail_idx++;
    g->avail->idx = g->avail_idx;
}

uint16_t
guest_post(struct guest *g, int n, const uint32_t *lens, bool writable)
{
    uint16_t head = guest_write_chain(g, n, lens, writable);

    guest_make_available(g, head);
    return head;
}

struct vf_zc_vring_used_elem
guest_get_used(struct guest *g)
{
    ovs_assert(g->used->idx != g->last_used);
    return g->used->ring[g->last_used++ % RING_SIZE];
}
