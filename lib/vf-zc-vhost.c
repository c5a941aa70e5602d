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

/* The vhost-user side of a vf-zc port: its socket, and the vhost library's
 * callbacks and message hooks, which follow what the guest does and stop,
 * before a change, the queue pairs that the change affects, and no others.
 *
 * Threads: DPDK's vhost-events thread runs the callbacks and hooks, each
 * with 'vf_zc_mutex' and the port's 'mutex' held; the main thread registers
 * and unregisters sockets with neither held (see "Threads and locks" in
 * netdev-vf-zc-private.h). */

#include "netdev-vf-zc-private.h"

#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_version.h>
#include <rte_vhost.h>

#include "bitmap.h"
#include "fatal-signal.h"
#include "openvswitch/vlog.h"
#include "util.h"
#include "vf-zc-events.h"

VLOG_DEFINE_THIS_MODULE(vf_zc_vhost);

static const struct rte_vhost_device_ops vf_zc_vhost_ops;

/* The virtio features a vf-zc port offers its guest.  vf-zc processes the
 * virtqueues itself, so this is exactly what its ring engine implements:
 * split rings only, no offloads yet (see vf_zc_vhost_set_features()), and
 * dirty-page logging for live migration (VHOST_F_LOG_ALL).  The link status
 * (VIRTIO_NET_F_STATUS) is the VMM's to offer, as for dpdkvhostuser ports:
 * the vhost library's net device does not.  Nor is VIRTIO_NET_F_GUEST_ANNOUNCE
 * offered: after a migration, the port announces the guest itself, when the
 * VMM asks (VHOST_USER_SEND_RARP), so that the network learns where the guest
 * is before it sends anything.
 *
 * The protocol features are the library's: they include LOG_SHMFD (the log
 * comes as a file descriptor) and RARP, but not PAGEFAULT, which post-copy
 * migration needs, since vf-zc never asks for RTE_VHOST_USER_POSTCOPY_SUPPORT:
 * a NIC cannot wait for a page that has not arrived yet, so post-copy
 * migration is refused (see vf_zc_vhost_msg_refusal()). */
#define VF_ZC_VIRTIO_FEATURES                   \
    ((1ULL << VIRTIO_NET_F_GUEST_CSUM)          \
     | (1ULL << VIRTIO_NET_F_MTU)               \
     | (1ULL << VIRTIO_NET_F_MRG_RXBUF)         \
     | (1ULL << VIRTIO_NET_F_CTRL_VQ)           \
     | (1ULL << VIRTIO_NET_F_MQ)                \
     | (1ULL << VIRTIO_F_ANY_LAYOUT)            \
     | (1ULL << VIRTIO_RING_F_INDIRECT_DESC)    \
     | (1ULL << VIRTIO_RING_F_EVENT_IDX)        \
     | (1ULL << VHOST_USER_F_PROTOCOL_FEATURES) \
     | (1ULL << VHOST_F_LOG_ALL)                \
     | (1ULL << VIRTIO_F_VERSION_1))

/* Offers exactly VF_ZC_VIRTIO_FEATURES on vhost-user socket 'path'.
 *
 * The library's own feature set is narrowed rather than replaced: a socket
 * whose application sets the feature set is no longer the library's
 * built-in net device, and then the library declares the device ready only
 * once every vring the guest set up is enabled.  A Linux guest with fewer
 * vCPUs than queue pairs sets up all of them and enables as many as it has
 * vCPUs, and would never be relayed.  As the built-in net device, the
 * device is ready as soon as its first queue pair is, as for dpdkvhostuser
 * ports; vf-zc follows the others as the guest enables them.  vf-zc still
 * processes every ring itself.  Returns 0 or -1. */
