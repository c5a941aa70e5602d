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
#include "vf-zc-vring.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ovs-atomic.h"
#include "util.h"
#include "vf-zc-guest-mem.h"

/* A write the guest may read at any time: made exactly once, where written.
 * (The reads are vf_zc_vring_read_u16() and vf_zc_vring_read_desc().) */
static inline void
write_once_u16(uint16_t *p, uint16_t value)
{
    *(volatile uint16_t *) p = value;
}

/* The event index fields, after the rings (virtio 1.2, 2.7.10). */
static inline uint16_t *
vring_used_event(const struct vf_zc_vring *vq)
{
    return &vq->avail->ring[vq->size];
}

static inline uint16_t *
vring_avail_event(const struct vf_zc_vring *vq)
{
    return (uint16_t *) &vq->used->ring[vq->size];
}

/* Marks the 'len' bytes at 'offset' in the used ring, just written, in the
 * guest's dirty-page log, if it is being logged with the used ring. */
static inline void
log_used(struct vf_zc_vring *vq, size_t offset, size_t len)
{
    if (OVS_UNLIKELY(vq->used_gpa)) {
        vf_zc_dirty_log_mark(vq->log, vq->used_gpa + offset, len,
                             &vq->log_stats);
    }
}

/* Takes the chain at 'head' as a bad chain. */
static enum vf_zc_vring_status
vring_bad_chain(struct vf_zc_vring *vq, struct vf_zc_chain *chain,
                uint16_t head)
{
    chain->head = head;
    chain->n_iov = 0;
    chain->len = 0;
    vq->last_avail_idx++;
    vq->bad_chains++;
    return VF_ZC_VRING_BAD_CHAIN;
}

/* Marks 'vq' broken for the reason given by 'format'.  Only the first reason
 * is kept: it is the one that explains the rest. */
static enum vf_zc_vring_status OVS_PRINTF_FORMAT(2, 3)
vring_break(struct vf_zc_vring *vq, const char *format, ...)
{
    if (!vf_zc_vring_is_broken(vq)) {
        va_list args;

        va_start(args, format);
        vsnprintf(vq->error, sizeof vq->error, format, args);
        va_end(args);
    }
    return VF_ZC_VRING_BROKEN;
}

/* Sets up 'vq' to process the ring of 'size' entries whose parts are at
 * 'desc', 'avail' and 'used', resuming at the given positions (those the
 * vhost library kept across a reconnect, or 0 for a new ring).  Returns false,
 * with the reason in vq->error, if the ring cannot be processed. */
bool
vf_zc_vring_init(struct vf_zc_vring *vq, void *desc, void *avail, void *used,
                 uint32_t size, const struct vf_zc_guest_mem *mem,
                 bool event_idx, bool indirect,
                 uint16_t last_avail_idx, uint16_t last_used_idx)
{
    memset(vq, 0, sizeof *vq);
    vq->desc = desc;
    vq->avail = avail;
    vq->used = used;
    vq->mem = mem;
    vq->event_idx = event_idx;
    vq->indirect = indirect;
    vq->last_avail_idx = vq->avail_idx = last_avail_idx;
    vq->last_used_idx = vq->published_used_idx = last_used_idx;
    vq->signalled_used = last_used_idx;
    vq->budget = VF_ZC_VRING_NO_LIMIT;

    if (!desc || !avail || !used) {
        vring_break(vq, "ring is not mapped");
    } else if (!size || size > VF_ZC_VRING_MAX_SIZE || !IS_POW2(size)) {
        vring_break(vq, "ring size %"PRIu32" is not a power of 2 up to %d",
                    size, VF_ZC_VRING_MAX_SIZE);
    } else if ((uint16_t) (last_avail_idx - last_used_idx) > size) {
        vring_break(vq, "resumed with %"PRIu16" buffers in flight in a ring "
                    "of %"PRIu32, (uint16_t) (last_avail_idx - last_used_idx),
                    size);
    }
    vq->size = vf_zc_vring_is_broken(vq) ? 0 : size;
    return !vf_zc_vring_is_broken(vq);
}

/* Returns the number of chains the guest has made available and the device
 * has not taken yet.  Reads the guest's avail index. */
