/* SPDX-License-Identifier: MIT */
/* wait.h: coord's one wait policy: spin politely while the peer is likely on a CPU, then sleep on a futex. */
#ifndef COORD_WAIT_H
#define COORD_WAIT_H

#include <sched.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "internal.h"

/*
 * Every coord wait for another process (a search worker waiting for the
 * start, the rounds engine's workers waiting for the next round and the
 * owner for the end of one, a manager client waiting for its reply, the
 * manager waiting for the next request, the queue's sides) follows this
 * one policy, measured with `coord_bench wakeup` (docs/results.md, "Wait
 * policy"):
 *
 * 0. A stream (the queue's sides, where the next item is usually a few
 *    hundred nanoseconds away) first polls briefly whatever the load, for
 *    about what a sleep and its wake-up would cost (coord__poll_brief,
 *    below); then the steps that follow.
 *
 * 1. Spin first, because on an idle VM waking a sleeping process costs
 *    tens of microseconds while a peer that is running answers in one or
 *    two. A spin polls (with a pause instruction between polls of memory),
 *    never yielding between polls: under the Linux scheduler (EEVDF) every
 *    sched_yield pushes the caller's deadline a whole slice later, so a
 *    spinner that yields between polls soon ranks behind every CPU-bound
 *    process (measured: 3.5 ms per pipe round trip with two busy loops
 *    beside it, against 2-4 µs polling without yields and 96 µs sleeping
 *    at once). Not yielding at all would starve a peer sharing our CPU for
 *    the whole spin, so a spin polls alone for COORD__SPIN_SOLO_NS, yields
 *    once (a peer on this CPU runs), then polls to the end of its window.
 *    A member (below) whose yield would go to its own lead moves instead:
 *    the scheduler sometimes wakes a member onto the CPU where the lead
 *    spins while the other CPU idles, and then moves neither, so the two
 *    took turns on one CPU, one yield each per ~15 µs, for whole turns
 *    (perf sched: 2,800-3,100 such slices per half second of 16 manager
 *    clients on 2 CPUs). A wake-up does not look for an idle CPU when the
 *    CPUs are nearly all busy (the kernel's idle scan is cut to nothing
 *    at high utilisation), so neither a yield nor a short sleep moved it:
 *    a member woken onto its lead's CPU there stayed, slept there and was
 *    woken there again, once per round of turns (perf sched, session 10:
 *    the clients' CPU idle 5.5 % of the time and clients on the server's
 *    CPU 2.1 %, 16 clients on 2 CPUs). So the member moves itself
 *    (coord__spin_nap): it narrows its affinity to the CPUs it may use
 *    but the lead's, which migrates it at once, and sets its own mask
 *    back (the idle 0.7 % and 0.0 % after). It does so when it takes a
 *    turn and instead of the yield, at most once per COORD__NAP_EVERY_NS,
 *    and only while the load leaves the lead and it a CPU each
 *    (coord__spin_room): beside busy processes it would trade a CPU it
 *    shares with its lead, which it hands over at each yield, for one it
 *    shares with a process that never hands it over. Where it does not
 *    move (no room, its mask allows the lead's CPU alone, or is larger
 *    than a cpu_set_t) it sleeps COORD__NAP_NS (~60 µs with the timer's
 *    slack) instead. A mask set on the thread from outside in the few µs
 *    between the two changes is undone by the second. The lead publishes
 *    its CPU in the spinset on its idle passes (a member on its CPU makes
 *    it idle).
 *
 * 2. Only while a CPU is free for it. A spin starts only while the
 *    runnable tasks (/proc/loadavg, sampled at most every
 *    COORD__SPIN_SAMPLE_NS), less the processes spinning on the same
 *    object (a coord__spinset in its shared memory, when it has one: they
 *    give their CPU back at once and are what we wait for, not load), do
 *    not exceed the CPUs this process may run on (coord__spin_gate_open;
 *    its affinity, which taskset or a container's cpuset narrows: a server
 *    and its client confined to one CPU took turns there through their
 *    yields, 3x slower than sleeping at once). When every CPU
 *    is taken a wake-up is cheap anyway (no CPU is idle) and a spinner only
 *    takes turns with the busy processes. When the load cannot be read (no
 *    /proc) the spin goes ahead and only the backoff below protects it.
 *    Discounted spinners must not outnumber the CPUs either, or they take
 *    turns with each other (a manager's server and 4 clients spinning on 2
 *    CPUs: the aggregate halved). An object whose parties are many (the
 *    manager: one server, any number of clients) therefore gives each spin
 *    a slot: the lead party (the server, which everyone waits for) owns
 *    slot 0, the members claim one of slots 1 .. cpus-1 (a compare and swap
 *    on a slot whose window has ended) and sleep at once when none is
 *    free, so at most `cpus` of them spin at the same time. Under a
 *    cgroup CPU quota (cgroup v2 cpu.max or v1 cpu.cfs_quota_us, the least
 *    over its cgroup and their ancestors: Docker's --cpus, a Kubernetes CPU
 *    limit; src/os/cpuquota.c) the slots count at most the quota's whole
 *    CPUs, never fewer than 2 (coord__cpus_slots): a container on a big
 *    host runs on all its CPUs for only so much CPU time per period, and
 *    16 clients spinning on 63 slots would burn the period's quota early
 *    and leave the cgroup throttled for the rest of it, where the server
 *    and one member fit 2 CPUs of quota and the others take turns (5.).
 *    Not fewer than 2, and not in the gate: spinning through the
 *    throttling still beat sleeping at once under 1 CPU of quota on 2
 *    CPUs (a wake-up costs tens of µs on a VM; cpuload.c has the
 *    figures), and the host's runnable count (a container's /proc/loadavg
 *    is its host's) held against a quota's few CPUs would close the gate
 *    on any busy host. (Default worker counts use the quota rounded up:
 *    coord__cpus_workers.)
 *
 * 3. Back off after a lost CPU. Every step checks how long it has been
 *    since the previous one. A gap of COORD__SLOW_STEP_NS or more means the
 *    CPU went to someone else: the spin ends, and the next `level` waits
 *    sleep at once, where `level` goes 64, 256, 1024 with each slow step
 *    and halves for every COORD__SPIN_CALM_NS without one.
 *
 * 4. Then sleep on a futex, announced in a `sleepers` counter so that the
 *    writer makes the wake-up system call only when somebody sleeps: the
 *    waiter adds itself (seq_cst) and re-reads the word; the writer stores
 *    the word (seq_cst) and then reads `sleepers` (coord__wake): one of the
 *    two sees the other, so no wake-up is lost. A deadline bounds the
 *    sleep; callers that must watch for a dead peer sleep in slices.
 *
 * 5. Take turns when members outnumber the slots. A member whose calls
 *    come back to back (a stream: the previous one ended less than
 *    COORD__TURN_GAP_NS ago) and finds every member slot taken does not
 *    sleep the ordinary way (one wake-up per call, 5-10 µs of CPU on a VM,
 *    which is what made 16 manager clients on 2 CPUs reach a tenth of one
 *    client's gets per second): it waits asleep for a turn. A member that
 *    claimed a slot keeps it across its calls (its window covers the gap)
 *    for a turn of COORD__TURN_NS, renewed while nobody waits; then it
 *    hands the slot to the longest waiter (a futex wake of one) and waits
 *    itself. So one member spins on the CPU its slot stands for, the others
 *    sleep, and each hand-over costs one wake-up per turn instead of one
 *    per call. While members wait, the load gate does not apply to the
 *    claim of a slot or to a turn handed on, nor to the lead's spin (the
 *    member on its turn waits for it: gated, the server slept, and every
 *    get after that rang its bell; 5,700-7,600 refusals a second in the
 *    runs of 16 clients that fell): the spinner replaces a waiting
 *    member, it does not add one, and our own members cycling through
 *    ordinary sleeps were all the gate saw as load (each one woken is
 *    runnable), which kept every member sleeping (a streaming member the
 *    gate refused announces itself as waiting and looks again, so members
 *    held back by each other find each other). The backoff of 3. still
 *    ends a spin that loses its CPU; the member that backs off hands its
 *    turn on like any other (waking every waiter instead made them all
 *    runnable at once, and the preemptions that followed put most of them
 *    into backoff: 16 clients fell back to 0.16 M gets/s in one run of
 *    five). The lead hands on a slot that came free without a hand-over
 *    (its holder stopped calling, or died) within COORD__TURN_TEND_NS of
 *    its idle time. Everything is
 *    bounded: a wait for a turn by COORD__TURN_WAIT_NS and the caller's
 *    deadline, a hand-over nobody took by COORD__TURN_RING_NS, a waiter
 *    SIGKILLed stops counting when its wait would have ended.
 *
 * A coord__spinner holds one waiting party's backoff state (a client, a
 * server loop, a worker): zero-initialised, private to one process and
 * thread, never in shared memory.
 */
