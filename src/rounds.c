/* SPDX-License-Identifier: MIT */
/* rounds.c: persistent forked workers running early-exit rounds, one epoch per round. */
#include <limits.h>
#include <math.h>
#include <stdalign.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loop.h"
#include "rounds_gate.h"

#define GRACE_MS 1000
/* How long coord_rounds_destroy waits for its workers to quit. They are
 * idle between rounds and leave as soon as they run, so only a loaded
 * machine makes it take long: there a woken worker may wait for a CPU
 * behind every runnable task, and a 1 s grace once reported a healthy
 * worker as failed (`coord fraud` under `make check-loop`). */
#define QUIT_GRACE_MS 5000
/* While waiting for a round to end, look at the workers' pidfds this
 * often, so a dead worker is noticed within about a millisecond. */
#define WATCH_NS 1000000ull

/*
 * The control block. Lines are split by writer: `seq` and the round's
 * parameters are written by the caller once per round and read by every
 * worker; `sleepers` is written by workers going to sleep; `done` by
 * workers finishing; the winner's line by the winner only. A worker's hot
 * loop reads only the flag (its own lines, ahead of this block).
 */
struct rctl {
    alignas(COORD__CACHE_LINE) _Atomic uint32_t seq; /* round number */
    _Atomic uint32_t quit;
    uint32_t epoch;
    uint64_t begin, end, len;
    alignas(COORD__CACHE_LINE) _Atomic uint32_t sleepers;
    alignas(COORD__CACHE_LINE) _Atomic uint32_t done;
    _Atomic uint32_t parent_sleeping;
    _Atomic uint32_t swept; /* the last round skip_unstarted went through */
    struct coord__win win;
    struct coord__spinset spinners; /* who spins on this object */
};

struct rslot {
    alignas(COORD__CACHE_LINE) uint64_t iterations;
    uint64_t wasted, t_left, every, checks, conflicts;
    double cost;
    uint32_t outcome;
    /* Who has round s: ENTERED(s) once the worker took it, SKIPPED(s)
     * once a sibling leaving a claimed round found it not started and
     * counted it as done for it (skip_unstarted). One CAS decides. */
    _Atomic uint64_t gate;
};

#define ENTERED(s) COORD__ROUND_ENTERED(s)
#define SKIPPED(s) COORD__ROUND_SKIPPED(s)

struct rlayout {
    size_t flag, ctl, slots, input, result, total;
};

struct coord_rounds {
    char *base;
    struct rlayout l;
    coord_flag *flag;
    struct rctl *ctl;
    struct rslot *slots;
    coord__child *ch;
    uint32_t n;
    coord_rounds_opts o;
    uint64_t chunk;
    coord_round_fn fn;
    void *arg;
    uint32_t w; /* the worker being forked (read by the child) */
    uint32_t owner; /* coord__self_pid() of the creator */
    bool broken;
    coord_rounds_totals t;
    struct coord__spinner sp; /* the owner's waits */
};

static struct rlayout rlayout_of(uint32_t n, size_t max_input,
                                 size_t result_size)
{
    struct rlayout l;
    size_t line = COORD__CACHE_LINE;
    l.flag = 0;
    l.ctl = (coord_flag_size() + line - 1) / line * line;
    l.slots = l.ctl + sizeof(struct rctl);
    l.input = l.slots + (size_t)n * sizeof(struct rslot);
    l.result = l.input + (max_input + line - 1) / line * line;
    l.total = l.result + (result_size ? result_size : 1);
    return l;
}

void coord_rounds_opts_init(coord_rounds_opts *o)
{
    if (!o)
        return;
    *o = (coord_rounds_opts)COORD_ROUNDS_OPTS_INIT;
    o->workers = coord__cpus_workers(COORD_SEARCH_MAX_WORKERS);
}

/* Enter round s: false when a sibling already counted this worker out of
 * it, or of a later round (s is stale: rounds_gate.h), which the one CAS settles
 * either way. */
static bool enter_round(struct rslot *slot, uint32_t s)
{
    return coord__round_enter(&slot->gate, s);
}

/*
 * A claimed round (or one at its deadline) with early exit: a sibling that
 * has not started it yet would only start, see the flag and leave. On a
 * machine with more workers than CPUs it may wait a whole scheduler tick
 * for a CPU to do that, and the round with it (Example 27.1 with 4 workers
 * on 2 CPUs: the last worker started 250 us after the claim). So the
 * workers leaving it count such a sibling out: its slot gets an empty
 * report and `done` its share; the sibling, when it runs, finds SKIPPED(s)
 * and waits for the next round. A round's workers cannot all be gone
 * before this ends (the caller's own `done` comes after), so no later
 * round can see these stores.
 */
