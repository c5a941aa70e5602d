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
#include "vf-zc-relay.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_vhost.h>

#include "dp-packet.h"
#include "netdev.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "util.h"
#include "vf-zc-guest-mem.h"
#include "vf-zc-virtio-net.h"

VLOG_DEFINE_THIS_MODULE(vf_zc_relay);

/* Most segments of one VF packet relayed to the guest. */
#define VF_ZC_MAX_SEGS 32

static const char *const drop_names[VF_ZC_N_DROPS] = {
    [VF_ZC_DROP_NO_GUEST] = "no_guest",
    [VF_ZC_DROP_NO_BUFFER] = "no_guest_buffer",
    [VF_ZC_DROP_OVERSIZE] = "oversize",
    [VF_ZC_DROP_RING_ERROR] = "guest_ring_error",
    [VF_ZC_DROP_BAD_BUFFER] = "guest_bad_buffer",
    [VF_ZC_DROP_VF_TX_FULL] = "vf_tx_full",
    [VF_ZC_DROP_GUEST_TX_ERROR] = "guest_tx_error",
};

const char *
vf_zc_drop_name(enum vf_zc_drop drop)
{
    return drop < VF_ZC_N_DROPS ? drop_names[drop] : "unknown";
}

/* Adds 'n' to counter 'c'.  Counters are written with 'lock' held, so by one
 * thread at a time; relaxed atomics keep the main thread's reads whole. */
static inline void
stat_add(atomic_uint64_t *c, uint64_t n)
{
    uint64_t v;

    atomic_read_relaxed(c, &v);
    atomic_store_relaxed(c, v + n);
}

static inline void
count_drop(struct vf_zc_qp *qp, enum vf_zc_drop drop, uint64_t n)
{
    stat_add(&qp->stats.drops[drop], n);
}

void
vf_zc_qp_init(struct vf_zc_qp *qp, uint16_t qid)
{
    memset(qp, 0, sizeof *qp);
    qp->port_id = RTE_MAX_ETHPORTS;
    qp->qid = qid;
    qp->vid = -1;
    qp->rx_callfd = qp->tx_callfd = -1;
    rte_spinlock_init(&qp->lock);
}

/* Tells the queue pair which VF and VF queue it relays with, whether that
 * queue runs, whether this queue pair receives from it, which mempool backs
 * copies to the VF, and whether VF packets bypass the pipeline.  Once it
 * returns with 'ready' false, the relay no longer touches the VF.  Control
 * threads. */
void
vf_zc_qp_set_vf(struct vf_zc_qp *qp, uint16_t port_id, uint16_t vf_queue,
                bool ready, bool vf_rx, struct rte_mempool *mp, bool bypass)
{
    rte_spinlock_lock(&qp->lock);
    qp->port_id = port_id;
    qp->vf_queue = vf_queue;
    qp->vf_rx = vf_rx;
    qp->vf_ready = ready && mp;
    qp->mp = mp;
    qp->bypass = bypass;
    rte_spinlock_unlock(&qp->lock);
}

/* Starts relaying with the guest's vrings of this queue pair, on vhost device
 * 'vid' whose memory is 'mem' (which must stay valid until vf_zc_qp_stop())
 * and negotiated features are 'features'.  Returns NULL on success, otherwise
 * a malloc'ed message; the queue pair then stays stopped.  Control threads,
 * with the queue pair stopped. */
