/* SPDX-License-Identifier: MIT */
/* wait.c: the wait policy's shared parts: the process-wide load sample, the spinset count, a member's slot claim, its move off the lead's CPU, and turns. */
#include <time.h>

#include "wait.h"

/* The last samples, shared by every waiting party of this process: one
 * read of /proc/loadavg per COORD__SPIN_SAMPLE_NS at most, and one look at
 * the CPUs we may use per COORD__CPUS_SAMPLE_NS, whoever asks. (Both at
 * once cost ~10 µs here: with 16 processes on one CPU, each sampling every
 * millisecond took 15 % of it. The look at the CPUs now reads the cgroup's
 * quota too, for the member slots: 25-45 µs with a few small files, once a
 * second, where the affinity allows more than two CPUs.) Racy by design between threads: a
 * stale or doubled sample is harmless. A forked child starts from its
 * parent's sample, so a child moved to another cgroup sees its quota
 * within COORD__CPUS_SAMPLE_NS. */
static _Atomic uint64_t sample_at, cpus_at;
static _Atomic int sample_run = -1, sample_cpus = 1, sample_slots = 1;

/* The CPUs, and with them the member slots' count under a CPU quota. */
static int look_cpus(void)
{
    int n = coord__cpus_usable();
    atomic_store_explicit(&sample_slots, coord__cpus_slots(n),
                          memory_order_relaxed);
    return n;
}

/* look(), looked up again once `now` reaches *at (then *at moves `every`
 * ahead), else the value of the last look. */
static int sampled(uint64_t now, _Atomic uint64_t *at, _Atomic int *val,
                   uint64_t every, int (*look)(void))
{
    if (now >= atomic_load_explicit(at, memory_order_relaxed)) {
        int v = look();
        atomic_store_explicit(val, v, memory_order_relaxed);
        atomic_store_explicit(at, now + every, memory_order_relaxed);
        return v;
    }
    return atomic_load_explicit(val, memory_order_relaxed);
}

int coord__cpus_now(uint64_t now)
{
    return sampled(now, &cpus_at, &sample_cpus, COORD__CPUS_SAMPLE_NS,
                   look_cpus);
}

int coord__load_sample(uint64_t now, int *cpus)
{
    *cpus = coord__cpus_now(now);
    return sampled(now, &sample_at, &sample_run, COORD__SPIN_SAMPLE_NS,
                   coord__cpus_load);
}

/* One past the last member slot for `cpus` CPUs (slot 0 is the lead's;
 * members use 1 .. cpus - 1, at most the set's slots). */
static uint32_t member_end(int cpus)
{
    return cpus < 1 ? 1
           : (uint32_t)cpus > COORD__SPINSET_SLOTS ? COORD__SPINSET_SLOTS
                                                 : (uint32_t)cpus;
}

uint32_t coord__spinset_count(struct coord__spinset *set, uint64_t now)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < COORD__SPINSET_SLOTS; i++)
        n += atomic_load_explicit(&set->slot[i].until, memory_order_relaxed) >
             now;
    return n;
}

bool coord__spinset_members(struct coord__spinset *set, uint64_t now)
{
    for (uint32_t i = 1; i < COORD__SPINSET_SLOTS; i++)
        if (atomic_load_explicit(&set->slot[i].until, memory_order_relaxed) >
            now)
            return true;
    return false;
}

int coord__spin_cpus(void)
{
    if (atomic_load_explicit(&cpus_at, memory_order_relaxed) == 0)
        return coord__cpus_now(coord_clock_ns()); /* the first look */
    return atomic_load_explicit(&sample_cpus, memory_order_relaxed);
}

int coord__spin_slot_cpus(void)
{
    if (atomic_load_explicit(&cpus_at, memory_order_relaxed) == 0)
        coord__cpus_now(coord_clock_ns()); /* the first look */
    return atomic_load_explicit(&sample_slots, memory_order_relaxed);
}

