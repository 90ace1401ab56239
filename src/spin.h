/* SPDX-License-Identifier: MIT */
/* spin.h: polite spinning before a sleep, which backs off when other processes need the CPU. */
#ifndef COORD_SPIN_H
#define COORD_SPIN_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "internal.h"

/*
 * A process that waits for a peer polls for a while before it sleeps,
 * because on an idle VM waking a sleeping process costs tens of
 * microseconds (docs/results.md, "Manager wait policy").
 *
 * Yielding is what makes spinning dangerous. Under the Linux scheduler
 * (EEVDF) every sched_yield pushes the caller's deadline a whole time
 * slice later, so a spinner that yields between polls soon ranks behind
 * every CPU-bound process: measured here with two busy loops on the
 * machine, a pipe ping-pong that yielded between polls took 3.5 ms per
 * round trip, against 2-4 µs polling without yields and 96 µs sleeping at
 * once. Not yielding at all starves a peer that shares our CPU for the
 * whole spin. So a spin polls alone for COORD__SPIN_SOLO_NS, then yields
 * once (a peer on this CPU runs), then polls to the end of its window.
 *
 * Nor does a spin pay when every CPU is taken: no CPU is idle, so a
 * wake-up is cheap, and the spinner only takes turns with the busy
 * processes. So a spin starts only while the number of runnable tasks
 * (coord__cpus_taken, sampled at most every COORD__SPIN_SAMPLE_NS) does
 * not exceed the machine's CPUs. When it cannot be read (no /proc), the
 * spin goes ahead and only the slow-step backoff below protects it.
 *
 * Every step checks how long it has been since the previous one. A gap of
 * COORD__SLOW_STEP_NS or more means the CPU went to someone else (the
 * yield handed out a slice, or a tick preempted us): the spin ends, and
 * the next `level` waits sleep at once, where `level` goes 64, 256, 1024
 * (COORD__SPIN_BACKOFF_MAX) with each slow step and halves for every
 * COORD__SPIN_CALM_NS without one. Under steady contention that costs
 * about one lost slice per 1024 waits; on an idle machine an occasional
 * slow step (another tenant's burst) costs 64 waits without spinning.
 *
 * Use: if (coord__spin_allowed(&s)) for (;;) { if (ready) break;
 * if (past the window || !coord__spin_step(&s)) break; } then sleep.
 * One coord__spinner per waiting party (a client, a server loop),
 * zero-initialised; not shared between processes or threads.
 */
#define COORD__SPIN_SOLO_NS 10000u
#define COORD__SLOW_STEP_NS 200000u
#define COORD__SPIN_SAMPLE_NS 1000000u
#define COORD__SPIN_BACKOFF_FIRST 64u
#define COORD__SPIN_BACKOFF_MAX 1024u
#define COORD__SPIN_CALM_NS 250000000u

/* A spin_ns setting (coord_manager_opts, coord_mclient_set_spin): 0 the
 * default, negative none, at most one second. */
#define COORD__SPIN_DEFAULT_NS 50000u
#define COORD__SPIN_MAX_NS 1000000000

/* The spin, in ns (0: sleep at once), that setting `v` asks for. Returns 0
 * and *ns, or COORD_EINVAL (above the maximum). */
static inline int coord__spin_setting(int64_t v, uint64_t *ns)
{
    if (v > COORD__SPIN_MAX_NS)
        return COORD_EINVAL;
    *ns = v == 0 ? COORD__SPIN_DEFAULT_NS : v < 0 ? 0 : (uint64_t)v;
    return 0;
}

struct coord__spinner {
    uint32_t skip;    /* waits left that sleep at once */
    uint32_t level;   /* the next skip's length; 0: no slow step lately */
    bool yielded;     /* this spin has yielded its one time */
    uint64_t start;   /* clock at the spin's start */
    uint64_t last;    /* clock at the previous step (or the start) */
    uint64_t slow_at; /* clock at the last slow step (or the last halving) */
    uint64_t sample_at; /* when to look at the CPUs again */
    bool taken;       /* every CPU was taken at the last look */
};

/* May this wait spin? Counts the wait against a backoff; when allowed, the
 * spin starts now. */
static inline bool coord__spin_allowed(struct coord__spinner *s)
{
    if (s->skip) {
        s->skip--;
        return false;
    }
    uint64_t now = coord_clock_ns();
    if (now >= s->sample_at) {
        s->taken = coord__cpus_taken() == 1;
        s->sample_at = now + COORD__SPIN_SAMPLE_NS;
    }
    if (s->taken)
        return false;
    if (s->level && now - s->slow_at >= COORD__SPIN_CALM_NS) {
        uint64_t k = (now - s->slow_at) / COORD__SPIN_CALM_NS;
        s->level = k >= 32 ? 0 : s->level >> k;
        s->slow_at = now;
    }
    s->start = s->last = now;
    s->yielded = false;
    return true;
}

/* One step of a spin, between two polls (it yields once per spin). Returns
 * false when the spin must end because this process lost its CPU for a
 * while since the previous step (then sleep; the next waits will too). */
static inline bool coord__spin_step(struct coord__spinner *s)
{
    uint64_t now = coord_clock_ns();
    if (now - s->last >= COORD__SLOW_STEP_NS) {
        /* 64, 256, 1024; a level halved by calm starts again at 64. */
        s->level = s->level < COORD__SPIN_BACKOFF_FIRST / 4
                       ? COORD__SPIN_BACKOFF_FIRST
                   : s->level >= COORD__SPIN_BACKOFF_MAX / 4
                       ? COORD__SPIN_BACKOFF_MAX
                       : s->level * 4;
        s->skip = s->level;
        s->slow_at = now;
        return false;
    }
    s->last = now; /* the gap the next step measures includes a yield */
    if (!s->yielded && now - s->start >= COORD__SPIN_SOLO_NS) {
        s->yielded = true;
        sched_yield();
    }
    return true;
}

#endif
