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

/* libFuzzer target for everything a guest controls in vf-zc's virtqueue
 * engine: the input is a guest's memory (descriptor table, avail ring, used
 * ring, buffers) and a few bytes choosing features, resume positions and
 * what the device does.  Built by 'make fuzz' with clang and AddressSanitizer,
 * so that any read or write outside guest memory, and any crash, is found.
 *
 * The engine needs three helpers from Open vSwitch's util.c; they are
 * defined here so that the target links without the rest of Open vSwitch. */

#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vf-zc-guest-mem.h"
#include "vf-zc-virtio-net.h"
#include "vf-zc-vring.h"

/* Guest memory: the rings at fixed offsets, buffers anywhere. */
#define GUEST_BASE 0x100000
#define GUEST_SIZE 65536
#define RING_SIZE 16
#define CONTROL_BYTES 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

void
ovs_assert_failure(const char *where, const char *function,
                   const char *condition)
{
    fprintf(stderr, "%s: assertion %s failed in %s()\n",
            where, condition, function);
    abort();
}

void *
xrealloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (!p) {
        abort();
    }
    return p;
}

char *
xasprintf(const char *format, ...)
{
    va_list args;
    char *s;

    va_start(args, format);
    if (vasprintf(&s, format, args) < 0) {
        abort();
    }
    va_end(args);
    return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exactly the guest's memory, so that AddressSanitizer flags any access
     * beyond it. */
    uint8_t *mem = malloc(GUEST_SIZE);
    struct vf_zc_guest_mem map;
    struct vf_zc_chain chain;
    struct vf_zc_vring vq;
    uint8_t pkt[2000];
    struct vf_zc_seg seg = { pkt, 0 };
    uint8_t mode, pos, len_seed;

    if (size < CONTROL_BYTES) {
        free(mem);
        return 0;
    }
    mode = data[0];
    pos = data[1];
    len_seed = data[2];
    data += CONTROL_BYTES;
    size -= CONTROL_BYTES;

    memset(mem, 0, GUEST_SIZE);
    memcpy(mem, data, MIN(size, GUEST_SIZE));
    memset(pkt, 0x5a, sizeof pkt);

    /* Unless 'mode' asks for raw memory, steer most descriptors and the
     * avail index toward plausible values, so that the fuzzer explores
     * chains, indirect tables and their edges rather than only the first
     * check that random bytes fail. */
    if (!(mode & 0x80)) {
        struct vf_zc_vring_desc *desc = (void *) mem;
        struct vf_zc_vring_avail *avail = (void *) (mem + 4096);

        for (int i = 0; i < RING_SIZE; i++) {
            if (desc[i].flags & 0x8000) {
                continue;               /* Keep this one raw. */
            }
            desc[i].addr = GUEST_BASE + desc[i].addr % GUEST_SIZE;
            desc[i].len %= 4096;
            desc[i].flags &= VF_ZC_VRING_DESC_F_NEXT
                             | VF_ZC_VRING_DESC_F_WRITE
                             | VF_ZC_VRING_DESC_F_INDIRECT;
            desc[i].next %= RING_SIZE + 1;
        }
        avail->idx = pos + len_seed % (RING_SIZE + 2);
    }

    vf_zc_guest_mem_init(&map);
    free(vf_zc_guest_mem_add(&map, GUEST_BASE, GUEST_SIZE, mem));

    if (vf_zc_vring_init(&vq, mem, mem + 4096, mem + 8192, RING_SIZE, &map,
                         mode & 1, mode & 2, pos, pos - (mode >> 4))) {
        for (int i = 0; i < 3 * RING_SIZE; i++) {
            if (mode & 4) {
                /* Receive: packets of varying sizes into the guest. */
                seg.len = (len_seed * 7 + i * 131) % sizeof pkt;
                if (vf_zc_net_rx_copy(&vq, 12, mode & 8, 0, &seg, 1)
                    == VF_ZC_NET_RX_BROKEN) {
                    break;
                }
            } else {
                /* Transmit: packets out of the guest. */
                enum vf_zc_vring_status status;

                status = vf_zc_vring_pop(&vq, false, &chain);
                if (status == VF_ZC_VRING_OK) {
                    vf_zc_chain_copy_out(&chain, 12, pkt, sizeof pkt);
                } else if (status != VF_ZC_VRING_BAD_CHAIN) {
                    break;
                }
                vf_zc_vring_push(&vq, chain.head, 0);
            }
            vf_zc_vring_publish(&vq);
            vf_zc_vring_needs_notify(&vq);
        }
        if (!vf_zc_vring_is_broken(&vq) && vf_zc_vring_in_flight(&vq)
            && !(mode >> 4)) {
            /* Every chain taken went back, unless we resumed with some in
             * flight. */
            abort();
        }
    }
    vf_zc_guest_mem_destroy(&map);
    free(mem);
    return 0;
}
