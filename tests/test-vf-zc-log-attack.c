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

/* A hostile vhost-user frontend for vf-zc's dirty-page logging, for vf-zc's
 * system tests (issue 14).  It connects to a vf-zc port's socket as a VM's
 * virtio-net device would, negotiating LOG_SHMFD and REPLY_ACK, with one
 * queue pair whose receive ring has every buffer posted, so that what the
 * VF receives is written into its memory, and:
 *
 *   1. sends VHOST_USER_SET_LOG_BASE with a log that is bad in each way it
 *      knows (see 'bad_logs'), each on a connection of its own, and prints
 *      what the port did: "SET_LOG_BASE, CASE: connection closed" is right,
 *      since the message does not ask for a reply.  A log the port takes
 *      ("accepted") it then makes the port mark, under traffic, for a
 *      second: a log larger than its file raises SIGBUS in ovs-vswitchd;
 *
 *   2. on one connection, sends each bad log again, asking for a reply
 *      (VHOST_CLIENT_NEED_REPLY): "SET_LOG_BASE with NEED_REPLY, CASE:
 *      NACK" is right, and the connection stays;
 *
 *   3. on that connection, sends a valid log that is too small for the
 *      guest's memory: it covers guest-physical addresses below 131 MiB,
 *      where the guest's rings are, but not its receive buffers, above.
 *      The log is the first SMALL_LOG bytes of a memfd of LOG_FILE bytes,
 *      the rest a guard of zeros.  Then it turns VHOST_F_LOG_ALL on and off
 *      TOGGLES times (200 by default), as QEMU does (SET_FEATURES, then
 *      SET_VRING_ADDR for each vring, with VHOST_VRING_F_LOG and the used
 *      ring's guest-physical address when on), while the VF's traffic
 *      arrives, then turns it on and takes LOG_PACKETS packets more.  It
 *      replaces the log with another (next step), after which the port no
 *      longer writes the first, and checks it: the receive ring's used ring
 *      is marked, the guard is intact, and no bit is set for a page outside
 *      the guest's memory;
 *
 *   4. the other log, of FULL_LOG bytes, covers the guest's memory: once it
 *      has taken LOG_PACKETS packets more, it turns LOG_ALL off and checks
 *      that log as it did the first, and that the pages of the receive
 *      buffers are marked too ("pages marked: yes").
 *
 * ovstest test-vf-zc-log-attack SOCKET [TOGGLES]
 *
 * Then it turns LOG_ALL on again, prints "done", and goes on receiving for
 * at most a minute, unless it is killed before.  A failure to go on (the
 * connection lost, no traffic within 10 s) is fatal.  Each wait is bounded
 * in time. */

#include <config.h>
#undef NDEBUG
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "ovstest.h"
#include "timeval.h"
#include "util.h"
#include "vf-zc-vhost-client.h"
#include "vf-zc-vring.h"

#define RING_SIZE 256
#define BUF_SIZE 2048
#define PAGE 4096                   /* A page of the log (VHOST_LOG_PAGE). */
#define MIB (1024 * 1024)

/* The guest's memory, at guest-physical address GUEST_GPA: its two rings,
 * each in RING_MEM bytes (descriptors, available ring, used ring, a page
 * each), then the receive ring's buffers, from 131 MiB on. */
#define RING_MEM (4 * PAGE)
#define BUFS_OFS (2 * RING_MEM)
#define GUEST_MEM (BUFS_OFS + RING_SIZE * BUF_SIZE)
#define GUEST_GPA (UINT64_C(131) * MIB - BUFS_OFS)
#define USED_OFS (2 * PAGE)         /* Of a used ring, in its RING_MEM. */

/* The logs.  A bit per page: SMALL_LOG bytes cover guest-physical addresses
 * below 131 MiB, the rings but not the buffers.  Neither size is a multiple
 * of a page, so that the page the device maps for its last byte holds some
 * of the guard too. */
