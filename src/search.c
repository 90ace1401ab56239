/* SPDX-License-Identifier: MIT */
/* search.c: coord_search: forked workers, first hit claims, the others stop at their next check. */
#include <limits.h>
#include <math.h>
#include <stdalign.h>
#include <sched.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loop.h"

/* How long a search waits for its workers to be ready, and how long after
 * a timeout it lets them stop by themselves before killing them. */
#define READY_TIMEOUT_NS 10000000000ull
#define GRACE_MS 1000
#define POLL_NS (COORD_SEARCH_POLL_MS * 1000000ull)
/* How long waits spin (wait.h) before they sleep on a futex. */
#define SPIN_NS COORD__SPIN_DEFAULT_NS

/* Per-worker results, one cache line pair each so that workers finishing
 * at the same time do not share lines. Written by the worker before it
 * exits; read by the parent after reaping it (waitpid orders the two). */
struct slot {
    alignas(COORD__CACHE_LINE) uint64_t iterations;
    uint64_t checks, wasted, every, conflicts;
    uint64_t t_start, t_left, cpu_ns;
    double cost;
    uint32_t outcome;
    _Atomic uint32_t done; /* 1 once the fields above are written */
};

/*
 * The shared control block, after the segment header. The flag comes
 * first (64-byte aligned: the segment object starts 256 bytes into a
 * page) and owns its lines. `go` is the start signal the workers sleep
 * on; it has its own line because the parent writes it while workers
 * read the flag.
 */
struct ctl {
    alignas(COORD__CACHE_LINE) _Atomic uint32_t go;
    _Atomic uint32_t ready;
    _Atomic uint32_t sleepers;        /* workers asleep on `go` */
    _Atomic uint32_t parent_sleeping; /* the parent asleep on `ready` */
    struct coord__win win;
    struct coord__spinset spinners;   /* who spins on this search */
};

struct layout {
    size_t flag, ctl, slots, result, total;
};

static struct layout layout_of(uint32_t n, size_t result_size)
{
    struct layout l;
    l.flag = 0;
    l.ctl = (coord_flag_size() + COORD__CACHE_LINE - 1) / COORD__CACHE_LINE *
            COORD__CACHE_LINE;
    l.slots = l.ctl + sizeof(struct ctl);
    l.result = l.slots + (size_t)n * sizeof(struct slot);
    l.total = l.result + (result_size ? result_size : 1);
    return l;
}

struct worker_ctx {
    char *base;
    struct layout l;
    const coord_search_opts *o;
    coord_probe_fn probe;
    void *arg;
    void *result;
    size_t result_size;
    uint32_t w, n;
    uint64_t chunk;
    uint32_t epoch;
};

void coord_search_opts_init(coord_search_opts *o, uint64_t begin, uint64_t end)
{
    if (!o)
        return;
    *o = (coord_search_opts)COORD_SEARCH_OPTS_INIT;
    o->workers = coord__cpus_workers(COORD_SEARCH_MAX_WORKERS);
    o->begin = begin;
    o->end = end;
}

const char *coord_search_outcome_name(coord_search_outcome o)
{
    switch (o) {
    case COORD_OUTCOME_FINISHED:
        return "finished";
    case COORD_OUTCOME_WON:
        return "won";
    case COORD_OUTCOME_LOST:
        return "lost";
    case COORD_OUTCOME_STOPPED:
        return "stopped";
    case COORD_OUTCOME_CRASHED:
        return "crashed";
    case COORD_OUTCOME_KILLED:
        return "killed";
    }
    return "?";
}

