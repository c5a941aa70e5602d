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

/* Unit tests of vf-zc's guest memory map and virtqueue engine, against a
 * simulated guest: rings and buffers in ordinary memory, written the way a
 * virtio driver writes them, or the way a broken or hostile one might.
 *
 * ovstest test-vf-zc-vring COMMAND
 *
 * Each command prints what it checked; a broken expectation aborts. */

#include <config.h>
#undef NDEBUG
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command-line.h"
#include "ovstest.h"
#include "random.h"
#include "util.h"
#include "vf-zc-guest-mem.h"
#include "vf-zc-sim-guest.h"
#include "vf-zc-virtio-net.h"
#include "vf-zc-vring.h"

static void
fill_pattern(uint8_t *p, size_t n, unsigned int seed)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t) (seed + i * 7);
    }
}

/* Guest memory map. */

static void
test_guest_mem(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    static uint8_t a[4096], b[4096];
    struct vf_zc_guest_mem mem;
    char *error;

    vf_zc_guest_mem_init(&mem);
    ovs_assert(!vf_zc_guest_mem_add(&mem, 0x1000, 4096, a));
    /* Adjacent in the guest, not in the host. */
    ovs_assert(!vf_zc_guest_mem_add(&mem, 0x2000, 4096, b));

    ovs_assert(vf_zc_guest_mem_translate(&mem, 0x1000, 4096) == a);
    ovs_assert(vf_zc_guest_mem_translate(&mem, 0x1fff, 1) == a + 4095);
    ovs_assert(vf_zc_guest_mem_translate(&mem, 0x2000, 1) == b);
    ovs_assert(vf_zc_guest_mem_translate(&mem, 0x1800, 0) == a + 0x800);
    printf("inside one region: ok\n");

    ovs_assert(!vf_zc_guest_mem_translate(&mem, 0x1fff, 2));
    ovs_assert(!vf_zc_guest_mem_translate(&mem, 0x1000, 8192));
    printf("straddling two regions: refused\n");

    ovs_assert(!vf_zc_guest_mem_translate(&mem, 0x0fff, 1));
    ovs_assert(!vf_zc_guest_mem_translate(&mem, 0x3000, 1));
    ovs_assert(!vf_zc_guest_mem_translate(&mem, 0x2fff, 2));
    ovs_assert(!vf_zc_guest_mem_translate(&mem, 0x3000, 0));
    printf("outside every region: refused\n");

    ovs_assert(!vf_zc_guest_mem_translate(&mem, 0x1000, UINT64_MAX));
    ovs_assert(!vf_zc_guest_mem_translate(&mem, UINT64_MAX, 2));
    ovs_assert(!vf_zc_guest_mem_translate(&mem, 0x1800, UINT64_MAX - 0x7ff));
    printf("lengths that wrap: refused\n");

    error = vf_zc_guest_mem_add(&mem, 0x2800, 4096, a);
    printf("%s\n", error);
    free(error);
    error = vf_zc_guest_mem_add(&mem, 0x9000, 0, a);
    printf("%s\n", error);
    free(error);
    error = vf_zc_guest_mem_add(&mem, UINT64_MAX - 10, 4096, a);
    printf("%s\n", error);
    free(error);
    vf_zc_guest_mem_destroy(&mem);
}