#define SMALL_LOG 4192
#define FULL_LOG 8000
#define LOG_FILE (3 * PAGE)

#define FEATURES                                                \
    ((UINT64_C(1) << VHOST_CLIENT_F_PROTOCOL_FEATURES)          \
     | (UINT64_C(1) << VHOST_CLIENT_F_VERSION_1))
#define LOG_ALL (UINT64_C(1) << VHOST_CLIENT_F_LOG_ALL)
#define PROTOCOL_FEATURES                                       \
    ((UINT64_C(1) << VHOST_CLIENT_PROTOCOL_F_LOG_SHMFD)         \
     | (UINT64_C(1) << VHOST_CLIENT_PROTOCOL_F_REPLY_ACK))

#define ANSWER_MS 5000              /* Wait for an answer at most this. */
#define TRAFFIC_MS 10000            /* Wait for packets at most this. */
#define LOG_PACKETS 2000            /* Packets to take with a log on. */
#define EXPOSE_MS 1000              /* Traffic on a log accepted wrongly. */
#define LINGER_MS 60000             /* Receiving after "done". */

/* The frontend's guest. */
struct guest {
    const char *path;           /* The port's socket. */
    int sock;                   /* Connected to it, or -1. */
    uint8_t *mem;               /* GUEST_MEM bytes, at GUEST_GPA. */
    int memfd;
    struct vf_zc_vring_desc *desc[2];
    struct vf_zc_vring_avail *avail[2];
    struct vf_zc_vring_used *used[2];
    uint16_t avail_idx;         /* Receive ring: next avail entry to post. */
    uint16_t used_idx;          /* Receive ring: next used entry to read. */
    uint64_t n_packets;         /* Taken from the receive ring, in all. */
};

/* A bad log, for SET_LOG_BASE. */
enum bad_fd {
    BAD_FD_MEMFD,               /* A memfd of 'file_size' bytes. */
    BAD_FD_NONE,                /* No file descriptor at all. */
    BAD_FD_PIPE,                /* A pipe's read end. */
    BAD_FD_EVENTFD,             /* An eventfd. */
};

struct bad_log {
    const char *name;
    enum bad_fd fd;
    uint64_t file_size;
    uint32_t msg_size;          /* Payload bytes: 16 is right. */
    uint64_t mmap_size;
    uint64_t mmap_offset;
};

static const struct bad_log bad_logs[] = {
    { "empty log", BAD_FD_MEMFD, LOG_FILE, 16, 0, 0 },
    /* Without the port's check, a PMD thread's first mark past the file's
     * end (at the guest's first page) raises SIGBUS. */
    { "log larger than its file", BAD_FD_MEMFD, PAGE, 16, MIB, 0 },
    { "nonzero page-aligned offset", BAD_FD_MEMFD, 4 * PAGE, 16, SMALL_LOG,
      PAGE },
    { "unaligned offset", BAD_FD_MEMFD, 4 * PAGE, 16, SMALL_LOG, 100 },
    { "wrong message size", BAD_FD_MEMFD, LOG_FILE, 8, SMALL_LOG, 0 },
    { "no file descriptor", BAD_FD_NONE, 0, 16, SMALL_LOG, 0 },
    { "a pipe", BAD_FD_PIPE, 0, 16, SMALL_LOG, 0 },
    { "an eventfd", BAD_FD_EVENTFD, 0, 16, SMALL_LOG, 0 },
};

static void
post(struct guest *g, uint16_t id)
{
    struct vf_zc_vring_desc *d = &g->desc[0][id];

    d->addr = GUEST_GPA + BUFS_OFS + (uint64_t) id * BUF_SIZE;
    d->len = BUF_SIZE;
    d->flags = VF_ZC_VRING_DESC_F_WRITE;
    d->next = 0;
    g->avail[0]->ring[g->avail_idx % RING_SIZE] = id;
    g->avail_idx++;
}

