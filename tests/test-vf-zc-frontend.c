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

/* A well-behaved vhost-user frontend that does what guests do to their rings
 * now and then, over and over, for vf-zc's system tests: it receives on
 * every queue pair, reposting each buffer as soon as it is used, counts the
 * ICMP echo requests it gets, and meanwhile either
 *
 *   - "churn N": once 50 pings have arrived, so that it happens under
 *     traffic, N times, 20 ms apart, sends SET_VRING_CALL with a new
 *     eventfd for every vring, and disables and enables again the vrings of
 *     its second queue pair (SET_VRING_ENABLE), as a guest does when it
 *     changes its interrupts or its number of queues; or
 *
 *   - "alternate SECONDS": for SECONDS, posts receive buffers of 2048 bytes
 *     for 100 ms, then of 1024 bytes (smaller than a frame of MTU 1500) for
 *     100 ms, and so on; or
 *
 *   - "late N": posts only 16 receive buffers on each ring, fewer than a
 *     VF queue needs for zero copy, and the rest once N pings have arrived,
 *     as a guest that fills its rings late does: the port then switches to
 *     zero copy under traffic; or
 *
 *   - "stop N": with interrupts off on its second queue pair's transmit
 *     ring (VRING_AVAIL_F_NO_INTERRUPT, as Linux has while it polls), sends
 *     N frames there, waits until the device has used them all, then
 *     disables that queue pair, as Linux does after "ethtool -L" to fewer
 *     queue pairs, and says whether an interrupt came on that ring within
 *     5 s: "interrupt after stop: yes" or "no".  Without one, a guest never
 *     reaps those buffers.  Then, with interrupts on, it sends N frames
 *     more on the disabled ring, as Linux may for a moment after "ethtool
 *     -L", and says how many the device took back within 10 s, which
 *     vhost-user requires of a disabled ring (it discards them), and
 *     whether an interrupt came: "after disabling: the device took T of N
 *     frames, interrupt: yes".
 *
 * ovstest test-vf-zc-frontend SOCKET churn N
 * ovstest test-vf-zc-frontend SOCKET alternate SECONDS
 * ovstest test-vf-zc-frontend SOCKET late N
 * ovstest test-vf-zc-frontend SOCKET stop N
 *
 * It prints "ready" once its rings are set up, then every 100 ms a line
 * "received P packets, I icmp echo requests, B bad, step S", and "done"
 * after the last step; then it goes on receiving until it is killed.  An
 * echo request is bad unless it is intact as the tests send it (ping -p
 * a5): what the guest receives is exactly what the VF side sent. */

#include <config.h>
#undef NDEBUG
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ovstest.h"
#include "timeval.h"
#include "util.h"
#include "vf-zc-vhost-client.h"
#include "vf-zc-vring.h"

#define RING_SIZE 256
#define N_QPS 2
#define BUF_SIZE 2048
#define SMALL_BUF_SIZE 1024
#define HDR_LEN 12              /* VERSION_1: with num_buffers. */
#define CHURN_AFTER 50          /* Pings received before churning. */
#define LATE_BUFFERS 16         /* Buffers posted first in "late" mode. */

#define FRONTEND_FEATURES                                       \
    ((UINT64_C(1) << VHOST_CLIENT_F_MRG_RXBUF)                  \
     | (UINT64_C(1) << VHOST_CLIENT_F_MQ)                       \
     | (UINT64_C(1) << VHOST_CLIENT_F_PROTOCOL_FEATURES)        \
     | (UINT64_C(1) << VHOST_CLIENT_F_VERSION_1))

/* One vring in the frontend's memory. */
struct ring {
    struct vf_zc_vring_desc *desc;
    struct vf_zc_vring_avail *avail;
    struct vf_zc_vring_used *used;
    uint8_t *bufs;              /* RING_SIZE buffers of BUF_SIZE, for a
                                 * receive ring; NULL for a transmit one. */
    uint64_t bufs_gpa;
    uint16_t avail_idx;         /* Next avail entry to post. */
    uint16_t used_idx;          /* Next used entry to read. */
};