#define COORD__SPIN_SOLO_NS 10000u
#define COORD__SLOW_STEP_NS 200000u
#define COORD__SPIN_SAMPLE_NS 1000000u
#define COORD__CPUS_SAMPLE_NS 1000000000u /* the CPUs we may use: rarely change */
#define COORD__SPIN_BACKOFF_FIRST 64u
#define COORD__SPIN_BACKOFF_MAX 1024u
#define COORD__SPIN_CALM_NS 250000000u
/* Polls of memory between two steps (a clock read each). */
#define COORD__SPIN_POLLS 32

/* A spin_ns setting (coord_manager_opts, coord_mclient_set_spin,
 * coord_rounds_opts): 0 the default, negative none, at most one second. */
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

/*
 * The processes spinning on one object, in its shared memory (a search's
 * or a rounds engine's control block, a manager's spin file): a spinner
 * writes the end of its window into one slot when it starts and clears it
 * when it stops. The slot is chosen by its pid (COORD__SPIN_ANY), or is
 * slot 0 (COORD__SPIN_LEAD), or is claimed among slots 1 .. cpus-1
 * (COORD__SPIN_MEMBER, see 2. above). Readers count the slots whose end is
 * still ahead: a process killed in a spin stops counting (and its slot is
 * free again) when its window would have ended, so nothing needs cleaning.
 * Two spinners whose pids share a slot count as one (the count errs
 * towards less spinning). The contents are untrusted: any value only
 * changes how many are counted, which slots look free, whether members
 * wait (then the lead and members spin past the gate, the backoff still
 * ending a spin that loses its CPU) and where the lead is (a member on that
 * CPU moves off it, at most once per COORD__NAP_EVERY_NS).
 */