/* Takes what the device delivered on the receive ring and posts each buffer
 * again.  Returns the number of packets taken. */
static uint64_t
receive(struct guest *g)
{
    uint16_t used = __atomic_load_n(&g->used[0]->idx, __ATOMIC_ACQUIRE);
    uint64_t n = 0;

    while (g->used_idx != used) {
        uint32_t id = g->used[0]->ring[g->used_idx % RING_SIZE].id;

        if (id >= RING_SIZE) {
            ovs_fatal(0, "the device used buffer %"PRIu32" of %d", id,
                      RING_SIZE);
        }
        post(g, id);
        g->used_idx++;
        n++;
    }
    __atomic_store_n(&g->avail[0]->idx, g->avail_idx, __ATOMIC_RELEASE);
    g->n_packets += n;
    return n;
}

/* Receives for 'ms' milliseconds, or until 'goal' packets have arrived if
 * 'goal' is not 0.  Returns the number of packets taken. */
static uint64_t
pump(struct guest *g, long long int ms, uint64_t goal)
{
    long long int deadline = time_msec() + ms;
    uint64_t n = 0;

    for (;;) {
        n += receive(g);
        if ((goal && n >= goal) || time_msec() >= deadline) {
            return n;
        }
        usleep(100);
    }
}

/* Receives until 'goal' packets have arrived; fatal if they do not within
 * TRAFFIC_MS. */
static void
pump_until(struct guest *g, uint64_t goal, const char *when)
{
    uint64_t n = pump(g, TRAFFIC_MS, goal);

    if (n < goal) {
        ovs_fatal(0, "%s: %"PRIu64" of %"PRIu64" packets in %d ms", when, n,
                  goal, TRAFFIC_MS);
    }
}

/* Sends 'request' with 'size' bytes of 'payload', asking for a reply, and
 * fails unless the port acknowledges it. */
static void
request_ack(struct guest *g, uint32_t request, const void *payload,
            uint32_t size)
{
    enum vhost_client_answer answer;
    uint64_t value;

    vhost_client_send_flags(g->sock, request, VHOST_CLIENT_NEED_REPLY,
                            payload, size, -1);
    answer = vhost_client_wait_answer(g->sock, request, ANSWER_MS, &value);
    if (answer != VHOST_CLIENT_REPLY_U64 || value) {
        ovs_fatal(0, "vhost-user request %"PRIu32" not acknowledged "
                  "(answer %d, value %"PRIu64")", request, answer, value);
    }
}

/* Sets the vrings' addresses, with VHOST_VRING_F_LOG if 'log', asking for a
 * reply each time. */
static void
set_vring_addrs(struct guest *g, bool log)
{
    for (int i = 0; i < 2; i++) {
        uint64_t used_gpa = GUEST_GPA + i * RING_MEM + USED_OFS;
        enum vhost_client_answer answer;
        uint64_t value;

        vhost_client_set_vring_addr(g->sock, VHOST_CLIENT_NEED_REPLY, i,
                                    g->desc[i], g->avail[i], g->used[i],
                                    log ? used_gpa : 0);
        answer = vhost_client_wait_answer(g->sock, VHOST_USER_SET_VRING_ADDR,
                                          ANSWER_MS, &value);
        if (answer != VHOST_CLIENT_REPLY_U64 || value) {
            ovs_fatal(0, "SET_VRING_ADDR not acknowledged (answer %d, value "
                      "%"PRIu64")", answer, value);
        }
    }
}

/* Turns LOG_ALL on or off, as QEMU does: SET_FEATURES, then SET_VRING_ADDR
 * for each vring.  Each is acknowledged when it returns: the port then
 * marks, or no longer marks, the log. */
static void
log_all(struct guest *g, bool on)
{
    uint64_t features = FEATURES | (on ? LOG_ALL : 0);

    request_ack(g, VHOST_USER_SET_FEATURES, &features, sizeof features);
    set_vring_addrs(g, on);
}