/* Host address to IOVA, in both IOVA modes. */
static void
test_guest_iova(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    /* Two 2 MB "pages" of region 0 are physically contiguous, the third is
     * not.  The region starts 4 kB into its first page, as a guest region
     * mapped at an offset may.  Nothing here is dereferenced. */
    const uint64_t pg = 2 * 1024 * 1024;
    uint8_t *base = (uint8_t *) (uintptr_t) (64 * pg);
    uint8_t *r0 = base + 4096;
    uint64_t r0_size = 3 * pg - 4096;
    uint8_t *r1 = base + 16 * pg;
    struct vf_zc_guest_mem mem;
    uint64_t *pages, iova;

    vf_zc_guest_mem_init(&mem);
    ovs_assert(!vf_zc_guest_mem_add(&mem, 0, r0_size, r0));
    ovs_assert(!vf_zc_guest_mem_add(&mem, 1ULL << 32, pg, r1));

    /* IOVA as VA: identity, inside one region. */
    ovs_assert(vf_zc_guest_mem_to_iova(&mem, r0, 1, &iova)
               && iova == (uintptr_t) r0);
    ovs_assert(vf_zc_guest_mem_to_iova(&mem, r0, r0_size, &iova));
    ovs_assert(!vf_zc_guest_mem_to_iova(&mem, r0 - 1, 2, &iova));
    ovs_assert(!vf_zc_guest_mem_to_iova(&mem, r0 + r0_size - 1, 2, &iova));
    ovs_assert(!vf_zc_guest_mem_to_iova(&mem, r0, 0, &iova));
    ovs_assert(!vf_zc_guest_mem_to_iova(&mem, r1 + pg, 1, &iova));
    ovs_assert(!vf_zc_guest_mem_to_iova(&mem, r1, UINT64_MAX, &iova));
    ovs_assert(vf_zc_guest_mem_contains(&mem, r1 + pg - 1, 1));
    ovs_assert(!vf_zc_guest_mem_contains(&mem, r1 + pg - 1, 2));
    printf("va: identity inside a region, refused across its edges\n");

    /* IOVA as PA. */
    ovs_assert(vf_zc_guest_region_n_pages(&mem.regions[0], pg) == 3);
    pages = xmalloc(3 * sizeof *pages);
    pages[0] = 10 * pg;
    pages[1] = 11 * pg;
    pages[2] = 40 * pg;
    vf_zc_guest_mem_set_pages(&mem, 0, pg, pages);

    ovs_assert(vf_zc_guest_mem_to_iova(&mem, r0, 1, &iova)
               && iova == 10 * pg + 4096);
    ovs_assert(vf_zc_guest_mem_to_iova(&mem, base + pg - 100, 200, &iova)
               && iova == 11 * pg - 100);
    ovs_assert(vf_zc_guest_mem_to_iova(&mem, base + 2 * pg - 1, 1, &iova)
               && iova == 12 * pg - 1);
    printf("pa: contiguous pages: ok\n");

    ovs_assert(!vf_zc_guest_mem_to_iova(&mem, base + 2 * pg - 1, 2, &iova));
    ovs_assert(!vf_zc_guest_mem_to_iova(&mem, r0, r0_size, &iova));
    ovs_assert(vf_zc_guest_mem_to_iova(&mem, base + 2 * pg, 1, &iova)
               && iova == 40 * pg);
    ovs_assert(vf_zc_guest_mem_to_iova(&mem, base + 3 * pg - 1, 1, &iova)
               && iova == 41 * pg - 1);
    ovs_assert(!vf_zc_guest_mem_to_iova(&mem, base + 3 * pg - 1, 2, &iova));
    printf("pa: across discontiguous pages or the region's end: refused\n");

    /* Region 1 stays in VA mode. */
    ovs_assert(vf_zc_guest_mem_to_iova(&mem, r1 + 5, 10, &iova)
               && iova == (uintptr_t) r1 + 5);
    printf("pa: a region without pages: identity\n");
    vf_zc_guest_mem_destroy(&mem);
}

/* Receive. */

static void
test_rx(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    uint32_t len2k = 2048;
    uint8_t pkt[100];
    struct vf_zc_seg seg = { pkt, sizeof pkt };
    struct vf_zc_virtio_net_hdr *hdr;
    struct vf_zc_vring_used_elem e;
    struct vf_zc_vring vq;
    struct guest g;
    uint16_t head;

    guest_init(&g);
    device_init(&g, &vq, false, false);

    ovs_assert(vf_zc_net_rx_copy(&vq, 12, true, 0, &seg, 1)
               == VF_ZC_NET_RX_NO_BUFFERS);
    printf("no buffers: packet refused, ring unchanged\n");

    head = guest_post(&g, 1, &len2k, true);
    guest_post(&g, 1, &len2k, true);
    ovs_assert(vf_zc_vring_avail_count(&vq) == 2);

    fill_pattern(pkt, sizeof pkt, 1);
    ovs_assert(vf_zc_net_rx_copy(&vq, 12, true,
                                 VF_ZC_VIRTIO_NET_HDR_F_DATA_VALID,
                                 &seg, 1) == VF_ZC_NET_RX_OK);
    ovs_assert(g.used->idx == 0);     /* Not published yet. */
    vf_zc_vring_publish(&vq);
    e = guest_get_used(&g);
    ovs_assert(e.id == head && e.len == 12 + sizeof pkt);
    hdr = gpa_to_ptr(&g, g.desc[head].addr);
    ovs_assert(hdr->num_buffers == 1);
    ovs_assert(hdr->flags == VF_ZC_VIRTIO_NET_HDR_F_DATA_VALID);
    ovs_assert(!memcmp(hdr + 1, pkt, sizeof pkt));
    printf("one packet, one buffer: used len %"PRIu32", num_buffers %d\n",
           e.len, hdr->num_buffers);

    ovs_assert(vf_zc_vring_in_flight(&vq) == 0);
    ovs_assert(vf_zc_vring_avail_count(&vq) == 1);
    guest_destroy(&g);
}

