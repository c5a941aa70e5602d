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
#include "vf-zc-mempool.h"

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dp-packet.h"
#include "openvswitch/list.h"
#include "openvswitch/vlog.h"
#include "ovs-thread.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(vf_zc_mempool);

/* A pool no VF uses any more, waiting for its mbufs. */
struct retired_mempool {
    struct ovs_list node;       /* In 'retired'. */
    struct rte_mempool *mp;
};

static struct ovs_mutex retired_mutex = OVS_MUTEX_INITIALIZER;
static struct ovs_list retired OVS_GUARDED_BY(retired_mutex)
    = OVS_LIST_INITIALIZER(&retired);

static void
init_dp_packet(struct rte_mempool *mp OVS_UNUSED, void *opaque OVS_UNUSED,
               void *obj, unsigned int idx OVS_UNUSED)
{
    dp_packet_init_dpdk((struct dp_packet *) obj);
}

/* Returns how many mbufs a VF's copy pool needs so that no queue goes short:
 * every descriptor filled, of 'n_rxq' receive queues of 'nb_rxd' and 'n_txq'
 * transmit queues of 'nb_txd'; two bursts per receive queue in the relay's
 * hands (one received, one being copied from the guest); and what the caches of the 'n_lcores' lcores that take
 * or give back its mbufs may hold, each up to one and a half times
 * 'cache_size' (DPDK flushes a cache only beyond that).
 *
 * The caches are counted for the lcores that use the pool, not for every
 * lcore DPDK could have (RTE_MAX_LCORE, 128): those would hold nothing, and
 * counting them made the caches four fifths of the pool. */
unsigned int
vf_zc_mempool_n_mbufs(unsigned int n_rxq, unsigned int nb_rxd,
                      unsigned int n_txq, unsigned int nb_txd,
                      unsigned int n_lcores, unsigned int cache_size)
{
    return (n_rxq * (nb_rxd + 2 * NETDEV_MAX_BURST) + n_txq * nb_txd
            + n_lcores * (cache_size + cache_size / 2));
}

/* Creates a pool named 'name' of 'n' mbufs with 'data_room' bytes of buffer
 * (headroom included), each a dp_packet if 'dp_packets', with per-lcore
 * caches of 'cache_size', on NUMA node 'socket_id'.  Returns NULL, with
 * rte_errno set, on failure. */
struct rte_mempool *
vf_zc_mempool_create(const char *name, unsigned int n,
                     unsigned int cache_size, uint32_t data_room,
                     int socket_id, bool dp_packets)
{
    uint16_t priv_size = (dp_packets
                          ? ROUND_UP(sizeof(struct dp_packet)
                                     - sizeof(struct rte_mbuf),
                                     RTE_MBUF_PRIV_ALIGN)
                          : 0);
    struct rte_mempool *mp;

    mp = rte_pktmbuf_pool_create(name, n, cache_size, priv_size, data_room,
                                 socket_id);
    if (mp && dp_packets) {
        rte_mempool_obj_iter(mp, init_dp_packet, NULL);
    }
    return mp;
}

/* Frees every retired pool whose mbufs have all come back.  Returns how
 * many still wait. */
static size_t
sweep(void)
    OVS_REQUIRES(retired_mutex)
{
    struct retired_mempool *r;
    size_t n = 0;

    LIST_FOR_EACH_SAFE (r, node, &retired) {
        if (rte_mempool_full(r->mp)) {
            VLOG_DBG("freeing mempool %s", r->mp->name);
            ovs_list_remove(&r->node);
            rte_mempool_free(r->mp);
            free(r);
        } else {
            n++;
        }
    }
    return n;
}

/* Gives up 'mp', which no VF queue uses any more: it is freed once all its
 * mbufs are back, now or at a later vf_zc_mempool_sweep().  Does nothing
 * if 'mp' is NULL. */
void
vf_zc_mempool_retire(struct rte_mempool *mp)
{
    if (mp) {
        struct retired_mempool *r = xmalloc(sizeof *r);

        r->mp = mp;
        ovs_mutex_lock(&retired_mutex);
        ovs_list_push_back(&retired, &r->node);
        sweep();
        ovs_mutex_unlock(&retired_mutex);
    }
}

/* Frees every retired pool whose mbufs have all come back.  Returns how
 * many still wait for theirs. */
size_t
vf_zc_mempool_sweep(void)
{
    size_t n;

    ovs_mutex_lock(&retired_mutex);
    n = sweep();
    ovs_mutex_unlock(&retired_mutex);
    return n;
}
