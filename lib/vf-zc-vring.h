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

#ifndef VF_ZC_VRING_H
#define VF_ZC_VRING_H 1

/* The device side of a split virtqueue (virtio 1.2, section 2.7).
 *
 * Plain C over memory: the three parts of a ring (descriptor table, avail
 * ring, used ring) are wherever the guest put them, already mapped into this
 * process, and the buffers their descriptors point to are translated through
 * a struct vf_zc_guest_mem.  Nothing here knows about DPDK or Open vSwitch.
 *
 * The guest writes the rings concurrently with us and may be hostile.  So:
 *
 *   - every value read from guest memory is read once, into a local, before
 *     it is checked and used;
 *   - every index, address, length and chain is bounded: descriptor indexes
 *     by the table they index, buffers by the guest's memory regions,
 *     lengths by 32 bits, and a chain by VF_ZC_CHAIN_MAX_DESC descriptor
 *     reads, whatever the table's size (empty descriptors, an indirect
 *     descriptor and its table's entries all count);
 *   - the work of a round is bounded too: the ring's owner gives it a
 *     budget of descriptor reads, and a pop starts only while a whole
 *     chain's worth is left, so one round never reads more than its budget
 *     however the guest fills the ring;
 *   - a violation of the ring's structure (an index out of range, a loop, a
 *     misplaced indirect table) marks the ring broken ('error' says why); a
 *     broken ring does nothing more, so the rest of the host carries on;
 *   - a chain whose buffers are not all in the guest's memory as the host
 *     knows it is only a bad chain: it is given back unused, and the ring
 *     goes on.  A front end may post buffers in memory it is just announcing
 *     (a vhost-user SET_MEM_TABLE racing with the ring), so this is not
 *     necessarily malice, and it harms no one.
 *
 * Thread safety: a struct vf_zc_vring is used by one thread at a time, the
 * one processing the ring.  The guest is the only other party.
 *
 * Byte order: the rings are little-endian (virtio 1.x) or guest-endian
 * (legacy); vf-zc builds only for little-endian hosts, where both are the
 * host's order. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "openvswitch/compiler.h"
#include "vf-zc-dirty-log.h"

struct vf_zc_guest_mem;

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "vf-zc's virtqueue engine supports little-endian hosts only"
#endif

/* Ring layout, as the virtio specification defines it. */
struct vf_zc_vring_desc {
    uint64_t addr;              /* Guest-physical address of the buffer. */
    uint32_t len;
    uint16_t flags;             /* VF_ZC_VRING_DESC_F_*. */
    uint16_t next;              /* Next descriptor, if F_NEXT. */
};
#define VF_ZC_VRING_DESC_F_NEXT      1
#define VF_ZC_VRING_DESC_F_WRITE     2  /* Device writes, driver reads. */
#define VF_ZC_VRING_DESC_F_INDIRECT  4  /* Buffer is a descriptor table. */

struct vf_zc_vring_avail {
    uint16_t flags;             /* VF_ZC_VRING_AVAIL_F_*. */
    uint16_t idx;
    uint16_t ring[];            /* 'size' heads, then used_event. */
};
#define VF_ZC_VRING_AVAIL_F_NO_INTERRUPT 1

struct vf_zc_vring_used_elem {
    uint32_t id;                /* Head of the chain. */
    uint32_t len;               /* Bytes the device wrote into it. */
};

struct vf_zc_vring_used {
    uint16_t flags;             /* VF_ZC_VRING_USED_F_*. */
    uint16_t idx;
    struct vf_zc_vring_used_elem ring[];    /* 'size' entries, then
                                             * avail_event. */
};
#define VF_ZC_VRING_USED_F_NO_NOTIFY 1

/* Largest ring the specification allows. */
#define VF_ZC_VRING_MAX_SIZE 32768

/* Most buffers one chain may have.  Linux's virtio-net uses at most
 * MAX_SKB_FRAGS + 2 (19); a chain longer than this breaks the ring. */
#define VF_ZC_CHAIN_MAX_IOV 64

/* Most descriptors that taking one chain may read, counting every one:
 * empty ones, the indirect descriptor and those in its table.  The
 * specification lets a chain be as long as the ring (32768), and so a guest
 * could make each chain cost tens of thousands of reads; no driver needs
 * more than a few dozen.  A chain longer than this breaks the ring. */
#define VF_ZC_CHAIN_MAX_DESC (2 * VF_ZC_CHAIN_MAX_IOV)