static void
test_rx_mergeable(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    uint32_t len1k = 1024;
    uint8_t pkt[3000], copy[3000];
    /* The packet arrives in three pieces of odd sizes. */
    struct vf_zc_seg segs[3] = {
        { pkt, 1 }, { pkt + 1, 1500 }, { pkt + 1501, 1499 },
    };
    struct vf_zc_virtio_net_hdr *hdr;
    struct vf_zc_vring vq;
    struct guest g;
    uint16_t heads[4];
    size_t ofs = 0;

    guest_init(&g);
    device_init(&g, &vq, false, false);
    for (int i = 0; i < 4; i++) {
        heads[i] = guest_post(&g, 1, &len1k, true);
    }
    fill_pattern(pkt, sizeof pkt, 3);
    ovs_assert(vf_zc_net_rx_copy(&vq, 12, true, 0, segs, 3)
               == VF_ZC_NET_RX_OK);
    vf_zc_vring_publish(&vq);

    hdr = gpa_to_ptr(&g, g.desc[heads[0]].addr);
    ovs_assert(hdr->num_buffers == 3);
    for (int i = 0; i < 3; i++) {
        struct vf_zc_vring_used_elem e = guest_get_used(&g);
        uint8_t *buf = gpa_to_ptr(&g, g.desc[e.id].addr);
        size_t skip = i ? 0 : 12;

        ovs_assert(e.id == heads[i]);
        printf("buffer %d: %"PRIu32" bytes\n", i, e.len);
        memcpy(copy + ofs, buf + skip, e.len - skip);
        ofs += e.len - skip;
    }
    ovs_assert(ofs == sizeof pkt && !memcmp(copy, pkt, sizeof pkt));
    printf("3000-byte packet over %d buffers, intact\n", hdr->num_buffers);

    /* One buffer left: a 2000-byte packet does not fit; nothing changes. */
    segs[0].len = 2000;
    ovs_assert(vf_zc_net_rx_copy(&vq, 12, true, 0, segs, 1)
               == VF_ZC_NET_RX_NO_BUFFERS);
    ovs_assert(vf_zc_vring_in_flight(&vq) == 0);
    ovs_assert(vf_zc_vring_avail_count(&vq) == 1);
    printf("not enough buffers: refused, ring unchanged\n");

    /* The next buffer is outside guest memory: the packet is dropped and
     * both buffers taken for it go back unused. */
    heads[0] = guest_post(&g, 1, &len1k, true);
    g.desc[heads[0]].addr = GUEST_BASE + GUEST_SIZE;
    ovs_assert(vf_zc_net_rx_copy(&vq, 12, true, 0, segs, 1)
               == VF_ZC_NET_RX_BAD_BUFFER);
    vf_zc_vring_publish(&vq);
    for (int i = 0; i < 2; i++) {
        struct vf_zc_vring_used_elem e = guest_get_used(&g);

        printf("bad buffer: buffer %"PRIu32" returned with %"PRIu32" "
               "bytes\n", e.id, e.len);
    }
    ovs_assert(vf_zc_vring_in_flight(&vq) == 0);
    ovs_assert(!vf_zc_vring_is_broken(&vq));
    guest_destroy(&g);
}

static void
test_rx_not_mergeable(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    uint32_t lens[3] = { 10, 500, 1000 };
    uint8_t pkt[1400];
    struct vf_zc_seg seg = { pkt, 1400 };
    struct vf_zc_vring_used_elem e;
    struct vf_zc_vring vq;
    struct guest g;

    guest_init(&g);
    device_init(&g, &vq, false, false);
    /* One chain of three buffers: 1510 bytes, room for 10 + 1400. */
    guest_post(&g, 3, lens, true);
    fill_pattern(pkt, sizeof pkt, 5);

    seg.len = 1501;
    ovs_assert(vf_zc_net_rx_copy(&vq, 10, false, 0, &seg, 1)
               == VF_ZC_NET_RX_TOO_BIG);
    ovs_assert(vf_zc_vring_avail_count(&vq) == 1);
    printf("packet larger than the buffer: refused, ring unchanged\n");

    seg.len = 1400;
    ovs_assert(vf_zc_net_rx_copy(&vq, 10, false, 0, &seg, 1)
               == VF_ZC_NET_RX_OK);
    vf_zc_vring_publish(&vq);
    e = guest_get_used(&g);
    printf("packet in a chain of 3 descriptors: used len %"PRIu32"\n",
           e.len);
    ovs_assert(!memcmp(gpa_to_ptr(&g, g.desc[1].addr), pkt, 500));
    ovs_assert(!memcmp(gpa_to_ptr(&g, g.desc[2].addr), pkt + 500, 900));
    guest_destroy(&g);
}

/* Transmit. */

