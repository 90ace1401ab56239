/* SPDX-License-Identifier: MIT */
/* wait.c: the wait policy's shared parts: the process-wide load sample, the spinset count and a member's slot claim. */
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

int coord__spin_cpus(void)
{
    int cpus;
    if (atomic_load_explicit(&sample_at, memory_order_relaxed) == 0)
        coord__load_sample(coord_clock_ns(), &cpus); /* the first look */
    return atomic_load_explicit(&sample_cpus, memory_order_relaxed);
}

uint32_t coord__spinset_claim(struct coord__spinset *set, int cpus,
                              uint64_t now, uint64_t until)
{
    uint32_t n = cpus < 1 ? 1
                 : (uint32_t)cpus > COORD__SPINSET_SLOTS ? COORD__SPINSET_SLOTS
                                                       : (uint32_t)cpus;
    for (uint32_t i = 1; i < n; i++) {
        _Atomic uint64_t *u = &set->slot[i].until;
        uint64_t old = atomic_load_explicit(u, memory_order_relaxed);
        /* Taken while its window is open; a lost race means taken too. */
        if (old <= now &&
            atomic_compare_exchange_strong_explicit(u, &old, until,
                                                    memory_order_relaxed,
                                                    memory_order_relaxed))
            return i + 1;
    }
    return 0;
}
