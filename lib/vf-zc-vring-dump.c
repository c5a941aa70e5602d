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

/* A virtqueue as ovs-appctl vf-zc/dump-vring shows it.  Apart from the ring
 * engine (vf-zc-vring.c), which needs no Open vSwitch library, so that it
 * can be fuzzed alone.  Called by the queue pair's owner, with its lock
 * held. */

#include <config.h>
#include "vf-zc-vring.h"

#include <inttypes.h>

#include "openvswitch/dynamic-string.h"
#include "util.h"

/* Appends to 's' what 'vq' looks like now: its size and features, the
 * guest's avail ring and the device's used ring (flags, index and event
 * index), and how far the device has gone in each. */
void
vf_zc_vring_format(const struct vf_zc_vring *vq, struct ds *s)
{
    uint16_t avail_flags = vf_zc_vring_read_u16(&vq->avail->flags);
    uint16_t avail_idx = vf_zc_vring_read_u16(&vq->avail->idx);
    uint16_t used_flags = vf_zc_vring_read_u16(&vq->used->flags);
    uint16_t used_idx = vf_zc_vring_read_u16(&vq->used->idx);

    ds_put_format(s, "  size %"PRIu16", event index %s, indirect "
                  "descriptors %s%s%s\n", vq->size,
                  vq->event_idx ? "on" : "off", vq->indirect ? "on" : "off",
                  vf_zc_vring_is_broken(vq) ? ", broken: " : "", vq->error);
    ds_put_format(s, "  avail (guest): flags %#"PRIx16"%s, idx %"PRIu16,
                  avail_flags,
                  (avail_flags & VF_ZC_VRING_AVAIL_F_NO_INTERRUPT
                   ? " (no interrupt)" : ""), avail_idx);
    if (vq->event_idx) {
        ds_put_format(s, ", used_event %"PRIu16,
                      vf_zc_vring_read_u16(&vq->avail->ring[vq->size]));
    }
    ds_put_format(s, "\n  used (device): flags %#"PRIx16"%s, idx %"PRIu16,
                  used_flags,
                  (used_flags & VF_ZC_VRING_USED_F_NO_NOTIFY
                   ? " (no notify)" : ""), used_idx);
    if (vq->event_idx) {
        const uint16_t *avail_event = (const uint16_t *)
                                      &vq->used->ring[vq->size];

        ds_put_format(s, ", avail_event %"PRIu16,
                      vf_zc_vring_read_u16(avail_event));
    }
    ds_put_format(s, "\n  device: taken up to %"PRIu16", used up to %"PRIu16
                  " (published %"PRIu16"), in flight %"PRIu16
                  ", posted and not taken %"PRIu16"\n",
                  vq->last_avail_idx, vq->last_used_idx,
                  vq->published_used_idx,
                  (uint16_t) (vq->last_avail_idx - vq->last_used_idx),
                  (uint16_t) (avail_idx - vq->last_avail_idx));
}

static void
format_desc_flags(struct ds *s, uint16_t flags)
{
    static const char *const names[] = { "NEXT", "WRITE", "INDIRECT" };
    bool any = false;

    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        if (flags & (1u << i)) {
            ds_put_format(s, "%s%s", any ? "|" : "", names[i]);
            any = true;
        }
    }
    if (flags & ~UINT16_C(7)) {
        ds_put_format(s, "%s%#"PRIx16, any ? "|" : "", flags & ~7u);
        any = true;
    }
    if (!any) {
        ds_put_char(s, '0');
    }
}

/* Copies the chain of descriptors that starts at 'head' into 'c', following
 * 'next' while it stays within the table, for at most VF_ZC_CHAIN_MAX_DESC
 * descriptors.  An indirect descriptor's table is not followed. */
void
vf_zc_vring_copy_chain(const struct vf_zc_vring *vq, uint16_t head,
                       struct vf_zc_vring_chain_copy *c)
{
    uint16_t i = head;

    c->head = head;
    c->n = 0;
    c->end = VF_ZC_CHAIN_COPY_END;
    for (;;) {
        if (i >= vq->size) {
            c->end = VF_ZC_CHAIN_COPY_BEYOND;
            c->beyond = i;
            return;
        }
        if (c->n >= VF_ZC_CHAIN_MAX_DESC) {
            c->end = VF_ZC_CHAIN_COPY_TOO_LONG;
            return;
        }
        c->idx[c->n] = i;
        vf_zc_vring_read_desc(&vq->desc[i], &c->desc[c->n]);
        if (!(c->desc[c->n++].flags & VF_ZC_VRING_DESC_F_NEXT)) {
            return;
        }
        i = c->desc[c->n - 1].next;
    }
}

/* Appends the chain copied in 'c' to 's', a descriptor a line. */
void
vf_zc_vring_format_chain(const struct vf_zc_vring_chain_copy *c, struct ds *s)
{
    ds_put_format(s, "    head %"PRIu16"\n", c->head);
    for (int n = 0; n < c->n; n++) {
        const struct vf_zc_vring_desc *d = &c->desc[n];

        ds_put_format(s, "      desc %"PRIu16": addr %#"PRIx64", len %"PRIu32
                      ", flags ", c->idx[n], d->addr, d->len);
        format_desc_flags(s, d->flags);
        if (d->flags & VF_ZC_VRING_DESC_F_NEXT) {
            ds_put_format(s, ", next %"PRIu16, d->next);
        }
        ds_put_char(s, '\n');
    }
    if (c->end == VF_ZC_CHAIN_COPY_BEYOND) {
        ds_put_format(s, "      desc %"PRIu16": beyond the table\n",
                      c->beyond);
    } else if (c->end == VF_ZC_CHAIN_COPY_TOO_LONG) {
        ds_put_format(s, "      (longer than %d descriptors)\n",
                      VF_ZC_CHAIN_MAX_DESC);
    }
}