static void
test_tx(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    uint32_t lens[3] = { 12, 700, 300 };
    uint8_t out[1000], expect[1000];
    struct vf_zc_chain chain;
    struct vf_zc_vring vq;
    struct guest g;
    uint16_t head;

    guest_init(&g);
    device_init(&g, &vq, false, false);
    ovs_assert(vf_zc_vring_pop(&vq, false, &chain) == VF_ZC_VRING_EMPTY);

    head = guest_post(&g, 3, lens, false);
    fill_pattern(gpa_to_ptr(&g, g.desc[1].addr), 700, 9);
    fill_pattern(gpa_to_ptr(&g, g.desc[2].addr), 300, 9 + 700 * 7);
    fill_pattern(expect, 1000, 9);

    ovs_assert(vf_zc_vring_pop(&vq, false, &chain) == VF_ZC_VRING_OK);
    ovs_assert(chain.head == head && chain.len == 1012 && chain.n_iov == 3);
    ovs_assert(vf_zc_chain_copy_out(&chain, 12, out, sizeof out) == 1000);
    ovs_assert(!memcmp(out, expect, sizeof out));
    printf("3-descriptor packet: %"PRIu32" bytes, payload intact\n",
           chain.len);

    vf_zc_vring_push(&vq, chain.head, 0);
    vf_zc_vring_publish(&vq);
    ovs_assert(guest_get_used(&g).id == head);
    ovs_assert(vf_zc_vring_pop(&vq, false, &chain) == VF_ZC_VRING_EMPTY);
    printf("returned through the used ring\n");
    guest_destroy(&g);
}

static void
test_indirect(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct vf_zc_vring_desc *table;
    struct vf_zc_chain chain;
    struct vf_zc_vring vq;
    struct guest g;
    uint64_t table_gpa;

    guest_init(&g);
    device_init(&g, &vq, false, true);

    table_gpa = guest_alloc(&g, 4 * sizeof *table);
    table = gpa_to_ptr(&g, table_gpa);
    for (int i = 0; i < 4; i++) {
        table[i].addr = guest_alloc(&g, 100);
        table[i].len = 100;
        table[i].flags = i < 3 ? VF_ZC_VRING_DESC_F_NEXT : 0;
        table[i].next = i + 1;
    }
    g.desc[5].addr = table_gpa;
    g.desc[5].len = 4 * sizeof *table;
    g.desc[5].flags = VF_ZC_VRING_DESC_F_INDIRECT;
    guest_make_available(&g, 5);

    ovs_assert(vf_zc_vring_pop(&vq, false, &chain) == VF_ZC_VRING_OK);
    ovs_assert(chain.head == 5 && chain.n_iov == 4 && chain.len == 400);
    printf("indirect table of 4: head %"PRIu16", %"PRIu32" bytes\n",
           chain.head, chain.len);
    guest_destroy(&g);
}

/* Notifications. */

/* Prints whether the device would notify the guest now, with event index. */
static void
print_event_idx(struct guest *g, struct vf_zc_vring *vq)
{
    printf("event index: used %"PRIu16", used_event %"PRIu16": %s\n",
           g->used->idx, g->avail->ring[RING_SIZE],
           vf_zc_vring_needs_notify(vq) ? "notify" : "quiet");
}

static void
test_notify(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    uint32_t len = 256;
    struct vf_zc_chain chain;
    struct vf_zc_vring vq;
    struct guest g;
    uint16_t *used_event;

    /* Without event index: the flag decides. */
    guest_init(&g);
    device_init(&g, &vq, false, false);
    guest_post(&g, 1, &len, true);
    guest_post(&g, 1, &len, true);
    ovs_assert(vf_zc_vring_pop(&vq, true, &chain) == VF_ZC_VRING_OK);
    vf_zc_vring_push(&vq, chain.head, 0);
    vf_zc_vring_publish(&vq);
    g.avail->flags = VF_ZC_VRING_AVAIL_F_NO_INTERRUPT;
    ovs_assert(!vf_zc_vring_needs_notify(&vq));
    ovs_assert(vf_zc_vring_pop(&vq, true, &chain) == VF_ZC_VRING_OK);
    vf_zc_vring_push(&vq, chain.head, 0);
    vf_zc_vring_publish(&vq);
    g.avail->flags = 0;
    ovs_assert(vf_zc_vring_needs_notify(&vq));
    ovs_assert(!vf_zc_vring_needs_notify(&vq));   /* Nothing new. */
    printf("no event index: NO_INTERRUPT respected, one notification per "
           "burst\n");

    vf_zc_vring_suppress_kicks(&vq);
    ovs_assert(g.used->flags == VF_ZC_VRING_USED_F_NO_NOTIFY);
    guest_destroy(&g);

    /* With event index: notify when used_event is passed. */
    guest_init(&g);
    device_init(&g, &vq, true, false);
    used_event = &g.avail->ring[RING_SIZE];
    for (int i = 0; i < 6; i++) {
        guest_post(&g, 1, &len, true);
    }
    *used_event = 2;            /* Wake me when entry 2 is used. */
    for (int round = 0; round < 3; round++) {
        ovs_assert(vf_zc_vring_pop(&vq, true, &chain) == VF_ZC_VRING_OK);
        vf_zc_vring_push(&vq, chain.head, 0);
        vf_zc_vring_publish(&vq);
        print_event_idx(&g, &vq);
    }
    /* 3 used, signalled at 3: used_event 2 was passed already. */
    for (int round = 0; round < 2; round++) {
        ovs_assert(vf_zc_vring_pop(&vq, true, &chain) == VF_ZC_VRING_OK);
        vf_zc_vring_push(&vq, chain.head, 0);
    }
    vf_zc_vring_publish(&vq);
    *used_event = 4;
    print_event_idx(&g, &vq);
    guest_destroy(&g);
}