static void skip_unstarted(struct coord_rounds *r, uint32_t s)
{
    struct rctl *ctl = r->ctl;
    /* After one whole sweep every gate holds ENTERED(s) or SKIPPED(s):
     * the workers leaving later need not look again (with 1,024 workers,
     * a sweep each would be a million loads a round). */
    if (atomic_load_explicit(&ctl->swept, memory_order_relaxed) == s)
        return;
    for (uint32_t w = 0; w < r->n; w++) {
        struct rslot *sl = &r->slots[w];
        uint64_t g = atomic_load_explicit(&sl->gate, memory_order_acquire);
        if (g == ENTERED(s) || g == SKIPPED(s))
            continue;
        if (!atomic_compare_exchange_strong_explicit(
                &sl->gate, &g, SKIPPED(s), memory_order_acq_rel,
                memory_order_acquire))
            continue; /* it entered (or another sibling skipped it) */
        sl->iterations = sl->wasted = sl->t_left = 0;
        sl->checks = sl->conflicts = 0;
        sl->outcome = (uint32_t)COORD_OUTCOME_STOPPED;
        /* Never the last share: ours comes after (so no wake here). The
         * release half publishes the slot's report. */
        atomic_fetch_add_explicit(&ctl->done, 1, memory_order_seq_cst);
    }
    atomic_store_explicit(&ctl->swept, s, memory_order_relaxed);
}

static int rounds_worker(void *p)
{
    struct coord_rounds *r = p; /* our private copy of the owner's struct */
    struct rctl *ctl = r->ctl;
    struct rslot *slot = &r->slots[r->w];
    uint64_t spin = r->o.spin_ns ? r->o.spin_ns : COORD__SPIN_DEFAULT_NS;
    struct coord__spinner sp = {0};
    coord__spinner_join(&sp, &ctl->spinners);
    void *scratch = malloc(r->o.result_size ? r->o.result_size : 1);
    if (!scratch)
        return 4;
    coord_interval iv;
    if (coord_interval_init(&iv, r->o.check_every, r->o.overhead_budget,
                            r->o.latency_target_ns)) {
        free(scratch);
        return 3; /* validated at create: cannot happen */
    }
    uint32_t self = coord__self_pid();
    uint32_t seen = 0;
    for (;;) {
        coord__wait_change(&sp, spin, &ctl->seq, seen, &ctl->sleepers,
                           UINT64_MAX, &seen);
        if (atomic_load_explicit(&ctl->quit, memory_order_acquire))
            break;
        if (!enter_round(slot, seen))
            continue; /* counted out of a claimed round: wait for the next */
        /* The acquire load of seq in wait_change made the round's
         * parameters and input (written before the seq store) visible. */
        struct coord__share s;
        coord__share_init(&s, ctl->begin, ctl->end, r->w, r->n,
                          r->o.partition, r->chunk);
        struct coord__loop L = {
            .flag = r->flag,
            .epoch = ctl->epoch,
            .claim = r->o.claim,
            .early_exit = r->o.early_exit,
            .round_fn = r->fn,
            .input = r->base + r->l.input,
            .input_len = ctl->len,
            .worker = r->w,
            .arg = r->arg,
            .scratch = scratch,
            .iv = &iv,
            .self = self,
        };
        uint64_t conflicts0 = iv.conflicts;
        coord__loop_run(&L, &s);
        coord__win_publish(&ctl->win, &L, r->base + r->l.result,
                           r->o.result_size);
        slot->iterations = L.iterations;
        slot->wasted = L.wasted;
        slot->t_left = L.t_left;
        slot->every = iv.every;
        slot->checks = L.checks;
        slot->conflicts = iv.conflicts - conflicts0;
        slot->cost = iv.cost_ns;
        slot->outcome = (uint32_t)L.outcome;
        /* Waiting for the next round is not iteration time. */
        coord_interval_restart(&iv);
        if (r->o.early_exit && coord_flag_is_set(r->flag))
            skip_unstarted(r, seen);
        /* seq_cst: pairs with the owner's sleep (wait.h). The release
         * half publishes the slot. */
        uint32_t d = atomic_fetch_add_explicit(&ctl->done, 1,
                                               memory_order_seq_cst) + 1;
        if (d == r->n)
            coord__wake(&ctl->done, &ctl->parent_sleeping, 1);
    }
    free(scratch);
    return 0;
}

