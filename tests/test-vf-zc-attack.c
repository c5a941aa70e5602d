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

/* A hostile vhost-user frontend, for vf-zc's system tests: it connects to a
 * vf-zc port's socket as a VM's virtio-net device would, sets up one queue
 * pair in memory of its own, and then fills both rings with chains made to
 * cost the device as much work as it can (vf-zc-hostile-ring.h), posting
 * them again as fast as the device returns them, until it is killed.
 *
 * ovstest test-vf-zc-attack SOCKET ATTACK [RING-SIZE]
 *
 * ATTACK is one of whole-table, longest, indirect-whole, indirect-longest,
 * bad-chain, no-payload; RING-SIZE defaults to 32768, the largest ring
 * virtio allows.  Prints "attacking" once the rings are set up. */

#include <config.h>
#undef NDEBUG
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ovstest.h"
#include "util.h"
#include "vf-zc-hostile-ring.h"
#include "vf-zc-vring.h"

/* vhost-user messages (QEMU's docs/interop/vhost-user.rst). */
enum {
    VHOST_USER_GET_FEATURES = 1,
    VHOST_USER_SET_FEATURES = 2,
    VHOST_USER_SET_OWNER = 3,
    VHOST_USER_SET_MEM_TABLE = 5,
    VHOST_USER_SET_VRING_NUM = 8,
    VHOST_USER_SET_VRING_ADDR = 9,
    VHOST_USER_SET_VRING_BASE = 10,
    VHOST_USER_SET_VRING_KICK = 12,
    VHOST_USER_SET_VRING_CALL = 13,
    VHOST_USER_GET_PROTOCOL_FEATURES = 15,
    VHOST_USER_SET_PROTOCOL_FEATURES = 16,
    VHOST_USER_SET_VRING_ENABLE = 18,
};
#define VHOST_USER_VERSION 1
#define VHOST_USER_REPLY 4

/* Features the attacker takes, where the device offers them. */
#define ATTACK_FEATURES ((UINT64_C(1) << 15)        /* MRG_RXBUF. */  \
                         | (UINT64_C(1) << 28)      /* INDIRECT_DESC. */ \
                         | (UINT64_C(1) << 30)      /* PROTOCOL_FEATURES. */ \
                         | (UINT64_C(1) << 32))     /* VERSION_1. */

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