#define COORD__SPINSET_SLOTS 64u
struct coord__spinset {
    struct {
        alignas(COORD__CACHE_LINE) _Atomic uint64_t until;
    } slot[COORD__SPINSET_SLOTS];
    /* Members' turns (5. above). */
    alignas(COORD__CACHE_LINE) _Atomic uint32_t bell; /* + 1 per ring */
    _Atomic uint32_t handed;  /* the slot (+ 1) the last ring handed on */
    _Atomic uint64_t rung_at; /* that ring, not taken yet (0: none) */
    _Atomic uint32_t lead_cpu; /* the CPU the lead last idled on, + 1 (0: unknown) */

    /* Members waiting for a turn: the end of each one's wait. */
    alignas(COORD__CACHE_LINE) _Atomic uint64_t wanted[COORD__SPINSET_SLOTS];
};

/* Slots of `set` whose window is still open at `now`. */
uint32_t coord__spinset_count(struct coord__spinset *set, uint64_t now);

/* Does a member spin (a slot other than the lead's open at `now`)? */
bool coord__spinset_members(struct coord__spinset *set, uint64_t now);

/* A member's claim: the first of slots 1 .. min(cpus, COORD__SPINSET_SLOTS)
 * - 1 whose window has ended at `now` now holds `until`. Returns that
 * slot's index + 1, or 0 when every one is taken (do not spin). */
uint32_t coord__spinset_claim(struct coord__spinset *set, int cpus,
                              uint64_t now, uint64_t until);

/* The CPUs this process may run on, as last sampled (coord__cpus_now). */
int coord__spin_cpus(void);
/* The member slots' CPU count, sampled with them: the same, at most the
 * whole CPUs of a cgroup CPU quota, never below 2 (coord__cpus_slots). */
int coord__spin_slot_cpus(void);
/* The same, looked up again when COORD__CPUS_SAMPLE_NS have passed. */
int coord__cpus_now(uint64_t now);

/* The machine's runnable tasks and the CPUs this process may use, sampled
 * (/proc/loadavg at most once per COORD__SPIN_SAMPLE_NS; the affinity mask,
 * coord__cpus_usable, and the cgroup's CPU quota for the slots, once per
 * COORD__CPUS_SAMPLE_NS) per process (src/wait.c). Returns the runnable count (the caller
 * included) and *cpus, or -1 when unknown. */
int coord__load_sample(uint64_t now, int *cpus);

/* How a spinner takes its slot in a spinset (2. above). */
enum {
    COORD__SPIN_ANY = 0, /* the slot of its pid, never refused */
    COORD__SPIN_LEAD,    /* slot 0, its own (one lead per object) */
    COORD__SPIN_MEMBER   /* one of slots 1 .. cpus-1, when one is free */
};