static void release_all(struct coord_rounds *r)
{
    if (r->ch) {
        for (uint32_t i = 0; i < r->n; i++)
            coord__child_kill(&r->ch[i]);
        free(r->ch);
    }
    coord__seg_release(r->base, true);
    free(r);
}

int coord_rounds_create(coord_rounds **out, const coord_rounds_opts *o,
                        coord_round_fn fn, void *arg)
{
    if (!out || !o || !fn || o->workers == 0 ||
        o->workers > COORD_SEARCH_MAX_WORKERS || o->check_every == 0 ||
        o->check_every == COORD_CHECK_NEVER ||
        (o->claim != COORD_CLAIM_CAS && o->claim != COORD_CLAIM_LOCK) ||
        (o->partition != COORD_PARTITION_INTERLEAVED &&
         o->partition != COORD_PARTITION_BLOCKS) ||
        o->result_size > COORD_SEARCH_MAX_RESULT ||
        o->max_input > ((size_t)1 << 30))
        return COORD_EINVAL;
    if (o->overhead_budget != 0 &&
        (!isfinite(o->overhead_budget) || o->overhead_budget <= 0 ||
         o->overhead_budget >= 1))
        return COORD_EINVAL;
    struct coord_rounds *r = calloc(1, sizeof *r);
    if (!r)
        return COORD_ENOMEM;
    r->o = *o;
    r->owner = coord__self_pid();
    r->n = o->workers;
    r->fn = fn;
    r->arg = arg;
    r->chunk = o->chunk ? o->chunk : COORD_SEARCH_CHUNK;
    r->l = rlayout_of(r->n, o->max_input, o->result_size);
    int rc = coord__seg_create(NULL, COORD__KIND_POOL, r->l.total,
                               (void **)&r->base);
    if (rc) {
        free(r);
        return rc;
    }
    rc = coord_flag_init(r->base + r->l.flag, coord_flag_size(), &r->flag);
    if (rc) {
        coord__seg_release(r->base, true);
        free(r);
        return rc;
    }
    coord__seg_publish(r->base);
    r->ctl = (struct rctl *)(r->base + r->l.ctl);
    r->slots = (struct rslot *)(r->base + r->l.slots);
    coord__spinner_join(&r->sp, &r->ctl->spinners);
    r->ch = calloc(r->n, sizeof *r->ch);
    if (!r->ch) {
        release_all(r);
        return COORD_ENOMEM;
    }
    if (o->check_every == COORD_CHECK_AUTO)
        coord_interval_check_ns(); /* measured once, inherited by all */
    /* Each worker's K before its first round (each worker's interval
     * starts the same): a worker counted out of every round it was given
     * (skip_unstarted) never writes its slot, and its K is still this. */
    coord_interval iv0;
    if (coord_interval_init(&iv0, o->check_every, o->overhead_budget,
                            o->latency_target_ns) == 0)
        for (uint32_t w = 0; w < r->n; w++)
            r->slots[w].every = iv0.every;
    for (uint32_t w = 0; w < r->n; w++) {
        r->w = w;
        rc = coord__spawn(&r->ch[w], rounds_worker, r);
        if (rc) {
            release_all(r);
            return rc;
        }
    }
    *out = r;
    return 0;
}

/* The owner's wait for all workers to finish the round. Returns 0,
 * COORD_EPEERDIED (*which died), COORD_ECHILD (*which was reaped by
 * someone else: it is gone, its status unknown) or COORD_ETIMEDOUT
 * (deadline passed). */
static int wait_done(struct coord_rounds *r, uint64_t deadline, size_t *which)
{
    return coord__wait_count(&r->sp, &r->ctl->done, r->n,
                             &r->ctl->parent_sleeping, r->ch,
                             r->o.spin_ns ? r->o.spin_ns
                                          : COORD__SPIN_DEFAULT_NS,
                             WATCH_NS, deadline, which);
}

/* The workers round s counted out (skip_unstarted) were not waited for,
 * so a death among them would go unseen until a round needs them: look
 * once (a waitpid each). Returns 0, COORD_EPEERDIED or COORD_ECHILD (it
 * was reaped behind our back) with *which, as wait_done. */
static int check_skipped(struct coord_rounds *r, uint32_t s, size_t *which)
{
    for (uint32_t w = 0; w < r->n; w++) {
        if (atomic_load_explicit(&r->slots[w].gate, memory_order_relaxed) !=
                SKIPPED(s) ||
            coord__child_wait(&r->ch[w], 0) != 0)
            continue;
        *which = w;
        return r->ch[w].status == COORD__STATUS_UNKNOWN ? COORD_ECHILD
                                                         : COORD_EPEERDIED;
    }
    return 0;
}

