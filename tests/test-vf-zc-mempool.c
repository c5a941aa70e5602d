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

/* Unit test of the VF mempools' lifetime (vf-zc-mempool.h): a retired pool
 * is freed only once its last mbuf has come back.  Runs DPDK's EAL without
 * hugepages or devices.
 *
 * ovstest test-vf-zc-mempool */

#include <config.h>
#undef NDEBUG
#include <stdio.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "ovstest.h"
#include "util.h"
#include "vf-zc-mempool.h"

static void
test_vf_zc_mempool_main(int argc OVS_UNUSED, char *argv[])
{
    char *eal_args[] = {
        argv[0], "--no-huge", "-m", "64", "--no-pci", "--no-shconf",
        "--no-telemetry", "-l", "0", "--log-level=lib.eal:error",
    };
    struct rte_mbuf *held[2];
    struct rte_mempool *mp;

    set_program_name(argv[0]);
    if (rte_eal_init(ARRAY_SIZE(eal_args), eal_args) < 0) {
        ovs_fatal(0, "EAL initialization failed");
    }

    mp = vf_zc_mempool_create("test_retire", 64, 0, 2048, SOCKET_ID_ANY);
    ovs_assert(mp);
    held[0] = rte_pktmbuf_alloc(mp);
    held[1] = rte_pktmbuf_alloc(mp);
    ovs_assert(held[0] && held[1]);

    vf_zc_mempool_retire(mp);
    ovs_assert(vf_zc_mempool_sweep() == 1);
    ovs_assert(rte_mempool_lookup("test_retire") == mp);
    printf("retired with 2 mbufs out: kept\n");

    rte_pktmbuf_free(held[0]);
    ovs_assert(vf_zc_mempool_sweep() == 1);
    printf("1 mbuf out: kept\n");

    rte_pktmbuf_free(held[1]);
    ovs_assert(vf_zc_mempool_sweep() == 0);
    ovs_assert(!rte_mempool_lookup("test_retire"));
    printf("all mbufs back: freed\n");

    rte_eal_cleanup();
}

OVSTEST_REGISTER("test-vf-zc-mempool", test_vf_zc_mempool_main);
