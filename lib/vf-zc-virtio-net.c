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
#include "vf-zc-virtio-net.h"

#include <string.h>

#include "util.h"

BUILD_ASSERT_DECL(sizeof(struct vf_zc_virtio_net_hdr) == 12);

/* Returns the size of the virtio-net header that precedes every packet in
 * either direction, given the negotiated 'features'. */
size_t
vf_zc_virtio_net_hdr_len(uint64_t features)
{
    return (features & ((UINT64_C(1) << VF_ZC_VIRTIO_NET_F_MRG_RXBUF)
                        | (UINT64_C(1) << VF_ZC_VIRTIO_F_VERSION_1))
            ? sizeof(struct vf_zc_virtio_net_hdr)
            : offsetof(struct vf_zc_virtio_net_hdr, num_buffers));
}

/* Copies 'segs' into 'chains', which hold at least 'offset' bytes more than
 * the packet, starting 'offset' bytes into the first chain, and stores in
 * 'written[i]' the bytes that chain i received, counting the 'offset'. */
static void
copy_segs(const struct vf_zc_chain *chains, size_t n_chains, uint32_t offset,
          const struct vf_zc_seg *segs, size_t n_segs, uint32_t *written)
{
    size_t c = 0;
    uint32_t pos = offset;      /* In chains[c]. */

    for (size_t i = 0; i < n_chains; i++) {
        written[i] = 0;
    }
    written[0] = offset;

    for (size_t s = 0; s < n_segs; s++) {
        const uint8_t *data = segs[s].data;
        uint32_t left = segs[s].len;

        while (left) {
            uint32_t n;

            if (pos == chains[c].len) {
                c++;
                pos = 0;
                ovs_assert(c < n_chains);
            }
            n = MIN(left, chains[c].len - pos);
            n = vf_zc_chain_copy_in(&chains[c], pos, data, n);
            pos += n;
            written[c] += n;
            data += n;
            left -= n;
        }
    }
}

/* Delivers the packet made of 'segs' into receive queue 'rxq', preceded by a
 * virtio-net header of 'hdr_len' bytes whose flags are 'hdr_flags'.  With
 * 'mergeable' the packet may span several of the guest's buffers; without,
 * it must fit in one.  The chains used are pushed but not published. */
enum vf_zc_net_rx_result
vf_zc_net_rx_copy(struct vf_zc_vring *rxq, size_t hdr_len, bool mergeable,
                  uint8_t hdr_flags, const struct vf_zc_seg *segs,
                  size_t n_segs)
{
    struct vf_zc_chain chains[VF_ZC_NET_RX_MAX_BUFFERS];
    uint32_t written[VF_ZC_NET_RX_MAX_BUFFERS];
    struct vf_zc_virtio_net_hdr hdr;
    uint64_t need = hdr_len;
    uint64_t have = 0;
    size_t n = 0;

    for (size_t s = 0; s < n_segs; s++) {
        need += segs[s].len;
    }

    /* Take buffers until the packet fits (at least one, even for an empty
     * packet with no header). */
    do {
        enum vf_zc_vring_status status;

        if (n == (mergeable ? VF_ZC_NET_RX_MAX_BUFFERS : 1)) {
            vf_zc_vring_unpop(rxq, n);
            return VF_ZC_NET_RX_TOO_BIG;
        }
        status = vf_zc_vring_pop(rxq, true, &chains[n]);
        if (status == VF_ZC_VRING_BAD_CHAIN) {
            /* The chains before it cannot be given back for reuse without
             * giving back this one too: return them all unused. */
            for (size_t i = 0; i <= n; i++) {
                vf_zc_vring_push(rxq, chains[i].head, 0);
            }
            return VF_ZC_NET_RX_BAD_BUFFER;
        } else if (status == VF_ZC_VRING_BROKEN) {
            return VF_ZC_NET_RX_BROKEN;
        } else if (status == VF_ZC_VRING_EMPTY) {
            vf_zc_vring_unpop(rxq, n);
            return VF_ZC_NET_RX_NO_BUFFERS;
        } else if (status == VF_ZC_VRING_BUDGET_SPENT) {
            vf_zc_vring_unpop(rxq, n);
            return VF_ZC_NET_RX_BUDGET_SPENT;
        }
        /* The header must fit in the first buffer, so that the guest finds
         * it in one piece. */
        if (!n && chains[0].len < hdr_len) {
            vf_zc_vring_unpop(rxq, 1);
            return VF_ZC_NET_RX_TOO_BIG;
        }
        have += chains[n].len;
        n++;
    } while (have < need);

    copy_segs(chains, n, hdr_len, segs, n_segs, written);

    memset(&hdr, 0, sizeof hdr);
    hdr.flags = hdr_flags;
    hdr.num_buffers = n;
    vf_zc_chain_copy_in(&chains[0], 0, &hdr, hdr_len);

    for (size_t i = 0; i < n; i++) {
        vf_zc_vring_log_chain(rxq, &chains[i], written[i]);
        vf_zc_vring_push(rxq, chains[i].head, written[i]);
    }
    return VF_ZC_NET_RX_OK;
}
