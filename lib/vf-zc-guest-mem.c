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
#include "vf-zc-guest-mem.h"

#include "util.h"

void
vf_zc_guest_mem_init(struct vf_zc_guest_mem *mem)
{
    mem->n_regions = 0;
    mem->regions = NULL;
}

void
vf_zc_guest_mem_destroy(struct vf_zc_guest_mem *mem)
{
    for (size_t i = 0; i < mem->n_regions; i++) {
        free(mem->regions[i].page_iova);
    }
    free(mem->regions);
    vf_zc_guest_mem_init(mem);
}

/* Adds the region of 'size' bytes at guest-physical 'gpa', mapped at 'hva'.
 * Returns NULL on success, otherwise a malloc'ed message: regions may not be
 * empty, wrap around the guest-physical or host address space, or overlap
 * another region in the guest. */
char *
vf_zc_guest_mem_add(struct vf_zc_guest_mem *mem, uint64_t gpa, uint64_t size,
                    void *hva)
{
    struct vf_zc_guest_region *r;

    if (!size) {
        return xasprintf("guest memory region at %#"PRIx64" is empty", gpa);
    }
    if (gpa + size - 1 < gpa
        || (uintptr_t) hva + (size - 1) < (uintptr_t) hva) {
        return xasprintf("guest memory region at %#"PRIx64" of %"PRIu64" "
                         "bytes wraps around", gpa, size);
    }
    for (size_t i = 0; i < mem->n_regions; i++) {
        r = &mem->regions[i];
        if (gpa <= r->gpa + (r->size - 1) && r->gpa <= gpa + (size - 1)) {
            return xasprintf("guest memory region at %#"PRIx64" overlaps "
                             "the one at %#"PRIx64, gpa, r->gpa);
        }
    }

    mem->regions = xrealloc(mem->regions,
                            (mem->n_regions + 1) * sizeof *mem->regions);
    r = &mem->regions[mem->n_regions++];
    r->gpa = gpa;
    r->size = size;
    r->hva = hva;
    r->page_iova = NULL;
    r->page_size = 0;
    return NULL;
}

/* Returns the number of pages of 'page_size' bytes (a power of 2) that
 * region 'r' touches, counting from the page that holds its first byte. */
size_t
vf_zc_guest_region_n_pages(const struct vf_zc_guest_region *r,
                           uint64_t page_size)
{
    uint64_t first = (uintptr_t) r->hva & ~(page_size - 1);
    uint64_t last = ((uintptr_t) r->hva + (r->size - 1)) & ~(page_size - 1);

    return (last - first) / page_size + 1;
}

/* Gives region 'region' of 'mem' the IOVA of each of its pages, for IOVA-as-PA
 * mode: 'page_iova' has vf_zc_guest_region_n_pages() entries, the first for
 * the page that holds the region's first byte, and 'mem' takes it over. */
void
vf_zc_guest_mem_set_pages(struct vf_zc_guest_mem *mem, size_t region,
                          uint64_t page_size, uint64_t *page_iova)
{
    struct vf_zc_guest_region *r = &mem->regions[region];

    ovs_assert(region < mem->n_regions && is_pow2(page_size));
    free(r->page_iova);
    r->page_iova = page_iova;
    r->page_size = page_size;
}

/* Returns the region that holds all of the 'len' bytes at host address
 * 'hva', or NULL.  'len' must not be zero. */
static const struct vf_zc_guest_region *
find_hva(const struct vf_zc_guest_mem *mem, const void *hva, uint64_t len)
{
    uintptr_t p = (uintptr_t) hva;

    for (size_t i = 0; i < mem->n_regions; i++) {
        const struct vf_zc_guest_region *r = &mem->regions[i];
        uintptr_t start = (uintptr_t) r->hva;

        if (p >= start && p - start < r->size
            && len <= r->size - (p - start)) {
            return r;
        }
    }
    return NULL;
}

/* Returns true if the 'len' bytes at 'hva' (len > 0) lie in one region of
 * 'mem'. */
bool
vf_zc_guest_mem_contains(const struct vf_zc_guest_mem *mem, const void *hva,
                         uint64_t len)
{
    return len && find_hva(mem, hva, len);
}

/* Translates the 'len' bytes (len > 0) at host address 'hva', which must lie
 * in one region of 'mem', to the IOVA a device reaches them at, and stores it
 * in '*iova'.  Returns false if they are not in one region or, in IOVA-as-PA
 * mode, not in physically contiguous pages. */
bool
vf_zc_guest_mem_to_iova(const struct vf_zc_guest_mem *mem, const void *hva,
                        uint64_t len, uint64_t *iova)
{
    const struct vf_zc_guest_region *r = len ? find_hva(mem, hva, len) : NULL;
    uint64_t mask, base, first, last;

    if (!r) {
        return false;
    }
    if (!r->page_iova) {
        *iova = (uintptr_t) hva;
        return true;
    }

    /* Pages are counted from the one that holds the region's first byte. */
    mask = r->page_size - 1;
    base = (uintptr_t) r->hva & ~mask;
    first = (((uintptr_t) hva) - base) / r->page_size;
    last = (((uintptr_t) hva) + (len - 1) - base) / r->page_size;
    for (uint64_t i = first + 1; i <= last; i++) {
        if (r->page_iova[i] != r->page_iova[first]
                               + (i - first) * r->page_size) {
            return false;
        }
    }
    *iova = r->page_iova[first] + ((uintptr_t) hva & mask);
    return true;
}
