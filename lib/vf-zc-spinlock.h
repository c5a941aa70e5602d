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

#ifndef VF_ZC_SPINLOCK_H
#define VF_ZC_SPINLOCK_H 1

/* DPDK's spinlock, as a lock that clang's thread safety analysis knows, so
 * that OVS_REQUIRES, OVS_GUARDED_BY and the like are checked on it (Open
 * vSwitch 3.1 has no spinlock of its own).  Any thread, EAL or not. */

#include <stdbool.h>

#include <rte_spinlock.h>

#include "openvswitch/compiler.h"

struct OVS_LOCKABLE vf_zc_spinlock {
    rte_spinlock_t sl;
};

static inline void
vf_zc_spinlock_init(struct vf_zc_spinlock *lock)
{
    rte_spinlock_init(&lock->sl);
}

static inline void
vf_zc_spin_lock(struct vf_zc_spinlock *lock)
    OVS_ACQUIRES(lock)
    OVS_NO_THREAD_SAFETY_ANALYSIS
{
    rte_spinlock_lock(&lock->sl);
}

static inline bool
vf_zc_spin_trylock(struct vf_zc_spinlock *lock)
    OVS_TRY_LOCK(true, lock)
    OVS_NO_THREAD_SAFETY_ANALYSIS
{
    return rte_spinlock_trylock(&lock->sl);
}

static inline void
vf_zc_spin_unlock(struct vf_zc_spinlock *lock)
    OVS_RELEASES(lock)
    OVS_NO_THREAD_SAFETY_ANALYSIS
{
    rte_spinlock_unlock(&lock->sl);
}

#endif /* vf-zc-spinlock.h */