static void fail(struct coord_rounds *r, size_t which, coord_round_stats *st)
{
    if (st) {
        st->failed_worker = (int32_t)which;
        st->failed_status = r->ch[which].status;
    }
    for (uint32_t i = 0; i < r->n; i++)
        coord__child_kill(&r->ch[i]);
    r->broken = true;
}

int coord_rounds_run(coord_rounds *r, const void *input, size_t len,
                     uint64_t begin, uint64_t end, void *result,
                     coord_round_stats *st, int timeout_ms)
{
    /* timeout 0 ("try once") has no meaning for a round: refused, as
     * coord_search and coord_team do (it timed every round out). */
    if (!r || end < begin || len > r->o.max_input || (!input && len) ||
        timeout_ms == 0 || coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    if (st) {
        memset(st, 0, sizeof *st);
        st->winner = -1;
        st->failed_worker = -1;
    }
    /* In a fork of the creator the workers and the control block are the
     * creator's: a round started here would run on them (and its `done`
     * counts would land in the creator's rounds). */
    if (!coord__self_pid_is(r->owner))
        return COORD_ECHILD;
    if (r->broken)
        return COORD_EBROKEN;
    struct rctl *ctl = r->ctl;
    int e = coord_flag_reset(r->flag);
    if (len)
        memcpy(r->base + r->l.input, input, len);
    ctl->epoch = (uint32_t)e;
    ctl->begin = begin;
    ctl->end = end;
    ctl->len = len;
    /* Nobody touches these between rounds: every worker has finished the
     * previous one (done == n) and waits for seq to move. */
    atomic_store_explicit(&ctl->done, 0, memory_order_relaxed);
    atomic_store_explicit(&ctl->win.published, 0, memory_order_relaxed);
    uint64_t t_start = coord_clock_ns();
    uint64_t deadline = coord__deadline(timeout_ms);
    /* seq_cst store then seq_cst load of sleepers (wait.h). The store
     * also releases everything written above to the workers. */
    uint32_t round = atomic_fetch_add_explicit(&ctl->seq, 1,
                                               memory_order_seq_cst) + 1;
    coord__wake(&ctl->seq, &ctl->sleepers, INT_MAX);

    size_t which = 0;
    int rc = wait_done(r, deadline, &which);
    bool timed_out = false;
    if (rc == COORD_ETIMEDOUT) {
        timed_out = true;
        coord_flag_set(r->flag); /* leave at the next check */
        rc = wait_done(r, coord__deadline(GRACE_MS), &which);
        if (rc == COORD_ETIMEDOUT) {
            /* Still inside the round after the grace: cannot recover. */
            for (uint32_t i = 0; i < r->n; i++)
                coord__child_kill(&r->ch[i]);
            r->broken = true;
            /* A claim made before the deadline still counts, as in
             * coord_search (the flag set at the deadline fails every
             * later claim): its result is complete once published. The
             * killed workers' counts are unknown (0). */
            if (!atomic_load_explicit(&ctl->win.published,
                                      memory_order_acquire))
                return COORD_ETIMEDOUT;
            if (st) {
                st->winner = ctl->win.winner;
                st->index = ctl->win.index;
                st->epoch = (uint32_t)e;
                st->response_ns = ctl->win.claim_ns > t_start
                                      ? ctl->win.claim_ns - t_start
                                      : 0;
                st->round_ns = coord_clock_ns() - t_start;
            }
            if (result && r->o.result_size)
                memcpy(result, r->base + r->l.result, r->o.result_size);
            return 1;
        }
    }
    if (rc == 0)
        rc = check_skipped(r, round, &which);
    if (rc == COORD_EPEERDIED || rc == COORD_ECHILD) {
        fail(r, which, st);
        return rc;
    }
    uint64_t t_back = coord_clock_ns();
    bool won = atomic_load_explicit(&ctl->win.published, memory_order_acquire);
    coord_round_stats s = {.winner = -1, .failed_worker = -1,
                           .epoch = (uint32_t)e};
    /* K and the iteration cost are averaged over the workers that ran
     * this round, as coord_search averages over its workers (it forks no
     * idle one): a worker whose share was empty reports the K and cost
     * left from an earlier round, or COORD_INTERVAL_START in a fresh
     * object. A round nobody ran gives the mean of every worker's K. */
    uint64_t last_left = t_start, every_sum = 0, every_all = 0;
    double cost_sum = 0;
    uint32_t cost_n = 0, every_n = 0;
    for (uint32_t w = 0; w < r->n; w++) {
        struct rslot *sl = &r->slots[w];
        s.iterations += sl->iterations;
        s.checks += sl->checks;
        every_all += sl->every;
        if (sl->iterations) {
            every_sum += sl->every;
            every_n++;
        }
        s.latency_won |= sl->conflicts > 0;
        if (sl->iterations && sl->cost > 0) {
            cost_sum += sl->cost;
            cost_n++;
        }
        if (won) /* else the flag was the deadline's: no claim */
            s.wasted += sl->wasted;
        if (sl->t_left > last_left)
            last_left = sl->t_left;
        int64_t after = coord__win_left_after(&ctl->win, won, w, sl->t_left);
        if (after > 0 && (uint64_t)after > s.stop_latency_ns)
            s.stop_latency_ns = (uint64_t)after;
    }
    if (won) {
        s.winner = ctl->win.winner;
        s.index = ctl->win.index;
        s.response_ns =
            ctl->win.claim_ns > t_start ? ctl->win.claim_ns - t_start : 0;
        if (result && r->o.result_size)
            memcpy(result, r->base + r->l.result, r->o.result_size);
    } else {
        s.response_ns = last_left - t_start;
    }
    s.round_ns = t_back - t_start;
    s.run_ns = last_left - t_start;
    if (!every_n) {
        every_sum = every_all;
        every_n = r->n;
    }
    s.check_every = r->o.check_every == COORD_CHECK_AUTO
                        ? (every_sum + every_n / 2) / every_n
                        : r->o.check_every;
    s.iteration_ns = cost_n ? cost_sum / cost_n : 0;
    r->t.rounds++;
    r->t.claims += won;
    r->t.iterations += s.iterations;
    r->t.wasted += s.wasted;
    r->t.busy_ns += s.round_ns;
    if (st)
        *st = s;
    if (timed_out && !won)
        return COORD_ETIMEDOUT;
    return won ? 1 : 0;
}

int coord_rounds_totals_get(const coord_rounds *r, coord_rounds_totals *t)
{
    if (!r || !t)
        return COORD_EINVAL;
    *t = r->t;
    t->rounds_per_s =
        t->busy_ns ? (double)t->rounds * 1e9 / (double)t->busy_ns : 0;
    t->every_min = UINT64_MAX;
    t->every_max = 0;
    for (uint32_t w = 0; w < r->n; w++) {
        uint64_t k = r->slots[w].every;
        if (k < t->every_min)
            t->every_min = k;
        if (k > t->every_max)
            t->every_max = k;
    }
    return 0;
}

int coord_rounds_worker_pid(const coord_rounds *r, uint32_t w)
{
    if (!r || w >= r->n)
        return COORD_EINVAL;
    return r->ch[w].pid;
}

int coord_rounds_destroy(coord_rounds *r)
{
    if (!r)
        return 0;
    int rc = 0;
    /* In a fork of the creator: free this copy only. Setting `quit` would
     * end the creator's workers, which are not this process's children
     * (release_all only forgets them here). */
    if (!r->broken && coord__self_pid_is(r->owner)) {
        atomic_store_explicit(&r->ctl->quit, 1, memory_order_seq_cst);
        atomic_fetch_add_explicit(&r->ctl->seq, 1, memory_order_seq_cst);
        coord__futex_wake(&r->ctl->seq, INT_MAX);
        uint64_t deadline = coord__deadline(QUIT_GRACE_MS);
        for (uint32_t w = 0; w < r->n; w++) {
            /* In slices, until the deadline. A worker reaped behind our
             * back (SIGCHLD ignored) quit with a status we cannot know:
             * it does not count as a failure. */
            for (;;) {
                uint64_t now = coord_clock_ns();
                int ms = now < deadline ? (int)((deadline - now) / 1000000)
                                        : 0;
                if (ms > 10)
                    ms = 10;
                if (coord__child_wait(&r->ch[w], ms) == 0) {
                    int s = r->ch[w].status;
                    if (s != COORD__STATUS_UNKNOWN &&
                        (!WIFEXITED(s) || WEXITSTATUS(s) != 0))
                        rc = COORD_EPEERDIED;
                    break;
                }
                if (r->ch[w].pid <= 0)
                    break;
                if (coord_clock_ns() >= deadline) {
                    rc = COORD_EPEERDIED; /* killed by release_all */
                    break;
                }
            }
        }
    }
    release_all(r); /* kills and reaps whatever is left */
    return rc;
}