/* Bytes a ring's three parts take, each page-aligned, as vhost-user
 * requires nothing more. */
#define RING_MEM 16384

static struct ring rings[2 * N_QPS];
static uint64_t n_packets, n_icmp, n_bad;

static void
post(struct ring *r, uint16_t id, uint32_t len)
{
    r->desc[id].addr = r->bufs_gpa + (uint64_t) id * BUF_SIZE;
    r->desc[id].len = len;
    r->desc[id].flags = VF_ZC_VRING_DESC_F_WRITE;
    r->desc[id].next = 0;
    r->avail->ring[r->avail_idx % RING_SIZE] = id;
    r->avail_idx++;
}

static void
publish(struct ring *r)
{
    __atomic_store_n(&r->avail->idx, r->avail_idx, __ATOMIC_RELEASE);
}

/* Returns true if the frame at 'p', of 'len' bytes, is an IPv4 ICMP echo
 * request. */
static bool
is_icmp_echo(const uint8_t *p, uint32_t len)
{
    return (len >= 14 + 20 + 8
            && p[12] == 0x08 && p[13] == 0x00      /* IPv4. */
            && p[14 + 9] == 1                      /* ICMP. */
            && p[14 + (p[14] & 0xf) * 4] == 8);    /* Echo request. */
}

/* Returns true if ICMP echo request 'p', of 'len' bytes, is intact as the
 * tests send it (ping -p a5): a good IPv4 header checksum, and after the
 * ICMP header and ping's 16-byte timestamp, nothing but 0xa5. */
static bool
is_intact_ping(const uint8_t *p, uint32_t len)
{
    size_t ihl = (p[14] & 0xf) * 4;
    size_t data = 14 + ihl + 8 + 16;
    uint32_t sum = 0;

    for (size_t i = 0; i < ihl; i += 2) {
        sum += (p[14 + i] << 8) | p[14 + i + 1];
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    if (sum != 0xffff || len < data) {
        return false;
    }
    for (size_t i = data; i < len; i++) {
        if (p[i] != 0xa5) {
            return false;
        }
    }
    return true;
}

/* Takes what the device delivered on receive ring 'r', counts it, and posts
 * each buffer again with 'len' bytes. */
static void
receive(struct ring *r, uint32_t len)
{
    uint16_t used = __atomic_load_n(&r->used->idx, __ATOMIC_ACQUIRE);
    uint16_t packet_left = 0;

    while (r->used_idx != used) {
        struct vf_zc_vring_used_elem *e = &r->used->ring[r->used_idx
                                                         % RING_SIZE];
        uint16_t id = e->id;
        uint8_t *buf = r->bufs + (size_t) id * BUF_SIZE;

        ovs_assert(id < RING_SIZE);
        if (!packet_left) {
            /* The first buffer of a packet: its header says how many. */
            uint16_t num_buffers;

            memcpy(&num_buffers, buf + 10, sizeof num_buffers);
            packet_left = MAX(num_buffers, 1);
            if (e->len > HDR_LEN) {
                const uint8_t *frame = buf + HDR_LEN;
                uint32_t frame_len = e->len - HDR_LEN;

                n_packets++;
                if (is_icmp_echo(frame, frame_len)) {
                    /* A packet over several buffers is not checked. */
                    if (packet_left > 1
                        || is_intact_ping(frame, frame_len)) {
                        n_icmp++;
                    } else {
                        n_bad++;
                    }
                }
            }
        }
        packet_left--;
        post(r, id, len);
        r->used_idx++;
    }
    publish(r);
}

/* Returns true if eventfd 'fd' (nonblocking) has been written since it was
 * last read, and reads it. */
static bool
eventfd_fired(int fd)
{
    eventfd_t value;

    return !eventfd_read(fd, &value);
}

/* Posts 'n' broadcast frames on transmit ring 'r', in buffers 'bufs' (at
 * 'bufs_gpa' in the guest's memory) from 'first' on. */
static void
send_frames(struct ring *r, uint8_t *bufs, uint64_t bufs_gpa, uint16_t first,
            int n)
{
    static const uint8_t frame[60] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff,     /* Broadcast. */
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
        0x88, 0xb5,                             /* Local experimental. */
    };

    for (uint16_t id = first; id < first + n; id++) {
        uint8_t *buf = bufs + (size_t) id * BUF_SIZE;

        memset(buf, 0, HDR_LEN);
        memcpy(buf + HDR_LEN, frame, sizeof frame);
        r->desc[id].addr = bufs_gpa + (uint64_t) id * BUF_SIZE;
        r->desc[id].len = HDR_LEN + sizeof frame;
        r->desc[id].flags = 0;
        r->desc[id].next = 0;
        r->avail->ring[r->avail_idx % RING_SIZE] = id;
        r->avail_idx++;
    }
    publish(r);
}