char *
vf_zc_qp_start(struct vf_zc_qp *qp, int vid, const struct vf_zc_guest_mem *mem,
               uint64_t features)
{
    bool event_idx = features & (UINT64_C(1) << VIRTIO_RING_F_EVENT_IDX);
    bool indirect = features & (UINT64_C(1) << VIRTIO_RING_F_INDIRECT_DESC);
    struct rte_vhost_vring vr[2];
    struct vf_zc_vring rings[2];
    char *error = NULL;

    for (int i = 0; i < 2; i++) {
        uint16_t vring = 2 * qp->qid + i;
        uint16_t last_avail, last_used;

        if (rte_vhost_get_vhost_vring(vid, vring, &vr[i])
            || rte_vhost_get_vring_base(vid, vring, &last_avail,
                                        &last_used)) {
            return xasprintf("vring %"PRIu16" is not set up", vring);
        }
        if (!vf_zc_vring_init(&rings[i], vr[i].desc, vr[i].avail,
                              vr[i].used, vr[i].size, mem, event_idx,
                              indirect, last_avail, last_used)) {
            return xasprintf("vring %"PRIu16": %s", vring, rings[i].error);
        }
        vf_zc_vring_suppress_kicks(&rings[i]);
    }

    rte_spinlock_lock(&qp->lock);
    qp->rxq = rings[0];
    qp->txq = rings[1];
    qp->rx_callfd = vr[0].callfd;
    qp->tx_callfd = vr[1].callfd;
    qp->vid = vid;
    qp->hdr_len = vf_zc_virtio_net_hdr_len(features);
    qp->mergeable = features & (UINT64_C(1) << VIRTIO_NET_F_MRG_RXBUF);
    qp->broken_reported = false;
    qp->poller[0] = '\0';
    qp->guest_ready = true;
    rte_spinlock_unlock(&qp->lock);
    return error;
}

/* Stops relaying with the guest's vrings and tells the vhost library where
 * each ring stopped, so that the guest, or a reconnecting one, resumes
 * there.  Waits for the burst in progress, if any.  Control threads. */
void
vf_zc_qp_stop(struct vf_zc_qp *qp)
{
    rte_spinlock_lock(&qp->lock);
    if (qp->guest_ready) {
        qp->guest_ready = false;
        rte_vhost_set_vring_base(qp->vid, 2 * qp->qid,
                                 qp->rxq.last_avail_idx,
                                 qp->rxq.last_used_idx);
        rte_vhost_set_vring_base(qp->vid, 2 * qp->qid + 1,
                                 qp->txq.last_avail_idx,
                                 qp->txq.last_used_idx);
        qp->rx_callfd = qp->tx_callfd = -1;
        qp->vid = -1;
    }
    rte_spinlock_unlock(&qp->lock);
}

/* Notifies the guest through 'callfd' of what was published on 'vq', if it
 * asked for it. */
static void
notify_guest(struct vf_zc_qp *qp, struct vf_zc_vring *vq, int callfd)
{
    if (callfd >= 0 && vf_zc_vring_needs_notify(vq)) {
        eventfd_write(callfd, 1);
        stat_add(&qp->stats.guest_notifications, 1);
    }
}

static void
report_broken(struct vf_zc_qp *qp)
    OVS_REQUIRES(qp->lock)
{
    if (!qp->broken_reported
        && (vf_zc_vring_is_broken(&qp->rxq)
            || vf_zc_vring_is_broken(&qp->txq))) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

        qp->broken_reported = true;
        VLOG_WARN_RL(&rl, "DPDK port %"PRIu16" queue pair %"PRIu16": guest "
                     "ring broken, queue pair stopped: %s",
                     qp->port_id, qp->qid,
                     vf_zc_vring_is_broken(&qp->rxq)
                     ? qp->rxq.error : qp->txq.error);
    }
}

/* Delivers one packet of 'n_segs' segments into the guest's receive ring and
 * returns what became of it. */
static enum vf_zc_net_rx_result
deliver_one(struct vf_zc_qp *qp, const struct vf_zc_seg *segs, size_t n_segs)
    OVS_REQUIRES(qp->lock)
{
    return vf_zc_net_rx_copy(&qp->rxq, qp->hdr_len, qp->mergeable, 0,
                             segs, n_segs);
}

/* What became of a burst of packets into the guest, tallied locally and added
 * to the queue pair's counters once per burst. */
struct rx_tally {
    uint64_t packets;
    uint64_t bytes;
    uint64_t drops[VF_ZC_N_DROPS];
};

