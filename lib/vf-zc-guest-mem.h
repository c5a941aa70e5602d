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

#ifndef VF_ZC_GUEST_MEM_H
#define VF_ZC_GUEST_MEM_H 1

/* A guest's memory, as the host sees it.
 *
 * A vhost-user front end shares its memory as a few regions, each a range of
 * guest-physical addresses (GPA) mapped somewhere in this process.  Every
 * address in a virtqueue descriptor is a GPA chosen by the guest, so every
 * translation checks that the whole range lies inside one region: a range
 * that straddles two regions, wraps around, or lies outside all of them is
 * refused.  Regions need not be contiguous in the host even when they are in
 * the guest, so a straddling range cannot be served by one pointer.
 *
 * For zero-copy receive, host addresses are translated once more, to the I/O
 * virtual addresses (IOVA) a device uses to reach the memory by DMA.  With
 * DPDK in IOVA-as-VA mode an IOVA is the host virtual address itself (once
 * the regions are mapped for the device); in IOVA-as-PA mode it is the
 * physical address, which the owner looks up once per page of pinned
 * (hugepage-backed) memory and installs with vf_zc_guest_mem_set_pages().  A
 * range is translated only if it lies in one region and, in PA mode, in
 * physically contiguous pages.
 *
 * A map is immutable once built.  Its owner replaces it, rather than changing
 * it, when the guest's memory table changes; nothing may keep a translation
 * across such a change. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "openvswitch/compiler.h"

struct vf_zc_guest_region {
    uint64_t gpa;               /* First guest-physical address. */
    uint64_t size;              /* Bytes; never zero. */
    uint8_t *hva;               /* Where 'gpa' is mapped in this process. */

    /* IOVA of each page of the region, from 'hva' on, in IOVA-as-PA mode;
     * NULL in IOVA-as-VA mode, where IOVA == 'hva'.  'hva' need not be
     * aligned to 'page_size': page i covers hva + i * page_size on. */
    uint64_t *page_iova;
    uint64_t page_size;         /* A power of 2, with 'page_iova'. */
};

struct vf_zc_guest_mem {
    size_t n_regions;
    struct vf_zc_guest_region *regions;
};

void vf_zc_guest_mem_init(struct vf_zc_guest_mem *);
void vf_zc_guest_mem_destroy(struct vf_zc_guest_mem *);
char *vf_zc_guest_mem_add(struct vf_zc_guest_mem *, uint64_t gpa,
                          uint64_t size, void *hva) OVS_WARN_UNUSED_RESULT;
void vf_zc_guest_mem_set_pages(struct vf_zc_guest_mem *, size_t region,
                               uint64_t page_size, uint64_t *page_iova);
size_t vf_zc_guest_region_n_pages(const struct vf_zc_guest_region *,
                                  uint64_t page_size);

bool vf_zc_guest_mem_to_iova(const struct vf_zc_guest_mem *, const void *hva,
                             uint64_t len, uint64_t *iova);
bool vf_zc_guest_mem_contains(const struct vf_zc_guest_mem *, const void *hva,
                              uint64_t len);

/* Returns a host pointer to the 'len' bytes at guest-physical 'gpa', or NULL
 * if they do not all lie in one region.  'len' may be zero. */
static inline void *
vf_zc_guest_mem_translate(const struct vf_zc_guest_mem *mem, uint64_t gpa,
                          uint64_t len)
{
    for (size_t i = 0; i < mem->n_regions; i++) {
        const struct vf_zc_guest_region *r = &mem->regions[i];

        /* Written so that no sum can overflow: 'gpa - r->gpa' is computed
         * only when gpa >= r->gpa. */
        if (gpa >= r->gpa && gpa - r->gpa < r->size
            && len <= r->size - (gpa - r->gpa)) {
            return r->hva + (gpa - r->gpa);
        }
    }
    return NULL;
}

#endif /* vf-zc-guest-mem.h */