static void
send_msg(int sock, uint32_t request, const void *payload, uint32_t size,
         int fd)
{
    struct vhost_user_msg msg;
    char control[CMSG_SPACE(sizeof fd)];
    struct iovec iov;
    struct msghdr mh;

    memset(&msg, 0, sizeof msg);
    msg.request = request;
    msg.flags = VHOST_USER_VERSION;
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

static uint64_t
get_u64(int sock, uint32_t request)
{
    struct vhost_user_msg msg;

    send_msg(sock, request, NULL, 0, -1);
    if (read(sock, &msg, MSG_HDR_SIZE) != MSG_HDR_SIZE
        || msg.request != request || !(msg.flags & VHOST_USER_REPLY)
        || msg.size != sizeof msg.payload.u64
        || read(sock, &msg.payload.u64, sizeof msg.payload.u64)
           != sizeof msg.payload.u64) {
        ovs_fatal(errno, "no reply to vhost-user request %"PRIu32, request);
    }
    return msg.payload.u64;
}

static void
send_u64(int sock, uint32_t request, uint64_t value, int fd)
{
    send_msg(sock, request, &value, sizeof value, fd);
}

static void
send_state(int sock, uint32_t request, uint32_t index, uint32_t num)
{
    struct { uint32_t index, num; } state = { index, num };

    send_msg(sock, request, &state, sizeof state, -1);
}

static int
connect_to(const char *path)
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

static void
attack(int argc, char *argv[])
{
    uint32_t size = argc > 3 ? atoi(argv[3]) : 32768;
    struct hostile_ring rings[2];
    enum hostile_attack kind;
    size_t ring_mem, total;
    uint64_t features;
    uint8_t *mem;
    int sock, memfd;

    if (!hostile_attack_from_string(argv[2], &kind)) {
        ovs_fatal(0, "%s: unknown attack", argv[2]);
    }
    if (size < 2 || size > VF_ZC_VRING_MAX_SIZE || !IS_POW2(size)) {
        ovs_fatal(0, "%s: not a ring size", argv[3]);
    }
    ring_mem = ROUND_UP(hostile_ring_mem_size(size), 4096);
    total = 2 * ring_mem;
    memfd = memfd_create("vf-zc-attack", 0);
    if (memfd < 0 || ftruncate(memfd, total)) {
        ovs_fatal(errno, "guest memory");
    }
    mem = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
    if (mem == MAP_FAILED) {
        ovs_fatal(errno, "mmap");
    }
    /* Ring 0 is the device's receive ring (it writes the buffers), ring 1
     * its transmit ring.  Guest-physical addresses start at 0. */
    for (int i = 0; i < 2; i++) {
        hostile_ring_build(&rings[i], mem + i * ring_mem, i * ring_mem, size,
                           kind, i == 0);
    }

    sock = connect_to(argv[1]);
    features = get_u64(sock, VHOST_USER_GET_FEATURES) & ATTACK_FEATURES;
    if (features & (UINT64_C(1) << 30)) {
        get_u64(sock, VHOST_USER_GET_PROTOCOL_FEATURES);
        send_u64(sock, VHOST_USER_SET_PROTOCOL_FEATURES, 0, -1);
    }
    send_msg(sock, VHOST_USER_SET_OWNER, NULL, 0, -1);
    send_u64(sock, VHOST_USER_SET_FEATURES, features, -1);

    struct vhost_user_msg table;
    memset(&table, 0, sizeof table);
    table.payload.mem.n_regions = 1;
    table.payload.mem.regions[0].gpa = 0;
    table.payload.mem.regions[0].size = total;
    table.payload.mem.regions[0].uaddr = (uintptr_t) mem;
    table.payload.mem.regions[0].mmap_offset = 0;
    send_msg(sock, VHOST_USER_SET_MEM_TABLE, &table.payload.mem,
             sizeof table.payload.mem, memfd);

    for (uint32_t i = 0; i < 2; i++) {
        struct hostile_ring *h = &rings[i];
        struct vhost_user_msg addr;

        send_state(sock, VHOST_USER_SET_VRING_NUM, i, size);
        send_state(sock, VHOST_USER_SET_VRING_BASE, i, 0);
        memset(&addr, 0, sizeof addr);
        addr.payload.addr.index = i;
        addr.payload.addr.desc = (uintptr_t) h->desc;
        addr.payload.addr.used = (uintptr_t) h->used;
        addr.payload.addr.avail = (uintptr_t) h->avail;
        send_msg(sock, VHOST_USER_SET_VRING_ADDR, &addr.payload.addr,
                 sizeof addr.payload.addr, -1);
        send_u64(sock, VHOST_USER_SET_VRING_KICK, i, eventfd(0, 0));
        send_u64(sock, VHOST_USER_SET_VRING_CALL, i, eventfd(0, 0));
    }
    for (uint32_t i = 0; i < 2; i++) {
        send_state(sock, VHOST_USER_SET_VRING_ENABLE, i, 1);
    }
    printf("attacking: %s, rings of %"PRIu32"\n", hostile_attack_name(kind),
           size);
    fflush(stdout);

    /* Post every ring entry again as soon as the device has returned it:
     * the device never runs out of work.  A guest's own core does this;
     * the sleep keeps this one from taking the host's. */
    for (;;) {
        for (int i = 0; i < 2; i++) {
            struct hostile_ring *h = &rings[i];
            uint16_t used = *(volatile uint16_t *) &h->used->idx;

            *(volatile uint16_t *) &h->avail->idx = used + size;
        }
        usleep(1000);
    }
}

static void
test_vf_zc_attack_main(int argc, char *argv[])
{
    set_program_name(argv[0]);
    if (argc < 3) {
        ovs_fatal(0, "usage: %s SOCKET ATTACK [RING-SIZE]", argv[0]);
    }
    attack(argc, argv);
}

OVSTEST_REGISTER("test-vf-zc-attack", test_vf_zc_attack_main);