static int
vf_zc_vhost_set_features(const char *path)
{
    uint64_t features;

    if (rte_vhost_driver_disable_features(path, ~VF_ZC_VIRTIO_FEATURES)
        || rte_vhost_driver_get_features(path, &features)) {
        return -1;
    }
    if (features != VF_ZC_VIRTIO_FEATURES
        && rte_vhost_driver_enable_features(path, (VF_ZC_VIRTIO_FEATURES
                                                   & ~features))) {
        /* The library lacks some of them for its built-in device. */
        VLOG_WARN("%s: the vhost library's net device lacks virtio features "
                  "%#"PRIx64"; a guest is relayed only once it has enabled "
                  "every queue pair it set up", path,
                  (uint64_t) (VF_ZC_VIRTIO_FEATURES & ~features));
        return rte_vhost_driver_set_features(path, VF_ZC_VIRTIO_FEATURES);
    }
    return 0;
}

/* Registers and starts the vhost-user socket at 'path'.  Returns NULL on
 * success, otherwise a malloc'ed message; nothing is left registered then.
 *
 * Called with no lock held: the vhost callbacks may start running as soon as
 * the socket is started. */
char *
vf_zc_vhost_register(const char *path, bool client)
    OVS_EXCLUDED(vf_zc_mutex)
{
    uint64_t flags = client ? RTE_VHOST_USER_CLIENT : 0;
    const char *what;

    if (rte_vhost_driver_register(path, flags)) {
        return xasprintf("could not create vhost-user %s socket %s (is the "
                         "path already used by another port?)",
                         client ? "client" : "server", path);
    }
    if (rte_vhost_driver_callback_register(path, &vf_zc_vhost_ops)) {
        what = "register callbacks for";
        goto error;
    }
    if (vf_zc_vhost_set_features(path)) {
        what = "set the virtio features of";
        goto error;
    }
    if (rte_vhost_driver_start(path)) {
        what = client ? "start" : "listen on";
        goto error;
    }
    if (!client) {
        fatal_signal_add_file_to_unlink(path);
    }
    return NULL;

error:
    rte_vhost_driver_unregister(path);
    return xasprintf("could not %s vhost-user socket %s%s", what, path,
                     client ? "" : " (a file is there already, or its "
                     "directory is missing or not writable)");
}

void
vf_zc_vhost_unregister(const char *path, bool client)
    OVS_EXCLUDED(vf_zc_mutex)
{
    if (rte_vhost_driver_unregister(path)) {
        VLOG_WARN("could not unregister vhost-user socket %s", path);
    }
    if (!client) {
        fatal_signal_remove_file_to_unlink(path);
        unlink(path);
    }
}

static struct netdev_vf_zc *
vf_zc_lookup_by_vid(int vid)
    OVS_REQUIRES(vf_zc_mutex)
{
    char path[PATH_MAX];
    struct netdev_vf_zc *dev;

    if (rte_vhost_get_ifname(vid, path, sizeof path)) {
        return NULL;
    }
    LIST_FOR_EACH (dev, list_node, &vf_zc_ports) {
        if (dev->vhost_path && !strcmp(dev->vhost_path, path)) {
            return dev;
        }
    }
    return NULL;
}

/* Returns the port of 'vid', for a vhost callback about 'event', or NULL,
 * logged, if the socket is no vf-zc port's (any more).  Each callback locks
 * the port it finds, and keeps 'vf_zc_mutex' until it has unlocked it, so
 * that the port cannot go away meanwhile. */
static struct netdev_vf_zc *
vf_zc_vhost_port(int vid, const char *event)
    OVS_REQUIRES(vf_zc_mutex)
{
    struct netdev_vf_zc *dev = vf_zc_lookup_by_vid(vid);

    if (!dev) {
        VLOG_INFO("vhost device %d: %s for a socket of no vf-zc port",
                  vid, event);
    }
    return dev;
}

/* What a vhost-user request (from the vhost-user specification), which the
 * vhost library processes itself, means for the relay, which processes the
 * rings: */
