/* SPDX-License-Identifier: MIT */
/* test-wait.c: the one wait policy (src/wait.h): the load gate and its spinset, backoff, calm decay, the member's move off its lead's CPU, turns, the futex sleep across processes. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"
#include "manager_spin.h"
#include "wait.h"

/* A spinner whose CPU sampling is switched off (as if no CPU were taken),
 * so that the backoff can be tested on a machine of any load. */
static struct coord__spinner unsampled(void)
{
    struct coord__spinner s = {0};
    s.nogate = true;
    return s;
}

static int online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    ASSERT_TRUE(n > 0);
    return (int)n;
}

/* Busy until *stop (or 30 s: never outlives a broken test). */
static int busy_child(void *arg)
{
    _Atomic int *stop = arg;
    uint64_t end = coord_clock_ns() + 30000000000ull;
    while (!atomic_load_explicit(stop, memory_order_relaxed) &&
           coord_clock_ns() < end) {
    }
    return 0;
}

/* The CPUs the policy's gate should count: the affinity within the online
 * CPUs (a CPU quota caps the member slots only: test-cpuquota.c checks
 * how it is read and counted, wait_counts_the_cpu_quota_of_its_cgroup
 * that it is used). */
static int expected_cpus(void)
{
    cpu_set_t mask;
    ASSERT_EQ(sched_getaffinity(0, sizeof mask, &mask), 0);
    return CPU_COUNT(&mask) < online_cpus() ? CPU_COUNT(&mask) : online_cpus();
}

static bool cpus_taken(void)
{
    return coord__cpus_load() > coord__cpus_usable();
}

/* One busy process per online CPU, and us: more runnable tasks than CPUs,
 * so every CPU is taken (waits until the load shows it). */
struct busy {
    _Atomic int *stop;
    int n;
    pid_t pids[64];
};