struct coord__spinner {
    uint32_t skip;    /* waits left that sleep at once */
    uint32_t level;   /* the next skip's length; 0: no slow step lately */
    bool yielded;     /* this spin has yielded its one time */
    bool nogate;      /* tests: never look at the load */
    bool taken;       /* every CPU was taken at the last look */
    uint32_t slot;    /* our slot in `set`, + 1; 0: not chosen yet */
    uint64_t start;   /* clock at the spin's start */
    uint64_t last;    /* clock at the previous step (or the start) */
    uint64_t slow_at; /* clock at the last slow step (or the last halving) */
    uint64_t sample_at; /* when to look at the load again */
    uint64_t until;   /* the end of our window in `set` (0: none open) */
    uint8_t role;     /* COORD__SPIN_ANY, _LEAD or _MEMBER */
    bool turns;       /* a member that keeps its slot for a turn (5.) */
    bool refused;     /* the last spin_begin found no slot for us */
    bool gated;       /* ... or found every CPU taken */
    bool streaming;   /* ... and our previous call was moments ago */
    bool rung;        /* a ring woke us: the slot it freed is ours */
    uint64_t asked;   /* clock at the previous spin_begin's look */
    uint64_t turn_end; /* the end of the turn we hold (0: none) */
    uint64_t shun_until; /* no waits for a turn before this (5.) */
    uint64_t nap_at;     /* clock at our last nap (1., a member on the lead's CPU) */
    struct coord__spinset *set; /* spinners on the same object, or NULL */
};

static inline void coord__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Set the spinset a spinner counts itself in and discounts (NULL: none),
 * and how it takes its slot there (COORD__SPIN_ANY, _LEAD, _MEMBER). */
static inline void coord__spinner_join_as(struct coord__spinner *s,
                                          struct coord__spinset *set,
                                          uint8_t role)
{
    s->set = set;
    s->slot = 0;
    s->until = 0;
    s->role = role;
}

static inline void coord__spinner_join(struct coord__spinner *s,
                                       struct coord__spinset *set)
{
    coord__spinner_join_as(s, set, COORD__SPIN_ANY);
}

/* The load gate (2. above) as a pure function: `run` runnable tasks (the
 * caller included; negative: unknown), `cpus` CPUs, `spinning` other
 * processes spinning on the caller's object. True: a CPU is free for one
 * more spinner. */
static inline bool coord__spin_gate_open(int run, int cpus, uint32_t spinning)
{
    if (run < 0)
        return true;
    return (int64_t)run - (int64_t)spinning <= (int64_t)cpus;
}

/* Room to move a member off its lead's CPU (1. above): few enough runnable
 * tasks besides our own spinners (`run` tasks, the caller included; `cpus`
 * CPUs; `ours` spinning on our object) that the lead and the member each
 * find a CPU free of others. Unknown load (run < 0): no. Beside busy
 * processes the two do better on one CPU, handing it over at each yield,
 * than on two CPUs each shared with a busy process (mgrlat, 2 clients
 * beside two busy loops, p50 of 12 runs: 2.6 µs staying, 47.6 µs moved). */
static inline bool coord__spin_room(int run, int cpus, uint32_t ours)
{
    return run >= 0 && (int64_t)run - (int64_t)ours + 2 <= (int64_t)cpus;
}

/* Every CPU taken, not counting the processes spinning on our object? */
static inline bool coord__spin_gate_taken(struct coord__spinner *s,
                                          uint64_t now)
{
    int cpus;
    int run = coord__load_sample(now, &cpus);
    uint32_t spinning = 0;
    if (s->set && run >= 0) {
        spinning = coord__spinset_count(s->set, now);
        /* A lead renewing its window: its own open slot is not another. */
        if (spinning && s->until > now)
            spinning--;
    }
    return !coord__spin_gate_open(run, cpus, spinning);
}

/*
 * Members' turns (5. above). A member whose turn is over hands its slot to
 * a waiter: it sets the slot's window to COORD__TURN_RING_NS from now (so
 * nobody else claims it, and the gate still counts it as a spinner while
 * the waiter wakes), stores the slot in `handed` and the time in
 * `rung_at`, moves the bell and wakes one sleeper (futex waiters of one
 * word wake first come, first served). The woken waiter takes the slot by
 * clearing rung_at (one compare and swap: one taker) and writing its own
 * window. When the wake finds nobody asleep the hand-over is undone (a
 * waiter on its way to sleep sees the bell move and claims a free slot).
 * A ring not taken (its waiter died) lapses with the window. Giving a slot
 * back stores it, then looks for waiters; a waiter announces itself, then
 * looks at the slots (both seq_cst): the releaser hands over, or the waiter
 * sees the slot free. Waiters announce themselves in `wanted` with the end
 * of their wait, so one SIGKILLed while waiting stops counting when its
 * wait would have ended, as a spin slot does.
 */
#define COORD__TURN_NS 600000u       /* a turn: back-to-back spinning calls */
/* (200 µs turns lost a quarter more to the hand-overs: 16 clients got 0.66
 * of one client's gets/s, against 0.83 with 600 µs, medians of 8 runs.) */