uint32_t coord__spinset_claim(struct coord__spinset *set, int cpus,
                              uint64_t now, uint64_t until)
{
    uint32_t n = member_end(cpus);
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

/* ---- members' turns (wait.h, 5.) ------------------------------------ */

/* Is `w`, an entry of wanted[], a wait still running at `now`? No waiter
 * announces an end more than COORD__TURN_WAIT_NS ahead (coord__spin_member
 * caps it so), so one beyond COORD__TURN_WANTED_MAX_NS is a scribble of
 * another process of the user (the spinset is shared memory every client
 * maps): UINT64_MAX there held the manager's server waking every
 * millisecond, for ever, and kept its entry from every waiter. Such an
 * entry counts as ended. */
static bool wanted_live(uint64_t w, uint64_t now)
{
    return w > now && w - now <= COORD__TURN_WANTED_MAX_NS;
}

bool coord__turn_wanted(struct coord__spinset *set, uint64_t now)
{
    for (uint32_t i = 0; i < COORD__SPINSET_SLOTS; i++)
        if (wanted_live(atomic_load_explicit(&set->wanted[i],
                                             memory_order_seq_cst),
                        now))
            return true;
    return false;
}

void coord__turn_hand(struct coord__spinset *set, uint32_t i,
                      uint64_t expected, uint64_t now)
{
    if (!atomic_compare_exchange_strong_explicit(
            &set->slot[i].until, &expected, now + COORD__TURN_RING_NS,
            memory_order_seq_cst, memory_order_relaxed))
        return; /* another member's now */
    uint64_t at = now ? now : 1;
    atomic_store_explicit(&set->handed, i + 1, memory_order_relaxed);
    atomic_store_explicit(&set->rung_at, at, memory_order_seq_cst);
    atomic_fetch_add_explicit(&set->bell, 1, memory_order_seq_cst);
    if (coord__futex_wake(&set->bell, 1) > 0)
        return;
    /* Nobody asleep: undo, unless a waiter on its way took it already. */
    if (atomic_compare_exchange_strong_explicit(&set->rung_at, &at, 0,
                                                memory_order_seq_cst,
                                                memory_order_relaxed)) {
        uint64_t mine = now + COORD__TURN_RING_NS;
        atomic_compare_exchange_strong_explicit(&set->slot[i].until, &mine, 0,
                                                memory_order_seq_cst,
                                                memory_order_relaxed);
    }
}

uint32_t coord__turn_take(struct coord__spinset *set, uint64_t now,
                          uint64_t until)
{
    uint64_t at = atomic_load_explicit(&set->rung_at, memory_order_seq_cst);
    uint32_t i = atomic_load_explicit(&set->handed, memory_order_relaxed);
    /* Lapsed (its window may be another's now), taken, or not a member
     * slot (the contents are untrusted). */
    if (!at || now < at || now - at >= COORD__TURN_RING_NS || i < 2 ||
        i > COORD__SPINSET_SLOTS)
        return 0;
    if (!atomic_compare_exchange_strong_explicit(&set->rung_at, &at, 0,
                                                 memory_order_seq_cst,
                                                 memory_order_relaxed))
        return 0;
    atomic_store_explicit(&set->slot[i - 1].until, until, memory_order_relaxed);
    return i;
}

/* A member slot whose window has ended: its index + 1, or 0. */
static uint32_t free_slot(struct coord__spinset *set, uint64_t now)
{
    uint32_t n = member_end(coord__spin_slot_cpus());
    for (uint32_t i = 1; i < n; i++)
        if (atomic_load_explicit(&set->slot[i].until, memory_order_seq_cst) <=
            now)
            return i + 1;
    return 0;
}

void coord__turn_tend(struct coord__spinset *set, uint64_t now, uint64_t *at)
{
    int cpu = sched_getcpu();
    uint32_t here = cpu < 0 ? 0 : (uint32_t)cpu + 1;
    if (atomic_load_explicit(&set->lead_cpu, memory_order_relaxed) != here)
        atomic_store_explicit(&set->lead_cpu, here, memory_order_relaxed);
    if (now - *at < COORD__TURN_TEND_NS)
        return;
    *at = now;
    if (!coord__turn_wanted(set, now))
        return;
    uint32_t i = free_slot(set, now);
    if (!i)
        return;
    uint64_t old = atomic_load_explicit(&set->slot[i - 1].until,
                                        memory_order_relaxed);
    if (old <= now)
        coord__turn_hand(set, i - 1, old, now);
}

bool coord__turn_wait(struct coord__spinner *s, uint64_t until)
{
    struct coord__spinset *set = s->set;
    uint64_t now = coord_clock_ns();
    if (now >= until)
        return true;
    uint32_t bell = atomic_load_explicit(&set->bell, memory_order_seq_cst);
    /* Announce ourselves: an entry whose wait has ended, from our pid's. */
    uint32_t first = coord__self_pid() % COORD__SPINSET_SLOTS, mine = 0;
    for (uint32_t k = 0; k < COORD__SPINSET_SLOTS && !mine; k++) {
        uint32_t i = (first + k) % COORD__SPINSET_SLOTS;
        uint64_t old = atomic_load_explicit(&set->wanted[i],
                                            memory_order_relaxed);
        if (!wanted_live(old, now) && atomic_compare_exchange_strong_explicit(
                              &set->wanted[i], &old, until,
                              memory_order_seq_cst, memory_order_relaxed))
            mine = i + 1;
    }
    /* (Every entry taken: we wait unannounced; the others are seen.) */
    atomic_thread_fence(memory_order_seq_cst);
    bool ended = false;
    while (!free_slot(set, coord_clock_ns())) {
        if (coord__futex_wait(&set->bell, bell, until) == COORD_ETIMEDOUT) {
            ended = true;
            break;
        }
        if (atomic_load_explicit(&set->bell, memory_order_seq_cst) != bell) {
            s->rung = true;
            break;
        }
    }
    if (mine) {
        uint64_t v = until;
        atomic_compare_exchange_strong_explicit(&set->wanted[mine - 1], &v, 0,
                                                memory_order_relaxed,
                                                memory_order_relaxed);
    }
    return !ended;
}

/* Move the calling thread off CPU `cpu`: narrow its affinity to the CPUs
 * it may use but that one (the kernel migrates it at once), then give it
 * back its own mask (which leaves it where it now is). False when it
 * cannot: no other CPU is allowed, or the mask cannot be read or set
 * (more CPUs than a cpu_set_t holds). Between the two calls (a few µs) a
 * mask another thread or process sets for us would be undone by the
 * second (wait.h, 1., says so). */
static bool move_off(int cpu)
{
    cpu_set_t was, away;
    if (cpu < 0 || cpu >= CPU_SETSIZE ||
        sched_getaffinity(0, sizeof was, &was) != 0 || !CPU_ISSET(cpu, &was))
        return false;
    away = was;
    CPU_CLR(cpu, &away);
    if (CPU_COUNT(&away) == 0 || sched_setaffinity(0, sizeof away, &away) != 0)
        return false;
    (void)sched_setaffinity(0, sizeof was, &was);
    return true;
}

bool coord__spin_nap(struct coord__spinner *s, uint64_t now)
{
    uint32_t lead = atomic_load_explicit(&s->set->lead_cpu,
                                         memory_order_relaxed);
    int cpu = sched_getcpu();
    if (lead == 0 || cpu < 0 || (uint32_t)cpu + 1 != lead)
        return false;
    bool room = s->nogate;
    if (!room) {
        int cpus;
        int run = coord__load_sample(now, &cpus);
        room = coord__spin_room(run, cpus, coord__spinset_count(s->set, now));
    }
    if (!room || !move_off(cpu)) {
        struct timespec d = {0, COORD__NAP_NS};
        nanosleep(&d, NULL);
    }
    s->nap_at = now;
    /* Our own move, not a CPU lost: the next step measures from here. */
    s->last = coord_clock_ns();
    return true;
}