static void busy_start(struct busy *b)
{
    b->stop = mmap(NULL, sizeof *b->stop, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(b->stop != MAP_FAILED);
    atomic_store(b->stop, 0);
    b->n = online_cpus();
    ASSERT_LE(b->n, 64);
    for (int i = 0; i < b->n; i++)
        b->pids[i] = test_fork(busy_child, b->stop);
    WAIT_FOR(cpus_taken(), 20000);
}

static void busy_stop(struct busy *b)
{
    atomic_store(b->stop, 1);
    for (int i = 0; i < b->n; i++)
        test_join_ok(b->pids[i], 30000);
    munmap(b->stop, sizeof *b->stop);
}

TEST(spin_cpus_taken_reads_the_load)
{
    int cpus = coord__cpus_usable();
    int r = coord__cpus_load();
    if (r < 0)
        SKIP("no /proc/loadavg");
    ASSERT_GE(r, 1); /* we are running */
    /* The CPUs we may run on (wait_counts_the_cpus_this_process_may_use). */
    ASSERT_EQ(cpus, expected_cpus());
    /* One busy process per online CPU, and us: more runnable tasks than
     * CPUs, so every CPU is taken, and no spin may start. */
    struct busy b;
    busy_start(&b);
    /* Every sample, 1.5 ms apart (so each one looks again), sees it. */
    struct coord__spinner s = {0};
    for (int i = 0; i < 10; i++) {
        ASSERT_FALSE(coord__spin_begin(&s, COORD__SPIN_DEFAULT_NS));
        ASSERT_TRUE(s.taken);
        usleep(1500);
    }
    busy_stop(&b);
}

TEST(spin_slow_step_backs_off)
{
    struct coord__spinner s = unsampled();
    ASSERT_TRUE(coord__spin_begin(&s, COORD__SPIN_DEFAULT_NS));
    ASSERT_TRUE(coord__spin_step(&s)); /* a fast step */
    usleep(1000);                      /* we "lose the CPU" for 1 ms */
    ASSERT_FALSE(coord__spin_step(&s));
    ASSERT_EQ(s.level, COORD__SPIN_BACKOFF_FIRST);
    for (unsigned i = 0; i < COORD__SPIN_BACKOFF_FIRST; i++)
        ASSERT_FALSE(coord__spin_begin(&s, COORD__SPIN_DEFAULT_NS));
    ASSERT_TRUE(coord__spin_begin(&s, COORD__SPIN_DEFAULT_NS));
    /* Each further slow step multiplies the backoff by 4, up to the cap. */
    unsigned want[] = {4 * COORD__SPIN_BACKOFF_FIRST,
                       COORD__SPIN_BACKOFF_MAX, COORD__SPIN_BACKOFF_MAX};
    for (int k = 0; k < 3; k++) {
        s.last -= COORD__SLOW_STEP_NS; /* as if 200 µs had passed */
        ASSERT_FALSE(coord__spin_step(&s));
        ASSERT_EQ(s.level, want[k]);
        ASSERT_EQ(s.skip, want[k]);
        s.skip = 0;
        ASSERT_TRUE(coord__spin_begin(&s, COORD__SPIN_DEFAULT_NS));
    }
}

TEST(spin_calm_halves_the_backoff)
{
    struct coord__spinner s = unsampled();
    s.level = COORD__SPIN_BACKOFF_MAX;
    s.slow_at = coord_clock_ns() - 3ull * COORD__SPIN_CALM_NS - 1000;
    ASSERT_TRUE(coord__spin_begin(&s, COORD__SPIN_DEFAULT_NS));
    ASSERT_EQ(s.level, COORD__SPIN_BACKOFF_MAX >> 3);
    /* A slow step from a level that calm has halved: times 4 again. */
    s.last -= COORD__SLOW_STEP_NS;
    ASSERT_FALSE(coord__spin_step(&s));
    ASSERT_EQ(s.level, 4 * (COORD__SPIN_BACKOFF_MAX >> 3));
    s.skip = 0;
    /* Calm long enough to halve it below the first level: a slow step
     * then starts again at the first level, not below it. */
    s.slow_at = coord_clock_ns() - 9ull * COORD__SPIN_CALM_NS - 1000;
    ASSERT_TRUE(coord__spin_begin(&s, COORD__SPIN_DEFAULT_NS));
    ASSERT_EQ(s.level, 1);
    s.last -= COORD__SLOW_STEP_NS;
    ASSERT_FALSE(coord__spin_step(&s));
    ASSERT_EQ(s.level, COORD__SPIN_BACKOFF_FIRST);
    ASSERT_EQ(s.skip, COORD__SPIN_BACKOFF_FIRST);
    s.skip = 0;
    s.slow_at = coord_clock_ns() - 40ull * COORD__SPIN_CALM_NS;
    ASSERT_TRUE(coord__spin_begin(&s, COORD__SPIN_DEFAULT_NS));
    ASSERT_EQ(s.level, 0);
}

TEST(spin_yields_once_after_its_solo_time)
{
    /* A step that comes after the process lost its CPU ends the spin
     * instead (spin_slow_step_backs_off); on a loaded machine that can
     * happen between any two steps, so the sequence is tried until it runs
     * without one (a few tries at most in practice). */
    bool clean = false;
    for (int attempt = 0; attempt < 200 && !clean; attempt++) {
        struct coord__spinner s = unsampled();
        ASSERT_TRUE(coord__spin_begin(&s, COORD__SPIN_DEFAULT_NS));
        if (!coord__spin_step(&s))
            continue;
        /* It yields exactly when the step came after the solo time:
         * normally not yet, unless this test was preempted in between. */
        ASSERT_EQ(s.yielded, s.last - s.start >= COORD__SPIN_SOLO_NS);
        s.start -= COORD__SPIN_SOLO_NS;
        if (!coord__spin_step(&s))
            continue;
        ASSERT_TRUE(s.yielded);
        /* A new spin: solo again. */
        ASSERT_TRUE(coord__spin_begin(&s, COORD__SPIN_DEFAULT_NS));
        ASSERT_FALSE(s.yielded);
        clean = true;
    }
    ASSERT_TRUE(clean);
}

/* A spinset of its own in shared memory (munmap it, sizeof *set). */
static struct coord__spinset *new_set(void)
{
    struct coord__spinset *set = mmap(NULL, sizeof *set, PROT_READ |
                                      PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                                      -1, 0);
    ASSERT_TRUE(set != MAP_FAILED);
    return set;
}

TEST(wait_spinset_counts_open_windows_only)
{
    struct coord__spinset *set = new_set();
    uint64_t now = coord_clock_ns();
    ASSERT_EQ(coord__spinset_count(set, now), 0);
    /* A spin announces itself in its pid's slot and leaves it at the end. */
    struct coord__spinner s = unsampled();
    coord__spinner_join(&s, set);
    ASSERT_TRUE(coord__spin_begin(&s, COORD__SPIN_MAX_NS));
    ASSERT_EQ(coord__spinset_count(set, coord_clock_ns()), 1);
    ASSERT_EQ(s.slot, (uint32_t)getpid() % COORD__SPINSET_SLOTS + 1);
    coord__spin_end(&s);
    ASSERT_EQ(coord__spinset_count(set, coord_clock_ns()), 0);
    /* A spinner killed in its spin stops counting when its window ends. */
    atomic_store(&set->slot[3].until, now + 1000);
    atomic_store(&set->slot[7].until, now - 1);
    ASSERT_EQ(coord__spinset_count(set, now), 1);
    ASSERT_EQ(coord__spinset_count(set, now + 1000), 0);
    munmap(set, sizeof *set);
}

/* wanted[] is shared memory every client of a manager maps: an entry
 * further ahead than any waiter announces (COORD__TURN_WAIT_NS; beyond
 * COORD__TURN_WANTED_MAX_NS) is a scribble, and counts as ended. One at
 * UINT64_MAX held the manager's server waking every millisecond for ever,
 * and its entry from waiters. */
TEST(wait_turn_wanted_ignores_an_end_no_waiter_announces)
{
    struct coord__spinset *set = new_set();
    uint64_t now = coord_clock_ns();
    ASSERT_FALSE(coord__turn_wanted(set, now));
    atomic_store(&set->wanted[0], UINT64_MAX);
    atomic_store(&set->wanted[5], now + COORD__TURN_WANTED_MAX_NS + 1);
    ASSERT_FALSE(coord__turn_wanted(set, now));
    atomic_store(&set->wanted[9], now + COORD__TURN_WANTED_MAX_NS);
    ASSERT_TRUE(coord__turn_wanted(set, now));
    atomic_store(&set->wanted[9], 0);
    /* A waiter takes a scribbled entry as a free one: every entry forged,
     * it still announces itself (here in its pid's entry, the first it
     * tries), and is seen. */
    for (unsigned i = 0; i < COORD__SPINSET_SLOTS; i++)
        atomic_store(&set->wanted[i], UINT64_MAX);
    struct coord__spinner s = unsampled();
    coord__spinner_join(&s, set);
    uint32_t mine = (uint32_t)getpid() % COORD__SPINSET_SLOTS;
    uint64_t until = coord_clock_ns() + 2000000; /* a 2 ms wait */
    coord__turn_wait(&s, until);
    /* Announced (its end written in its entry), then withdrawn (0). */
    ASSERT_EQ_U(atomic_load(&set->wanted[mine]), 0);
    munmap(set, sizeof *set);
}

TEST(wait_gate_discounts_the_objects_spinners)
{
    if (coord__cpus_load() < 0)
        SKIP("no /proc/loadavg");
    struct coord__spinset *set = new_set();
    /* Busy processes that announce themselves as spinners on the object
     * (as waiting parties of one search do): they are not load for it. A
     * spinner of another object (no set) sees them as load. */
    struct busy b;
    busy_start(&b);
    /* Every slot open: the object's spinners are all the load there is
     * (on any machine with fewer than 64 other runnable tasks). */
    uint64_t far = coord_clock_ns() + 60000000000ull;
    for (unsigned i = 0; i < COORD__SPINSET_SLOTS; i++)
        atomic_store(&set->slot[i].until, far);
    struct coord__spinner mine = {0}, other = {0};
    coord__spinner_join(&mine, set);
    uint64_t t = coord_clock_ns() + 2ull * COORD__SPIN_SAMPLE_NS;
    bool taken_other = coord__spin_gate_taken(&other, t);
    bool taken_mine = coord__spin_gate_taken(&mine, t);
    busy_stop(&b);
    ASSERT_TRUE(taken_other);
    ASSERT_FALSE(taken_mine);
    munmap(set, sizeof *set);
}

/* The load gate's decision, as a pure function of the runnable tasks, the
 * CPUs and the processes spinning on the caller's object. */
TEST(wait_gate_decision_is_pure)
{
    /* 2 CPUs. Alone, or beside one other process: spin. */
    ASSERT_TRUE(coord__spin_gate_open(1, 2, 0));
    ASSERT_TRUE(coord__spin_gate_open(2, 2, 0));
    /* Two busy loops beside us: every CPU is taken, whatever we are. */
    ASSERT_FALSE(coord__spin_gate_open(3, 2, 0));
    /* Room to move a member off its lead's CPU: a CPU each for the two,
     * free of others (wait.h, 1.); an unknown load is none. */
    ASSERT_TRUE(coord__spin_room(2, 2, 2));  /* the lead and the member */
    ASSERT_TRUE(coord__spin_room(1, 2, 2));  /* a window still open */
    ASSERT_FALSE(coord__spin_room(3, 2, 2)); /* one busy process */
    ASSERT_FALSE(coord__spin_room(4, 2, 2)); /* two busy processes */
    ASSERT_TRUE(coord__spin_room(16, 16, 2));
    ASSERT_FALSE(coord__spin_room(17, 16, 2));
    ASSERT_FALSE(coord__spin_room(-1, 2, 0));
    /* ... unless they are the object's spinners (a server and a client,
     * which give their CPU back at once). */
    ASSERT_TRUE(coord__spin_gate_open(3, 2, 2));
    ASSERT_TRUE(coord__spin_gate_open(3, 2, 1));
    /* A server, 4 clients spinning and us: all discounted. */
    ASSERT_TRUE(coord__spin_gate_open(6, 2, 5));
    /* Two busy loops beside a spinning server and client: still taken. */
    ASSERT_FALSE(coord__spin_gate_open(5, 2, 2));
    /* Unknown load (no /proc): spin, the backoff protects it. */
    ASSERT_TRUE(coord__spin_gate_open(-1, 2, 0));
    /* Untrusted counts cannot wrap the comparison. */
    ASSERT_TRUE(coord__spin_gate_open(INT32_MAX, 1, UINT32_MAX));
    ASSERT_FALSE(coord__spin_gate_open(INT32_MAX, 1, 0));
    ASSERT_TRUE(coord__spin_gate_open(1, 1, 0));
    ASSERT_FALSE(coord__spin_gate_open(2, 1, 0));
}

static struct coord__spinset *anon_spinset(void)
{
    struct coord__spinset *set = new_set();
    return set;
}

/* Members claim slots 1 .. cpus-1, never the lead's slot 0, and none
 * while those are open. */
TEST(wait_member_slots_cap_at_cpus)
{
    struct coord__spinset *set = anon_spinset();
    uint64_t now = coord_clock_ns(), end = now + 1000;
    /* 4 CPUs: 3 member slots, then none. */
    ASSERT_EQ(coord__spinset_claim(set, 4, now, end), 2);
    ASSERT_EQ(coord__spinset_claim(set, 4, now, end), 3);
    ASSERT_EQ(coord__spinset_claim(set, 4, now, end), 4);
    ASSERT_EQ(coord__spinset_claim(set, 4, now, end), 0);
    ASSERT_EQ(atomic_load(&set->slot[0].until), 0);
    ASSERT_EQ(coord__spinset_count(set, now), 3);
    /* A window that has ended (its spinner was killed) is free again. */
    ASSERT_EQ(coord__spinset_claim(set, 4, end, end + 1000), 2);
    /* One CPU: the lead's only, no member spins. 0 or fewer: the same. */
    struct coord__spinset *one = anon_spinset();
    ASSERT_EQ(coord__spinset_claim(one, 1, now, end), 0);
    ASSERT_EQ(coord__spinset_claim(one, 0, now, end), 0);
    ASSERT_EQ(coord__spinset_claim(one, -5, now, end), 0);
    /* More CPUs than slots: every slot but the lead's, then none. */
    for (uint32_t i = 1; i < COORD__SPINSET_SLOTS; i++)
        ASSERT_EQ(coord__spinset_claim(one, 1000, now, end), i + 1);
    ASSERT_EQ(coord__spinset_claim(one, 1000, now, end), 0);
    /* A member ending a spin frees its slot, and only if it still holds
     * it: a window that ran out and was claimed again stays the other's. */
    struct coord__spinset *two = anon_spinset();
    struct coord__spinner a = unsampled(), b = unsampled();
    coord__spinner_join_as(&a, two, COORD__SPIN_MEMBER);
    coord__spinner_join_as(&b, two, COORD__SPIN_MEMBER);
    if (coord__spin_cpus() < 2)
        SKIP("one CPU: no member slot");
    ASSERT_TRUE(coord__spin_begin(&a, COORD__SPIN_MAX_NS));
    ASSERT_EQ(a.slot, 2);
    atomic_store(&two->slot[1].until, 1); /* as if a's window had ended */
    ASSERT_TRUE(coord__spin_begin(&b, COORD__SPIN_MAX_NS));
    ASSERT_EQ(b.slot, 2);
    coord__spin_end(&a);
    ASSERT_EQ(coord__spinset_count(two, coord_clock_ns()), 1);
    coord__spin_end(&b);
    ASSERT_EQ(coord__spinset_count(two, coord_clock_ns()), 0);
    munmap(set, sizeof *set);
    munmap(one, sizeof *one);
    munmap(two, sizeof *two);
}

struct spin_census {
    struct coord__spinset *set;
    _Atomic uint32_t inside, most, spins, stray, start;
};

struct census_arg {
    struct spin_census *c; /* shared */
    bool lead;             /* this child's own copy (fork) */
};

/* Spin again and again on c->set as a member (or the lead), counting how
 * many are inside a spin at once and whether a slot beyond the CPUs was
 * ever open. */
static int census_child(void *arg)
{
    struct census_arg *a = arg;
    struct spin_census *c = a->c;
    struct coord__spinner s = unsampled();
    coord__spinner_join_as(&s, c->set, a->lead ? COORD__SPIN_LEAD
                                                : COORD__SPIN_MEMBER);
    int cpus = coord__spin_cpus();
    atomic_fetch_add(&c->start, 1);
    for (int i = 0; i < 2000; i++) {
        if (!coord__spin_begin(&s, COORD__SPIN_MAX_NS)) {
            sched_yield();
            continue;
        }
        uint32_t in = atomic_fetch_add(&c->inside, 1) + 1;
        uint32_t m = atomic_load(&c->most);
        while (in > m && !atomic_compare_exchange_weak(&c->most, &m, in)) {
        }
        uint64_t now = coord_clock_ns();
        for (int k = cpus; k < (int)COORD__SPINSET_SLOTS; k++)
            if (atomic_load(&c->set->slot[k].until) > now)
                atomic_fetch_add(&c->stray, 1);
        /* Let the others run while we hold the slot: they must not get
         * one too. */
        sched_yield();
        atomic_fetch_sub(&c->inside, 1);
        atomic_fetch_add(&c->spins, 1);
        coord__spin_end(&s);
    }
    return 0;
}

/* Many parties spinning on one object at once (a manager's server and
 * 2 * cpus + 2 clients): never more than one per CPU inside a spin. Fills
 * *out (the caller asserts, once it has cleaned up). */
struct census_result {
    uint32_t n, started, most, stray, spins;
    int cpus;
};

static void census(struct coord__spinset *set, struct census_result *out)
{
    struct spin_census *c = mmap(NULL, sizeof *c, PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(c != MAP_FAILED);
    memset(c, 0, sizeof *c);
    c->set = set;
    int cpus = coord__spin_cpus();
    int n = 2 * cpus + 3;
    if (n > 40)
        n = 40;
    pid_t pids[40];
    struct census_arg args[40];
    for (int i = 0; i < n; i++) {
        args[i] = (struct census_arg){c, i == 0};
        pids[i] = test_fork(census_child, &args[i]);
    }
    for (int i = 0; i < n; i++)
        test_join_ok(pids[i], 60000);
    *out = (struct census_result){(uint32_t)n, atomic_load(&c->start),
                                  atomic_load(&c->most),
                                  atomic_load(&c->stray),
                                  atomic_load(&c->spins), cpus};
    munmap(c, sizeof *c);
}

static void census_check(const struct census_result *r)
{
    ASSERT_EQ(r->started, r->n);
    ASSERT_LE(r->most, r->cpus);
    ASSERT_EQ(r->stray, 0);
    /* The lead's spins never wait for a slot: 2000 of them at least; and
     * with 2 CPUs or more, the first member's claim finds its slot free. */
    ASSERT_GE(r->spins, r->cpus >= 2 ? 2001 : 2000);
}

TEST(wait_members_spin_at_most_one_per_cpu)
{
    struct coord__spinset *set = anon_spinset();
    struct census_result r;
    census(set, &r);
    munmap(set, sizeof *set);
    census_check(&r);
}

struct held_slot {
    struct coord__spinset *set;
    _Atomic int32_t holding; /* 1: the child is in its spin */
};

/* A member that starts a spin of a second and never ends it. */
static int slot_holder(void *arg)
{
    struct held_slot *h = arg;
    struct coord__spinner s = unsampled();
    coord__spinner_join_as(&s, h->set, COORD__SPIN_MEMBER);
    if (!coord__spin_begin(&s, COORD__SPIN_MAX_NS))
        return 3;
    atomic_store(&h->holding, 1);
    for (;;)
        pause(); /* SIGKILLed here */
}

/* A member SIGKILLed in its spin keeps its slot until its window ends,
 * then the slot is free again: nothing to clean up. */
TEST(wait_member_killed_in_a_spin_frees_its_slot)
{
    if (coord__spin_cpus() < 2)
        SKIP("one CPU: no member slot");
    struct held_slot *h = mmap(NULL, sizeof *h, PROT_READ | PROT_WRITE,
                               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(h != MAP_FAILED);
    h->set = anon_spinset();
    atomic_store(&h->holding, 0);
    pid_t pid = test_fork(slot_holder, h);
    WAIT_FOR(atomic_load(&h->holding) == 1, 20000);
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int st = test_wait(pid, 30000);
    ASSERT_TRUE(WIFSIGNALED(st));
    uint64_t until = atomic_load(&h->set->slot[1].until);
    ASSERT_TRUE(until != 0);
    /* Taken up to the end of its window (on 2 CPUs, the only member slot),
     * free from then on. */
    ASSERT_EQ(coord__spinset_claim(h->set, 2, until - 1, until + 1), 0);
    ASSERT_EQ(coord__spinset_count(h->set, until - 1), 1);
    ASSERT_EQ(coord__spinset_count(h->set, until), 0);
    WAIT_FOR(coord_clock_ns() >= until, 20000);
    struct coord__spinner s = unsampled();
    coord__spinner_join_as(&s, h->set, COORD__SPIN_MEMBER);
    ASSERT_TRUE(coord__spin_begin(&s, COORD__SPIN_DEFAULT_NS));
    ASSERT_EQ(s.slot, 2);
    coord__spin_end(&s);
    ASSERT_EQ(atomic_load(&h->set->slot[1].until), 0);
    munmap(h->set, sizeof *h->set);
    munmap(h, sizeof *h);
}

struct shared_word {
    _Atomic uint32_t word, sleepers;
};

static int sleeper_child(void *arg)
{
    struct shared_word *w = arg;
    struct coord__spinner s = {0};
    uint32_t v = 0;
    /* No spin: straight to the futex; 30 s bounds a broken test. */
    int rc = coord__wait_change(&s, 0, &w->word, 0, &w->sleepers,
                                coord_clock_ns() + 30000000000ull, &v);
    return rc == 0 && v == 7 ? 0 : 1;
}

TEST(wait_change_sleeps_until_woken_by_another_process)
{
    struct shared_word *w = mmap(NULL, sizeof *w, PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(w != MAP_FAILED);
    atomic_store(&w->word, 0);
    atomic_store(&w->sleepers, 0);
    pid_t pid = test_fork(sleeper_child, w);
    WAIT_FOR(atomic_load(&w->sleepers) == 1, 20000); /* it sleeps */
    atomic_store_explicit(&w->word, 7, memory_order_seq_cst);
    coord__wake(&w->word, &w->sleepers, INT32_MAX);
    test_join_ok(pid, 30000);
    ASSERT_EQ(atomic_load(&w->sleepers), 0);
    munmap(w, sizeof *w);
}

TEST(wait_change_ends_at_its_deadline)
{
    _Atomic uint32_t word = 5, sleepers = 0;
    struct coord__spinner s = unsampled();
    uint32_t v = 0;
    uint64_t t0 = coord_clock_ns();
    ASSERT_CODE(coord__wait_change(&s, COORD__SPIN_DEFAULT_NS, &word, 5,
                                   &sleepers, t0 + 20000000ull, &v),
                COORD_ETIMEDOUT);
    ASSERT_EQ(v, 5);
    ASSERT_GE(coord_clock_ns(), t0 + 20000000ull);
    ASSERT_EQ(atomic_load(&sleepers), 0);
    /* A word that has already changed returns at once, with its value. */
    ASSERT_OK(coord__wait_change(&s, COORD__SPIN_DEFAULT_NS, &word, 4,
                                 &sleepers, t0, &v));
    ASSERT_EQ(v, 5);
}

/* The manager's server and its clients share one spinset, named after
 * the socket's inode; it exists while the server serves and is gone (no
 * file left in /dev/shm) once the manager has stopped. */
/* Map the spinset of the manager at `path` (its file `shm`), waiting up
 * to 20 s for the server to make it; a failure says what was there (seen
 * once under check-loop's load: no spinset after 20 s). */
static struct coord__spinset *open_spinset(const char *path, const char *shm,
                                           coord_manager *m)
{
    struct coord__spinset *set;
    uint64_t dl = coord_clock_ns() + 20000000000ull;
    while ((set = coord__mspin_open(path)) == NULL) {
        if (coord_clock_ns() > dl) {
            struct stat st;
            int have = stat(shm, &st) == 0;
            test__fail(__FILE__, __LINE__,
                       "no spinset for %s after 20 s: %s %s (size %lld, "
                       "mode %o, uid %d), server %d %s",
                       path, shm, have ? "exists" : "is absent",
                       have ? (long long)st.st_size : -1LL,
                       have ? (unsigned)st.st_mode : 0u,
                       have ? (int)st.st_uid : -1, (int)coord_manager_pid(m),
                       kill(coord_manager_pid(m), 0) == 0 ? "alive" : "gone");
        }
        usleep(100);
    }
    return set;
}

TEST(wait_manager_shares_its_spinset)
{
    coord_manager *m;
    ASSERT_OK(coord_manager_start(&m, NULL, NULL));
    const char *path = coord_manager_path(m);
    struct stat st;
    ASSERT_EQ(lstat(path, &st), 0);
    char shm[128];
    snprintf(shm, sizeof shm, "/dev/shm/coord.mspin-%llx-%llx",
             (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
    struct coord__spinset *set = open_spinset(path, shm, m);
    coord_mclient *c;
    ASSERT_OK(coord_mclient_connect(&c, path, 10000));
    coord_mval v;
    ASSERT_CODE(coord_mclient_get(c, "d", "k", &v, 10000), COORD_ENOTFOUND);
    /* A spin announced by one party is seen by the others. */
    struct coord__spinner s = unsampled();
    coord__spinner_join(&s, set);
    uint32_t before = coord__spinset_count(set, coord_clock_ns());
    ASSERT_TRUE(coord__spin_begin(&s, COORD__SPIN_MAX_NS));
    ASSERT_GE(coord__spinset_count(set, coord_clock_ns()), 1);
    coord__spin_end(&s);
    ASSERT_LE(coord__spinset_count(set, coord_clock_ns()), before + 1);
    coord_mclient_close(c);
    coord__mspin_close(set, false);
    ASSERT_EQ(access(shm, F_OK), 0);
    ASSERT_OK(coord_manager_stop(m, 10000));
    ASSERT_NE(access(shm, F_OK), 0);
    /* No manager at a path: no spinset, nothing made. */
    ASSERT_TRUE(coord__mspin_open("/nonexistent/coord.sock") == NULL);
}

/* A client getting d/k `n` times back to back: each get must find 42, or
 * (found false) nothing. */
struct getter {
    const char *path;
    int n;
    bool found;
};

static int getter_child(void *arg)
{
    const struct getter *g = arg;
    coord_mclient *c;
    if (coord_mclient_connect(&c, g->path, 20000))
        return 2;
    coord_mval v;
    for (int i = 0; i < g->n; i++) {
        int r = coord_mclient_get(c, "d", "k", &v, 20000);
        if (g->found ? r != 0 || v.i != 42 : r != COORD_ENOTFOUND)
            return 3;
    }
    coord_mclient_close(c);
    return 0;
}

/* A manager's clients spin only in the member slots: with 2 * cpus + 2 of
 * them getting at once, the spinset never shows more spinners than CPUs,
 * nor a slot beyond them open (the clients' pid slots, before the cap).
 * Then the same census as above, on the manager's own spinset. */
TEST(wait_manager_spins_at_most_one_per_cpu)
{
    coord_manager *m;
    ASSERT_OK(coord_manager_start(&m, NULL, NULL));
    const char *path = coord_manager_path(m);
    struct coord__spinset *set = NULL;
    WAIT_FOR((set = coord__mspin_open(path)) != NULL, 20000);
    int cpus = coord__spin_cpus();
    int n = 2 * cpus + 2;
    if (n > 34)
        n = 34;
    struct getter g = {path, 3000, false};
    pid_t pids[34];
    for (int i = 0; i < n; i++)
        pids[i] = test_fork(getter_child, &g);
    /* Look until every client is done (each is bounded by its deadlines). */
    uint32_t most = 0, stray = 0;
    int failed = 0;
    for (int done = 0; done < n;) {
        uint64_t now = coord_clock_ns();
        uint32_t k = coord__spinset_count(set, now);
        most = k > most ? k : most;
        for (uint32_t i = (uint32_t)cpus; i < COORD__SPINSET_SLOTS; i++)
            stray += atomic_load(&set->slot[i].until) > now;
        done = 0;
        for (int i = 0; i < n; i++) {
            int st;
            if (pids[i] && waitpid(pids[i], &st, WNOHANG) == pids[i]) {
                failed += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
                pids[i] = 0;
            }
            done += pids[i] == 0;
        }
    }
    struct census_result r;
    census(set, &r);
    coord__mspin_close(set, false);
    /* Stopped before asserting: a failure leaves no server behind. */
    ASSERT_OK(coord_manager_stop(m, 10000));
    ASSERT_EQ(failed, 0);
    ASSERT_LE(most, cpus);
    ASSERT_EQ(stray, 0);
    census_check(&r);
}

/* The lead (a manager's server) spins past the load gate while members
 * wait for a turn (wait.h, 5.): the member on its turn waits for it, and
 * the gate's count was our own members in transit (16 clients on 2 CPUs:
 * the server slept 5,700 times a second, and every get after one rang). */
TEST(wait_lead_spins_past_the_gate_while_members_wait)
{
    if (coord__spin_cpus() < 2)
        SKIP("one CPU: a lead spins only for members spinning elsewhere");
    struct coord__spinset *set = anon_spinset();
    uint64_t far = coord_clock_ns() + 60000000000ull;
    struct coord__spinner lead = {0}, any = {0}, alone = {0};
    coord__spinner_join_as(&lead, set, COORD__SPIN_LEAD);
    coord__spinner_join(&any, set);
    coord__spinner_join_as(&alone, NULL, COORD__SPIN_LEAD);
    /* The gate found every CPU taken and will not look again for a minute. */
    struct coord__spinner *all[] = {&lead, &any, &alone};
    for (int i = 0; i < 3; i++) {
        all[i]->taken = true;
        all[i]->sample_at = far;
    }
    ASSERT_FALSE(coord__spin_begin(&lead, COORD__SPIN_DEFAULT_NS));
    ASSERT_TRUE(lead.gated);
    /* A member waits for a turn: the lead spins; nobody else is let past. */
    atomic_store(&set->wanted[5], coord_clock_ns() + COORD__TURN_WANTED_MAX_NS);
    ASSERT_TRUE(coord__spin_begin(&lead, COORD__SPIN_DEFAULT_NS));
    ASSERT_FALSE(lead.gated);
    coord__spin_end(&lead);
    ASSERT_FALSE(coord__spin_begin(&any, COORD__SPIN_DEFAULT_NS));
    ASSERT_TRUE(any.gated);
    /* A lead without a spinset (its spin file could not be made) has no
     * members to wait for it: gated as before. */
    ASSERT_FALSE(coord__spin_begin(&alone, COORD__SPIN_DEFAULT_NS));
    ASSERT_TRUE(alone.gated);
    /* The wait ended (or its member died): gated again. */
    atomic_store(&set->wanted[5], coord_clock_ns() - 1);
    ASSERT_FALSE(coord__spin_begin(&lead, COORD__SPIN_DEFAULT_NS));
    ASSERT_TRUE(lead.gated);
    munmap(set, sizeof *set);
}

/* A member whose spin reaches its yield on the CPU its lead last idled on
 * leaves that CPU instead (wait.h, 1.: coord__spin_nap, which moves it off
 * by its affinity, or naps where it cannot; s.nap_at records either), at
 * most once per COORD__NAP_EVERY_NS; on any other CPU, or with the lead's
 * CPU unknown, it yields as before; a spinner of another role never
 * leaves. wait_member_moves_off_its_leads_cpu_by_its_affinity checks the
 * move itself. (Not pinned to one CPU: there a member never spins at
 * all, see wait_counts_the_cpus_this_process_may_use. A look whose CPU
 * changed under it is tried again.) */
TEST(wait_member_on_its_leads_cpu_leaves_it_instead_of_yielding)
{
    if (coord__spin_cpus() < 2)
        SKIP("one CPU: no member slot, so no member spins");
    struct coord__spinset *set = anon_spinset();
    /* The lead publishes its CPU on an idle pass. */
    bool published = false;
    for (int attempt = 0; attempt < 200 && !published; attempt++) {
        uint64_t at = 0;
        int before = sched_getcpu();
        coord__turn_tend(set, coord_clock_ns(), &at);
        ASSERT_TRUE(before >= 0);
        published = sched_getcpu() == before &&
                    atomic_load(&set->lead_cpu) == (uint32_t)before + 1;
    }
    ASSERT_TRUE(published);
    /* Where the lead is (relative to us), a role, a recent move: did the
     * yield step leave the CPU (a move, or a nap)? A step after a lost CPU
     * ends the spin instead (as in spin_yields_once_after_its_solo_time):
     * tried again too. */
    enum { LEAD_HERE, LEAD_ELSEWHERE, LEAD_UNKNOWN };
    struct {
        int lead;
        uint8_t role;
        bool napped_lately, naps;
    } cases[] = {
        {LEAD_HERE, COORD__SPIN_MEMBER, false, true},
        {LEAD_HERE, COORD__SPIN_MEMBER, true, false},
        {LEAD_ELSEWHERE, COORD__SPIN_MEMBER, false, false},
        {LEAD_UNKNOWN, COORD__SPIN_MEMBER, false, false},
        {LEAD_HERE, COORD__SPIN_ANY, false, false},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        bool clean = false;
        for (int attempt = 0; attempt < 200 && !clean; attempt++) {
            struct coord__spinner s = unsampled();
            coord__spinner_join_as(&s, set, cases[c].role);
            ASSERT_TRUE(coord__spin_begin(&s, COORD__SPIN_MAX_NS));
            int here = sched_getcpu();
            ASSERT_TRUE(here >= 0);
            uint32_t lead = cases[c].lead == LEAD_HERE       ? (uint32_t)here + 1
                            : cases[c].lead == LEAD_ELSEWHERE ? (uint32_t)here + 2
                                                              : 0;
            atomic_store(&set->lead_cpu, lead);
            uint64_t lately = coord_clock_ns();
            if (cases[c].napped_lately)
                s.nap_at = lately;
            s.start -= COORD__SPIN_SOLO_NS;
            uint64_t before = coord_clock_ns();
            bool stepped = coord__spin_step(&s);
            coord__spin_end(&s);
            if (!stepped)
                continue;
            ASSERT_TRUE(s.yielded);
            bool napped = s.nap_at != (cases[c].napped_lately ? lately : 0);
            /* Only a look from the CPU we were on counts; but leaving
             * moves us (that is what it is for). */
            if (sched_getcpu() != here && !(cases[c].naps && napped))
                continue;
            ASSERT_EQ(napped, cases[c].naps);
            if (napped) {
                ASSERT_TRUE(s.nap_at >= before);
                ASSERT_TRUE(s.last >= before);
            }
            clean = true;
        }
        ASSERT_TRUE(clean);
    }
    munmap(set, sizeof *set);
}

/* Busy until *stop, on CPU `pinned_cpu` alone. */
static int pinned_cpu;
static int pinned_busy_child(void *arg)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(pinned_cpu, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0)
        return 1;
    return busy_child(arg);
}

/* Set our mask to {a} (and {b} with it when b >= 0). */
static void set_mask(int a, int b)
{
    cpu_set_t m;
    CPU_ZERO(&m);
    CPU_SET(a, &m);
    if (b >= 0)
        CPU_SET(b, &m);
    ASSERT_EQ(sched_setaffinity(0, sizeof m, &m), 0);
}

static bool mask_is(int a, int b)
{
    cpu_set_t m;
    ASSERT_EQ(sched_getaffinity(0, sizeof m, &m), 0);
    return CPU_COUNT(&m) == (b >= 0 ? 2 : 1) && CPU_ISSET(a, &m) &&
           (b < 0 || CPU_ISSET(b, &m));
}

/* A member on its lead's CPU moves off it by its affinity (wait.h, 1.),
 * even when the only other CPU is busy: a wake-up there would not look
 * for another CPU (a nap's, of old, woke it where it slept), so this
 * fails with a member that only naps. The thread's mask is left as it
 * was. Allowed the lead's CPU alone it cannot move: it naps, mask and CPU
 * unchanged. */
TEST(wait_member_moves_off_its_leads_cpu_by_its_affinity)
{
    cpu_set_t was;
    ASSERT_EQ(sched_getaffinity(0, sizeof was, &was), 0);
    int a = -1, b = -1;
    for (int c = 0; c < CPU_SETSIZE && b < 0; c++)
        if (CPU_ISSET(c, &was)) {
            if (a < 0)
                a = c;
            else
                b = c;
        }
    if (b < 0)
        SKIP("one CPU allowed: nowhere to move to");
    struct coord__spinset *set = anon_spinset();
    _Atomic int *stop = mmap(NULL, sizeof *stop, PROT_READ | PROT_WRITE,
                             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(stop != MAP_FAILED);
    atomic_store(stop, 0);
    pinned_cpu = b;
    pid_t busy = test_fork(pinned_busy_child, stop);
    enum { TRIES = 20 };
    int moved = 0, tries = 0;
    for (int i = 0; i < 10 * TRIES && tries < TRIES; i++) {
        set_mask(a, -1); /* on a now */
        set_mask(a, b);  /* still on a, unless the balancer moves us */
        atomic_store(&set->lead_cpu, (uint32_t)a + 1);
        struct coord__spinner s = unsampled();
        coord__spinner_join_as(&s, set, COORD__SPIN_MEMBER);
        uint64_t now = coord_clock_ns();
        /* False only off the lead's CPU: the balancer moved us to b
         * before the look (seen once beside two busy loops and the whole
         * suite). Not a try. */
        if (!coord__spin_nap(&s, now))
            continue;
        tries++;
        moved += sched_getcpu() == b;
        ASSERT_TRUE(mask_is(a, b));
        ASSERT_EQ(s.nap_at, now);
    }
    ASSERT_EQ(tries, TRIES);
    /* (The balancer may move us back between the move and the look.) */
    ASSERT_GE(moved, TRIES / 2);
    /* Allowed a alone. */
    set_mask(a, -1);
    struct coord__spinner s = unsampled();
    coord__spinner_join_as(&s, set, COORD__SPIN_MEMBER);
    ASSERT_TRUE(coord__spin_nap(&s, coord_clock_ns()));
    ASSERT_TRUE(mask_is(a, -1));
    ASSERT_EQ(sched_getcpu(), a);
    ASSERT_EQ(sched_setaffinity(0, sizeof was, &was), 0);
    atomic_store(stop, 1);
    test_join_ok(busy, 30000);
    munmap(stop, sizeof *stop);
    munmap(set, sizeof *set);
}

/* ---- members' turns (wait.h, 5.) ---------------------------------------- */

/* Every member slot but `keep` (an index) taken for good. */
static void take_members(struct coord__spinset *set, uint32_t keep)
{
    int cpus = coord__spin_cpus();
    uint32_t n = (uint32_t)cpus > COORD__SPINSET_SLOTS ? COORD__SPINSET_SLOTS
                                                      : (uint32_t)cpus;
    for (uint32_t i = 1; i < n; i++)
        if (i != keep)
            atomic_store(&set->slot[i].until, UINT64_MAX / 2);
}

static struct coord__spinner turn_member(struct coord__spinset *set)
{
    struct coord__spinner s = unsampled();
    coord__spinner_join_as(&s, set, COORD__SPIN_MEMBER);
    s.turns = true;
    return s;
}

struct turn_box {
    struct coord__spinset *set;
    _Atomic uint32_t got;    /* the slot (+ 1) the waiter took */
    _Atomic int rung;        /* a ring woke it */
    _Atomic uint64_t took_at; /* when it took it */
    _Atomic int holding;     /* the holder child has its slot */
};

/* Every member slot taken: refused, waits for a turn, takes the one
 * handed to it. */
static int turn_waiter(void *arg)
{
    struct turn_box *b = arg;
    struct coord__spinner s = turn_member(b->set);
    if (coord__spin_begin(&s, COORD__SPIN_DEFAULT_NS))
        return 1;
    if (!s.refused)
        return 2;
    coord__turn_wait(&s, coord_clock_ns() + 20000000000ull);
    atomic_store(&b->rung, s.rung);
    if (!coord__spin_begin(&s, COORD__SPIN_MAX_NS))
        return 3;
    atomic_store(&b->took_at, coord_clock_ns());
    atomic_store(&b->got, s.slot);
    coord__spin_end(&s);
    return s.slot && s.turn_end ? 0 : 4; /* kept: it is on its turn */
}

static struct turn_box *turn_box_new(void)
{
    struct turn_box *b = mmap(NULL, sizeof *b, PROT_READ | PROT_WRITE,
                              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(b != MAP_FAILED);
    memset(b, 0, sizeof *b);
    b->set = anon_spinset();
    return b;
}

static void turn_box_free(struct turn_box *b)
{
    munmap(b->set, sizeof *b->set);
    munmap(b, sizeof *b);
}

/* A member of b's spinset that took member slot 1 (index + 1 = 2) and
 * kept it past its call, as one on a turn does. */
static struct coord__spinner holding_member(struct turn_box *b)
{
    struct coord__spinner a = turn_member(b->set);
    ASSERT_TRUE(coord__spin_begin(&a, COORD__SPIN_MAX_NS));
    ASSERT_EQ(a.slot, 2);
    coord__spin_end(&a);
    ASSERT_EQ(a.slot, 2); /* kept over the gap to the next call */
    return a;
}

/* A member keeps its slot across calls while its turn lasts, even with a
 * member waiting; when the turn is over it hands the slot to the waiter
 * (asleep in another process), which takes it without a claim. */
TEST(wait_turn_kept_across_calls_then_handed_on)
{
    if (coord__spin_cpus() < 2)
        SKIP("one CPU: no member slot");
    struct turn_box *b = turn_box_new();
    struct coord__spinner a = holding_member(b);
    ASSERT_TRUE(atomic_load(&b->set->slot[1].until) > coord_clock_ns());
    take_members(b->set, 1);
    pid_t pid = test_fork(turn_waiter, b);
    WAIT_FOR(coord__turn_wanted(b->set, coord_clock_ns()), 20000);
    /* Its turn is not over (as if called within COORD__TURN_NS): it
     * keeps the slot. */
    a.turn_end = coord_clock_ns() + 60000000000ull;
    ASSERT_TRUE(coord__spin_begin(&a, COORD__SPIN_MAX_NS));
    ASSERT_EQ(a.slot, 2);
    coord__spin_end(&a);
    ASSERT_EQ(atomic_load(&b->got), 0);
    /* Over (as if COORD__TURN_NS had passed): handed on, not claimed back. */
    a.turn_end = 1;
    ASSERT_FALSE(coord__spin_begin(&a, COORD__SPIN_MAX_NS));
    ASSERT_TRUE(a.refused);
    ASSERT_EQ(a.slot, 0);
    int st = test_wait(pid, 30000);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    ASSERT_EQ(atomic_load(&b->got), 2);
    ASSERT_EQ(atomic_load(&b->rung), 1);
    /* Taken (rung_at cleared), or, when the waiter took longer than
     * COORD__TURN_RING_NS to wake (a loaded machine), lapsed and the slot
     * claimed as a free one: no hand-over is pending either way. */
    uint64_t at = atomic_load(&b->set->rung_at);
    ASSERT_TRUE(at == 0 || coord_clock_ns() - at >= COORD__TURN_RING_NS);
    ASSERT_FALSE(coord__turn_wanted(b->set, coord_clock_ns()));
    turn_box_free(b);
}

/* A hand-over that wakes nobody (the waiter it counted was killed) is
 * undone: the slot is free at once, nothing stays reserved. */
TEST(wait_turn_handed_to_nobody_is_undone)
{
    if (coord__spin_cpus() < 2)
        SKIP("one CPU: no member slot");
    struct turn_box *b = turn_box_new();
    struct coord__spinner a = holding_member(b);
    /* A waiter's entry, but nobody asleep. */
    atomic_store(&b->set->wanted[7],
                 coord_clock_ns() + COORD__TURN_WANTED_MAX_NS);
    a.turn_end = 1;
    ASSERT_FALSE(coord__spin_begin(&a, COORD__SPIN_MAX_NS));
    ASSERT_EQ(atomic_load(&b->set->slot[1].until), 0);
    ASSERT_EQ(atomic_load(&b->set->rung_at), 0);
    /* Any member claims it again. */
    struct coord__spinner c = turn_member(b->set);
    ASSERT_TRUE(coord__spin_begin(&c, COORD__SPIN_MAX_NS));
    ASSERT_EQ(c.slot, 2);
    turn_box_free(b);
}

static int turn_sleeper(void *arg)
{
    struct turn_box *b = arg;
    struct coord__spinner s = turn_member(b->set);
    coord__turn_wait(&s, coord_clock_ns() + 300000000ull);
    return 0; /* (killed before) */
}

/* A waiter SIGKILLed in its wait counts until its wait would have ended,
 * not longer: holders stop handing turns to it. */
TEST(wait_turn_waiter_killed_stops_counting)
{
    if (coord__spin_cpus() < 2)
        SKIP("one CPU: no member slot");
    struct turn_box *b = turn_box_new();
    take_members(b->set, 0);
    pid_t pid = test_fork(turn_sleeper, b);
    WAIT_FOR(coord__turn_wanted(b->set, coord_clock_ns()), 20000);
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int st = test_wait(pid, 30000);
    ASSERT_TRUE(WIFSIGNALED(st));
    uint64_t end = 0;
    for (uint32_t i = 0; i < COORD__SPINSET_SLOTS; i++)
        if (atomic_load(&b->set->wanted[i]))
            end = atomic_load(&b->set->wanted[i]);
    ASSERT_TRUE(end != 0);
    ASSERT_TRUE(coord__turn_wanted(b->set, end - 1));
    ASSERT_FALSE(coord__turn_wanted(b->set, end));
    WAIT_FOR(!coord__turn_wanted(b->set, coord_clock_ns()), 20000);
    turn_box_free(b);
}

/* Holds its slot on a turn whose window ends in an hour (the test ends it
 * when it is ready), then waits to be killed. */
static int turn_holder(void *arg)
{
    struct turn_box *b = arg;
    struct coord__spinner s = turn_member(b->set);
    if (!coord__spin_begin(&s, 3600000000000ull))
        return 1;
    coord__spin_end(&s);
    atomic_store(&b->holding, 1);
    for (;;)
        pause();
}

/* A holder SIGKILLed on its turn never hands it on; the lead sees its
 * window end and hands the slot to the waiter. */
TEST(wait_turn_lead_hands_on_a_dead_holders_slot)
{
    if (coord__spin_cpus() < 2)
        SKIP("one CPU: no member slot");
    struct turn_box *b = turn_box_new();
    take_members(b->set, 1);
    pid_t holder = test_fork(turn_holder, b);
    WAIT_FOR(atomic_load(&b->holding) == 1, 20000);
    uint64_t until = atomic_load(&b->set->slot[1].until);
    ASSERT_TRUE(until > coord_clock_ns());
    ASSERT_EQ(kill(holder, SIGKILL), 0);
    int st = test_wait(holder, 30000);
    ASSERT_TRUE(WIFSIGNALED(st));
    pid_t waiter = test_fork(turn_waiter, b);
    /* The waiter finds the dead holder's window open (however long this
     * machine took to get here) and waits for a turn; the lead hands
     * nothing on while the window lasts. */
    WAIT_FOR(coord__turn_wanted(b->set, coord_clock_ns()), 20000);
    uint64_t at = 0;
    coord__turn_tend(b->set, coord_clock_ns(), &at);
    ASSERT_EQ(atomic_load(&b->set->slot[1].until), until);
    ASSERT_EQ(atomic_load(&b->got), 0);
    /* Its window ends (as the hour would, made now). */
    until = coord_clock_ns();
    atomic_store(&b->set->slot[1].until, until);
    uint64_t give_up = coord_clock_ns() + 20000000000ull;
    at = 0;
    while (atomic_load(&b->got) == 0 && coord_clock_ns() < give_up) {
        coord__turn_tend(b->set, coord_clock_ns(), &at);
        usleep(1000);
    }
    st = test_wait(waiter, 30000);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    ASSERT_EQ(atomic_load(&b->got), 2);
    ASSERT_EQ(atomic_load(&b->rung), 1);
    /* Not before the dead holder's window ended. */
    ASSERT_TRUE(atomic_load(&b->took_at) >= until);
    turn_box_free(b);
}

/* One taker per hand-over; a lapsed one, or one naming a slot that is not
 * a member's (the contents are untrusted), hands nothing. */
TEST(wait_turn_take_once_and_only_a_member_slot)
{
    struct coord__spinset *set = anon_spinset();
    uint64_t now = coord_clock_ns();
    atomic_store(&set->handed, 2);
    atomic_store(&set->rung_at, now);
    ASSERT_EQ(coord__turn_take(set, now, now + 1000), 2);
    ASSERT_EQ(atomic_load(&set->slot[1].until), now + 1000);
    ASSERT_EQ(coord__turn_take(set, now, now + 1000), 0);
    atomic_store(&set->rung_at, now);
    ASSERT_EQ(coord__turn_take(set, now + COORD__TURN_RING_NS, now), 0);
    uint32_t bad[] = {0, 1, COORD__SPINSET_SLOTS + 1, UINT32_MAX};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        atomic_store(&set->handed, bad[k]);
        atomic_store(&set->rung_at, now);
        ASSERT_EQ(coord__turn_take(set, now, now + 1000), 0);
    }
    atomic_store(&set->handed, 2);
    atomic_store(&set->rung_at, now + 5000); /* from the future */
    ASSERT_EQ(coord__turn_take(set, now, now + 1000), 0);
    munmap(set, sizeof *set);
}

static bool never_ready(const void *ctx)
{
    (void)ctx;
    return false;
}

static int bell_mover(void *arg)
{
    struct turn_box *b = arg;
    atomic_store(&b->holding, 1);
    for (int i = 0; i < 600000; i++) { /* others' hand-overs (killed) */
        atomic_fetch_add(&b->set->bell, 1);
        usleep(500);
    }
    return 0;
}

/* Member slots held for good (values nobody wrote, or a holder that never
 * hands on): a streaming member waits for a turn once, up to its bound,
 * then stops waiting for turns for COORD__TURN_SHUN_NS; while others'
 * turns move the bell, a wait that runs out is congestion, not that. */
TEST(wait_turn_stuck_slots_stop_the_waiting)
{
    if (coord__spin_cpus() < 2)
        SKIP("one CPU: no member slot");
    struct turn_box *b = turn_box_new();
    take_members(b->set, 0);
    struct coord__spinner s = turn_member(b->set);
    s.asked = coord_clock_ns(); /* its previous call ended just now */
    uint64_t t0 = coord_clock_ns();
    ASSERT_FALSE(coord__spin_member(&s, COORD__SPIN_DEFAULT_NS, never_ready,
                                    NULL, UINT64_MAX));
    ASSERT_TRUE(coord_clock_ns() - t0 >= COORD__TURN_WAIT_NS);
    uint64_t shun = s.shun_until;
    ASSERT_TRUE(shun > coord_clock_ns());
    /* The next call sleeps the caller's way at once: a second wait that
     * ran out would have moved shun_until on. */
    s.asked = coord_clock_ns();
    ASSERT_FALSE(coord__spin_member(&s, COORD__SPIN_DEFAULT_NS, never_ready,
                                    NULL, UINT64_MAX));
    ASSERT_EQ_U(s.shun_until, shun);
    ASSERT_FALSE(coord__turn_wanted(b->set, coord_clock_ns()));
    /* Turns moving elsewhere: waiting out the bound is no reason to stop.
     * A round counts only when the bell moved at least 4 times while it
     * waited (a loaded machine may keep the mover off its CPU for the
     * whole wait: then the wait saw nothing move, and stopping is right). */
    pid_t pid = test_fork(bell_mover, b);
    WAIT_FOR(atomic_load(&b->holding) == 1, 20000);
    int counted = 0;
    for (int round = 0; round < 10 && counted < 2; round++) {
        struct coord__spinner w = turn_member(b->set);
        uint32_t b0 = atomic_load(&b->set->bell);
        w.asked = coord_clock_ns();
        ASSERT_FALSE(coord__spin_member(&w, COORD__SPIN_DEFAULT_NS,
                                        never_ready, NULL, UINT64_MAX));
        if (atomic_load(&b->set->bell) - b0 < 4)
            continue;
        counted++;
        ASSERT_EQ_U(w.shun_until, 0);
    }
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    test_wait(pid, 30000);
    ASSERT_TRUE(counted > 0);
    turn_box_free(b);
}

/* More streaming clients than CPUs take turns; one SIGKILLed in the
 * middle (holding a turn or waiting for one) holds nobody up: every other
 * client finishes, every get right. */
/* The CPUs the policy counts are those this process may run on (its
 * affinity), not the machine's: a manager's server and client pinned to
 * one CPU both spun there, 3x slower than sleeping (wait.h, 2.). And with
 * one CPU there is no member slot, so no turn to wait for. */
TEST(wait_counts_the_cpus_this_process_may_use)
{
    cpu_set_t was, one;
    ASSERT_EQ(sched_getaffinity(0, sizeof was, &was), 0);
    int cpus = coord__cpus_usable();
    ASSERT_EQ(cpus, expected_cpus());
    int cpu = sched_getcpu();
    ASSERT_TRUE(cpu >= 0);
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
    cpus = coord__cpus_usable();
    ASSERT_EQ(cpus, 1);
    /* The process's sample (taken at most once per COORD__CPUS_SAMPLE_NS:
     * asked for a later time, it looks again) says so too. */
    ASSERT_EQ(coord__cpus_now(coord_clock_ns() + 2ull * COORD__CPUS_SAMPLE_NS),
              1);
    ASSERT_EQ(coord__spin_cpus(), 1);
    coord__load_sample(coord_clock_ns(), &cpus);
    ASSERT_EQ(cpus, 1);
    /* A member whose calls stream finds no slot and does not wait for a
     * turn (it used to wait out COORD__TURN_WAIT_NS, then stop waiting for
     * turns for COORD__TURN_SHUN_NS). Streaming means its previous call
     * ended under COORD__TURN_GAP_NS ago: tried until a look is that quick. */
    struct coord__spinset *set = anon_spinset();
    bool streamed = false;
    for (int attempt = 0; attempt < 200 && !streamed; attempt++) {
        struct coord__spinner s = turn_member(set);
        int never = 0;
        s.asked = coord_clock_ns();
        ASSERT_FALSE(coord__spin_member(&s, COORD__SPIN_DEFAULT_NS,
                                        never_ready, &never, UINT64_MAX));
        ASSERT_TRUE(s.refused);
        ASSERT_EQ(s.slot, 0);
        ASSERT_EQ(s.shun_until, 0);
        ASSERT_FALSE(coord__turn_wanted(set, coord_clock_ns()));
        streamed = s.streaming;
    }
    ASSERT_TRUE(streamed);
    /* A lead on its one CPU spins only for a member spinning elsewhere
     * (whatever the gate would say: here it is switched off). */
    struct coord__spinner lead = unsampled();
    coord__spinner_join_as(&lead, set, COORD__SPIN_LEAD);
    ASSERT_FALSE(coord__spin_begin(&lead, COORD__SPIN_DEFAULT_NS));
    ASSERT_TRUE(lead.gated);
    atomic_store(&set->slot[1].until, coord_clock_ns() + 60000000000ull);
    ASSERT_TRUE(coord__spin_begin(&lead, COORD__SPIN_DEFAULT_NS));
    coord__spin_end(&lead);
    ASSERT_EQ(sched_setaffinity(0, sizeof was, &was), 0);
    munmap(set, sizeof *set);
}

TEST(wait_manager_clients_take_turns_one_killed)
{
    coord_manager *m;
    ASSERT_OK(coord_manager_start(&m, NULL, NULL));
    const char *path = coord_manager_path(m);
    coord_mclient *c;
    ASSERT_OK(coord_mclient_connect(&c, path, 20000));
    coord_mval v = coord_mval_i64(42);
    ASSERT_OK(coord_mclient_set(c, "d", "k", &v, 20000));
    coord_mclient_close(c);
    int n = coord__spin_cpus() + 4;
    if (n > 20)
        n = 20;
    struct getter g = {path, 20000, true};
    pid_t pids[20] = {0};
    for (int i = 0; i < n; i++)
        pids[i] = test_fork(getter_child, &g);
    usleep(20000);
    kill(pids[1], SIGKILL);
    int failed = 0;
    for (int i = 0; i < n; i++) {
        int st = test_wait(pids[i], 120000);
        if (i != 1)
            failed += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
    }
    ASSERT_OK(coord_manager_stop(m, 10000));
    ASSERT_EQ(failed, 0);
}

/* ---- a cgroup with a CPU quota -------------------------------------- */

/* A cgroup made for a test below this process's own cgroup of the
 * hierarchy holding the cpu controller, with a child `leaf` for the
 * process under test. */
struct quota_cgroup {
    int kind; /* COORD__CGROUP_V1 or _V2 */
    char base[COORD__CGROUP_PATH_MAX], leaf[COORD__CGROUP_PATH_MAX + 8];
};

/* Write `text` into `dir`/`name`. Returns 0 or an errno. */
static int cg_write(const char *dir, const char *name, const char *text)
{
    char path[COORD__CGROUP_PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    ssize_t n = write(fd, text, strlen(text));
    int err = n == (ssize_t)strlen(text) ? 0 : n < 0 ? errno : EIO;
    close(fd);
    return err;
}

/* Set a quota of `quota` µs per 100 ms in `dir`. Returns 0 or an errno. */
static int cg_quota(const struct quota_cgroup *g, const char *dir,
                    long quota)
{
    char text[64];
    if (g->kind == COORD__CGROUP_V2) {
        snprintf(text, sizeof text, "%ld 100000", quota);
        return cg_write(dir, "cpu.max", text);
    }
    int err = cg_write(dir, "cpu.cfs_period_us", "100000");
    snprintf(text, sizeof text, "%ld", quota);
    return err ? err : cg_write(dir, "cpu.cfs_quota_us", text);
}

/* SIGKILL whatever is left in `dir` (a failed check's manager, say) and
 * remove it: bounded, and quiet (the caller checks with access()). */
static void cg_remove(const char *dir)
{
    char path[COORD__CGROUP_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    uint64_t end = coord_clock_ns() + 10000000000ull;
    while (rmdir(dir) != 0 && errno == EBUSY && coord_clock_ns() < end) {
        FILE *f = fopen(path, "r");
        for (long pid; f && fscanf(f, "%ld", &pid) == 1;)
            kill((pid_t)pid, SIGKILL);
        if (f)
            fclose(f);
        usleep(1000);
    }
}

/* Make base (this process's cgroup + "/coord-test-PID") and base/leaf,
 * or skip, saying why, where this process may not. */
static void cg_make(struct quota_cgroup *g)
{
    if (geteuid() != 0)
        SKIP("not root: cannot make a cgroup to set a CPU quota in");
    /* Our cgroup in the hierarchy with the cpu controller, found as the
     * library finds it (test-cpuquota.c checks the pieces). */
    char path[COORD__CGROUP_PATH_MAX] = "", dir[COORD__CGROUP_PATH_MAX];
    char *line = NULL;
    size_t cap = 0;
    g->kind = 0;
    FILE *f = fopen("/proc/self/cgroup", "r");
    while (f && getline(&line, &cap, f) > 0) {
        line[strcspn(line, "\n")] = '\0';
        const char *p;
        int k = coord__cgroup_line(line, &p);
        if (k && (k == COORD__CGROUP_V1 || g->kind == 0)) {
            snprintf(path, sizeof path, "%s", p);
            g->kind = k;
        }
    }
    if (f)
        fclose(f);
    bool found = false;
    f = g->kind ? fopen("/proc/self/mountinfo", "r") : NULL;
    while (f && !found && getline(&line, &cap, f) > 0) {
        line[strcspn(line, "\n")] = '\0';
        char *root, *point;
        found = coord__cgroup_mount(line, g->kind, &root, &point) &&
                coord__cgroup_dir(point, root, path, dir, sizeof dir) >= 0;
    }
    if (f)
        fclose(f);
    free(line);
    if (!found)
        SKIP("no cgroup hierarchy with the cpu controller is mounted");
    snprintf(g->base, sizeof g->base, "%.900s/coord-test-%d", dir,
             (int)getpid());
    snprintf(g->leaf, sizeof g->leaf, "%s/leaf", g->base);
    if (mkdir(g->base, 0755) != 0) {
        static char why[COORD__CGROUP_PATH_MAX + 64];
        snprintf(why, sizeof why, "cannot make cgroup %s: %s", g->base,
                 strerror(errno));
        if (errno == EACCES || errno == EPERM || errno == EROFS ||
            errno == ENOENT || errno == ENOSPC)
            SKIP(why);
        test__fail(__FILE__, __LINE__, "%s", why);
    }
    char probe[COORD__CGROUP_PATH_MAX + 32];
    snprintf(probe, sizeof probe, "%s/%s", g->base,
             g->kind == COORD__CGROUP_V2 ? "cpu.max" : "cpu.cfs_quota_us");
    if (access(probe, F_OK) != 0) {
        cg_remove(g->base);
        SKIP("cgroup v2 without the cpu controller enabled for our "
             "cgroup's children (cgroup.subtree_control)");
    }
    if (mkdir(g->leaf, 0755) != 0) {
        int err = errno;
        cg_remove(g->base);
        test__fail(__FILE__, __LINE__, "mkdir %s: %s", g->leaf,
                   strerror(err));
    }
}

struct quota_run {
    const struct quota_cgroup *g;
    int affinity; /* the parent's CPUs, with no quota */
};

/* In the cgroup of 1.5 CPUs of quota (its leaf has none of its own). */
static int quota_child(void *arg)
{
    const struct quota_run *r = arg;
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    if (cg_write(r->g->leaf, "cgroup.procs", pid) != 0)
        return 2;
    /* The gate counts the affinity; the member slots at most the quota's
     * whole CPUs, never fewer than 2; worker counts the quota rounded up. */
    int two = r->affinity < 2 ? r->affinity : 2;
    ASSERT_EQ(coord__cpus_usable(), r->affinity);
    ASSERT_EQ(coord__cpus_slots(r->affinity), two);
    ASSERT_EQ(coord__cpus_workers(COORD_SEARCH_MAX_WORKERS), two);
    coord_search_opts so;
    coord_search_opts_init(&so, 0, 1);
    ASSERT_EQ(so.workers, two);
    /* The process's sample, looked at again, says so. */
    ASSERT_EQ(coord__cpus_now(coord_clock_ns() + 2ull * COORD__CPUS_SAMPLE_NS),
              r->affinity);
    ASSERT_EQ(coord__spin_slot_cpus(), two);
    /* Half a CPU of quota below: the slots still count 2 (spinning
     * through the throttling beats sleeping at once: cpuload.c), one
     * worker. */
    ASSERT_EQ(cg_quota(r->g, r->g->leaf, 50000), 0);
    ASSERT_EQ(coord__cpus_usable(), r->affinity);
    ASSERT_EQ(coord__cpus_slots(r->affinity), two);
    ASSERT_EQ(coord__cpus_workers(COORD_SEARCH_MAX_WORKERS), 1);
    return 0;
}

/* A CPU quota (Docker's --cpus, a Kubernetes limit) bounds the member
 * slots and the default worker counts, whatever the affinity (wait.h, 2.):
 * a container on a big host may run on all its CPUs for 2 CPUs' worth of
 * each period, and spinners on more burn the quota early and leave the
 * whole cgroup throttled. (On a machine of 2 CPUs only the worker counts
 * can show it: the slots never count fewer than 2.) In a real cgroup of ours (v1 or v2, whichever holds the cpu
 * controller; skipped, saying why, where this process may not make one). */
TEST(wait_counts_the_cpu_quota_of_its_cgroup)
{
    struct quota_cgroup g;
    struct quota_run r = {&g, expected_cpus()};
    cg_make(&g);
    int err = cg_quota(&g, g.base, 150000);
    pid_t pid = err ? 0 : test_fork(quota_child, &r);
    int status = 0;
    bool ended = !pid;
    for (uint64_t end = coord_clock_ns() + 60000000000ull;
         pid && !ended && coord_clock_ns() < end; usleep(1000))
        ended = waitpid(pid, &status, WNOHANG) == pid;
    if (!ended) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    /* Removed before any assertion: a failure leaves no cgroup behind. */
    cg_remove(g.leaf);
    cg_remove(g.base);
    ASSERT_NE(access(g.base, F_OK), 0);
    ASSERT_EQ(err, 0);
    ASSERT_TRUE(ended);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
}

#define TEST_LIST(X)                                                           \
    X(spin_cpus_taken_reads_the_load)                                          \
    X(spin_slow_step_backs_off)                                                \
    X(spin_calm_halves_the_backoff)                                            \
    X(spin_yields_once_after_its_solo_time)                                    \
    X(wait_spinset_counts_open_windows_only)                                   \
    X(wait_turn_wanted_ignores_an_end_no_waiter_announces)                     \
    X(wait_gate_discounts_the_objects_spinners)                                \
    X(wait_gate_decision_is_pure)                                              \
    X(wait_member_slots_cap_at_cpus)                                           \
    X(wait_members_spin_at_most_one_per_cpu)                                   \
    X(wait_member_killed_in_a_spin_frees_its_slot)                             \
    X(wait_change_sleeps_until_woken_by_another_process)                       \
    X(wait_change_ends_at_its_deadline)                                        \
    X(wait_manager_shares_its_spinset)                                         \
    X(wait_manager_spins_at_most_one_per_cpu)                                  \
    X(wait_lead_spins_past_the_gate_while_members_wait)                        \
    X(wait_member_on_its_leads_cpu_leaves_it_instead_of_yielding)              \
    X(wait_member_moves_off_its_leads_cpu_by_its_affinity)                     \
    X(wait_turn_kept_across_calls_then_handed_on)                              \
    X(wait_turn_handed_to_nobody_is_undone)                                    \
    X(wait_turn_waiter_killed_stops_counting)                                  \
    X(wait_turn_lead_hands_on_a_dead_holders_slot)                             \
    X(wait_turn_take_once_and_only_a_member_slot)                              \
    X(wait_turn_stuck_slots_stop_the_waiting)                                  \
    X(wait_counts_the_cpus_this_process_may_use)                               \
    X(wait_manager_clients_take_turns_one_killed)                              \
    X(wait_counts_the_cpu_quota_of_its_cgroup)
#define HELPER_LIST(X)
TEST_MAIN()