/* Connects to the port with memory of its own, its rings set up afresh,
 * every receive buffer posted and LOG_ALL off, and waits for its first
 * packet.  The memory is new each time: the port may still be writing the
 * last connection's for a moment after it has closed. */
static void
guest_connect(struct guest *g)
{
    struct timeval tv = { .tv_sec = 10 };
    uint64_t offered, protocol;

    if (g->mem) {
        munmap(g->mem, GUEST_MEM);
        close(g->memfd);
    }
    g->mem = vhost_client_alloc_mem("vf-zc-log-attack", GUEST_MEM,
                                    &g->memfd);
    for (int i = 0; i < 2; i++) {
        uint8_t *ring = g->mem + i * RING_MEM;

        g->desc[i] = (void *) ring;
        g->avail[i] = (void *) (ring + PAGE);
        g->used[i] = (void *) (ring + USED_OFS);
    }
    g->avail_idx = g->used_idx = 0;
    for (uint16_t id = 0; id < RING_SIZE; id++) {
        post(g, id);
    }
    g->avail[0]->idx = g->avail_idx;

    g->sock = vhost_client_connect(g->path);
    /* No read or write of the helpers' may block for ever. */
    if (setsockopt(g->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv)
        || setsockopt(g->sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv)) {
        ovs_fatal(errno, "setsockopt");
    }
    offered = vhost_client_get_u64(g->sock, VHOST_USER_GET_FEATURES);
    if (!(offered & LOG_ALL)) {
        ovs_fatal(0, "the port does not offer LOG_ALL");
    }
    if (vhost_client_negotiate_protocol(g->sock, FEATURES, PROTOCOL_FEATURES,
                                        &protocol) != FEATURES
        || protocol != PROTOCOL_FEATURES) {
        ovs_fatal(0, "the port does not offer the features needed "
                  "(protocol features %#"PRIx64")", protocol);
    }
    vhost_client_set_mem_at(g->sock, g->mem, GUEST_MEM, g->memfd, GUEST_GPA);
    for (uint32_t i = 0; i < 2; i++) {
        vhost_client_set_vring(g->sock, i, RING_SIZE, g->desc[i],
                               g->avail[i], g->used[i]);
    }
    for (uint32_t i = 0; i < 2; i++) {
        vhost_client_send_state(g->sock, VHOST_USER_SET_VRING_ENABLE, i, 1);
    }
    pump_until(g, 1, "after connecting");
}

static void
guest_disconnect(struct guest *g)
{
    close(g->sock);
    g->sock = -1;
}

/* Sends SET_LOG_BASE for 'bad', with message 'flags'. */
static void
send_bad_log(struct guest *g, const struct bad_log *bad, uint32_t flags)
{
    uint64_t payload[2] = { bad->mmap_size, bad->mmap_offset };
    int fds[2] = { -1, -1 };

    switch (bad->fd) {
    case BAD_FD_MEMFD:
        fds[0] = memfd_create("vf-zc-bad-log", 0);
        if (fds[0] < 0 || ftruncate(fds[0], bad->file_size)) {
            ovs_fatal(errno, "memfd");
        }
        break;
    case BAD_FD_NONE:
        break;
    case BAD_FD_PIPE:
        if (pipe(fds)) {
            ovs_fatal(errno, "pipe");
        }
        break;
    case BAD_FD_EVENTFD:
        fds[0] = eventfd(0, 0);
        if (fds[0] < 0) {
            ovs_fatal(errno, "eventfd");
        }
        break;
    }
    vhost_client_send_flags(g->sock, VHOST_USER_SET_LOG_BASE, flags, payload,
                            bad->msg_size, fds[0]);
    for (int i = 0; i < 2; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
        }
    }
}

