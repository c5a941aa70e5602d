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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ovstest.h"
#include "util.h"
#include "vf-zc-hostile-ring.h"
#include "vf-zc-vhost-client.h"
#include "vf-zc-vring.h"

/* Features the attacker takes, where the device offers them. */
#define ATTACK_FEATURES                                         \
    ((UINT64_C(1) << VHOST_CLIENT_F_MRG_RXBUF)                  \
     | (UINT64_C(1) << VHOST_CLIENT_F_INDIRECT_DESC)            \
     | (UINT64_C(1) << VHOST_CLIENT_F_PROTOCOL_FEATURES)        \
     | (UINT64_C(1) << VHOST_CLIENT_F_VERSION_1))

static void
attack(int argc, char *argv[])
{
    uint32_t size = argc > 3 ? atoi(argv[3]) : 32768;
    struct hostile_ring rings[2];
    enum hostile_attack kind;
    size_t ring_mem, total;
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
    mem = vhost_client_alloc_mem("vf-zc-attack", total, &memfd);
    /* Ring 0 is the device's receive ring (it writes the buffers), ring 1
     * its transmit ring.  Guest-physical addresses start at 0. */
    for (int i = 0; i < 2; i++) {
        hostile_ring_build(&rings[i], mem + i * ring_mem, i * ring_mem, size,
                           kind, i == 0);
    }

    sock = vhost_client_connect(argv[1]);
    vhost_client_negotiate(sock, ATTACK_FEATURES);
    vhost_client_set_mem(sock, mem, total, memfd);
    for (uint32_t i = 0; i < 2; i++) {
        vhost_client_set_vring(sock, i, size, rings[i].desc, rings[i].avail,
                               rings[i].used);
    }
    for (uint32_t i = 0; i < 2; i++) {
        vhost_client_send_state(sock, VHOST_USER_SET_VRING_ENABLE, i, 1);
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