#define COORD__TURN_GAP_NS 50000u    /* calls this close are a stream */
#define COORD__TURN_RING_NS 2000000u /* a hand-over not taken this long lapses */
#define COORD__TURN_WAIT_NS 20000000u /* the longest wait for one */
/* An entry of wanted[] further ahead than this is no waiter's (they
 * announce COORD__TURN_WAIT_NS at most): a scribble, counted as ended. */
#define COORD__TURN_WANTED_MAX_NS 10000000000ull
#define COORD__TURN_TEND_NS 20000u   /* the lead looks this often */
/* A wait for a turn that saw no turn handed on at all in its
 * COORD__TURN_WAIT_NS (the slots held for good: a member that never hands
 * its turn on, or values nobody wrote) makes that member sleep the
 * ordinary way, without waiting for turns, this long. */
#define COORD__TURN_SHUN_NS 250000000u

/* A member's move (1. above): when its CPU is the one its lead last idled
 * on, move to another CPU it may use (or, where it cannot, sleep
 * COORD__NAP_NS) and return true (s->nap_at: now, s->last: after the
 * move); false: not on the lead's CPU (or it is unknown), yield as usual.
 * Affects the calling thread only; its affinity mask is left as it was. */
#define COORD__NAP_NS 1000u
#define COORD__NAP_EVERY_NS 1000000u
bool coord__spin_nap(struct coord__spinner *s, uint64_t now);

/* Somebody waits for a turn (an open entry in `wanted`). */
bool coord__turn_wanted(struct coord__spinset *set, uint64_t now);
/* If member slot `i` (0-based) still holds `expected` (the caller's
 * window, or an ended one), reserve it (its window set to now +
 * COORD__TURN_RING_NS) and hand it to the first waiter. */
void coord__turn_hand(struct coord__spinset *set, uint32_t i,
                      uint64_t expected, uint64_t now);
/* The woken waiter's: take the slot handed on. Returns its index + 1, or
 * 0 (none, or another took it). */
uint32_t coord__turn_take(struct coord__spinset *set, uint64_t now,
                          uint64_t until);
/* The lead's part, on each of its idle passes: publish its CPU (1. above),
 * and hand a member slot that came free without a hand-over (its holder
 * stopped calling, lost its CPU or died) to a waiter, at most once per
 * COORD__TURN_TEND_NS; `*at` is the lead's clock of its last look. */
void coord__turn_tend(struct coord__spinset *set, uint64_t now,
                      uint64_t *at);
/* Wait (asleep) for a turn: until a ring, a free member slot, or `until`.
 * A ring that woke us sets s->rung. Returns false when it ran to `until`
 * (whether turns moved meanwhile, the bell says). */
bool coord__turn_wait(struct coord__spinner *s, uint64_t until);

/* Give our member slot back, or hand it to a waiter for a turn. */
static inline void coord__member_release(struct coord__spinner *s)
{
    _Atomic uint64_t *u = &s->set->slot[s->slot - 1].until;
    uint64_t mine = s->until, now = s->turns ? coord_clock_ns() : 0;
    uint32_t i = s->slot - 1;
    s->slot = 0;
    s->until = 0;
    s->turn_end = 0;
    if (s->turns && coord__turn_wanted(s->set, now)) {
        coord__turn_hand(s->set, i, mine, now);
        return;
    }
    /* A waiter that came meanwhile (see above) gets the slot after all. */
    if (atomic_compare_exchange_strong_explicit(u, &mine, 0,
                                                memory_order_seq_cst,
                                                memory_order_relaxed) &&
        s->turns && coord__turn_wanted(s->set, now))
        coord__turn_hand(s->set, i, 0, now);
}

/* A spin refused by the backoff or the gate: a member keeps no slot. */
static inline void coord__member_refused(struct coord__spinner *s)
{
    if (s->role == COORD__SPIN_MEMBER && s->set && s->turn_end)
        coord__member_release(s);
}

/* A member's slot for a window ending at `until`: the one it kept from its
 * turn, or a free one (a slot handed on is taken in coord__spin_begin).
 * False: none (s->refused): sleep, or wait for a turn. */