enum vf_zc_msg_scope {
    VF_ZC_MSG_NONE,         /* Nothing it uses (config, RARP...). */
    VF_ZC_MSG_DEVICE,       /* The memory, the features or the whole device
                             * change: every queue pair stops first, and
                             * the VF gives the guest's buffers back. */
    VF_ZC_MSG_RING,         /* One vring stops or changes: its queue pair
                             * (and those above it) stop first. */
    VF_ZC_MSG_NOTIFY,       /* One vring's notification file descriptors
                             * change: a hold keeps the relay off its queue
                             * pair during the message, then it takes the
                             * new ones. */
};

/* Returns what 'msg', a vhost-user message (header then payload), means for
 * the relay, and in '*vring' the vring it is about, if any. */
static enum vf_zc_msg_scope
vf_zc_vhost_msg_scope(const void *msg, int *vring)
{
    /* The header: request, flags, size (32 bits each), then the payload:
     * for vring messages, either a 32-bit index first (vring state and
     * address), or a 64-bit value whose low byte is the index (file
     * descriptor messages). */
    const uint8_t *p = msg;
    uint32_t request, index;

    memcpy(&request, p, sizeof request);
    memcpy(&index, p + 12, sizeof index);
    *vring = -1;
    switch (request) {
    case 2:     /* VHOST_USER_SET_FEATURES */
    case 4:     /* VHOST_USER_RESET_OWNER */
    case 5:     /* VHOST_USER_SET_MEM_TABLE */
    case 6:     /* VHOST_USER_SET_LOG_BASE: the library unmaps the old log,
                 * which the relay may be marking. */
    case 37:    /* VHOST_USER_ADD_MEM_REG */
    case 38:    /* VHOST_USER_REM_MEM_REG */
        return VF_ZC_MSG_DEVICE;
    case 8:     /* VHOST_USER_SET_VRING_NUM */
    case 9:     /* VHOST_USER_SET_VRING_ADDR */
    case 10:    /* VHOST_USER_SET_VRING_BASE */
    case 11:    /* VHOST_USER_GET_VRING_BASE */
        /* The frontend's value, not yet checked by the library: any index
         * beyond the vrings vf-zc relays concerns none of its queue pairs
         * (the caller ignores it). */
        *vring = MIN(index, VF_ZC_MAX_VRINGS);
        return VF_ZC_MSG_RING;
    case 12:    /* VHOST_USER_SET_VRING_KICK */
    case 13:    /* VHOST_USER_SET_VRING_CALL */
    case 14:    /* VHOST_USER_SET_VRING_ERR */
        *vring = index & 0xff;
        return VF_ZC_MSG_NOTIFY;
    default:
        /* SET_VRING_ENABLE works through the vring_state_changed
         * callback. */
        return VF_ZC_MSG_NONE;
    }
}

#if RTE_VERSION < RTE_VERSION_NUM(22, 11, 0, 0) \
    || RTE_VERSION >= RTE_VERSION_NUM(22, 12, 0, 0)
#error "vf-zc reads vhost-user messages as DPDK 22.11's vhost library passes them"
#endif

/* A message hook gets the vhost library's message context: the message (a
 * 12-byte header, then the payload), then the file descriptors that came
 * with it.  DPDK 22.11 keeps that layout for external handlers (struct
 * vhu_msg_context in its lib/vhost/vhost_user.h): the message takes 644
 * bytes whatever its size, then come 8 ints for file descriptors and the
 * number of them. */
#define VF_ZC_VHU_MSG_LEN 644
#define VF_ZC_VHU_MAX_FDS 8

/* Stores in 'fds' the file descriptors that came with 'msg', and returns
 * how many. */
static int
vf_zc_vhost_msg_fds(const void *msg, int fds[VF_ZC_VHU_MAX_FDS])
{
    const uint8_t *p = msg;
    int n;

    memcpy(&n, p + VF_ZC_VHU_MSG_LEN + VF_ZC_VHU_MAX_FDS * sizeof(int),
           sizeof n);
    n = n < 0 || n > VF_ZC_VHU_MAX_FDS ? 0 : n;
    memcpy(fds, p + VF_ZC_VHU_MSG_LEN, n * sizeof *fds);
    return n;
}