/* The "stop N" mode on the transmit ring 'r' (vring 3) of the second queue
 * pair, whose call eventfd is 'callfd'. */
static void
stop_test(int sock, struct ring *r, uint8_t *bufs, uint64_t bufs_gpa,
          int n, int callfd)
{
    long long int deadline;
    uint16_t used;

    ovs_assert(n > 0 && 2 * n < RING_SIZE);
    r->avail->flags = VF_ZC_VRING_AVAIL_F_NO_INTERRUPT;
    send_frames(r, bufs, bufs_gpa, 0, n);

    deadline = time_msec() + 10000;
    while (__atomic_load_n(&r->used->idx, __ATOMIC_ACQUIRE) != r->avail_idx) {
        if (time_msec() > deadline) {
            ovs_fatal(0, "the device used %"PRIu16" of %d frames",
                      r->used->idx, n);
        }
        usleep(1000);
    }
    printf("sent %d frames, interrupts meanwhile: %s\n", n,
           eventfd_fired(callfd) ? "yes" : "no");

    for (int i = 2; i < 4; i++) {
        vhost_client_send_state(sock, VHOST_USER_SET_VRING_ENABLE, i, 0);
    }
    deadline = time_msec() + 5000;
    while (!eventfd_fired(callfd) && time_msec() < deadline) {
        usleep(1000);
    }
    printf("interrupt after stop: %s\n",
           time_msec() < deadline ? "yes" : "no");

    /* Only an interrupt for what follows counts. */
    eventfd_fired(callfd);
    r->avail->flags = 0;
    send_frames(r, bufs, bufs_gpa, n, n);
    deadline = time_msec() + 10000;
    do {
        usleep(1000);
        used = __atomic_load_n(&r->used->idx, __ATOMIC_ACQUIRE);
    } while (used != r->avail_idx && time_msec() < deadline);
    printf("after disabling: the device took %d of %d frames, "
           "interrupt: %s\n", (uint16_t) (used - n), n,
           eventfd_fired(callfd) ? "yes" : "no");
    printf("done\n");
    fflush(stdout);
}