uint16_t
vf_zc_vring_avail_count(struct vf_zc_vring *vq)
{
    uint16_t idx, count;

    if (vf_zc_vring_is_broken(vq)) {
        return 0;
    }

    idx = vf_zc_vring_read_u16(&vq->avail->idx);
    count = idx - vq->last_avail_idx;
    if (count > vq->size) {
        vring_break(vq, "avail index jumped from %"PRIu16" to %"PRIu16" in a "
                    "ring of %"PRIu16, vq->last_avail_idx, idx, vq->size);
        return 0;
    }
    /* The ring entries below 'idx' must be read after 'idx' itself: the
     * guest wrote them before it published the index (acquire pairs with the
     * guest's write barrier). */
    atomic_thread_fence(memory_order_acquire);
    vq->avail_idx = idx;
    return count;
}

/* Takes the next available chain from 'vq' into 'chain', translating each of
 * its buffers.  'device_writes' says whether the device writes the buffers
 * (a receive ring) or reads them (a transmit ring); every descriptor of the
 * chain must agree.
 *
 * Returns VF_ZC_VRING_OK if a chain was taken (the caller must return it
 * through vf_zc_vring_push() or give it back with vf_zc_vring_unpop()),
 * VF_ZC_VRING_BAD_CHAIN if a chain was taken whose buffers are not all in
 * guest memory (chain->head is set; the caller must return it with
 * vf_zc_vring_push() and length 0), VF_ZC_VRING_EMPTY if none is available,
 * VF_ZC_VRING_BUDGET_SPENT if fewer than VF_ZC_CHAIN_MAX_DESC descriptor
 * reads are left in the ring's budget, VF_ZC_VRING_BROKEN if the ring is
 * broken, now or before.
 *
 * Reads at most VF_ZC_CHAIN_MAX_DESC descriptors, and takes them from the
 * budget. */
enum vf_zc_vring_status
vf_zc_vring_pop(struct vf_zc_vring *vq, bool device_writes,
                struct vf_zc_chain *chain)
{
    const struct vf_zc_vring_desc *table;
    uint32_t table_size, n_desc, n_read;
    bool in_indirect = false;
    uint64_t len;
    uint16_t head, i;

    if (vf_zc_vring_is_broken(vq)) {
        return VF_ZC_VRING_BROKEN;
    }
    if (vq->last_avail_idx == vq->avail_idx && !vf_zc_vring_avail_count(vq)) {
        return (vf_zc_vring_is_broken(vq)
                ? VF_ZC_VRING_BROKEN : VF_ZC_VRING_EMPTY);
    }
    if (vq->budget < VF_ZC_CHAIN_MAX_DESC) {
        vq->budget_stops++;
        return VF_ZC_VRING_BUDGET_SPENT;
    }

    head = vf_zc_vring_read_u16(&vq->avail->ring[vq->last_avail_idx
                                          & (vq->size - 1)]);
    if (head >= vq->size) {
        return vring_break(vq, "avail entry %"PRIu16" names descriptor "
                           "%"PRIu16", beyond the ring of %"PRIu16,
                           vq->last_avail_idx, head, vq->size);
    }

