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

#ifndef VF_ZC_MEMPOOL_H
#define VF_ZC_MEMPOOL_H 1

/* The host buffers of a VF's copy path, and their lifetime.
 *
 * A VF's copy path receives into a pktmbuf pool.  With options:bypass=false
 * its mbufs are also Open vSwitch dp_packets, as netdev-dpdk's are, so that
 * a packet received into one can enter the pipeline; with bypass on, no
 * packet of the VF does, and its mbufs need no room for what a dp_packet
 * adds (about a quarter of a buffer at MTU 1500).  Such a packet may then
 * sit in another port's transmit queue, or in the pipeline, after the VF has
 * stopped or changed its pool.  So a pool the VF no longer uses is
 * "retired", not freed: it is freed once every one of its mbufs has come
 * back (vf_zc_mempool_sweep()).
 *
 * Threads: any control thread.  The list of retired pools has a mutex of
 * its own, taken after any port's. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rte_mempool;

unsigned int vf_zc_mempool_n_mbufs(unsigned int n_rxq, unsigned int nb_rxd,
                                   unsigned int n_txq, unsigned int nb_txd,
                                   unsigned int n_lcores,
                                   unsigned int cache_size);
struct rte_mempool *vf_zc_mempool_create(const char *name, unsigned int n,
                                         unsigned int cache_size,
                                         uint32_t data_room, int socket_id,
                                         bool dp_packets);
void vf_zc_mempool_retire(struct rte_mempool *);
size_t vf_zc_mempool_sweep(void);

#endif /* vf-zc-mempool.h */