/* Returns why 'msg' (VHOST_USER_SET_LOG_BASE) must not reach the vhost
 * library, or NULL if it may.  The library checks only the message's size
 * and that the log does not wrap around: it maps whatever size it is told,
 * and the first mark past the end of a shorter file would raise SIGBUS in a
 * PMD thread; and DPDK 22.11.7 and later map the log from 'mmap_offset' but
 * also add 'mmap_offset' to where they think it starts, so a nonzero offset
 * puts marks outside the mapping.  QEMU sends a sealed memfd and offset 0.
 * So the log must be one regular file, at least as long as the size given,
 * from offset 0. */
static const char *
vf_zc_log_base_refusal(const void *msg)
{
    int fds[VF_ZC_VHU_MAX_FDS];
    int n_fds = vf_zc_vhost_msg_fds(msg, fds);
    const uint8_t *p = msg;
    uint64_t size, offset;
    uint32_t msg_size;
    struct stat st;

    memcpy(&msg_size, p + 8, sizeof msg_size);
    if (msg_size != 2 * sizeof(uint64_t)) {
        return "SET_LOG_BASE of the wrong size";
    } else if (n_fds != 1 || fds[0] < 0) {
        return "SET_LOG_BASE without exactly one file descriptor";
    }
    memcpy(&size, p + 12, sizeof size);
    memcpy(&offset, p + 20, sizeof offset);
    if (offset) {
        return "SET_LOG_BASE with a nonzero offset";
    } else if (!size) {
        return "SET_LOG_BASE of an empty log";
    } else if (fstat(fds[0], &st) || !S_ISREG(st.st_mode)) {
        return "SET_LOG_BASE with a log that is not a regular file";
    } else if (st.st_size < 0 || (uint64_t) st.st_size < size) {
        return "SET_LOG_BASE with a log larger than its file";
    }
    return NULL;
}

/* Returns why the vhost library must not handle vhost-user message 'msg', or
 * NULL if it may. */
static const char *
vf_zc_vhost_msg_refusal(const void *msg)
{
    uint32_t request;

    memcpy(&request, msg, sizeof request);
    switch (request) {
    case 6:     /* VHOST_USER_SET_LOG_BASE */
        return vf_zc_log_base_refusal(msg);
    case 28:    /* VHOST_USER_POSTCOPY_ADVISE */
    case 29:    /* VHOST_USER_POSTCOPY_LISTEN */
    case 30:    /* VHOST_USER_POSTCOPY_END */
        /* Never negotiated (vf-zc does not offer PAGEFAULT), but the
         * library would open a userfaultfd all the same. */
        return "post-copy migration, which vf-zc does not support";
    default:
        return NULL;
    }
}

/* A refused message: the library answers it with an error if the front end
 * asked for a reply, and otherwise closes the connection (the port stays,
 * for the next one).  It leaves the message's file descriptors to whoever
 * refuses it: vf_zc_close_msg_fds() closes them.  vf_zc_refuse_msg() counts
 * it, for port 'dev', and says why. */
static void
vf_zc_close_msg_fds(void *msg)
{
    int fds[VF_ZC_VHU_MAX_FDS];
    int n_fds = vf_zc_vhost_msg_fds(msg, fds);

    for (int i = 0; i < n_fds; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
        }
        fds[i] = -1;
    }
    memcpy((uint8_t *) msg + VF_ZC_VHU_MSG_LEN, fds, n_fds * sizeof *fds);
}

static void
vf_zc_refuse_msg(struct netdev_vf_zc *dev, const char *why)
    OVS_REQUIRES(dev->mutex)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 60);

    dev->refused_msgs++;
    vf_zc_event_count(VF_ZC_EVENT_VHOST_MSG_REFUSED);
    free(dev->refused_msg_reason);
    dev->refused_msg_reason = xstrdup(why);
    VLOG_WARN_RL(&rl, "%s: vhost-user message refused: %s",
                 netdev_get_name(&dev->up), why);
    netdev_change_seq_changed(&dev->up);
}