    table = vq->desc;
    table_size = vq->size;
    n_desc = 0;
    n_read = 0;
    len = 0;
    chain->n_iov = 0;
    for (i = head;;) {
        struct vf_zc_vring_desc d;

        /* A chain visits each descriptor of its table at most once, so a
         * longer walk is a loop.  Any walk is bounded, loop or not, and
         * paid for from the budget as it goes, so that a broken ring is
         * paid for too. */
        if (++n_desc > table_size) {
            return vring_break(vq, "descriptor chain from %"PRIu16" loops",
                               head);
        }
        if (++n_read > VF_ZC_CHAIN_MAX_DESC) {
            return vring_break(vq, "descriptor chain from %"PRIu16" has "
                               "more than %d descriptors", head,
                               VF_ZC_CHAIN_MAX_DESC);
        }
        if (vq->budget != VF_ZC_VRING_NO_LIMIT) {
            vq->budget--;
        }
        vq->desc_reads++;
        vf_zc_vring_read_desc(&table[i], &d);

        if (d.flags & VF_ZC_VRING_DESC_F_INDIRECT) {
            /* Whether we are in an indirect table is a flag, not a pointer
             * comparison: a guest may place an indirect table on top of the
             * ring's own descriptor table, and a nested indirect descriptor
             * there must not reset the walk forever. */
            if (!vq->indirect || in_indirect
                || d.flags & VF_ZC_VRING_DESC_F_NEXT) {
                return vring_break(vq, "descriptor %"PRIu16" is an indirect "
                                   "descriptor where none may be", i);
            }
            if (!d.len || d.len % sizeof *table
                || d.len / sizeof *table > VF_ZC_VRING_MAX_SIZE) {
                return vring_break(vq, "indirect table of %"PRIu32" bytes "
                                   "in descriptor %"PRIu16, d.len, i);
            }
            table = vf_zc_guest_mem_translate(vq->mem, d.addr, d.len);
            if (!table) {
                return vring_bad_chain(vq, chain, head);
            }
            table_size = d.len / sizeof *table;
            in_indirect = true;
            n_desc = 0;
            i = 0;
            continue;
        }

        if (!(d.flags & VF_ZC_VRING_DESC_F_WRITE) != !device_writes) {
            return vring_break(vq, "descriptor %"PRIu16" is %s by the "
                               "device in a ring the device %s", i,
                               device_writes ? "read" : "written",
                               device_writes ? "writes" : "reads");
        }
        if (d.len) {
            uint8_t *p = vf_zc_guest_mem_translate(vq->mem, d.addr, d.len);

            if (!p) {
                return vring_bad_chain(vq, chain, head);
            }
            if (chain->n_iov >= VF_ZC_CHAIN_MAX_IOV) {
                return vring_break(vq, "descriptor chain from %"PRIu16" has "
                                   "more than %d buffers", head,
                                   VF_ZC_CHAIN_MAX_IOV);
            }
            len += d.len;
            if (len > UINT32_MAX) {
                return vring_break(vq, "descriptor chain from %"PRIu16" is "
                                   "longer than 4 GB", head);
            }
            chain->iov[chain->n_iov].base = p;
            chain->iov[chain->n_iov].gpa = d.addr;
            chain->iov[chain->n_iov].len = d.len;
            chain->n_iov++;
        }

        if (!(d.flags & VF_ZC_VRING_DESC_F_NEXT)) {
            break;
        }
        if (d.next >= table_size) {
            return vring_break(vq, "descriptor %"PRIu16" chains to "
                               "%"PRIu16", beyond its table of %"PRIu32,
                               i, d.next, table_size);
        }
        i = d.next;
    }

    chain->head = head;
    chain->len = len;
    vq->last_avail_idx++;
    return VF_ZC_VRING_OK;
}

/* Gives back the last 'n' chains taken with vf_zc_vring_pop(), which must not
 * have been pushed, so that they are taken again next time. */
void
vf_zc_vring_unpop(struct vf_zc_vring *vq, uint16_t n)
{
    ovs_assert(n <= vf_zc_vring_in_flight(vq));
    vq->last_avail_idx -= n;
}

/* Returns the chain whose head is 'head' to the guest, saying that the device
 * wrote 'len' bytes into it.  The guest sees it after vf_zc_vring_publish().
 * Chains may be pushed in any order, but each chain taken exactly once. */
void
vf_zc_vring_push(struct vf_zc_vring *vq, uint16_t head, uint32_t len)
{
    struct vf_zc_vring_used_elem *elem;

    if (vf_zc_vring_is_broken(vq)) {
        return;
    }
    ovs_assert(vf_zc_vring_in_flight(vq));
    elem = &vq->used->ring[vq->last_used_idx & (vq->size - 1)];
    elem->id = head;
    elem->len = len;
    log_used(vq, (uint8_t *) elem - (uint8_t *) vq->used, sizeof *elem);
    vq->last_used_idx++;
}

/* Makes the chains pushed so far visible to the guest. */
void
vf_zc_vring_publish(struct vf_zc_vring *vq)
{
    if (vf_zc_vring_is_broken(vq)
        || vq->published_used_idx == vq->last_used_idx) {
        return;
    }
    /* The used entries must be visible before the index that exposes them
     * (release, pairs with the guest's read barrier after reading the
     * index). */
    atomic_thread_fence(memory_order_release);
    write_once_u16(&vq->used->idx, vq->last_used_idx);
    log_used(vq, offsetof(struct vf_zc_vring_used, idx),
             sizeof vq->used->idx);
    vq->published_used_idx = vq->last_used_idx;
}

/* Returns true if the guest asked to be notified of the chains published
 * since the last notification (call after vf_zc_vring_publish(), at most once
 * per burst).  If it returns true, the caller notifies the guest. */
