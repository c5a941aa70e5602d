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
#include "vf-zc-hostile-ring.h"

#include <string.h>

#include "util.h"

/* Guest memory: one region holding, in order, the descriptor table, the
 * avail ring, the used ring, an indirect table (room for twice the ring) and
 * a buffer, each on its own pages; by default at HOSTILE_GPA. */
#define HOSTILE_GPA UINT64_C(0x100000000)
#define HOSTILE_BUF_LEN 4096

static const char *const attack_names[N_HOSTILE_ATTACKS] = {
    [HOSTILE_WHOLE_TABLE] = "whole table of empty descriptors",
    [HOSTILE_LONGEST] = "longest chain of empty descriptors",
    [HOSTILE_INDIRECT_WHOLE] = "indirect table as large as the ring",
    [HOSTILE_INDIRECT_LONGEST] = "longest indirect chain",
    [HOSTILE_BAD_CHAIN] = "buffer outside guest memory",
    [HOSTILE_NO_PAYLOAD] = "header-only buffer",
};

/* For command lines. */
static const char *const attack_keys[N_HOSTILE_ATTACKS] = {
    [HOSTILE_WHOLE_TABLE] = "whole-table",
    [HOSTILE_LONGEST] = "longest",
    [HOSTILE_INDIRECT_WHOLE] = "indirect-whole",
    [HOSTILE_INDIRECT_LONGEST] = "indirect-longest",
    [HOSTILE_BAD_CHAIN] = "bad-chain",
    [HOSTILE_NO_PAYLOAD] = "no-payload",
};

const char *
hostile_attack_name(enum hostile_attack attack)
{
    return attack < N_HOSTILE_ATTACKS ? attack_names[attack] : "unknown";
}

/* Parses 's', one of the attack keys above ("longest", ...). */
bool
hostile_attack_from_string(const char *s, enum hostile_attack *attack)
{
    for (int i = 0; i < N_HOSTILE_ATTACKS; i++) {
        if (!strcmp(s, attack_keys[i])) {
            *attack = i;
            return true;
        }
    }
    return false;
}

static size_t
page_round(size_t n)
{
    return ROUND_UP(n, 4096);
}

/* Chains 'n' empty descriptors of 'table' from its first, pointing at 'gpa',
 * for a device that writes them if 'device_writes'. */
static void
chain_empty(struct vf_zc_vring_desc *table, uint32_t n, uint64_t gpa,
            bool device_writes)
{
    for (uint32_t i = 0; i < n; i++) {
        table[i].addr = gpa;
        table[i].len = 0;
        table[i].flags = ((i + 1 < n ? VF_ZC_VRING_DESC_F_NEXT : 0)
                          | (device_writes ? VF_ZC_VRING_DESC_F_WRITE : 0));
        table[i].next = i + 1;
    }
}

/* Guest memory that a ring of 'size' entries and its buffers take. */
size_t
hostile_ring_mem_size(uint32_t size)
{
    return (3 * page_round(size * sizeof(struct vf_zc_vring_desc))
            + page_round(4 + 2 * size + 2) + page_round(4 + 8 * size + 2)
            + HOSTILE_BUF_LEN);
}

/* Makes 'h' a ring of 'size' entries, in its own memory, whose every avail
 * entry names descriptor 0, the head of 'attack'. */
void
hostile_ring_init(struct hostile_ring *h, uint32_t size,
                  enum hostile_attack attack, bool device_writes)
{
    size_t total = hostile_ring_mem_size(size);

    hostile_ring_build(h, xzalloc(total), HOSTILE_GPA, size, attack,
                       device_writes);
    h->own_mem = true;
}

/* Makes 'h' a ring as hostile_ring_init() does, in the caller's zeroed
 * memory 'mem' of hostile_ring_mem_size(size) bytes, at guest-physical
 * address 'gpa'. */
void
hostile_ring_build(struct hostile_ring *h, void *mem, uint64_t gpa,
                   uint32_t size, enum hostile_attack attack,
                   bool device_writes)
{
    size_t desc_size = page_round(size * sizeof *h->desc);
    size_t avail_size = page_round(4 + 2 * size + 2);
    size_t used_size = page_round(4 + 8 * size + 2);
    size_t table_size = 2 * page_round(size * sizeof *h->desc);
    size_t total = hostile_ring_mem_size(size);
    uint64_t table_gpa = gpa + desc_size + avail_size + used_size;
    uint64_t buf_gpa = table_gpa + table_size;
    uint16_t write = device_writes ? VF_ZC_VRING_DESC_F_WRITE : 0;
    struct vf_zc_vring_desc *table;
    char *error;

    memset(h, 0, sizeof *h);
    h->size = size;
    h->gpa = gpa;
    h->mem = mem;
    vf_zc_guest_mem_init(&h->map);
    error = vf_zc_guest_mem_add(&h->map, gpa, total, h->mem);
    ovs_assert(!error);
    h->desc = (void *) h->mem;
    h->avail = (void *) (h->mem + desc_size);
    h->used = (void *) (h->mem + desc_size + avail_size);
    table = (void *) (h->mem + (table_gpa - gpa));

    switch (attack) {
    case HOSTILE_WHOLE_TABLE:
        chain_empty(h->desc, size, gpa, device_writes);
        break;
    case HOSTILE_LONGEST:
        chain_empty(h->desc, MIN(size, VF_ZC_CHAIN_MAX_DESC), gpa,
                    device_writes);
        break;
    case HOSTILE_INDIRECT_WHOLE:
    case HOSTILE_INDIRECT_LONGEST: {
        uint32_t n = (attack == HOSTILE_INDIRECT_WHOLE ? size
                      : VF_ZC_CHAIN_MAX_DESC - 1);

        chain_empty(table, n, gpa, device_writes);
        h->desc[0].addr = table_gpa;
        h->desc[0].len = n * sizeof *table;
        h->desc[0].flags = VF_ZC_VRING_DESC_F_INDIRECT;
        break;
    }
    case HOSTILE_BAD_CHAIN:
        h->desc[0].addr = gpa + total;
        h->desc[0].len = 2048;
        h->desc[0].flags = write;
        break;
    case HOSTILE_NO_PAYLOAD:
        h->desc[0].addr = buf_gpa;
        h->desc[0].len = 12;
        h->desc[0].flags = write;
        break;
    case N_HOSTILE_ATTACKS:
    default:
        OVS_NOT_REACHED();
    }
    /* The ring entries are all 0 already: every one names descriptor 0. */
    h->avail->idx = size;
}

void
hostile_ring_destroy(struct hostile_ring *h)
{
    vf_zc_guest_mem_destroy(&h->map);
    if (h->own_mem) {
        free(h->mem);
    }
}

/* Sets up 'vq' as the device's side of 'h', with indirect descriptors. */
void
hostile_ring_device_init(struct hostile_ring *h, struct vf_zc_vring *vq)
{
    bool ok = vf_zc_vring_init(vq, h->desc, h->avail, h->used, h->size,
                               &h->map, false, true, 0, 0);
    ovs_assert(ok);
}

/* Posts the whole ring again, as far as the buffers the device has returned
 * let a guest (a hostile one never waits for them to be useful). */
void
hostile_ring_repost(struct hostile_ring *h, const struct vf_zc_vring *vq)
{
    h->avail->idx = vq->last_used_idx + h->size;
}
