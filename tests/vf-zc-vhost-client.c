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
#include "vf-zc-vhost-client.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "timeval.h"
#include "util.h"

#define VHOST_USER_VERSION 1
#define VHOST_USER_REPLY 4
#define VHOST_VRING_F_LOG 0     /* Flag bit of SET_VRING_ADDR. */

struct vhost_user_msg {
    uint32_t request;
    uint32_t flags;
    uint32_t size;
    union {
        uint64_t u64;
        struct {
            uint32_t index;
            uint32_t num;
        } state;
        struct {
            uint32_t index;
            uint32_t flags;
            uint64_t desc;
            uint64_t used;
            uint64_t avail;
            uint64_t log;
        } addr;
        struct {
            uint32_t n_regions;
            uint32_t padding;
            struct {
                uint64_t gpa;
                uint64_t size;
                uint64_t uaddr;
                uint64_t mmap_offset;
            } regions[1];
        } mem;
    } payload;
} __attribute__((packed));

#define MSG_HDR_SIZE offsetof(struct vhost_user_msg, payload)

/* Sends vhost-user 'request' with 'size' bytes of 'payload' and, if 'fd' is
 * not negative, that file descriptor. */
void
vhost_client_send(int sock, uint32_t request, const void *payload,
                  uint32_t size, int fd)
{
    vhost_client_send_flags(sock, request, 0, payload, size, fd);
}

/* Sends 'request' as vhost_client_send() does, with 'flags' (such as
 * VHOST_CLIENT_NEED_REPLY) in its header besides the version.  'size' may
 * be anything up to the largest payload this file knows, whatever
 * 'request' is. */
void
vhost_client_send_flags(int sock, uint32_t request, uint32_t flags,
                        const void *payload, uint32_t size, int fd)
{
    struct vhost_user_msg msg;
    char control[CMSG_SPACE(sizeof fd)];
    struct iovec iov;
    struct msghdr mh;

    ovs_assert(size <= sizeof msg.payload);
    memset(&msg, 0, sizeof msg);
    msg.request = request;
    msg.flags = VHOST_USER_VERSION | flags;
    msg.size = size;
    if (size) {
        memcpy(&msg.payload, payload, size);
    }

    iov.iov_base = &msg;
    iov.iov_len = MSG_HDR_SIZE + size;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    if (fd >= 0) {
        struct cmsghdr *cmsg;

        memset(control, 0, sizeof control);
        mh.msg_control = control;
        mh.msg_controllen = sizeof control;
        cmsg = CMSG_FIRSTHDR(&mh);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof fd);
        memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
    }
    if (sendmsg(sock, &mh, 0) != iov.iov_len) {
        ovs_fatal(errno, "vhost-user request %"PRIu32" failed", request);
    }
}

/* Sends 'request', which has no payload, and returns the 64-bit value of the
 * reply. */
uint64_t
vhost_client_get_u64(int sock, uint32_t request)
{
    struct vhost_user_msg msg;

    vhost_client_send(sock, request, NULL, 0, -1);
    if (read(sock, &msg, MSG_HDR_SIZE) != MSG_HDR_SIZE
        || msg.request != request || !(msg.flags & VHOST_USER_REPLY)
        || msg.size != sizeof msg.payload.u64
        || read(sock, &msg.payload.u64, sizeof msg.payload.u64)
           != sizeof msg.payload.u64) {
        ovs_fatal(errno, "no reply to vhost-user request %"PRIu32, request);
    }
    return msg.payload.u64;
}

/* Reads 'n' bytes from 'sock' into 'buf', waiting until time_msec()
 * 'deadline' at most.  Returns 'n', or 0 if the peer closed the connection
 * first, or -1 with errno set (ETIMEDOUT: not in time). */
