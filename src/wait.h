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
 *
 * 2. Only while a CPU is free for it. A spin starts only while the
 *    runnable tasks (/proc/loadavg, sampled at most every
 *    COORD__SPIN_SAMPLE_NS), less the processes spinning on the same
 *    object (a coord__spinset in its shared memory, when it has one: they
 *    give their CPU back at once and are what we wait for, not load), do
 *    not exceed the machine's CPUs (coord__spin_gate_open). When every CPU
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
 *    free, so at most `cpus` of them spin at the same time.
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
 * A coord__spinner holds one waiting party's backoff state (a client, a
 * server loop, a worker): zero-initialised, private to one process and
 * thread, never in shared memory.
 */
#define COORD__SPIN_SOLO_NS 10000u
#define COORD__SLOW_STEP_NS 200000u
#define COORD__SPIN_SAMPLE_NS 1000000u
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
 * changes how many are counted and which slots look free.
 */
#define COORD__SPINSET_SLOTS 64u
struct coord__spinset {
    struct {
        alignas(COORD__CACHE_LINE) _Atomic uint64_t until;
    } slot[COORD__SPINSET_SLOTS];
};

/* Slots of `set` whose window is still open at `now`. */
uint32_t coord__spinset_count(struct coord__spinset *set, uint64_t now);

/* A member's claim: the first of slots 1 .. min(cpus, COORD__SPINSET_SLOTS)
 * - 1 whose window has ended at `now` now holds `until`. Returns that
 * slot's index + 1, or 0 when every one is taken (do not spin). */
uint32_t coord__spinset_claim(struct coord__spinset *set, int cpus,
                              uint64_t now, uint64_t until);

/* The machine's online CPUs, as last sampled (coord__load_sample). */
int coord__spin_cpus(void);

/* The runnable tasks and online CPUs, sampled from /proc/loadavg at most
 * once per COORD__SPIN_SAMPLE_NS per process (src/wait.c). Returns the
 * runnable count (the caller included) and *cpus, or -1 when unknown. */
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

/* Take our slot in the spinset for a window ending at `until`. False: a
 * member found every member slot taken (sleep at once). */
static inline bool coord__spinner_announce(struct coord__spinner *s,
                                           uint64_t now, uint64_t until)
{
    if (s->role == COORD__SPIN_MEMBER) {
        s->slot = coord__spinset_claim(s->set, coord__spin_cpus(), now, until);
        if (!s->slot)
            return false;
    } else {
        if (s->slot == 0)
            s->slot = s->role == COORD__SPIN_LEAD
                          ? 1
                          : (uint32_t)getpid() % COORD__SPINSET_SLOTS + 1;
        atomic_store_explicit(&s->set->slot[s->slot - 1].until, until,
                              memory_order_relaxed);
    }
    s->until = until;
    return true;
}

/* Start a spin of up to spin_ns (or refuse it: then sleep at once). Counts
 * the wait against the backoff; when it returns true the spin has started
 * now and is announced in the spinset. End it with coord__spin_end. */
static inline bool coord__spin_begin(struct coord__spinner *s,
                                     uint64_t spin_ns)
{
    if (spin_ns == 0)
        return false;
    if (s->skip) {
        s->skip--;
        return false;
    }
    uint64_t now = coord_clock_ns();
    if (!s->nogate && now >= s->sample_at) {
        s->taken = coord__spin_gate_taken(s, now);
        s->sample_at = now + COORD__SPIN_SAMPLE_NS;
    }
    if (s->taken)
        return false;
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
 * claimed by another member since). */
static inline void coord__spin_end(struct coord__spinner *s)
{
    if (!s->set || !s->slot || !s->until)
        return;
    _Atomic uint64_t *u = &s->set->slot[s->slot - 1].until;
    if (s->role == COORD__SPIN_MEMBER) {
        uint64_t mine = s->until;
        atomic_compare_exchange_strong_explicit(u, &mine, 0,
                                                memory_order_relaxed,
                                                memory_order_relaxed);
        s->slot = 0;
    } else {
        atomic_store_explicit(u, 0, memory_order_relaxed);
    }
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
        sched_yield();
    }
    return true;
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