/* Ends what the vhost-user message being handled holds or stops, if its end
 * was not reported (see vf_zc_vhost_msg_event()). */
static void
vf_zc_end_msg(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    if (dev->msg_vring >= 0) {
        vf_zc_qp_release(&dev->qps[dev->msg_vring / 2]);
        dev->msg_vring = -1;
    }
    if (dev->guest_msg_pending) {
        dev->guest_msg_pending = false;
        netdev_request_reconfigure(&dev->up);
    }
}

/* Ends every hold of a message, for a new connection or after one: no
 * message is being handled then. */
static void
vf_zc_release_msg_hold(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    for (int q = 0; q < VF_ZC_MAX_QUEUE_PAIRS; q++) {
        vf_zc_qp_release(&dev->qps[q]);
    }
    dev->msg_vring = -1;
}

/* The VMM asks, after a migration, that the network learn where the guest
 * now is: the port sends a RARP from the guest's MAC (the first 6 bytes of
 * 'msg''s payload) through its VF.  QEMU asks up to 5 times, the first time
 * before the guest's device is even set up here; the first queue pair's
 * relay sends one RARP each time, from when it relays with the guest (see
 * vf_zc_qp_announce()). */
static void
vf_zc_announce_guest(struct netdev_vf_zc *dev, const void *msg)
    OVS_REQUIRES(dev->mutex)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 60);
    struct eth_addr mac;

    memcpy(&mac, (const uint8_t *) msg + 12, sizeof mac);
    vf_zc_event_count(VF_ZC_EVENT_GUEST_ANNOUNCE);
    vf_zc_qp_announce(&dev->qps[0], &mac);
    VLOG_INFO_RL(&rl, "%s: announcing guest "ETH_ADDR_FMT" through the VF",
                 netdev_get_name(&dev->up), ETH_ADDR_ARGS(mac));
}

/* Around the vhost library's handling of a message that may change what the
 * relay uses: before it ('done' false), refuse it if it must not be handled
 * (returns false then), or stop or hold the queue pairs it affects, and only
 * those; after it ('done' true), let them go on, or the main thread restart
 * them with the new rings.  'msg' starts with the vhost-user header, whose
 * first member is the request. */
static bool
vf_zc_vhost_msg_event(int vid, void *msg, bool done)
{
    const char *refusal = done ? NULL : vf_zc_vhost_msg_refusal(msg);
    struct netdev_vf_zc *dev;
    enum vf_zc_msg_scope scope;
    uint32_t request;
    int vring, qp;

    memcpy(&request, msg, sizeof request);
    scope = vf_zc_vhost_msg_scope(msg, &vring);
    qp = vring >= 0 ? vring / 2 : 0;
    if (scope != VF_ZC_MSG_NONE && scope != VF_ZC_MSG_DEVICE
        && (vring < 0 || qp >= VF_ZC_MAX_QUEUE_PAIRS)) {
        /* Beyond the queue pairs vf-zc relays. */
        scope = VF_ZC_MSG_NONE;
    }
    if (scope == VF_ZC_MSG_NONE && done) {
        return true;
    }
    ovs_mutex_lock(&vf_zc_mutex);
    dev = vf_zc_vhost_port(vid, done ? "ring change done" : "ring change");
    if (dev) {
        ovs_mutex_lock(&dev->mutex);
        if (!done) {
            /* The library handles one message at a time, but does not
             * report the end of one it failed to handle when the frontend
             * asked for a reply (it answers, and keeps the connection): what
             * the previous message held ends now, whatever this one is. */
            vf_zc_end_msg(dev);
        }
        if (refusal) {
            vf_zc_refuse_msg(dev, refusal);
        } else if (request == 19 && !done) {
            /* VHOST_USER_SEND_RARP: the guest has just arrived here. */
            vf_zc_announce_guest(dev, msg);
        } else if (scope == VF_ZC_MSG_NONE) {
            /* Nothing to do. */
        } else if (scope == VF_ZC_MSG_NOTIFY) {
            /* The library closes the old descriptor and, on the way,
             * reports the vring disabled (ignored: see 'msg_vring'), and
             * after the message enabled again: neither stops anything. */
            if (!done) {
                dev->msg_vring = vring;
                vf_zc_qp_hold(&dev->qps[qp]);
            } else {
                dev->msg_vring = -1;
                vf_zc_qp_release(&dev->qps[qp]);
            }
        } else {
            dev->guest_msg_pending = !done;
            if (done) {
                netdev_request_reconfigure(&dev->up);
            } else {
                vf_zc_stop_queue_pairs(dev, qp);
            }
        }
        ovs_mutex_unlock(&dev->mutex);
    }
    ovs_mutex_unlock(&vf_zc_mutex);
    if (refusal) {
        vf_zc_close_msg_fds(msg);
        return false;
    }
    return true;
}