static void
rx_tally_add(struct rx_tally *t, enum vf_zc_net_rx_result result,
             uint32_t len)
{
    switch (result) {
    case VF_ZC_NET_RX_OK:
        t->packets++;
        t->bytes += len;
        break;
    case VF_ZC_NET_RX_NO_BUFFERS:
        t->drops[VF_ZC_DROP_NO_BUFFER]++;
        break;
    case VF_ZC_NET_RX_TOO_BIG:
        t->drops[VF_ZC_DROP_OVERSIZE]++;
        break;
    case VF_ZC_NET_RX_BAD_BUFFER:
        t->drops[VF_ZC_DROP_BAD_BUFFER]++;
        break;
    case VF_ZC_NET_RX_BROKEN:
        t->drops[VF_ZC_DROP_RING_ERROR]++;
        break;
    }
}

static void
rx_tally_flush(struct vf_zc_qp *qp, const struct rx_tally *t,
               atomic_uint64_t *packets, atomic_uint64_t *bytes)
    OVS_REQUIRES(qp->lock)
{
    if (t->packets) {
        stat_add(packets, t->packets);
        stat_add(bytes, t->bytes);
    }
    for (int d = 0; d < VF_ZC_N_DROPS; d++) {
        if (t->drops[d]) {
            count_drop(qp, d, t->drops[d]);
        }
    }
}

/* VF receive queue -> guest receive ring, copying. */
static int
relay_vf_to_guest(struct vf_zc_qp *qp)
    OVS_REQUIRES(qp->lock)
{
    struct rte_mbuf *pkts[NETDEV_MAX_BURST];
    struct rx_tally tally;
    uint16_t n;

    n = rte_eth_rx_burst(qp->port_id, qp->vf_queue, pkts, NETDEV_MAX_BURST);
    if (!n) {
        return 0;
    }
    if (!qp->guest_ready) {
        rte_pktmbuf_free_bulk(pkts, n);
        count_drop(qp, VF_ZC_DROP_NO_GUEST, n);
        return n;
    }

    memset(&tally, 0, sizeof tally);
    for (uint16_t i = 0; i < n; i++) {
        struct vf_zc_seg segs[VF_ZC_MAX_SEGS];
        enum vf_zc_net_rx_result result;
        struct rte_mbuf *m = pkts[i];
        size_t n_segs = 0;

        for (struct rte_mbuf *s = m; s; s = s->next) {
            if (n_segs == VF_ZC_MAX_SEGS) {
                break;
            }
            segs[n_segs].data = rte_pktmbuf_mtod(s, const void *);
            segs[n_segs].len = s->data_len;
            n_segs++;
        }
        result = (n_segs < m->nb_segs
                  ? VF_ZC_NET_RX_TOO_BIG
                  : deliver_one(qp, segs, n_segs));
        rx_tally_add(&tally, result, m->pkt_len);
    }
    rte_pktmbuf_free_bulk(pkts, n);
    rx_tally_flush(qp, &tally, &qp->stats.vf_to_guest_packets,
                   &qp->stats.vf_to_guest_bytes);

    vf_zc_vring_publish(&qp->rxq);
    notify_guest(qp, &qp->rxq, qp->rx_callfd);
    report_broken(qp);
    return n;
}