static int search_worker(void *p)
{
    struct worker_ctx *c = p;
    const coord_search_opts *o = c->o;
    struct ctl *ctl = (struct ctl *)(c->base + c->l.ctl);
    struct slot *slot = (struct slot *)(c->base + c->l.slots) + c->w;
    coord_interval iv;
    if (coord_interval_init(&iv, o->check_every, o->overhead_budget,
                            o->latency_target_ns))
        return 3; /* validated by the parent: cannot happen */
    struct coord__share s;
    coord__share_init(&s, o->begin, o->end, c->w, c->n, o->partition,
                      c->chunk);
    struct coord__loop L = {
        .flag = (coord_flag *)(c->base + c->l.flag),
        .epoch = c->epoch,
        .claim = o->claim,
        .early_exit = o->early_exit,
        .never = o->check_every == COORD_CHECK_NEVER,
        .probe = c->probe,
        .worker = c->w,
        .arg = c->arg,
        /* Our private (copy-on-write) copy of the caller's buffer. */
        .scratch = c->result,
        .iv = &iv,
        .self = coord__self_pid(),
    };
    /* Ready, then wait until the parent says go: all workers start at
     * once, as the lecture's do, and the forks are not in the loop times.
     * The last one to be ready wakes the parent if it sleeps: our seq_cst
     * increment then load of parent_sleeping pairs with its seq_cst store
     * of parent_sleeping then load of ready, so one of us sees the other.
     * (A parent process that dies makes the kernel kill us: we hold its
     * lifeline, see coord__spawn.) */
    uint32_t ready = atomic_fetch_add_explicit(&ctl->ready, 1,
                                               memory_order_seq_cst) + 1;
    if (ready == c->n)
        coord__wake(&ctl->ready, &ctl->parent_sleeping, 1);
    /* Spin a little (the go usually follows the last fork within tens of
     * microseconds, and a futex wake-up costs about as much), then sleep. */
    struct coord__spinner sp = {0};
    coord__spinner_join(&sp, &ctl->spinners);
    uint32_t go;
    coord__wait_change(&sp, SPIN_NS, &ctl->go, 0, &ctl->sleepers, UINT64_MAX,
                       &go);
    uint64_t cpu0 = coord__cpu_ns();
    slot->t_start = coord_clock_ns();
    coord__loop_run(&L, &s);
    uint64_t cpu1 = coord__cpu_ns();
    /* The parent also reaps us before it reads them, which orders them
     * too. */
    coord__win_publish(&ctl->win, &L, c->base + c->l.result, c->result_size);
    slot->iterations = L.iterations;
    slot->checks = L.checks;
    slot->wasted = L.wasted;
    slot->every = iv.mode == 2 ? COORD_CHECK_NEVER : iv.every; /* NEVER, not a huge K */
    slot->conflicts = iv.conflicts;
    slot->cost = iv.cost_ns;
    slot->t_left = L.t_left;
    slot->outcome = (uint32_t)L.outcome;
    slot->cpu_ns = cpu1 - cpu0;
    atomic_store_explicit(&slot->done, 1, memory_order_release);
    return 0;
}

static int check_opts(const coord_search_opts *o, coord_probe_fn probe,
                      void *result, size_t result_size)
{
    if (!o || !probe || o->workers == 0 ||
        o->workers > COORD_SEARCH_MAX_WORKERS || o->begin >= o->end ||
        o->check_every == 0 ||
        (o->check_every == COORD_CHECK_NEVER && o->early_exit) ||
        (o->claim != COORD_CLAIM_CAS && o->claim != COORD_CLAIM_LOCK) ||
        (o->partition != COORD_PARTITION_INTERLEAVED &&
         o->partition != COORD_PARTITION_BLOCKS) ||
        result_size > COORD_SEARCH_MAX_RESULT || (!result && result_size) ||
        o->timeout_ms == 0 || coord__check_timeout(o->timeout_ms))
        return COORD_EINVAL;
    if (o->overhead_budget != 0 &&
        (!isfinite(o->overhead_budget) || o->overhead_budget <= 0 ||
         o->overhead_budget >= 1))
        return COORD_EINVAL;
    return 0;
}

/* Kill and reap every child still alive. */
static void kill_all(coord__child *ch, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        coord__child_kill(&ch[i]);
}

/* Wait until `ready` reaches n, watching for a worker that dies first
 * (coord__wait_count, in slices of a millisecond); with opts->poll, in
 * pieces of COORD_SEARCH_POLL_MS, each after a call of it. At most
 * READY_TIMEOUT_NS, and never past the search's own deadline `limit`
 * (UINT64_MAX: none): a worker that cannot start (stopped, or starved of
 * CPU) must not hold a search with a 100 ms timeout for 10 s. Returns 0,
 * COORD_EPEERDIED or COORD_ECHILD with *which, COORD_ETIMEDOUT, or
 * COORD_EINTR (the poll said stop). */
