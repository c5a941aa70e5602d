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
    return NULL;
}