/* Malformed rings: each case breaks the ring with a message, and a broken
 * ring stays broken and does nothing. */

enum malformation {
    M_HEAD_RANGE, M_NEXT_RANGE, M_LOOP, M_OUTSIDE, M_WRAPS, M_STRADDLE,
    M_AVAIL_JUMP, M_DIRECTION, M_INDIRECT_OFF, M_INDIRECT_NESTED,
    M_INDIRECT_NEXT, M_INDIRECT_LEN, M_INDIRECT_OUTSIDE, M_INDIRECT_SELF,
    M_TOO_LONG, M_TOO_MANY,
    N_MALFORMATIONS
};

static const char *const malformation_names[N_MALFORMATIONS] = {
    "head-range", "next-range", "loop", "outside", "wraps", "straddle",
    "avail-jump", "direction", "indirect-off", "indirect-nested",
    "indirect-next", "indirect-len", "indirect-outside", "indirect-self",
    "too-long", "too-many",
};

static void
malform(struct guest *g, enum malformation m)
{
    uint32_t lens[2] = { 64, 64 };
    uint16_t head = guest_write_chain(g, 2, lens, false);
    struct vf_zc_vring_desc *d = &g->desc[head];
    struct vf_zc_vring_desc *table;
    uint64_t table_gpa;

    switch (m) {
    case M_HEAD_RANGE:
        head = RING_SIZE + 3;
        break;
    case M_NEXT_RANGE:
        d[0].next = RING_SIZE;
        break;
    case M_LOOP:
        d[1].flags |= VF_ZC_VRING_DESC_F_NEXT;
        d[1].next = head;
        break;
    case M_OUTSIDE:
        d[1].addr = GUEST_BASE + GUEST_SIZE;
        break;
    case M_WRAPS:
        d[1].addr = UINT64_MAX - 16;
        break;
    case M_STRADDLE:
        d[1].addr = GUEST_BASE + GUEST_SIZE - 32;
        break;
    case M_AVAIL_JUMP:
        guest_make_available(g, head);
        g->avail->idx += RING_SIZE;
        return;
    case M_DIRECTION:
        d[1].flags |= VF_ZC_VRING_DESC_F_WRITE;
        break;
    case M_INDIRECT_OFF:
    case M_INDIRECT_NESTED:
    case M_INDIRECT_NEXT:
    case M_INDIRECT_LEN:
    case M_INDIRECT_OUTSIDE:
        table_gpa = guest_alloc(g, 2 * sizeof *table);
        table = gpa_to_ptr(g, table_gpa);
        table[0].addr = guest_alloc(g, 64);
        table[0].len = 64;
        table[0].flags = 0;
        d[0].addr = table_gpa;
        d[0].len = 2 * sizeof *table;
        d[0].flags = VF_ZC_VRING_DESC_F_INDIRECT;
        if (m == M_INDIRECT_NESTED) {
            table[0].addr = table_gpa;
            table[0].len = 2 * sizeof *table;
            table[0].flags = VF_ZC_VRING_DESC_F_INDIRECT;
        } else if (m == M_INDIRECT_NEXT) {
            d[0].flags |= VF_ZC_VRING_DESC_F_NEXT;
        } else if (m == M_INDIRECT_LEN) {
            d[0].len = 20;
        } else if (m == M_INDIRECT_OUTSIDE) {
            d[0].addr = GUEST_BASE - 64;
        }
        break;
    case M_INDIRECT_SELF:
        /* An indirect table that is the ring's own descriptor table, whose
         * first entry is this indirect descriptor again (found by the
         * fuzzer: it used to loop forever). */
        d[0].addr = desc_gpa();
        d[0].len = RING_SIZE * sizeof *d;
        d[0].flags = VF_ZC_VRING_DESC_F_INDIRECT;
        g->desc[0] = d[0];
        break;
    case M_TOO_LONG:
        /* Lengths that overflow 32 bits need buffers that big: add a region
         * that is never touched, only translated. */
        ovs_assert(!vf_zc_guest_mem_add(&g->map, UINT64_C(1) << 40,
                                        UINT64_C(1) << 33, g->mem));
        d[0].addr = UINT64_C(1) << 40;
        d[0].len = UINT32_MAX;
        d[1].addr = (UINT64_C(1) << 40) + UINT32_MAX;
        d[1].len = 2;
        break;
    case M_TOO_MANY:
        /* A chain of one buffer too many, through an indirect table. */
        table_gpa = guest_alloc(g, (VF_ZC_CHAIN_MAX_IOV + 1) * sizeof *table);
        table = gpa_to_ptr(g, table_gpa);
        for (int i = 0; i <= VF_ZC_CHAIN_MAX_IOV; i++) {
            table[i].addr = GUEST_BASE + 8192;
            table[i].len = 1;
            table[i].flags = (i < VF_ZC_CHAIN_MAX_IOV
                              ? VF_ZC_VRING_DESC_F_NEXT : 0);
            table[i].next = i + 1;
        }
        d[0].addr = table_gpa;
        d[0].len = (VF_ZC_CHAIN_MAX_IOV + 1) * sizeof *table;
        d[0].flags = VF_ZC_VRING_DESC_F_INDIRECT;
        break;
    case N_MALFORMATIONS:
    default:
        OVS_NOT_REACHED();
    }
    guest_make_available(g, head);
}