static const char *
answer_name(enum vhost_client_answer answer, uint64_t value)
{
    switch (answer) {
    case VHOST_CLIENT_NO_ANSWER:
        return "no answer";
    case VHOST_CLIENT_CLOSED:
        return "connection closed";
    case VHOST_CLIENT_REPLY:
        return "accepted";
    case VHOST_CLIENT_REPLY_U64:
        return value ? "NACK" : "ACK";
    }
    OVS_NOT_REACHED();
}

/* Sends bad log 'bad' with message 'flags' and prints what the port did.
 * If it took the log, makes the port use it, under traffic, for EXPOSE_MS:
 * that is where a log that is not what it claims to be does its harm.
 * Returns the answer. */
static enum vhost_client_answer
try_bad_log(struct guest *g, const struct bad_log *bad, uint32_t flags)
{
    enum vhost_client_answer answer;
    uint64_t value;

    send_bad_log(g, bad, flags);
    answer = vhost_client_wait_answer(g->sock, VHOST_USER_SET_LOG_BASE,
                                      ANSWER_MS, &value);
    printf("SET_LOG_BASE%s, %s: %s\n",
           flags & VHOST_CLIENT_NEED_REPLY ? " with NEED_REPLY" : "",
           bad->name, answer_name(answer, value));
    if (answer == VHOST_CLIENT_REPLY) {
        log_all(g, true);
        pump(g, EXPOSE_MS, 0);
        log_all(g, false);
    } else if (answer == VHOST_CLIENT_NO_ANSWER) {
        ovs_fatal(0, "giving up on a port that does not answer");
    }
    return answer;
}

/* A log, in a memfd of LOG_FILE bytes mapped here whole. */
struct log {
    uint64_t size;              /* Bytes given to the port. */
    int fd;
    uint8_t *bits;              /* LOG_FILE bytes: the log, then a guard. */
};

static void
log_create(struct log *log, uint64_t size)
{
    log->size = size;
    log->fd = memfd_create("vf-zc-log", 0);
    if (log->fd < 0 || ftruncate(log->fd, LOG_FILE)) {
        ovs_fatal(errno, "memfd");
    }
    log->bits = mmap(NULL, LOG_FILE, PROT_READ | PROT_WRITE, MAP_SHARED,
                     log->fd, 0);
    if (log->bits == MAP_FAILED) {
        ovs_fatal(errno, "mmap");
    }
}

/* Gives 'log' to the port, as QEMU does (no reply asked for, but the
 * library replies to a log it takes), and fails unless it is taken. */
static void
log_send(struct guest *g, const struct log *log)
{
    uint64_t payload[2] = { log->size, 0 };
    enum vhost_client_answer answer;
    uint64_t value;

    vhost_client_send_flags(g->sock, VHOST_USER_SET_LOG_BASE, 0, payload,
                            sizeof payload, log->fd);
    answer = vhost_client_wait_answer(g->sock, VHOST_USER_SET_LOG_BASE,
                                      ANSWER_MS, &value);
    printf("log of %"PRIu64" bytes: %s\n", log->size,
           answer_name(answer, value));
    if (answer != VHOST_CLIENT_REPLY) {
        ovs_fatal(0, "a valid log refused");
    }
}

static bool
log_marked(const struct log *log, uint64_t page)
{
    return page / 8 < log->size && log->bits[page / 8] & (1u << (page % 8));
}

/* Checks 'log', which the port no longer writes, and prints what it found,
 * beginning with 'what'.  With 'buffers', the receive buffers' pages must
 * be marked too. */