static enum rte_vhost_msg_result
vf_zc_pre_msg_handle(int vid, void *msg)
{
    return (vf_zc_vhost_msg_event(vid, msg, false)
            ? RTE_VHOST_MSG_RESULT_NOT_HANDLED
            : RTE_VHOST_MSG_RESULT_ERR);
}

static enum rte_vhost_msg_result
vf_zc_post_msg_handle(int vid, void *msg)
{
    vf_zc_vhost_msg_event(vid, msg, true);
    return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
}

static const struct rte_vhost_user_extern_ops vf_zc_vhost_msg_ops = {
    .pre_msg_handle = vf_zc_pre_msg_handle,
    .post_msg_handle = vf_zc_post_msg_handle,
};

static void
vf_zc_guest_connected(struct netdev_vf_zc *dev, int vid)
    OVS_REQUIRES(dev->mutex)
{
    if (rte_vhost_extern_callback_register(vid, &vf_zc_vhost_msg_ops,
                                           NULL)) {
        VLOG_ERR("%s: could not register vhost-user message hooks; the "
                 "relay cannot follow the guest's ring changes",
                 netdev_get_name(&dev->up));
    }
    dev->vid = vid;
    dev->guest_msg_pending = false;
    vf_zc_release_msg_hold(dev);
    dev->guest_state = VF_ZC_GUEST_CONNECTED;
    dev->guest_features = 0;
    dev->guest_connections++;
    vf_zc_event_count(VF_ZC_EVENT_GUEST_CONNECT);
    bitmap_set_multiple(dev->enabled_vrings, 0, VF_ZC_MAX_VRINGS, false);
    VLOG_INFO("%s: guest connected on %s", netdev_get_name(&dev->up),
              dev->vhost_path);
    netdev_change_seq_changed(&dev->up);
}

static void
vf_zc_guest_disconnected(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    vf_zc_stop_guest_relay(dev);
    dev->guest_msg_pending = false;
    vf_zc_release_msg_hold(dev);
    dev->vid = -1;
    dev->guest_state = VF_ZC_GUEST_DISCONNECTED;
    vf_zc_event_count(VF_ZC_EVENT_GUEST_DISCONNECT);
    dev->guest_features = 0;
    bitmap_set_multiple(dev->enabled_vrings, 0, VF_ZC_MAX_VRINGS, false);
    VLOG_INFO("%s: guest disconnected from %s", netdev_get_name(&dev->up),
              dev->vhost_path);
    netdev_request_reconfigure(&dev->up);
}