static int wait_ready(struct ctl *ctl, coord__child *ch, uint32_t n,
                      const coord_search_opts *o, uint64_t limit,
                      size_t *which)
{
    uint64_t deadline = coord_clock_ns() + READY_TIMEOUT_NS;
    if (limit < deadline)
        deadline = limit;
    for (;;) {
        uint64_t until = deadline;
        if (o->poll) {
            if (o->poll(o->poll_arg))
                return COORD_EINTR;
            uint64_t next = coord_clock_ns() + POLL_NS;
            if (next < until)
                until = next;
        }
        struct coord__spinner sp = {0};
        coord__spinner_join(&sp, &ctl->spinners);
        int r = coord__wait_count(&sp, &ctl->ready, n, &ctl->parent_sleeping,
                                  ch, SPIN_NS, 1000000ull, until, which);
        if (r != COORD_ETIMEDOUT || until == deadline)
            return r;
    }
}

/* t_kill: when the search killed the workers still running (its timeout's
 * grace ran out, or another worker failed), else 0: those are KILLED, not
 * CRASHED, and the run lasted until then (it read 0 when nobody finished). */
static void fill_stats(const struct ctl *ctl, struct slot *slots,
                       const coord__child *ch, uint32_t n,
                       const coord_search_opts *o, uint64_t go_ns,
                       uint64_t t_kill, coord_search_stats *st)
{
    bool found = atomic_load_explicit(&ctl->win.published,
                                      memory_order_acquire);
    bool never = o->check_every == COORD_CHECK_NEVER;
    uint64_t last_left = go_ns, every_sum = 0;
    double cost_sum = 0;
    uint32_t cost_n = 0, every_n = 0; /* workers that reported their K */
    st->winner = found ? ctl->win.winner : -1;
    st->index = found ? ctl->win.index : 0;
    for (uint32_t w = 0; w < n; w++) {
        struct slot *s = &slots[w];
        bool done = atomic_load_explicit(&s->done, memory_order_acquire);
        coord_search_worker pw = {.left_after_claim_ns = -1};
        if (!done) {
            bool failed = st->failed_worker == (int32_t)w;
            pw.outcome = t_kill && !failed ? COORD_OUTCOME_KILLED
                                           : COORD_OUTCOME_CRASHED;
            pw.status = ch[w].status;
            if (t_kill && t_kill > last_left)
                last_left = t_kill;
        } else {
            pw.iterations = s->iterations;
            pw.checks = s->checks;
            /* The flag a worker saw may be the deadline's, not a
             * claim: without a winner nothing came after a claim. */
            pw.wasted = found ? s->wasted : 0;
            pw.every = s->every;
            pw.conflicts = s->conflicts;
            pw.iteration_ns = s->cost;
            pw.loop_ns = s->t_left > s->t_start ? s->t_left - s->t_start : 0;
            pw.cpu_ns = s->cpu_ns;
            pw.outcome = (coord_search_outcome)s->outcome;
            if (pw.iteration_ns <= 0 && pw.iterations)
                pw.iteration_ns = (double)pw.loop_ns / (double)pw.iterations;
            if (s->t_left > last_left)
                last_left = s->t_left;
            int64_t after =
                coord__win_left_after(&ctl->win, found, w, s->t_left);
            if (after >= 0) {
                pw.left_after_claim_ns = after;
                if ((uint64_t)pw.left_after_claim_ns > st->stop_latency_ns)
                    st->stop_latency_ns = (uint64_t)pw.left_after_claim_ns;
                /* Without checks, estimate the share of its iterations
                 * that came after the claim from its time stamps. */
                if (never && pw.loop_ns > 0) {
                    uint64_t from = ctl->win.claim_ns > s->t_start
                                        ? ctl->win.claim_ns
                                        : s->t_start;
                    pw.wasted = (uint64_t)llround(
                        (double)pw.iterations *
                        (double)(s->t_left - from) / (double)pw.loop_ns);
                }
            } else if (never) {
                pw.wasted = 0;
            }
            st->iterations += pw.iterations;
            st->checks += pw.checks;
            st->wasted += pw.wasted;
            every_sum += pw.every;
            every_n++;
            if (pw.conflicts)
                st->latency_won = true;
            if (pw.iteration_ns > 0) {
                cost_sum += pw.iteration_ns;
                cost_n++;
            }
        }
        if (o->per_worker)
            o->per_worker[w] = pw;
    }
    if (o->per_worker)
        for (uint32_t w = n; w < o->workers; w++)
            o->per_worker[w] = (coord_search_worker){.left_after_claim_ns = -1};
    st->wasted_estimated = never && found;
    st->run_ns = last_left - go_ns;
    if (o->check_every == COORD_CHECK_AUTO)
        st->check_every =
            every_n ? (every_sum + every_n / 2) / every_n : 0;
    else
        st->check_every = o->check_every;
    st->iteration_ns = cost_n ? cost_sum / cost_n : 0;
}