static void
frontend(char *argv[])
{
    const char *mode = argv[2];
    long long int steps = atoll(argv[3]);
    size_t total = 2 * N_QPS * (RING_MEM + RING_SIZE * BUF_SIZE);
    long long int next_step, next_report;
    uint32_t len = BUF_SIZE;
    long long int step = 0;
    bool churn = false, late = false, stop = false;
    uint8_t *mem;
    int sock, memfd;

    if (!strcmp(mode, "churn")) {
        churn = true;
    } else if (!strcmp(mode, "alternate")) {
        steps *= 10;            /* 100-ms steps. */
    } else if (!strcmp(mode, "late")) {
        late = true;
    } else if (!strcmp(mode, "stop")) {
        stop = true;
    } else {
        ovs_fatal(0, "%s: unknown mode", mode);
    }

    mem = vhost_client_alloc_mem("vf-zc-frontend", total, &memfd);
    for (int i = 0; i < 2 * N_QPS; i++) {
        struct ring *r = &rings[i];
        size_t base = i * (RING_MEM + RING_SIZE * BUF_SIZE);

        r->desc = (void *) (mem + base);
        r->avail = (void *) (mem + base + 4096);
        r->used = (void *) (mem + base + 8192);
        /* Even vrings receive (the device writes them). */
        r->bufs = i % 2 ? NULL : mem + base + RING_MEM;
        r->bufs_gpa = base + RING_MEM;
        if (r->bufs) {
            for (uint16_t id = 0; id < (late ? LATE_BUFFERS : RING_SIZE);
                 id++) {
                post(r, id, len);
            }
            publish(r);
        }
    }

    sock = vhost_client_connect(argv[1]);
    vhost_client_negotiate(sock, FRONTEND_FEATURES);
    vhost_client_set_mem(sock, mem, total, memfd);
    for (int i = 0; i < 2 * N_QPS; i++) {
        vhost_client_set_vring(sock, i, RING_SIZE, rings[i].desc,
                               rings[i].avail, rings[i].used);
    }
    for (int i = 0; i < 2 * N_QPS; i++) {
        vhost_client_send_state(sock, VHOST_USER_SET_VRING_ENABLE, i, 1);
    }
    printf("ready\n");
    fflush(stdout);

    if (stop) {
        /* An eventfd of its own for vring 3 (the device closes the old). */
        int callfd = eventfd(0, EFD_NONBLOCK);
        size_t base = 3 * (RING_MEM + RING_SIZE * BUF_SIZE);

        vhost_client_send_u64(sock, VHOST_USER_SET_VRING_CALL, 3, callfd);
        stop_test(sock, &rings[3], mem + base + RING_MEM, base + RING_MEM,
                  steps, callfd);
    }

    next_step = next_report = time_msec();
    for (;;) {
        long long int now = time_msec();

        for (int i = 0; i < 2 * N_QPS; i += 2) {
            receive(&rings[i], len);
        }
        if (late && step < 1 && n_icmp >= steps) {
            step = 1;
            for (int i = 0; i < 2 * N_QPS; i += 2) {
                for (uint16_t id = LATE_BUFFERS; id < RING_SIZE; id++) {
                    post(&rings[i], id, len);
                }
                publish(&rings[i]);
            }
            printf("done\n");
        }
        if (!late && !stop && step < steps && now >= next_step
            && (!churn || n_icmp >= CHURN_AFTER)) {
            next_step = now + (churn ? 20 : 100);
            step++;
            if (churn) {
                for (int i = 0; i < 2 * N_QPS; i++) {
                    /* The device closes the old one. */
                    vhost_client_send_u64(sock, VHOST_USER_SET_VRING_CALL, i,
                                          eventfd(0, 0));
                }
                for (int i = 2; i < 4; i++) {
                    vhost_client_send_state(sock, VHOST_USER_SET_VRING_ENABLE,
                                            i, 0);
                }
                for (int i = 2; i < 4; i++) {
                    vhost_client_send_state(sock, VHOST_USER_SET_VRING_ENABLE,
                                            i, 1);
                }
            } else {
                len = len == BUF_SIZE ? SMALL_BUF_SIZE : BUF_SIZE;
            }
            if (step == steps) {
                printf("done\n");
            }
        }
        if (now >= next_report) {
            next_report = now + 100;
            printf("received %"PRIu64" packets, %"PRIu64" icmp echo "
                   "requests, %"PRIu64" bad, step %lld\n", n_packets, n_icmp,
                   n_bad, step);
            fflush(stdout);
        }
        usleep(200);
    }
}

static void
test_vf_zc_frontend_main(int argc, char *argv[])
{
    set_program_name(argv[0]);
    if (argc != 4) {
        ovs_fatal(0, "usage: %s SOCKET churn N | SOCKET alternate SECONDS "
                  "| SOCKET late N | SOCKET stop N", argv[0]);
    }
    frontend(argv);
}

OVSTEST_REGISTER("test-vf-zc-frontend", test_vf_zc_frontend_main);