bool
vf_zc_vring_needs_notify(struct vf_zc_vring *vq)
{
    uint16_t old = vq->signalled_used;
    uint16_t new = vq->published_used_idx;
    bool valid = vq->signalled_used_valid;

    if (vf_zc_vring_is_broken(vq) || (valid && old == new)) {
        return false;
    }

    /* Our used index must be visible before we read whether the guest wants
     * an interrupt; otherwise the guest may decide it needs none just as we
     * decide it does not want one (a store-load barrier, as in the guest's
     * own virtqueue_kick_prepare()). */
    atomic_thread_fence(memory_order_seq_cst);

    vq->signalled_used = new;
    vq->signalled_used_valid = true;
    if (vq->event_idx) {
        uint16_t event = vf_zc_vring_read_u16(vring_used_event(vq));

        /* vring_need_event(): did 'new' move past 'event' since 'old'? */
        return !valid || (uint16_t) (new - event - 1) < (uint16_t) (new - old);
    } else {
        return !(vf_zc_vring_read_u16(&vq->avail->flags)
                 & VF_ZC_VRING_AVAIL_F_NO_INTERRUPT);
    }
}

/* Tells the guest not to notify the device of new buffers: the device polls.
 * Without VIRTIO_RING_F_EVENT_IDX the flag stops every kick; with it, the
 * guest kicks only when its avail index passes our (never advanced)
 * avail_event, once per 65536 buffers. */
void
vf_zc_vring_suppress_kicks(struct vf_zc_vring *vq)
{
    if (vf_zc_vring_is_broken(vq)) {
        return;
    }
    write_once_u16(&vq->used->flags, VF_ZC_VRING_USED_F_NO_NOTIFY);
    log_used(vq, offsetof(struct vf_zc_vring_used, flags),
             sizeof vq->used->flags);
    if (vq->event_idx) {
        uint16_t *event = vring_avail_event(vq);

        write_once_u16(event, vq->last_avail_idx - 1);
        log_used(vq, (uint8_t *) event - (uint8_t *) vq->used, sizeof *event);
    }
}

/* Makes the device mark its writes to guest memory through 'vq' in 'log'
 * from now on (see 'log' in struct vf_zc_vring), or stop marking them if
 * 'log' is NULL.  The used ring's writes are marked at guest-physical address
 * 'used_gpa', unless it is 0.  'log' must stay valid until the next call. */
void
vf_zc_vring_set_log(struct vf_zc_vring *vq, const struct vf_zc_dirty_log *log,
                    uint64_t used_gpa)
{
    vq->log = log;
    vq->used_gpa = log ? used_gpa : 0;
}

/* The out-of-line part of vf_zc_vring_log_chain(), while logging. */
void
vf_zc_vring_log_chain__(struct vf_zc_vring *vq,
                        const struct vf_zc_chain *chain, uint32_t len)
{
    for (size_t i = 0; i < chain->n_iov && len; i++) {
        uint32_t n = MIN(len, chain->iov[i].len);

        vf_zc_dirty_log_mark(vq->log, chain->iov[i].gpa, n, &vq->log_stats);
        len -= n;
    }
}

/* Copies up to 'len' bytes between 'buf' and the buffers of 'chain',
 * starting 'offset' bytes into the chain: into the chain if 'to_chain',
 * out of it otherwise.  Returns the number of bytes copied. */
static uint32_t
chain_copy(const struct vf_zc_chain *chain, uint32_t offset, uint8_t *buf,
           uint32_t len, bool to_chain)
{
    uint32_t done = 0;

    for (size_t i = 0; i < chain->n_iov && done < len; i++) {
        const struct vf_zc_iov *iov = &chain->iov[i];
        uint32_t n;

        if (offset >= iov->len) {
            offset -= iov->len;
            continue;
        }
        n = MIN(iov->len - offset, len - done);
        if (to_chain) {
            memcpy(iov->base + offset, buf + done, n);
        } else {
            memcpy(buf + done, iov->base + offset, n);
        }
        done += n;
        offset = 0;
    }
    return done;
}

/* Copies 'len' bytes from 'src' into the buffers of 'chain', starting
 * 'offset' bytes in.  Returns the number of bytes copied, less than 'len' if
 * the chain is too short. */
uint32_t
vf_zc_chain_copy_in(const struct vf_zc_chain *chain, uint32_t offset,
                    const void *src, uint32_t len)
{
    return chain_copy(chain, offset, CONST_CAST(void *, src), len, true);
}

/* Copies up to 'len' bytes from the buffers of 'chain', starting 'offset'
 * bytes in, to 'dst'.  Returns the number of bytes copied. */
uint32_t
vf_zc_chain_copy_out(const struct vf_zc_chain *chain, uint32_t offset,
                     void *dst, uint32_t len)
{
    return chain_copy(chain, offset, dst, len, false);
}
