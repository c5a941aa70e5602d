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

/* Unit tests of the work bound (invariant 8 in the design): whatever a guest
 * writes in its rings, one round of the relay reads at most a fixed number
 * of descriptors.  Each test builds a ring meant to make the device work
 * (vf-zc-hostile-ring.h), runs rounds of work on it the way the relay does,
 * and counts the descriptors read in each.
 *
 * ovstest test-vf-zc-work-bound COMMAND
 *
 * Each command prints what it found; a broken bound aborts. */

#include <config.h>
#undef NDEBUG
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command-line.h"
#include "dp-packet.h"
#include "ovstest.h"
#include "util.h"
#include "vf-zc-hostile-ring.h"
#include "vf-zc-virtio-net.h"
#include "vf-zc-vring.h"

#define ROUND_BUDGET VF_ZC_VRING_ROUND_BUDGET
#define HDR_LEN 12
#define N_ROUNDS 16

/* One round of the relay's transmit direction: at most a burst of chains,
 * each returned (here all unused, as a copy would return them). */
static void
transmit_round(struct vf_zc_vring *vq)
{
    for (int i = 0; i < NETDEV_MAX_BURST; i++) {
        struct vf_zc_chain chain;
        enum vf_zc_vring_status status = vf_zc_vring_pop(vq, false, &chain);

        if (status != VF_ZC_VRING_OK && status != VF_ZC_VRING_BAD_CHAIN) {
            break;
        }
        vf_zc_vring_push(vq, chain.head, 0);
    }
}

/* One round of the relay's receive direction by copy: a burst of 64-byte
 * packets into mergeable buffers. */
static void
receive_round(struct vf_zc_vring *vq)
{
    static const uint8_t pkt[64];
    struct vf_zc_seg seg = { .data = pkt, .len = sizeof pkt };

    for (int i = 0; i < NETDEV_MAX_BURST; i++) {
        vf_zc_net_rx_copy(vq, HDR_LEN, true, 0, &seg, 1);
    }
}

/* Runs N_ROUNDS rounds of work on a ring of 'size' under 'attack', and
 * prints the most descriptors any round read. */
static void
run_attack(uint32_t size, enum hostile_attack attack, bool receive)
{
    struct hostile_ring h;
    struct vf_zc_vring vq;
    uint64_t most = 0;

    hostile_ring_init(&h, size, attack, receive);
    hostile_ring_device_init(&h, &vq);
    for (int r = 0; r < N_ROUNDS; r++) {
        uint64_t before = vq.desc_reads;

        vf_zc_vring_set_budget(&vq, ROUND_BUDGET);
        if (receive) {
            receive_round(&vq);
        } else {
            transmit_round(&vq);
        }
        vf_zc_vring_publish(&vq);
        hostile_ring_repost(&h, &vq);

        if (vq.desc_reads - before > ROUND_BUDGET) {
            ovs_fatal(0, "ring %"PRIu32", %s, %s: round %d read %"PRIu64
                      " descriptors, more than %d", size,
                      hostile_attack_name(attack),
                      receive ? "receive" : "transmit", r,
                      vq.desc_reads - before, ROUND_BUDGET);
        }
        most = MAX(most, vq.desc_reads - before);
    }
    printf("ring %"PRIu32", %s, %s: at most %"PRIu64" descriptors a round; "
           "%s\n", size, hostile_attack_name(attack),
           receive ? "receive" : "transmit", most,
           vf_zc_vring_is_broken(&vq) ? vq.error : "ring intact");
    hostile_ring_destroy(&h);
}

/* ovstest test-vf-zc-work-bound rings SIZE...: every attack, both ways, on
 * rings of each SIZE. */
static void
test_rings(struct ovs_cmdl_context *ctx)
{
    for (int i = 1; i < ctx->argc; i++) {
        uint32_t size = atoi(ctx->argv[i]);

        for (int a = 0; a < N_HOSTILE_ATTACKS; a++) {
            run_attack(size, a, false);
            run_attack(size, a, true);
        }
    }
    printf("every round within %d descriptors\n", ROUND_BUDGET);
}

static const struct ovs_cmdl_command commands[] = {
    { "rings", NULL, 1, INT_MAX, test_rings, OVS_RO },
    { NULL, NULL, 0, 0, NULL, OVS_RO },
};

static void
test_vf_zc_work_bound_main(int argc, char *argv[])
{
    struct ovs_cmdl_context ctx = {
        .argc = argc - 1,
        .argv = argv + 1,
    };

    set_program_name(argv[0]);
    ovs_cmdl_run_command(&ctx, commands);
}

OVSTEST_REGISTER("test-vf-zc-work-bound", test_vf_zc_work_bound_main);