static inline bool coord__member_announce(struct coord__spinner *s,
                                          uint64_t now, uint64_t until)
{
    struct coord__spinset *set = s->set;
    if (s->turn_end) {
        if (now >= s->turn_end && coord__turn_wanted(set, now)) {
            /* Our turn is over and a member waits: hand it on. */
            coord__member_release(s);
            s->refused = true;
            return false;
        }
        _Atomic uint64_t *u = &set->slot[s->slot - 1].until;
        uint64_t mine = s->until;
        if (atomic_compare_exchange_strong_explicit(u, &mine, until,
                                                    memory_order_relaxed,
                                                    memory_order_relaxed)) {
            if (now >= s->turn_end)
                s->turn_end = now + COORD__TURN_NS; /* nobody waits */
            s->until = until;
            return true;
        }
        s->slot = 0; /* it ran out and another member took it */
        s->turn_end = 0;
    }
    s->slot = coord__spinset_claim(set, coord__spin_slot_cpus(), now, until);
    if (!s->slot) {
        s->refused = true;
        return false;
    }
    if (s->turns)
        s->turn_end = now + COORD__TURN_NS;
    s->until = until;
    return true;
}

/* Take our slot in the spinset for a window ending at `until`. False: a
 * member found every member slot taken (sleep at once, or wait a turn). */
static inline bool coord__spinner_announce(struct coord__spinner *s,
                                           uint64_t now, uint64_t until)
{
    if (s->role == COORD__SPIN_MEMBER)
        return coord__member_announce(s, now, until);
    if (s->slot == 0)
        s->slot = s->role == COORD__SPIN_LEAD
                      ? 1
                      : (uint32_t)getpid() % COORD__SPINSET_SLOTS + 1;
    atomic_store_explicit(&s->set->slot[s->slot - 1].until, until,
                          memory_order_relaxed);
    s->until = until;
    return true;
}

/* Start a spin of up to spin_ns (or refuse it: then sleep at once). Counts
 * the wait against the backoff; when it returns true the spin has started
 * now and is announced in the spinset. End it with coord__spin_end. */
static inline bool coord__spin_begin(struct coord__spinner *s,
                                     uint64_t spin_ns)
{
    s->refused = s->gated = false;
    if (spin_ns == 0)
        return false;
    if (s->skip) {
        s->skip--;
        coord__member_refused(s);
        return false;
    }
    uint64_t now = coord_clock_ns();
    if (s->turns) {
        s->streaming = now - s->asked < COORD__TURN_GAP_NS;
        s->asked = now;
    }
    if (s->rung) {
        /* A turn handed to us: it replaces its giver, or a waiter's
         * demand, so the gate does not apply (5. above). */
        s->rung = false;
        uint32_t i = coord__turn_take(s->set, now, now + spin_ns);
        if (i) {
            s->slot = i;
            s->until = now + spin_ns;
            s->turn_end = now + COORD__TURN_NS;
            s->start = s->last = now;
            s->yielded = false;
            /* Woken onto the lead's CPU: leave it before the turn. */
            if (now - s->nap_at >= COORD__NAP_EVERY_NS &&
                coord__spin_nap(s, now))
                s->start = s->last;
            return true;
        }
    }
    /* One CPU to run on (2. above): a member gets no slot, and a lead
     * spins only for members spinning elsewhere (its other parties would
     * need its CPU to answer: a manager and 16 clients under `taskset -c
     * 0` got 35k gets/s spinning, 117k sleeping at once; a lead alone on a
     * core of its own, with members on others, still spins for them).
     * Decided before the gate, whose look at the load would be wasted. */
    if (s->set && s->role != COORD__SPIN_ANY && coord__cpus_now(now) < 2 &&
        (s->role == COORD__SPIN_MEMBER ||
         !coord__spinset_members(s->set, now))) {
        coord__member_refused(s);
        s->refused = s->role == COORD__SPIN_MEMBER;
        s->gated = !s->refused;
        return false;
    }
    /* A member on its turn passed the gate when the turn began. */
    bool in_turn = s->turn_end && now < s->turn_end;
    if (!s->nogate && !in_turn && now >= s->sample_at) {
        s->taken = coord__spin_gate_taken(s, now);
        s->sample_at = now + COORD__SPIN_SAMPLE_NS;
    }
    /* While members of ours wait for a turn, a member's spin replaces one
     * of them, and the lead's is what the member on its turn waits for
     * (5. above): the gate does not apply. */
    if (s->taken && !in_turn &&
        !((s->turns || (s->role == COORD__SPIN_LEAD && s->set)) &&
          coord__turn_wanted(s->set, now))) {
        coord__member_refused(s);
        s->gated = true;
        return false;
    }
    if (s->level && now - s->slow_at >= COORD__SPIN_CALM_NS) {
        uint64_t k = (now - s->slow_at) / COORD__SPIN_CALM_NS;
        s->level = k >= 32 ? 0 : s->level >> k;
        s->slow_at = now;
    }
    if (s->set && !coord__spinner_announce(s, now, now + spin_ns))
        return false;
    s->start = s->last = now;
    s->yielded = false;
    return true;
}