static void
test_malformed(struct ovs_cmdl_context *ctx)
{
    uint32_t len = 64;

    for (int m = 0; m < N_MALFORMATIONS; m++) {
        struct vf_zc_chain chain;
        struct vf_zc_vring vq;
        struct guest g;

        if (ctx->argc > 1 && strcmp(ctx->argv[1], malformation_names[m])) {
            continue;
        }

        guest_init(&g);
        device_init(&g, &vq, false, m != M_INDIRECT_OFF);
        /* A good chain first, taken and returned, so that the bad one is
         * not at the start of anything. */
        guest_post(&g, 1, &len, false);
        ovs_assert(vf_zc_vring_pop(&vq, false, &chain) == VF_ZC_VRING_OK);
        vf_zc_vring_push(&vq, chain.head, 0);
        vf_zc_vring_publish(&vq);

        malform(&g, m);
        if (vf_zc_vring_pop(&vq, false, &chain) == VF_ZC_VRING_BAD_CHAIN) {
            /* Buffers outside guest memory: that chain goes back unused,
             * and the ring goes on. */
            ovs_assert(!vf_zc_vring_is_broken(&vq) && vq.bad_chains == 1);
            struct vf_zc_vring_used_elem e;
            uint16_t bad = chain.head;

            vf_zc_vring_push(&vq, chain.head, 0);
            vf_zc_vring_publish(&vq);
            guest_get_used(&g);     /* The good chain before. */
            e = guest_get_used(&g);
            ovs_assert(e.id == bad && e.len == 0);
            guest_post(&g, 1, &len, false);
            ovs_assert(vf_zc_vring_pop(&vq, false, &chain)
                       == VF_ZC_VRING_OK);
            printf("%s: bad chain %"PRIu16" returned unused, ring goes "
                   "on\n", malformation_names[m], bad);
            guest_destroy(&g);
            continue;
        }
        ovs_assert(vf_zc_vring_is_broken(&vq));
        printf("%s: %s\n", malformation_names[m], vq.error);

        /* Broken stays broken, whatever the guest does next. */
        guest_post(&g, 1, &len, false);
        ovs_assert(vf_zc_vring_pop(&vq, false, &chain)
                   == VF_ZC_VRING_BROKEN);
        ovs_assert(vf_zc_vring_avail_count(&vq) == 0);
        vf_zc_vring_push(&vq, 0, 0);
        vf_zc_vring_publish(&vq);
        ovs_assert(g.used->idx == 1);
        ovs_assert(!vf_zc_vring_needs_notify(&vq));
        guest_destroy(&g);
    }
}

static void
test_init(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    uint32_t sizes[] = { 0, 3, 100, 65536 };
    struct vf_zc_vring vq;
    struct guest g;

    guest_init(&g);
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
        ovs_assert(!vf_zc_vring_init(&vq, g.desc, g.avail, g.used, sizes[i],
                                     &g.map, false, false, 0, 0));
        printf("size %"PRIu32": %s\n", sizes[i], vq.error);
    }
    ovs_assert(!vf_zc_vring_init(&vq, g.desc, g.avail, g.used, RING_SIZE,
                                 &g.map, false, false, 100, 50));
    printf("resume: %s\n", vq.error);
    ovs_assert(vf_zc_vring_init(&vq, g.desc, g.avail, g.used, RING_SIZE,
                                &g.map, false, false, 70, 60));
    printf("resume at avail 70, used 60: %"PRIu16" in flight\n",
           vf_zc_vring_in_flight(&vq));
    guest_destroy(&g);
}

/* Random rings: a guest that writes random descriptors, avail entries and
 * indexes, over many rounds.  The engine may break the ring or refuse chains,
 * but never crash, never hand out a buffer outside guest memory, and never
 * return more chains than it took. */