/* Guest transmit ring -> VF transmit queue, copying. */
static int
relay_guest_to_vf(struct vf_zc_qp *qp)
    OVS_REQUIRES(qp->lock)
{
    struct rte_mbuf *pkts[NETDEV_MAX_BURST];
    struct vf_zc_chain chain;
    uint16_t n = 0, sent;
    int taken = 0;

    while (n < NETDEV_MAX_BURST) {
        enum vf_zc_vring_status status;
        struct rte_mbuf *m;
        uint32_t len;

        status = vf_zc_vring_pop(&qp->txq, false, &chain);
        if (status == VF_ZC_VRING_BAD_CHAIN) {
            taken++;
            vf_zc_vring_push(&qp->txq, chain.head, 0);
            count_drop(qp, VF_ZC_DROP_BAD_BUFFER, 1);
            continue;
        } else if (status != VF_ZC_VRING_OK) {
            break;
        }
        m = rte_pktmbuf_alloc(qp->mp);
        if (!m) {
            /* Every host buffer is in the VF's queues: try again later.  The
             * packet stays in the guest's ring, nothing is lost. */
            vf_zc_vring_unpop(&qp->txq, 1);
            break;
        }
        taken++;
        len = chain.len > qp->hdr_len ? chain.len - qp->hdr_len : 0;
        if (!len || len > rte_pktmbuf_tailroom(m)) {
            rte_pktmbuf_free(m);
            vf_zc_vring_push(&qp->txq, chain.head, 0);
            count_drop(qp, VF_ZC_DROP_GUEST_TX_ERROR, 1);
            continue;
        }
        vf_zc_chain_copy_out(&chain, qp->hdr_len,
                             rte_pktmbuf_mtod(m, void *), len);
        m->data_len = m->pkt_len = len;
        vf_zc_vring_push(&qp->txq, chain.head, 0);
        pkts[n++] = m;
    }

    if (taken) {
        vf_zc_vring_publish(&qp->txq);
        notify_guest(qp, &qp->txq, qp->tx_callfd);
    }
    report_broken(qp);
    if (!n) {
        return taken;
    }

    sent = rte_eth_tx_burst(qp->port_id, qp->vf_queue, pkts, n);
    if (sent < n) {
        rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
        count_drop(qp, VF_ZC_DROP_VF_TX_FULL, n - sent);
    }
    for (uint16_t i = 0; i < sent; i++) {
        stat_add(&qp->stats.guest_to_vf_bytes, pkts[i]->pkt_len);
    }
    stat_add(&qp->stats.guest_to_vf_packets, sent);
    return taken;
}

/* One iteration of the relay, for the PMD thread polling this queue pair.
 * Returns the number of packets moved or dropped. */
int
vf_zc_qp_relay(struct vf_zc_qp *qp)
{
    int n = 0;

    if (!rte_spinlock_trylock(&qp->lock)) {
        /* A control thread is stopping or starting the queue pair, or
         * another PMD thread delivers into it: next time. */
        return 0;
    }
    if (OVS_UNLIKELY(!qp->poller[0])) {
        ovs_strlcpy(qp->poller, get_subprogram_name(), sizeof qp->poller);
    }
    if (qp->vf_ready && qp->vf_rx && qp->bypass) {
        n += relay_vf_to_guest(qp);
    }
    if (qp->vf_ready && qp->guest_ready) {
        n += relay_guest_to_vf(qp);
    }
    rte_spinlock_unlock(&qp->lock);
    return n;
}

/* Receives packets from the VF for the pipeline, when they do not bypass it.
 * Returns 0 with packets in 'batch', or EAGAIN. */
int
vf_zc_qp_recv(struct vf_zc_qp *qp, struct dp_packet_batch *batch)
{
    uint16_t n = 0;

    if (!rte_spinlock_trylock(&qp->lock)) {
        return EAGAIN;
    }
    if (qp->vf_ready && qp->vf_rx && !qp->bypass) {
        /* The VF's mempool makes each mbuf a dp_packet. */
        n = rte_eth_rx_burst(qp->port_id, qp->vf_queue,
                             (struct rte_mbuf **) batch->packets,
                             NETDEV_MAX_BURST);
    }
    rte_spinlock_unlock(&qp->lock);

    if (!n) {
        return EAGAIN;
    }
    batch->count = n;
    dp_packet_batch_init_packet_fields(batch);
    return 0;
}

/* Delivers the packets the pipeline sent to the port into the guest, and
 * frees them.  Any PMD thread. */