static void
vf_zc_guest_ready(struct netdev_vf_zc *dev, int vid)
    OVS_REQUIRES(dev->mutex)
{
    uint64_t features = 0;

    rte_vhost_get_negotiated_features(vid, &features);
    dev->vid = vid;
    dev->guest_state = VF_ZC_GUEST_READY;
    dev->guest_features = features;
    vf_zc_event_count(VF_ZC_EVENT_GUEST_READY);
    dev->guest_msg_pending = false;
    /* The library calls this once the first queue pair's vrings are set up
     * and enabled; it may tell of their enabling only afterward. */
    bitmap_set1(dev->enabled_vrings, 0);
    bitmap_set1(dev->enabled_vrings, 1);
    VLOG_INFO("%s: guest ready: %"PRIu16" vrings, features %#"PRIx64,
              netdev_get_name(&dev->up), rte_vhost_get_vring_num(vid),
              features);
    netdev_request_reconfigure(&dev->up);
}

static void
vf_zc_guest_stopped(struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    /* The library unmaps the guest's memory once this returns. */
    vf_zc_stop_guest_relay(dev);
    if (dev->guest_state == VF_ZC_GUEST_READY) {
        dev->guest_state = VF_ZC_GUEST_CONNECTED;
    }
    vf_zc_event_count(VF_ZC_EVENT_GUEST_STOP);
    VLOG_INFO("%s: guest stopped its virtio device",
              netdev_get_name(&dev->up));
    netdev_request_reconfigure(&dev->up);
}

static void
vf_zc_guest_vring_changed(struct netdev_vf_zc *dev, uint16_t vring,
                          int enable)
    OVS_REQUIRES(dev->mutex)
{
    if (vring == dev->msg_vring) {
        /* Within a message that only changes the vring's notifications
         * (see vf_zc_vhost_msg_event()): not a real change. */
        return;
    } else if (vring < VF_ZC_MAX_VRINGS) {
        bitmap_set(dev->enabled_vrings, vring, enable);
        if (enable) {
            vf_zc_event_count(VF_ZC_EVENT_GUEST_VRING_ENABLE);
        } else {
            vf_zc_event_count(VF_ZC_EVENT_GUEST_VRING_DISABLE);
        }
        if (!enable) {
            /* Only its queue pair, and those above, stop relaying; they go
             * on discarding what the guest sends there until their rings
             * stop. */
            vf_zc_disable_queue_pairs(dev, vring / 2);
        }
        VLOG_DBG("%s: guest %s vring %"PRIu16, netdev_get_name(&dev->up),
                 enable ? "enabled" : "disabled", vring);
        netdev_request_reconfigure(&dev->up);
    } else {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

        VLOG_WARN_RL(&rl, "%s: guest changed vring %"PRIu16", beyond the %d "
                     "vrings vf-zc relays", netdev_get_name(&dev->up),
                     vring, VF_ZC_MAX_VRINGS);
    }
}

static void
vf_zc_guest_features_changed(struct netdev_vf_zc *dev, uint64_t features)
    OVS_REQUIRES(dev->mutex)
{
    dev->guest_features = features;
    vf_zc_event_count(VF_ZC_EVENT_GUEST_FEATURES);
    netdev_change_seq_changed(&dev->up);
}

/* What a vhost callback is about, for vf_zc_vhost_event(). */
enum vf_zc_vhost_event {
    VF_ZC_VHOST_NEW_CONNECTION,
    VF_ZC_VHOST_DESTROY_CONNECTION,
    VF_ZC_VHOST_NEW_DEVICE,
    VF_ZC_VHOST_DESTROY_DEVICE,
    VF_ZC_VHOST_VRING_STATE,
    VF_ZC_VHOST_FEATURES,
};

/* Handles vhost callback 'event' for device 'vid' ('arg1' and 'arg2' are the
 * callback's own arguments), with its port locked.  Returns -1 if no vf-zc
 * port has 'vid', otherwise 0.  vhost-events thread. */