/* The spin is over (the wait ended, or it goes to sleep). A member frees
 * its slot only if it still holds it (a window that ran out may have been
 * claimed by another member since); one on a turn keeps it (its window
 * covers the gap to its next call) unless it lost its CPU. */
static inline void coord__spin_end(struct coord__spinner *s)
{
    if (!s->set || !s->slot || !s->until)
        return;
    if (s->role == COORD__SPIN_MEMBER) {
        if (!s->turn_end || s->skip)
            coord__member_release(s);
        return;
    }
    atomic_store_explicit(&s->set->slot[s->slot - 1].until, 0,
                          memory_order_relaxed);
    s->until = 0;
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
        if (s->role == COORD__SPIN_MEMBER && s->set &&
            now - s->nap_at >= COORD__NAP_EVERY_NS && coord__spin_nap(s, now))
            return true;
        sched_yield();
    }
    return true;
}

/* The polls of a spin that coord__spin_begin started; it ends it. */
static inline bool coord__spin_poll(struct coord__spinner *s, uint64_t spin_ns,
                                    bool (*ready)(const void *ctx),
                                    const void *ctx)
{
    bool ok = false;
    for (;;) {
        for (int i = 0; i < COORD__SPIN_POLLS; i++) {
            if (ready(ctx)) {
                ok = true;
                goto out;
            }
            coord__cpu_relax();
        }
        if (!coord__spin_step(s) || s->last - s->start >= spin_ns)
            break;
    }
    ok = ready(ctx);
out:
    coord__spin_end(s);
    return ok;
}

/*
 * Poll ready(ctx) for up to spin_ns, by the policy above. True when it
 * held (during the spin, or at the one look made when no spin is
 * allowed); false: go to sleep. `ready` should be cheap and free of side
 * effects; it is inlined when it is a static function.
 */
static inline bool coord__spin_until(struct coord__spinner *s,
                                     uint64_t spin_ns,
                                     bool (*ready)(const void *ctx),
                                     const void *ctx)
{
    if (ready(ctx))
        return true;
    if (!coord__spin_begin(s, spin_ns))
        return false;
    return coord__spin_poll(s, spin_ns, ready, ctx);
}

/* A member that slept its own way after coord__spin_member said so: its
 * wait ended now (the gap to its next call, which says whether its calls
 * stream, is measured from here). */
static inline void coord__spin_woke(struct coord__spinner *s)
{
    if (s->turns)
        s->asked = coord_clock_ns();
}

/*
 * A member's wait with turns (5. above): coord__spin_until, and when that
 * found every member slot taken while this member's calls come back to
 * back, wait asleep for a turn (a ring, or up to COORD__TURN_WAIT_NS, or
 * `give_up`), take the slot and spin. True when ready() held; false: sleep
 * the caller's own way.
 */
static inline bool coord__spin_member(struct coord__spinner *s,
                                      uint64_t spin_ns,
                                      bool (*ready)(const void *ctx),
                                      const void *ctx, uint64_t give_up)
{
    if (coord__spin_until(s, spin_ns, ready, ctx))
        return true;
    /* (With one CPU there is no member slot, so no turn to wait for.) */
    if (!s->turns || !(s->refused || s->gated) || !s->streaming ||
        s->asked < s->shun_until || coord__spin_cpus() < 2)
        return false;
    uint64_t end = s->asked + COORD__TURN_WAIT_NS;
    if (end > give_up)
        end = give_up;
    uint32_t bell = atomic_load_explicit(&s->set->bell, memory_order_relaxed);
    do {
        if (!coord__turn_wait(s, end) &&
            end == s->asked + COORD__TURN_WAIT_NS &&
            atomic_load_explicit(&s->set->bell, memory_order_relaxed) ==
                bell) {
            /* No turn moved in all that time (one hand-over, one move of
             * the bell): stop waiting for them. */
            s->shun_until = end + COORD__TURN_SHUN_NS;
            return ready(ctx);
        }
        /* Take the turn even when the reply is there already. */
        if (coord__spin_begin(s, spin_ns))
            return coord__spin_poll(s, spin_ns, ready, ctx);
        /* Refused by the gate with a slot free: the CPUs are busy with
         * others than us, sleep the ordinary way. */
    } while (s->refused && coord_clock_ns() < end);
    return ready(ctx);
}

