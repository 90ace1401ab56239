/* SPDX-License-Identifier: MIT */
/* wait.c: the wait policy's shared parts: the process-wide load sample and the spinset count. */
#include "wait.h"

/* The last sample, shared by every waiting party of this process: one read
 * of /proc/loadavg per COORD__SPIN_SAMPLE_NS at most, whoever asks. Racy
 * by design between threads: a stale or doubled sample is harmless. */
static _Atomic uint64_t sample_at;
static _Atomic int sample_run = -1, sample_cpus = 1;

int coord__load_sample(uint64_t now, int *cpus)
{
    if (now >= atomic_load_explicit(&sample_at, memory_order_relaxed)) {
        int c = 1;
        int run = coord__cpus_runnable(&c);
        atomic_store_explicit(&sample_run, run, memory_order_relaxed);
        atomic_store_explicit(&sample_cpus, c, memory_order_relaxed);
        atomic_store_explicit(&sample_at, now + COORD__SPIN_SAMPLE_NS,
                              memory_order_relaxed);
        *cpus = c;
        return run;
    }
    *cpus = atomic_load_explicit(&sample_cpus, memory_order_relaxed);
    return atomic_load_explicit(&sample_run, memory_order_relaxed);
}

uint32_t coord__spinset_count(struct coord__spinset *set, uint64_t now)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < COORD__SPINSET_SLOTS; i++)
        n += atomic_load_explicit(&set->slot[i].until, memory_order_relaxed) >
             now;
    return n;
}