static void
log_check(const struct log *log, const char *what, bool buffers)
{
    uint64_t first = GUEST_GPA / PAGE;
    uint64_t end = DIV_ROUND_UP(GUEST_GPA + GUEST_MEM, PAGE);
    uint64_t used_page = (GUEST_GPA + USED_OFS) / PAGE;
    uint64_t n_outside = 0, n_guard = 0, n_bufs = 0;

    for (uint64_t page = 0; page < log->size * 8; page++) {
        if (log_marked(log, page) && (page < first || page >= end)) {
            n_outside++;
        }
    }
    for (uint64_t i = log->size; i < LOG_FILE; i++) {
        n_guard += log->bits[i] != 0;
    }
    for (uint64_t page = (GUEST_GPA + BUFS_OFS) / PAGE; page < end; page++) {
        n_bufs += log_marked(log, page);
    }

    printf("%s: ", what);
    if (buffers) {
        printf("pages marked: %s", log_marked(log, used_page) && n_bufs
               ? "yes" : "no");
    } else {
        printf("used ring marked: %s",
               log_marked(log, used_page) ? "yes" : "no");
    }
    if (n_guard) {
        printf(", guard: %"PRIu64" bytes written", n_guard);
    } else {
        printf(", guard intact");
    }
    printf(", pages marked outside the guest's memory: %"PRIu64"\n",
           n_outside);
    if (!log_marked(log, used_page) || (buffers && !n_bufs)) {
        printf("(used ring's page %"PRIu64": %s, %"PRIu64" of %"PRIu64" "
               "buffer pages marked)\n", used_page,
               log_marked(log, used_page) ? "marked" : "not marked", n_bufs,
               end - (GUEST_GPA + BUFS_OFS) / PAGE);
    }
}

static void
attack(const char *path, int n_toggles)
{
    struct guest g = { .path = path, .sock = -1 };
    struct log small, full;
    uint64_t during;

    /* 1. Each bad log on a connection of its own. */
    for (size_t i = 0; i < ARRAY_SIZE(bad_logs); i++) {
        guest_connect(&g);
        try_bad_log(&g, &bad_logs[i], 0);
        guest_disconnect(&g);
    }

    /* 2. Each again, asking for a reply: the connection stays. */
    guest_connect(&g);
    for (size_t i = 0; i < ARRAY_SIZE(bad_logs); i++) {
        if (try_bad_log(&g, &bad_logs[i], VHOST_CLIENT_NEED_REPLY)
            == VHOST_CLIENT_CLOSED) {
            guest_disconnect(&g);
            guest_connect(&g);
        }
    }
    pump_until(&g, 1, "after the bad logs");

    /* 3. A small log, and LOG_ALL toggled under traffic. */
    log_create(&small, SMALL_LOG);
    log_send(&g, &small);
    during = 0;
    for (int i = 0; i < n_toggles; i++) {
        log_all(&g, i % 2 == 0);
        if (i % 20 < 2) {
            /* Now and then, with LOG_ALL on, then off, the port's next
             * packet; otherwise whatever comes in a millisecond. */
            pump_until(&g, 1, "while toggling LOG_ALL");
            during++;
        } else {
            during += pump(&g, 1, 0);
        }
    }
    printf("%d LOG_ALL toggles, traffic meanwhile: %s\n", n_toggles,
           during ? "yes" : "no");
    log_all(&g, true);
    pump_until(&g, LOG_PACKETS, "with the small log");

    /* 4. The full log: the port no longer writes the small one. */
    log_create(&full, FULL_LOG);
    log_send(&g, &full);
    log_check(&small, "small log", false);
    pump_until(&g, LOG_PACKETS, "with the full log");
    log_all(&g, false);
    log_check(&full, "full log", true);

    log_all(&g, true);
    pump_until(&g, 1, "with LOG_ALL on again");
    printf("done\n");
    pump(&g, LINGER_MS, 0);
}

static void
test_vf_zc_log_attack_main(int argc, char *argv[])
{
    int n_toggles = argc > 2 ? atoi(argv[2]) : 200;

    set_program_name(argv[0]);
    if (argc < 2 || argc > 3 || n_toggles < 1 || n_toggles > 100000) {
        ovs_fatal(0, "usage: %s SOCKET [TOGGLES]", argv[0]);
    }
    /* A connection the port closes must not kill this program unseen. */
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    attack(argv[1], n_toggles);
}

OVSTEST_REGISTER("test-vf-zc-log-attack", test_vf_zc_log_attack_main);
