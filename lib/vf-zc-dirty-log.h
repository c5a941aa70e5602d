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

#ifndef VF_ZC_DIRTY_LOG_H
#define VF_ZC_DIRTY_LOG_H 1

/* The dirty-page log of a guest being live-migrated.
 *
 * While a VMM migrates a guest, it copies the guest's memory to the
 * destination in rounds, and copies again each page written since.  A
 * vhost-user back end writes guest memory behind the VMM's back, so the
 * front end shares a log (VHOST_USER_SET_LOG_BASE) and asks for every write
 * to be marked in it (VHOST_F_LOG_ALL): bit N, counting from the log's first
 * byte and from each byte's least significant bit, stands for the 4 KiB page
 * of guest-physical addresses N * 4096 on.  The VMM reads and clears the
 * bits as it goes, concurrently, so each bit is set with an atomic OR.
 *
 * A write must be visible before its bit: otherwise the VMM may copy the
 * page and clear the bit between the two, and the write never reaches the
 * destination.  vf_zc_dirty_log_mark() therefore orders the caller's earlier
 * stores before the bits it sets.  The VMM's last look comes after the back
 * end has stopped the rings, so everything written until then is logged in
 * time.
 *
 * The log covers guest-physical addresses from 0 up to where the VMM sized
 * it; a write beyond it (a hostile front end's ring or memory table) cannot
 * be marked, and is counted instead.
 *
 * Nothing here knows about DPDK: the log is memory, mapped by whoever owns
 * it, which keeps it mapped while anyone may mark it. */

#include <stdint.h>

#include "ovs-atomic.h"

/* Bytes of guest memory per bit of the log (VHOST_LOG_PAGE). */
#define VF_ZC_DIRTY_LOG_PAGE 4096

struct vf_zc_dirty_log {
    uint8_t *bits;              /* The log, or NULL if there is none. */
    uint64_t size;              /* Bytes at 'bits'. */
};

/* What marking cost and missed, per writer: each ring has its own, so that
 * the writers never share a cache line for them. */
struct vf_zc_dirty_log_stats {
    uint64_t pages;             /* Bits set (a page written twice counts
                                 * twice). */
    uint64_t misses;            /* Pages beyond the log, not marked. */
};

/* Marks in 'log' the pages of the 'len' bytes at guest-physical address
 * 'gpa' that the caller has just written, and counts them in 'stats'.  Any
 * thread: several may mark the same log at once. */
static inline void
vf_zc_dirty_log_mark(const struct vf_zc_dirty_log *log, uint64_t gpa,
                     uint64_t len, struct vf_zc_dirty_log_stats *stats)
{
    uint64_t first, last, n_bits;

    if (!len) {
        return;
    }
    first = gpa / VF_ZC_DIRTY_LOG_PAGE;
    last = (gpa + (len - 1)) / VF_ZC_DIRTY_LOG_PAGE;
    if (gpa + (len - 1) < gpa) {
        /* Wraps around: only a hostile guest's address can. */
        last = UINT64_MAX / VF_ZC_DIRTY_LOG_PAGE;
    }
    n_bits = (!log->bits ? 0
              : log->size > UINT64_MAX / 8 ? UINT64_MAX
              : log->size * 8);

    /* The caller's writes before the bits (see above). */
    atomic_thread_fence(memory_order_release);
    for (uint64_t page = first; page <= last; page++) {
        if (page >= n_bits) {
            stats->misses += last - page + 1;
            break;
        }
        /* The log is plain shared memory, not an OVS atomic type. */
        __atomic_fetch_or(&log->bits[page / 8], (uint8_t) (1u << (page % 8)),
                          __ATOMIC_RELAXED);
        stats->pages++;
    }
}

#endif /* vf-zc-dirty-log.h */