/* The work budget of one round of a device's work on a ring (see
 * vf_zc_vring_set_budget()): a burst of 32 chains of up to 16 descriptors
 * each, more than drivers post for one packet, and room for one longest
 * chain.  So a legitimate burst always fits, and a round costs a hostile
 * guest's ring little more than a busy one's. */
#define VF_ZC_VRING_ROUND_BUDGET (32 * 16 + VF_ZC_CHAIN_MAX_DESC)

/* A work budget that sets no limit (see vf_zc_vring_set_budget()). */
#define VF_ZC_VRING_NO_LIMIT UINT32_MAX

/* A descriptor chain, translated. */
struct vf_zc_iov {
    uint8_t *base;              /* In this process. */
    uint64_t gpa;               /* In the guest (for its dirty-page log). */
    uint32_t len;
};

struct vf_zc_chain {
    uint16_t head;              /* Descriptor index, for the used ring. */
    uint16_t n_iov;
    uint32_t len;               /* Sum of iov[*].len. */
    struct vf_zc_iov iov[VF_ZC_CHAIN_MAX_IOV];
};

struct vf_zc_vring {
    /* The rings, in guest memory: never trust what is read from them. */
    struct vf_zc_vring_desc *desc;
    struct vf_zc_vring_avail *avail;
    struct vf_zc_vring_used *used;
    uint16_t size;              /* Power of 2, at most VF_ZC_VRING_MAX_SIZE. */

    /* Guest memory, for descriptor addresses. */
    const struct vf_zc_guest_mem *mem;

    /* Negotiated features that change how the ring works. */
    bool event_idx;             /* VIRTIO_RING_F_EVENT_IDX. */
    bool indirect;              /* VIRTIO_RING_F_INDIRECT_DESC. */

    /* Device state. */
    uint16_t last_avail_idx;    /* Next avail entry to take. */
    uint16_t avail_idx;         /* avail->idx as last read. */
    uint16_t last_used_idx;     /* Next used entry to fill. */
    uint16_t published_used_idx;    /* used->idx as last written. */
    uint16_t signalled_used;    /* Used index at the last notification. */
    bool signalled_used_valid;

    /* Descriptors the device may still read: vf_zc_vring_pop() takes a
     * chain only while at least VF_ZC_CHAIN_MAX_DESC are left, so between
     * two vf_zc_vring_set_budget() calls the ring reads at most the budget
     * set, whatever the guest writes. */
    uint32_t budget;

    /* While the guest is being migrated, its dirty-page log (see
     * vf-zc-dirty-log.h), or NULL: every write the device makes to guest
     * memory through this ring is then marked, the buffers' bytes by the
     * writer (vf_zc_vring_log_chain()), the used ring's by the ring itself,
     * at guest-physical address 'used_gpa' (0: the front end asked for no
     * logging of the used ring).  Set with vf_zc_vring_set_log(). */
    const struct vf_zc_dirty_log *log;
    uint64_t used_gpa;
    struct vf_zc_dirty_log_stats log_stats;

    /* Statistics. */
    uint64_t bad_chains;        /* Chains refused because a buffer was
                                 * outside guest memory. */
    uint64_t desc_reads;        /* Descriptors read. */
    uint64_t budget_stops;      /* Pops refused for want of budget. */

    /* Why the ring is broken, or empty if it is not. */
    char error[128];
};

enum vf_zc_vring_status {
    VF_ZC_VRING_OK,
    VF_ZC_VRING_EMPTY,          /* No buffer available now. */
    VF_ZC_VRING_BAD_CHAIN,      /* Taken, but unusable: give it back unused
                                 * with vf_zc_vring_push(head, 0). */
    VF_ZC_VRING_BROKEN,         /* See 'error'. */
    VF_ZC_VRING_BUDGET_SPENT,   /* Nothing taken: the budget for now is
                                 * spent (vf_zc_vring_set_budget()). */
};

/* Reads of guest-written memory.  'volatile' makes the compiler read exactly
 * once, where written, so that a value checked is the value used. */
static inline uint16_t
vf_zc_vring_read_u16(const uint16_t *p)
{
    return *(const volatile uint16_t *) p;
}

static inline void
vf_zc_vring_read_desc(const struct vf_zc_vring_desc *src,
                      struct vf_zc_vring_desc *dst)
{
    const volatile struct vf_zc_vring_desc *v = src;

    dst->addr = v->addr;
    dst->len = v->len;
    dst->flags = v->flags;
    dst->next = v->next;
}

bool vf_zc_vring_init(struct vf_zc_vring *, void *desc, void *avail,
                      void *used, uint32_t size,
                      const struct vf_zc_guest_mem *,
                      bool event_idx, bool indirect,
                      uint16_t last_avail_idx, uint16_t last_used_idx);