/*
 * The stream poll, for a waiter whose peer usually answers within a few
 * hundred nanoseconds while it runs (a queue side in a stream: the next
 * message is one put away). Before the policy's gated spin, poll ready()
 * for up to COORD__POLL_BRIEF_NS whatever the load: less than a futex
 * sleep and its wake-up cost the two sides in system calls alone, so
 * polling that long costs at most what sleeping at once would (spin for
 * the cost of blocking, then block: the classic 2-competitive rule), and
 * a peer that is running answers well within it (a put takes tens of
 * nanoseconds). It is what keeps a stream from sleeping between messages
 * on a loaded machine, where the gate refuses the spin: without it every
 * message paid a futex wake and a scheduling delay (measured 5-17x
 * slower, docs/queue.md "Waiting"). The price is paid by a ping-pong
 * whose peer shares our CPU: up to COORD__POLL_BRIEF_NS more per wait
 * (`coord_bench wakeup`, word_stream against word_policy). No gate, no
 * backoff, no yield, no spinset: too short to matter to anybody else.
 * True when ready() held.
 */
#define COORD__POLL_BRIEF_NS 1000u

static inline bool coord__poll_brief(bool (*ready)(const void *ctx),
                                     const void *ctx)
{
    uint64_t start = 0;
    for (;;) {
        for (int i = 0; i < COORD__SPIN_POLLS / 4; i++) {
            if (ready(ctx))
                return true;
            coord__cpu_relax();
        }
        uint64_t now = coord_clock_ns();
        if (start == 0)
            start = now;
        else if (now - start >= COORD__POLL_BRIEF_NS)
            return ready(ctx);
    }
}

/* The whole spin half for a stream: the brief poll, then the policy's
 * gated spin (coord__spin_until), then, when the spin was refused or is
 * over, one yield and a last look. The yield is for the peer that shares
 * our CPU (the usual case on a loaded machine, where the gate refuses):
 * it runs now, and fills (or drains) a batch, instead of being made to
 * pay a futex wake-up per message once we sleep. One per wait, as in the
 * spin, never between polls (step 1). True when ready() held; false:
 * sleep. */
static inline bool coord__spin_stream(struct coord__spinner *s,
                                      uint64_t spin_ns,
                                      bool (*ready)(const void *ctx),
                                      const void *ctx)
{
    if (coord__poll_brief(ready, ctx) ||
        coord__spin_until(s, spin_ns, ready, ctx))
        return true;
    sched_yield();
    return ready(ctx);
}

/*
 * The sleep: until *word != old, or `deadline` (absolute monotonic ns,
 * UINT64_MAX: none), announced in *sleepers (see 4. above). Returns 0 with
 * *val the new value, or COORD_ETIMEDOUT with *val == old.
 */
static inline int coord__sleep_change(_Atomic uint32_t *word, uint32_t old,
                                      _Atomic uint32_t *sleepers,
                                      uint64_t deadline, uint32_t *val)
{
    uint32_t v;
    int rc = 0;
    /* seq_cst increment, then re-read: pairs with coord__wake. */
    atomic_fetch_add_explicit(sleepers, 1, memory_order_seq_cst);
    while ((v = atomic_load_explicit(word, memory_order_seq_cst)) == old)
        if ((rc = coord__futex_wait(word, old, deadline)) == COORD_ETIMEDOUT)
            break;
    atomic_fetch_sub_explicit(sleepers, 1, memory_order_relaxed);
    *val = v;
    return v != old ? 0 : COORD_ETIMEDOUT;
}

struct coord__word_change {
    _Atomic uint32_t *word;
    uint32_t old;
};

static inline bool coord__word_changed(const void *ctx)
{
    const struct coord__word_change *c = ctx;
    return atomic_load_explicit(c->word, memory_order_acquire) != c->old;
}

/*
 * Wait until *word != old (the whole policy: spin, then sleep), or until
 * `deadline`. Returns 0 with *val the new value (acquire: what the writer
 * stored before changing the word is visible), or COORD_ETIMEDOUT.
 */
static inline int coord__wait_change(struct coord__spinner *s,
                                     uint64_t spin_ns, _Atomic uint32_t *word,
                                     uint32_t old, _Atomic uint32_t *sleepers,
                                     uint64_t deadline, uint32_t *val)
{
    struct coord__word_change c = {word, old};
    if (coord__spin_until(s, spin_ns, coord__word_changed, &c)) {
        *val = atomic_load_explicit(word, memory_order_acquire);
        return 0;
    }
    return coord__sleep_change(word, old, sleepers, deadline, val);
}

/* The writer's half: after changing *word with a seq_cst store (or RMW),
 * wake its sleepers, if any (up to n; INT32_MAX: all). */
static inline void coord__wake(_Atomic uint32_t *word,
                               _Atomic uint32_t *sleepers, int n)
{
    if (atomic_load_explicit(sleepers, memory_order_seq_cst))
        coord__futex_wake(word, n);
}

#endif
