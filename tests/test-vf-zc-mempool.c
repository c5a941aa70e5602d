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

/* Unit test of the VF mempools (vf-zc-mempool.h): a retired pool is freed
 * only once its last mbuf has come back, and a pool sized by
 * vf_zc_mempool_n_mbufs() fills its queues while the caches of the lcores it
 * was sized for are full, in under 8 MB for one queue pair at MTU 1500 and
 * bypass on.
 * Runs DPDK's EAL without hugepages or devices.
 *
 * ovstest test-vf-zc-mempool */

#include <config.h>
#undef NDEBUG
#include <stdio.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dp-packet.h"
#include "ovstest.h"
#include "util.h"
#include "vf-zc-mempool.h"

/* Sizes a pool as a VF with one queue pair of 1024 descriptors each way
 * gets at MTU 1500 with bypass on, for 'n_lcores' lcores; fills every
 * lcore's cache as far as DPDK lets it, then the queues and bursts; and
 * prints its size. */
static void
test_sizing(unsigned int n_lcores)
{
    const unsigned int nb_desc = 1024, cache = 32;
    unsigned int n = vf_zc_mempool_n_mbufs(1, nb_desc, 1, nb_desc, n_lcores,
                                           cache);
    unsigned int in_queues = 2 * nb_desc + 2 * NETDEV_MAX_BURST;
    struct rte_mbuf **mbufs = xcalloc(n, sizeof *mbufs);
    struct rte_mempool *mp;
    size_t bytes;

    mp = vf_zc_mempool_create("test_sizing", n, cache,
                              RTE_PKTMBUF_HEADROOM + 2048, SOCKET_ID_ANY,
                              false);
    ovs_assert(mp);

    /* Each lcore's cache, filled by giving back, through it, mbufs taken
     * from the pool's ring: a cache keeps what it is given up to its flush
     * threshold. */
    for (unsigned int lcore = 0; lcore < n_lcores; lcore++) {
        struct rte_mempool_cache *c = rte_mempool_default_cache(mp, lcore);
        unsigned int fill = c->flushthresh;

        ovs_assert(!rte_mempool_generic_get(mp, (void **) mbufs,
                                            fill, NULL));
        rte_mempool_generic_put(mp, (void **) mbufs, fill, c);
        ovs_assert(c->len == fill);
    }
    /* What the queues and the relay hold, from the ring alone. */
    ovs_assert(!rte_mempool_generic_get(mp, (void **) mbufs, in_queues,
                                        NULL));
    rte_mempool_generic_put(mp, (void **) mbufs, in_queues, NULL);

    /* What the objects take in hugepages, where they lie back to back
     * (without them, as here, none spans a 4 kB page, which wastes more). */
    bytes = (size_t) mp->size * (mp->header_size + mp->elt_size
                                 + mp->trailer_size);
    printf("%u lcores: %u mbufs, %.1f MB\n", n_lcores, n,
           bytes / (1024.0 * 1024.0));
    for (unsigned int lcore = 0; lcore < n_lcores; lcore++) {
        rte_mempool_cache_flush(rte_mempool_default_cache(mp, lcore), mp);
    }
    ovs_assert(rte_mempool_full(mp));
    rte_mempool_free(mp);
    free(mbufs);
}

static void
test_vf_zc_mempool_main(int argc OVS_UNUSED, char *argv[])
{
    char *eal_args[] = {
        argv[0], "--no-huge", "-m", "128", "--no-pci", "--no-shconf",
        "--no-telemetry", "-l", "0", "--log-level=lib.eal:error",
    };
    struct rte_mbuf *held[2];
    struct rte_mempool *mp;

    set_program_name(argv[0]);
    if (rte_eal_init(ARRAY_SIZE(eal_args), eal_args) < 0) {
        ovs_fatal(0, "EAL initialization failed");
    }

    mp = vf_zc_mempool_create("test_retire", 64, 0, 2048, SOCKET_ID_ANY,
                              true);
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

    /* The main thread and a PMD thread per core, on 2 cores and on 64. */
    test_sizing(3);
    test_sizing(65);

    rte_eal_cleanup();
}

OVSTEST_REGISTER("test-vf-zc-mempool", test_vf_zc_mempool_main);