int coord_search(const coord_search_opts *opts, coord_probe_fn probe,
                 void *arg, void *result, size_t result_size,
                 coord_search_stats *stats)
{
    coord_search_stats st_local;
    coord_search_stats *st = stats ? stats : &st_local;
    int r = check_opts(opts, probe, result, result_size);
    if (r)
        return r;
    memset(st, 0, sizeof *st);
    st->winner = -1;
    st->failed_worker = -1;
    uint64_t t0 = coord_clock_ns();
    /* The timeout bounds the whole call, the forks and the start included. */
    uint64_t deadline = coord__deadline(opts->timeout_ms);
    uint64_t chunk = opts->chunk ? opts->chunk : COORD_SEARCH_CHUNK;
    uint32_t n = coord__share_workers(opts->workers, opts->end - opts->begin,
                                      opts->partition, chunk);
    st->workers = n;
    if (opts->check_every == COORD_CHECK_AUTO)
        coord_interval_check_ns(); /* measure once here, not in each child */

    struct layout l = layout_of(n, result_size);
    char *base;
    r = coord__seg_create(NULL, COORD__KIND_SEARCH, l.total, (void **)&base);
    if (r)
        return r;
    coord_flag *flag;
    r = coord_flag_init(base + l.flag, coord_flag_size(), &flag);
    if (r) {
        coord__seg_release(base, true);
        return r;
    }
    coord__seg_publish(base);
    struct ctl *ctl = (struct ctl *)(base + l.ctl);
    struct slot *slots = (struct slot *)(base + l.slots);
    coord__child *ch = calloc(n, sizeof *ch);
    if (!ch) {
        coord__seg_release(base, true);
        return COORD_ENOMEM;
    }
    struct worker_ctx c = {.base = base, .l = l, .o = opts, .probe = probe,
                           .arg = arg, .result = result,
                           .result_size = result_size, .n = n, .chunk = chunk,
                           .epoch = coord_flag_epoch(flag)};
    uint32_t started = 0;
    for (; started < n; started++) {
        c.w = started; /* the child gets a copy of c as it is now */
        r = coord__spawn(&ch[started], search_worker, &c);
        if (r)
            break;
    }
    size_t which = 0;
    if (r == 0)
        r = wait_ready(ctl, ch, n, opts, deadline, &which);
    if (r) {
        if (r == COORD_EPEERDIED) {
            st->failed_worker = (int32_t)which;
            st->failed_status = ch[which].status;
        }
        kill_all(ch, started);
        /* No worker ran its loop: the one that died crashed, the others
         * were killed (or never started), with nothing counted. */
        if (opts->per_worker)
            for (uint32_t w = 0; w < opts->workers; w++)
                opts->per_worker[w] = (coord_search_worker){
                    .left_after_claim_ns = -1,
                    .outcome = r == COORD_EPEERDIED && w == which
                                   ? COORD_OUTCOME_CRASHED
                                   : COORD_OUTCOME_KILLED,
                    .status = r == COORD_EPEERDIED && w == which
                                  ? ch[which].status
                                  : -1};
        free(ch);
        coord__seg_release(base, true);
        st->wall_ns = coord_clock_ns() - t0;
        return r;
    }
    uint64_t go_ns = coord_clock_ns();
    /* seq_cst store, then the sleepers load (wait.h). */
    atomic_store_explicit(&ctl->go, 1, memory_order_seq_cst);
    coord__wake(&ctl->go, &ctl->sleepers, INT_MAX);

    /* Join: reap workers as they end. A failure status ends the search:
     * the rest are killed (their shares are incomplete anyway). */
    uint64_t grace = UINT64_MAX;
    bool timed_out = false;
    uint64_t t_kill = 0;
    uint32_t alive = n;
    int result_code = 0;
    /* The poll, at most once per interval: workers that end together
     * cost one call, not one each. */
    uint64_t next_poll = opts->poll ? coord_clock_ns() + POLL_NS : UINT64_MAX;
    while (alive > 0) {
        uint64_t now = coord_clock_ns();
        if (now >= next_poll) {
            if (opts->poll(opts->poll_arg)) {
                result_code = COORD_EINTR;
                t_kill = coord_clock_ns();
                kill_all(ch, n);
                break;
            }
            now = coord_clock_ns();
            next_poll = now + POLL_NS;
        }
        if (!timed_out && now >= deadline) {
            timed_out = true;
            coord_flag_set(flag); /* stop at the next check */
            grace = now + GRACE_MS * 1000000ull;
        }
        if (timed_out && now >= grace) {
            t_kill = coord_clock_ns();
            kill_all(ch, n);
            break;
        }
        uint64_t until = timed_out ? grace : deadline;
        if (next_poll < until)
            until = next_poll;
        int slice = 100;
        if (until != UINT64_MAX) {
            uint64_t left = until > now ? (until - now + 999999) / 1000000 : 0;
            if (left < (uint64_t)slice)
                slice = (int)left;
        }
        r = coord__child_wait_any(ch, n, slice, &which);
        if (r == COORD_ETIMEDOUT)
            continue;
        /* A worker reaped by someone else (SIGCHLD ignored, or a
         * waitpid(-1) elsewhere): its status is lost. One that filled its
         * slot had searched its share and was leaving (nothing of the
         * search runs after that): a clean end. One that had not may have
         * been killed or may have exited in the probe: the outcome is
         * unknown, give up with COORD_ECHILD. */
        if (r == 0 && ch[which].status == COORD__STATUS_UNKNOWN &&
            !atomic_load_explicit(&slots[which].done, memory_order_acquire))
            r = COORD_ECHILD;
        if (r) {
            /* COORD_ECHILD: someone else reaped them; give up. */
            kill_all(ch, n);
            break;
        }
        alive--;
        int s = ch[which].status;
        if (s == COORD__STATUS_UNKNOWN)
            continue; /* reaped by someone else after filling its slot */
        /* A worker that exits 0 without having filled its slot (the probe
         * called exit(0)) left its share unsearched: that is a death too,
         * not a worker that ran out of indexes. */
        if (!WIFEXITED(s) || WEXITSTATUS(s) != 0 ||
            !atomic_load_explicit(&slots[which].done,
                                  memory_order_acquire)) {
            st->failed_worker = (int32_t)which;
            st->failed_status = s;
            result_code = COORD_EPEERDIED;
            t_kill = coord_clock_ns();
            kill_all(ch, n);
            break;
        }
    }
    uint64_t t_end = coord_clock_ns();
    fill_stats(ctl, slots, ch, n, opts, go_ns, t_kill, st);
    uint64_t last_left = go_ns + st->run_ns;
    st->join_ns = t_end > last_left ? t_end - last_left : 0;
    /* A claim made before the deadline still counts (the flag set at the
     * deadline makes every later claim fail). */
    if (result_code == 0 && r == COORD_ECHILD)
        result_code = COORD_ECHILD;
    if (result_code == 0 && timed_out && st->winner < 0)
        result_code = COORD_ETIMEDOUT;
    if (result_code == 0) {
        result_code = st->winner >= 0 ? 1 : 0;
        if (result_code == 1 && result_size)
            memcpy(result, base + l.result, result_size);
    }
    free(ch);
    coord__seg_release(base, true);
    st->wall_ns = coord_clock_ns() - t0;
    return result_code;
}