static int
vf_zc_vhost_event(int vid, enum vf_zc_vhost_event event, uint64_t arg1,
                  int arg2)
{
    static const char *const names[] = {
        [VF_ZC_VHOST_NEW_CONNECTION] = "new connection",
        [VF_ZC_VHOST_DESTROY_CONNECTION] = "connection closed",
        [VF_ZC_VHOST_NEW_DEVICE] = "device ready",
        [VF_ZC_VHOST_DESTROY_DEVICE] = "device stopped",
        [VF_ZC_VHOST_VRING_STATE] = "vring state change",
        [VF_ZC_VHOST_FEATURES] = "features changed",
    };
    struct netdev_vf_zc *dev;

    ovs_mutex_lock(&vf_zc_mutex);
    dev = vf_zc_vhost_port(vid, names[event]);
    if (dev) {
        ovs_mutex_lock(&dev->mutex);
        switch (event) {
        case VF_ZC_VHOST_NEW_CONNECTION:
            vf_zc_guest_connected(dev, vid);
            break;
        case VF_ZC_VHOST_DESTROY_CONNECTION:
            vf_zc_guest_disconnected(dev);
            break;
        case VF_ZC_VHOST_NEW_DEVICE:
            vf_zc_guest_ready(dev, vid);
            break;
        case VF_ZC_VHOST_DESTROY_DEVICE:
            vf_zc_guest_stopped(dev);
            break;
        case VF_ZC_VHOST_VRING_STATE:
            vf_zc_guest_vring_changed(dev, arg1, arg2);
            break;
        case VF_ZC_VHOST_FEATURES:
            vf_zc_guest_features_changed(dev, arg1);
            break;
        }
        ovs_mutex_unlock(&dev->mutex);
    }
    ovs_mutex_unlock(&vf_zc_mutex);
    return dev ? 0 : -1;
}

static int
vf_zc_new_connection(int vid)
{
    return vf_zc_vhost_event(vid, VF_ZC_VHOST_NEW_CONNECTION, 0, 0);
}

static void
vf_zc_destroy_connection(int vid)
{
    vf_zc_vhost_event(vid, VF_ZC_VHOST_DESTROY_CONNECTION, 0, 0);
}

static int
vf_zc_new_device(int vid)
{
    return vf_zc_vhost_event(vid, VF_ZC_VHOST_NEW_DEVICE, 0, 0);
}

static void
vf_zc_destroy_device(int vid)
{
    vf_zc_vhost_event(vid, VF_ZC_VHOST_DESTROY_DEVICE, 0, 0);
}

static int
vf_zc_vring_state_changed(int vid, uint16_t vring, int enable)
{
    return vf_zc_vhost_event(vid, VF_ZC_VHOST_VRING_STATE, vring, enable);
}

static int
vf_zc_features_changed(int vid, uint64_t features)
{
    return vf_zc_vhost_event(vid, VF_ZC_VHOST_FEATURES, features, 0);
}

static const struct rte_vhost_device_ops vf_zc_vhost_ops = {
    .new_device = vf_zc_new_device,
    .destroy_device = vf_zc_destroy_device,
    .vring_state_changed = vf_zc_vring_state_changed,
    .features_changed = vf_zc_features_changed,
    .new_connection = vf_zc_new_connection,
    .destroy_connection = vf_zc_destroy_connection,
};

/* Number of queue pairs whose RX and TX vrings the guest has both enabled. */
int
vf_zc_guest_queue_pairs(const struct netdev_vf_zc *dev)
    OVS_REQUIRES(dev->mutex)
{
    int n = 0;

    if (dev->guest_state != VF_ZC_GUEST_READY) {
        return 0;
    }
    for (int i = 0; i < VF_ZC_MAX_QUEUE_PAIRS; i++) {
        if (vf_zc_qp_enabled(dev, i)) {
            n++;
        }
    }
    return n;
}

/* Returns true if the guest has enabled both vrings of queue pair 'q'. */
bool
vf_zc_qp_enabled(const struct netdev_vf_zc *dev, int q)
    OVS_REQUIRES(dev->mutex)
{
    return (bitmap_is_set(dev->enabled_vrings, 2 * q)
            && bitmap_is_set(dev->enabled_vrings, 2 * q + 1));
}