static void
test_random(struct ovs_cmdl_context *ctx)
{
    int rounds = ctx->argc > 1 ? atoi(ctx->argv[1]) : 2000;
    uint32_t seed = ctx->argc > 2 ? atoi(ctx->argv[2]) : 1;
    int n_broken = 0, n_bad = 0, n_ok = 0;

    for (int round = 0; round < rounds; round++) {
        struct vf_zc_chain chain;
        struct vf_zc_vring vq;
        struct guest g;
        int taken = 0;

        guest_init(&g);
        device_init(&g, &vq, random_range(2), random_range(2));
        random_set_seed(seed + round);

        /* Random descriptors, mostly pointing into guest memory. */
        for (int i = 0; i < RING_SIZE; i++) {
            uint32_t r = random_uint32();

            g.desc[i].addr = (r & 1
                              ? GUEST_BASE + random_range(GUEST_SIZE)
                              : random_uint64());
            g.desc[i].len = r & 2 ? random_range(4096) : random_uint32();
            g.desc[i].flags = random_range(8);
            g.desc[i].next = random_range(RING_SIZE + 2);
        }
        for (int i = 0; i < RING_SIZE + 1; i++) {
            g.avail->ring[i] = random_range(RING_SIZE + 2);
        }
        g.avail->idx = random_range(4) ? random_range(RING_SIZE + 1)
                                       : random_uint32();

        for (int i = 0; i < 2 * RING_SIZE; i++) {
            enum vf_zc_vring_status status;

            status = vf_zc_vring_pop(&vq, random_range(2), &chain);
            if (status == VF_ZC_VRING_OK) {
                ovs_assert(chain.head < RING_SIZE);
                ovs_assert(chain.n_iov <= VF_ZC_CHAIN_MAX_IOV);
                for (int j = 0; j < chain.n_iov; j++) {
                    ovs_assert(chain.iov[j].base >= g.mem);
                    ovs_assert(chain.iov[j].base + chain.iov[j].len
                               <= g.mem + GUEST_SIZE);
                }
                n_ok++;
            } else if (status == VF_ZC_VRING_BAD_CHAIN) {
                n_bad++;
            } else {
                break;
            }
            taken++;
            vf_zc_vring_push(&vq, chain.head, 0);
            if (random_range(3) == 0) {
                vf_zc_vring_publish(&vq);
                vf_zc_vring_needs_notify(&vq);
            }
        }
        vf_zc_vring_publish(&vq);
        ovs_assert(taken <= RING_SIZE);
        ovs_assert(vf_zc_vring_in_flight(&vq) == 0);
        n_broken += vf_zc_vring_is_broken(&vq);
        guest_destroy(&g);
    }
    printf("%d random rings: no crash, every buffer inside guest memory "
           "(%s chains taken, %s bad chains, %s rings broken)\n", rounds,
           n_ok ? "some" : "no", n_bad ? "some" : "no",
           n_broken ? "some" : "no");
}

/* Dirty-page logging. */

/* Returns the pages marked in 'log' ('size' bytes), as offsets in pages from
 * GUEST_BASE, in 'pages' (at most 'max'), and how many there are. */
static size_t
marked_pages(const uint8_t *log, size_t size, int64_t *pages, size_t max)
{
    size_t n = 0;

    for (uint64_t bit = 0; bit < size * 8; bit++) {
        if (log[bit / 8] & (1u << (bit % 8))) {
            ovs_assert(n < max);
            pages[n++] = bit - GUEST_BASE / VF_ZC_DIRTY_LOG_PAGE;
        }
    }
    return n;
}