static int
recv_by(int sock, void *buf, size_t n, long long int deadline)
{
    size_t done = 0;

    while (done < n) {
        struct pollfd pfd = { .fd = sock, .events = POLLIN };
        long long int left = deadline - time_msec();
        ssize_t retval;

        if (left <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        retval = poll(&pfd, 1, MIN(left, INT_MAX));
        if (retval < 0 && errno != EINTR) {
            return -1;
        } else if (retval <= 0) {
            continue;
        }
        retval = recv(sock, (char *) buf + done, n - done, MSG_DONTWAIT);
        if (retval < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            return -1;
        } else if (!retval) {
            return 0;
        }
        done += retval;
    }
    return n;
}

/* Waits up to 'timeout_ms' for the backend's answer to 'request', which the
 * caller has just sent, and returns what it was; a reply's 64-bit value
 * goes into '*value' (otherwise 0).  A reply to another request, or of any
 * other size, is fatal. */
enum vhost_client_answer
vhost_client_wait_answer(int sock, uint32_t request, int timeout_ms,
                         uint64_t *value)
{
    long long int deadline = time_msec() + timeout_ms;
    struct vhost_user_msg msg;
    int retval;

    *value = 0;
    retval = recv_by(sock, &msg, MSG_HDR_SIZE, deadline);
    if (retval <= 0) {
        if (!retval || errno == ECONNRESET) {
            return VHOST_CLIENT_CLOSED;
        } else if (errno == ETIMEDOUT) {
            return VHOST_CLIENT_NO_ANSWER;
        }
        ovs_fatal(errno, "vhost-user request %"PRIu32": no answer", request);
    }
    if (msg.request != request || !(msg.flags & VHOST_USER_REPLY)
        || (msg.size && msg.size != sizeof msg.payload.u64)) {
        ovs_fatal(0, "vhost-user request %"PRIu32": answered with request "
                  "%"PRIu32", flags %#"PRIx32", %"PRIu32" bytes", request,
                  msg.request, msg.flags, msg.size);
    }
    if (!msg.size) {
        return VHOST_CLIENT_REPLY;
    }
    if (recv_by(sock, &msg.payload.u64, sizeof msg.payload.u64, deadline)
        != sizeof msg.payload.u64) {
        ovs_fatal(errno, "vhost-user request %"PRIu32": reply cut short",
                  request);
    }
    *value = msg.payload.u64;
    return VHOST_CLIENT_REPLY_U64;
}

void
vhost_client_send_u64(int sock, uint32_t request, uint64_t value, int fd)
{
    vhost_client_send(sock, request, &value, sizeof value, fd);
}

void
vhost_client_send_state(int sock, uint32_t request, uint32_t index,
                        uint32_t num)
{
    struct { uint32_t index, num; } state = { index, num };

    vhost_client_send(sock, request, &state, sizeof state, -1);
}

/* Connects to the vhost-user server socket at 'path'. */
int
vhost_client_connect(const char *path)
{
    struct sockaddr_un sun;
    int sock = socket(AF_UNIX, SOCK_STREAM, 0);

    if (sock < 0) {
        ovs_fatal(errno, "socket");
    }
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    ovs_strlcpy(sun.sun_path, path, sizeof sun.sun_path);
    if (connect(sock, (struct sockaddr *) &sun, sizeof sun)) {
        ovs_fatal(errno, "%s: connect", path);
    }
    return sock;
}

/* Takes ownership of the device and the features of 'wanted' that it
 * offers, with no protocol features; returns them. */
uint64_t
vhost_client_negotiate(int sock, uint64_t wanted)
{
    return vhost_client_negotiate_protocol(sock, wanted, 0, NULL);
}

/* As vhost_client_negotiate(), but also takes the protocol features of
 * 'wanted_protocol' that the device offers, if it offers protocol features
 * at all, and stores them in '*protocolp' if 'protocolp' is not NULL. */
uint64_t
vhost_client_negotiate_protocol(int sock, uint64_t wanted,
                                uint64_t wanted_protocol,
                                uint64_t *protocolp)
{
    uint64_t features = vhost_client_get_u64(sock, VHOST_USER_GET_FEATURES);
    uint64_t protocol = 0;

    features &= wanted;
    if (features & (UINT64_C(1) << VHOST_CLIENT_F_PROTOCOL_FEATURES)) {
        protocol = vhost_client_get_u64(sock,
                                        VHOST_USER_GET_PROTOCOL_FEATURES);
        protocol &= wanted_protocol;
        vhost_client_send_u64(sock, VHOST_USER_SET_PROTOCOL_FEATURES,
                              protocol, -1);
    }
    vhost_client_send(sock, VHOST_USER_SET_OWNER, NULL, 0, -1);
    vhost_client_send_u64(sock, VHOST_USER_SET_FEATURES, features, -1);
    if (protocolp) {
        *protocolp = protocol;
    }
    return features;
}

/* Returns 'size' bytes of shared memory, mapped in this process, for a
 * guest's memory, and in '*memfdp' the memfd (named 'name') behind them. */
void *
vhost_client_alloc_mem(const char *name, size_t size, int *memfdp)
{
    int memfd = memfd_create(name, 0);
    void *mem;

    if (memfd < 0 || ftruncate(memfd, size)) {
        ovs_fatal(errno, "guest memory");
    }
    mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
    if (mem == MAP_FAILED) {
        ovs_fatal(errno, "mmap");
    }
    *memfdp = memfd;
    return mem;
}

/* Announces the guest's memory: 'size' bytes at 'mem' in this process, from
 * 'memfd', at guest-physical address 0. */
void
vhost_client_set_mem(int sock, void *mem, uint64_t size, int memfd)
{
    vhost_client_set_mem_at(sock, mem, size, memfd, 0);
}

/* As vhost_client_set_mem(), at guest-physical address 'gpa'. */
void
vhost_client_set_mem_at(int sock, void *mem, uint64_t size, int memfd,
                        uint64_t gpa)
{
    struct vhost_user_msg table;

    memset(&table, 0, sizeof table);
    table.payload.mem.n_regions = 1;
    table.payload.mem.regions[0].gpa = gpa;
    table.payload.mem.regions[0].size = size;
    table.payload.mem.regions[0].uaddr = (uintptr_t) mem;
    table.payload.mem.regions[0].mmap_offset = 0;
    vhost_client_send(sock, VHOST_USER_SET_MEM_TABLE, &table.payload.mem,
                      sizeof table.payload.mem, memfd);
}

/* Sets vring 'index' up, of 'size' entries, at the given places (addresses
 * in this process, as vhost-user ring addresses are), starting at entry 0,
 * with new kick and call eventfds. */
void
vhost_client_set_vring(int sock, uint32_t index, uint32_t size,
                       const void *desc, const void *avail, const void *used)
{
    vhost_client_send_state(sock, VHOST_USER_SET_VRING_NUM, index, size);
    vhost_client_send_state(sock, VHOST_USER_SET_VRING_BASE, index, 0);
    vhost_client_set_vring_addr(sock, 0, index, desc, avail, used, 0);
    vhost_client_send_u64(sock, VHOST_USER_SET_VRING_KICK, index,
                          eventfd(0, 0));
    vhost_client_send_u64(sock, VHOST_USER_SET_VRING_CALL, index,
                          eventfd(0, 0));
}

/* Sends SET_VRING_ADDR for vring 'index', at the given places (addresses in
 * this process), with message 'flags' (see vhost_client_send_flags()) and,
 * unless 'log_gpa' is 0, VHOST_VRING_F_LOG: the device is to log its writes
 * to the used ring as at guest-physical address 'log_gpa'. */
void
vhost_client_set_vring_addr(int sock, uint32_t flags, uint32_t index,
                            const void *desc, const void *avail,
                            const void *used, uint64_t log_gpa)
{
    struct vhost_user_msg addr;

    memset(&addr, 0, sizeof addr);
    addr.payload.addr.index = index;
    addr.payload.addr.flags = log_gpa ? 1 << VHOST_VRING_F_LOG : 0;
    addr.payload.addr.desc = (uintptr_t) desc;
    addr.payload.addr.used = (uintptr_t) used;
    addr.payload.addr.avail = (uintptr_t) avail;
    addr.payload.addr.log = log_gpa;
    vhost_client_send_flags(sock, VHOST_USER_SET_VRING_ADDR, flags,
                            &addr.payload.addr, sizeof addr.payload.addr, -1);
}