void
vf_zc_qp_deliver(struct vf_zc_qp *qp, struct dp_packet_batch *batch)
{
    struct dp_packet *packet;

    rte_spinlock_lock(&qp->lock);
    if (!qp->guest_ready) {
        count_drop(qp, VF_ZC_DROP_NO_GUEST, dp_packet_batch_size(batch));
    } else {
        struct rx_tally tally;

        memset(&tally, 0, sizeof tally);
        DP_PACKET_BATCH_FOR_EACH (i, packet, batch) {
            struct vf_zc_seg seg = {
                .data = dp_packet_data(packet),
                .len = dp_packet_size(packet),
            };

            rx_tally_add(&tally, deliver_one(qp, &seg, 1), seg.len);
        }
        rx_tally_flush(qp, &tally, &qp->stats.pipeline_to_guest_packets,
                       &qp->stats.pipeline_to_guest_bytes);
        vf_zc_vring_publish(&qp->rxq);
        notify_guest(qp, &qp->rxq, qp->rx_callfd);
        report_broken(qp);
    }
    rte_spinlock_unlock(&qp->lock);
    dp_packet_delete_batch(batch, true);
}

/* If one of the guest's rings of 'qp' is broken, stores why in 'buf' and
 * returns true.  Control threads. */
bool
vf_zc_qp_get_ring_error(struct vf_zc_qp *qp, char *buf, size_t size)
{
    bool broken = false;

    rte_spinlock_lock(&qp->lock);
    if (qp->guest_ready) {
        const struct vf_zc_vring *vq = (vf_zc_vring_is_broken(&qp->rxq)
                                        ? &qp->rxq : &qp->txq);

        if (vf_zc_vring_is_broken(vq)) {
            snprintf(buf, size, "%s ring: %s", vq == &qp->rxq ? "rx" : "tx",
                     vq->error);
            broken = true;
        }
    }
    rte_spinlock_unlock(&qp->lock);
    return broken;
}

static void
format_ring(struct ds *s, const char *name, const struct vf_zc_vring *vq)
{
    ds_put_format(s, "    guest %s ring: ", name);
    if (vf_zc_vring_is_broken(vq)) {
        ds_put_format(s, "BROKEN: %s\n", vq->error);
        return;
    }
    ds_put_format(s, "size %"PRIu16", avail %"PRIu16" (taken up to "
                  "%"PRIu16"), used %"PRIu16", in flight %"PRIu16
                  ", bad chains %"PRIu64"\n",
                  vq->size, *(const volatile uint16_t *) &vq->avail->idx,
                  vq->last_avail_idx, vq->published_used_idx,
                  vf_zc_vring_in_flight(vq), vq->bad_chains);
}

/* Describes 'qp' for vf-zc/show.  Control threads. */
void
vf_zc_qp_format(struct vf_zc_qp *qp, struct ds *s)
{
    rte_spinlock_lock(&qp->lock);
    ds_put_format(s, "  queue pair %"PRIu16": VF queue %"PRIu16" %s%s, "
                  "guest rings %s, polled by %s\n", qp->qid, qp->vf_queue,
                  qp->vf_ready ? "running" : "stopped",
                  qp->vf_rx ? "" : " (transmit only)",
                  qp->guest_ready ? "relaying" : "stopped",
                  qp->poller[0] ? qp->poller : "(not yet)");
    if (qp->guest_ready) {
        format_ring(s, "rx", &qp->rxq);
        format_ring(s, "tx", &qp->txq);
    }
    rte_spinlock_unlock(&qp->lock);

    ds_put_format(s, "    vf_to_guest: %"PRIu64" packets, guest_to_vf: "
                  "%"PRIu64" packets, pipeline_to_guest: %"PRIu64" packets, "
                  "notifications: %"PRIu64"\n",
                  vf_zc_stat_read(&qp->stats.vf_to_guest_packets),
                  vf_zc_stat_read(&qp->stats.guest_to_vf_packets),
                  vf_zc_stat_read(&qp->stats.pipeline_to_guest_packets),
                  vf_zc_stat_read(&qp->stats.guest_notifications));
    ds_put_cstr(s, "    dropped:");
    for (int d = 0; d < VF_ZC_N_DROPS; d++) {
        ds_put_format(s, " %s %"PRIu64, vf_zc_drop_name(d),
                      vf_zc_stat_read(&qp->stats.drops[d]));
    }
    ds_put_char(s, '\n');
}