static void
test_dirty_log(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    /* A log that covers the guest's memory, and a guard after it. */
    size_t log_size = (GUEST_BASE + GUEST_SIZE) / VF_ZC_DIRTY_LOG_PAGE / 8;
    uint8_t *bits = xzalloc(log_size + 64);
    struct vf_zc_dirty_log log = { .bits = bits, .size = log_size };
    uint32_t lens[3] = { 3000, 3000, 3000 };
    uint8_t pkt[5000];
    struct vf_zc_seg seg = { pkt, sizeof pkt };
    struct vf_zc_vring vq;
    struct vf_zc_chain chain;
    struct guest g;
    int64_t pages[16];
    size_t n;

    /* Without a log, nothing is marked. */
    guest_init(&g);
    device_init(&g, &vq, true, false);
    for (int i = 0; i < 3; i++) {
        guest_post(&g, 1, &lens[i], true);
    }
    fill_pattern(pkt, sizeof pkt, 5);
    ovs_assert(vf_zc_net_rx_copy(&vq, 12, true, 0, &seg, 1)
               == VF_ZC_NET_RX_OK);
    vf_zc_vring_publish(&vq);
    ovs_assert(!marked_pages(bits, log_size + 64, pages, ARRAY_SIZE(pages)));
    printf("not logging: nothing marked\n");
    guest_destroy(&g);

    /* Logging: the used ring's writes (flags and avail_event at start, then
     * the entries and the index) are in page 1, the buffers from page 2 on:
     * a 5000-byte packet and its header fill the first buffer (page 2) and
     * 2012 bytes of the second (pages 2 and 3); the third buffer, in pages
     * 3 and 4, stays unwritten, and the rings' descriptors and avail ring
     * (page 0) are the guest's own writes. */
    guest_init(&g);
    device_init(&g, &vq, true, false);
    vf_zc_vring_set_log(&vq, &log, used_gpa());
    vf_zc_vring_suppress_kicks(&vq);
    n = marked_pages(bits, log_size, pages, ARRAY_SIZE(pages));
    ovs_assert(n == 1 && pages[0] == 1);
    printf("kicks suppressed: used ring page marked\n");
    for (int i = 0; i < 3; i++) {
        guest_post(&g, 1, &lens[i], true);
    }
    ovs_assert(vf_zc_net_rx_copy(&vq, 12, true, 0, &seg, 1)
               == VF_ZC_NET_RX_OK);
    vf_zc_vring_publish(&vq);
    n = marked_pages(bits, log_size, pages, ARRAY_SIZE(pages));
    ovs_assert(n == 3 && pages[0] == 1 && pages[1] == 2 && pages[2] == 3);
    ovs_assert(vq.log_stats.pages == 2 + 3 + 3 && !vq.log_stats.misses);
    printf("5000-byte packet over 2 buffers: pages 1 to 3 marked, "
           "%"PRIu64" marks\n", vq.log_stats.pages);

    /* A chain returned unused marks only its used entry. */
    memset(bits, 0, log_size);
    ovs_assert(vf_zc_vring_pop(&vq, true, &chain) == VF_ZC_VRING_OK);
    vf_zc_vring_push(&vq, chain.head, 0);
    vf_zc_vring_publish(&vq);
    n = marked_pages(bits, log_size, pages, ARRAY_SIZE(pages));
    ovs_assert(n == 1 && pages[0] == 1);
    printf("buffer returned unused: only the used ring marked\n");
    guest_destroy(&g);

    /* A log too small for the guest's memory: nothing marked outside it,
     * every page counted as a miss; the used ring, if the front end puts it
     * at the very top of the address space, wraps nothing. */
    memset(bits, 0, log_size + 64);
    log.size = GUEST_BASE / VF_ZC_DIRTY_LOG_PAGE / 8;
    guest_init(&g);
    device_init(&g, &vq, false, false);
    vf_zc_vring_set_log(&vq, &log, UINT64_MAX - 4);
    guest_post(&g, 1, &lens[0], true);
    seg.len = 100;
    ovs_assert(vf_zc_net_rx_copy(&vq, 12, true, 0, &seg, 1)
               == VF_ZC_NET_RX_OK);
    vf_zc_vring_publish(&vq);
    ovs_assert(!marked_pages(bits, log_size + 64, pages, ARRAY_SIZE(pages)));
    printf("log smaller than memory: nothing marked, %"PRIu64" misses\n",
           vq.log_stats.misses);
    guest_destroy(&g);
    free(bits);
}

static const struct ovs_cmdl_command commands[] = {
    { "guest-mem", NULL, 0, 0, test_guest_mem, OVS_RO },
    { "guest-iova", NULL, 0, 0, test_guest_iova, OVS_RO },
    { "init", NULL, 0, 0, test_init, OVS_RO },
    { "rx", NULL, 0, 0, test_rx, OVS_RO },
    { "rx-mergeable", NULL, 0, 0, test_rx_mergeable, OVS_RO },
    { "rx-not-mergeable", NULL, 0, 0, test_rx_not_mergeable, OVS_RO },
    { "tx", NULL, 0, 0, test_tx, OVS_RO },
    { "indirect", NULL, 0, 0, test_indirect, OVS_RO },
    { "notify", NULL, 0, 0, test_notify, OVS_RO },
    { "malformed", NULL, 0, 1, test_malformed, OVS_RO },
    { "random", NULL, 0, 2, test_random, OVS_RO },
    { "dirty-log", NULL, 0, 0, test_dirty_log, OVS_RO },
    { NULL, NULL, 0, 0, NULL, OVS_RO },
};

static void
test_vf_zc_vring_main(int argc, char *argv[])
{
    struct ovs_cmdl_context ctx = {
        .argc = argc - 1,
        .argv = argv + 1,
    };

    set_program_name(argv[0]);
    ovs_cmdl_run_command(&ctx, commands);
}

OVSTEST_REGISTER("test-vf-zc-vring", test_vf_zc_vring_main);