static inline bool
vf_zc_vring_is_broken(const struct vf_zc_vring *vq)
{
    return vq->error[0] != '\0';
}

/* Lets the device read 'budget' more descriptors of 'vq' from now on (or
 * any number, with VF_ZC_VRING_NO_LIMIT).  The owner sets it at the start of
 * each round of work, so that a round's cost has a bound the guest cannot
 * raise.  A budget below VF_ZC_CHAIN_MAX_DESC lets nothing be taken. */
static inline void
vf_zc_vring_set_budget(struct vf_zc_vring *vq, uint32_t budget)
{
    vq->budget = budget;
}

void vf_zc_vring_set_log(struct vf_zc_vring *, const struct vf_zc_dirty_log *,
                         uint64_t used_gpa);
void vf_zc_vring_log_chain__(struct vf_zc_vring *,
                             const struct vf_zc_chain *, uint32_t len);

/* Marks the first 'len' bytes of 'chain', which the device has just written
 * (a packet and its header), in the guest's dirty-page log, if it is being
 * logged.  Call it before pushing the chain. */
static inline void
vf_zc_vring_log_chain(struct vf_zc_vring *vq, const struct vf_zc_chain *chain,
                      uint32_t len)
{
    if (OVS_UNLIKELY(vq->log)) {
        vf_zc_vring_log_chain__(vq, chain, len);
    }
}

/* Marks the 'len' bytes at guest-physical 'gpa', just written by the device,
 * in the guest's dirty-page log, if it is being logged. */
static inline void
vf_zc_vring_log_write(struct vf_zc_vring *vq, uint64_t gpa, uint64_t len)
{
    if (OVS_UNLIKELY(vq->log)) {
        vf_zc_dirty_log_mark(vq->log, gpa, len, &vq->log_stats);
    }
}

uint16_t vf_zc_vring_avail_count(struct vf_zc_vring *);
enum vf_zc_vring_status vf_zc_vring_pop(struct vf_zc_vring *,
                                        bool device_writes,
                                        struct vf_zc_chain *);
void vf_zc_vring_unpop(struct vf_zc_vring *, uint16_t n);
void vf_zc_vring_push(struct vf_zc_vring *, uint16_t head, uint32_t len);
void vf_zc_vring_publish(struct vf_zc_vring *);
bool vf_zc_vring_needs_notify(struct vf_zc_vring *);
void vf_zc_vring_suppress_kicks(struct vf_zc_vring *);

/* Returns the number of chains taken from the avail ring and not yet
 * returned through the used ring. */
static inline uint16_t
vf_zc_vring_in_flight(const struct vf_zc_vring *vq)
{
    return vq->last_avail_idx - vq->last_used_idx;
}

uint32_t vf_zc_chain_copy_in(const struct vf_zc_chain *, uint32_t offset,
                             const void *src, uint32_t len);
uint32_t vf_zc_chain_copy_out(const struct vf_zc_chain *, uint32_t offset,
                              void *dst, uint32_t len);

/* For ovs-appctl vf-zc/dump-vring (in vf-zc-vring-dump.c, apart from the
 * engine, which needs no Open vSwitch library).  They read guest memory but
 * follow nothing the guest wrote beyond the ring's size and one chain's
 * VF_ZC_CHAIN_MAX_DESC descriptors, so that a hostile guest cannot make them
 * loop or read outside its rings. */
struct ds;
void vf_zc_vring_format(const struct vf_zc_vring *, struct ds *);

/* A chain's descriptors as they were read, to format once the ring may run
 * again. */
struct vf_zc_vring_chain_copy {
    uint16_t head;
    uint16_t n;                 /* Descriptors copied. */
    enum {
        VF_ZC_CHAIN_COPY_END,       /* The last had no F_NEXT. */
        VF_ZC_CHAIN_COPY_BEYOND,    /* Then a 'next' beyond the table, */
        VF_ZC_CHAIN_COPY_TOO_LONG,  /* or VF_ZC_CHAIN_MAX_DESC copied. */
    } end;
    uint16_t beyond;            /* That 'next', for BEYOND. */
    uint16_t idx[VF_ZC_CHAIN_MAX_DESC];
    struct vf_zc_vring_desc desc[VF_ZC_CHAIN_MAX_DESC];
};
void vf_zc_vring_copy_chain(const struct vf_zc_vring *, uint16_t head,
                            struct vf_zc_vring_chain_copy *);
void vf_zc_vring_format_chain(const struct vf_zc_vring_chain_copy *,
                              struct ds *);

#endif /* vf-zc-vring.h */
