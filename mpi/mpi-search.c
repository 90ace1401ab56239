/* SPDX-License-Identifier: MIT */
/* mpi-search.c: coord_mpi_search: the early-exit search over MPI ranks, on libcoord's public API (what it caches on each communicator: mpi-net.c). */
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mpi-claim.h"
#include "mpi-net.h"

/* The tag of the stop message on our private duplicate communicator. */
#define TAG_STOP 2701

/* What every rank tells every other at the end (one MPI_Allgather):
 * signed 64-bit throughout (see agree). */
enum { R_WON, R_HIT, R_CLAIM, R_START, R_LEFT, R_ITER, R_CHECKS, R_WASTED,
       R_EVERY, R_COST_PS, R_CONFLICTS, R_FIELDS };

/* This rank's share of [begin, end): the same cut as coord_search's, with
 * worker w = rank w of n. */
struct share {
    uint64_t begin, len, chunk; /* chunk 0: one contiguous block */
    uint64_t next;              /* interleaved: the next chunk we own */
    uint32_t n;
    uint64_t cur, hi;           /* the segment being iterated */
};

/* The next chunk of an interleaved share; false when none is left. */
static bool share_next(struct share *s)
{
    if (s->chunk == 0)
        return false;
    uint64_t chunks = s->len / s->chunk + (s->len % s->chunk != 0);
    if (s->next >= chunks)
        return false;
    uint64_t lo = s->next * s->chunk; /* < len: no overflow */
    s->cur = s->begin + lo;
    s->hi = s->begin + (s->len - lo < s->chunk ? s->len : lo + s->chunk);
    /* next + n cannot wrap before ~2^64 / n of our iterations. */
    s->next += s->n;
    return true;
}

static bool share_first(struct share *s, const coord_search_opts *o,
                        uint32_t rank, uint32_t n)
{
    uint64_t chunk = o->chunk ? o->chunk : COORD_SEARCH_CHUNK;
    *s = (struct share){.begin = o->begin, .len = o->end - o->begin, .n = n};
    if (o->partition == COORD_PARTITION_INTERLEAVED) {
        s->chunk = chunk;
        s->next = rank;
        return share_next(s);
    }
    uint64_t base = s->len / n, extra = s->len % n;
    uint64_t size = base + (rank < extra);
    s->cur = s->begin + rank * base + (rank < extra ? rank : extra);
    s->hi = s->cur + size;
    return size > 0;
}

/* This call: the net, this rank's loop and its outcome. */
struct ctx {
    coord__mpi_net *m;
    uint32_t epoch;          /* the node flag's epoch for this call */
    MPI_Request stop;        /* a leader's posted receive */
    bool stop_posted, stop_done;
    const coord_search_opts *o;
    coord_probe_fn probe;
    void *arg;
    unsigned char *buf;      /* the probe's private result buffer */
    coord_interval iv;
    bool never;
    uint64_t iterations, checks, wasted, hit, t_start, t_left, t_claim;
    uint64_t cpu_ns, first_start;
    coord_search_outcome outcome;
};

/* CPU time of this process (the loop's, around it). */
static uint64_t proc_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The check at a block end: one load of the node's flag; a leader, when
 * it is clear, also tests its posted stop receive and on a stop sets the
 * flag for its node (coord_flag_set: release, so a rank that sees it also
 * sees what came before). Ordinary ranks make no MPI call here.
 */
static bool stop_seen(struct ctx *x)
{
    if (coord_flag_is_set(x->m->flag))
        return true;
    if (x->stop_posted && !x->stop_done) {
        int done = 0;
        MPI_Test(&x->stop, &done, MPI_STATUS_IGNORE);
        if (done) {
            x->stop_done = true;
            coord_flag_set(x->m->flag);
            return true;
        }
    }
    return false;
}

/* The global claim: one 32-bit compare-and-swap on the word at rank 0,
 * from the count of searches won on this communicator to that count + 1,
 * modulo 2^32 (mpi-claim.h: the word needs no reset between calls, every
 * rank knows the count, and the two values always differ). 32-bit: Open
 * MPI 4.1's default one-sided component crashes on a 64-bit one. The
 * flush completes it, so `old` is the value we replaced. With one node
 * the node's flag already decided: no MPI call. */
static bool claim_global(struct ctx *x)
{
    coord__mpi_net *m = x->m;
    if (m->nodes == 1)
        return true;
    int32_t had = coord__mpi_claim_wire(m->won);
    int32_t want = coord__mpi_claim_wire(coord__mpi_claim_next(m->won));
    int32_t old = want; /* anything but `had` */
    MPI_Compare_and_swap(&want, &had, &old, MPI_INT32_T, 0, 0, m->gwin);
    MPI_Win_flush(0, m->gwin);
    return old == had;
}

/* The winner tells every other node's leader to stop (its own node's
 * ranks already see the flag it claimed). */
static void send_stops(struct ctx *x)
{
    coord__mpi_net *m = x->m;
    if (m->nodes == 1 || x->never)
        return;
    int j = 0, mine = m->leader_of[m->rank];
    for (int r = 0; r < m->n; r++)
        if (m->leader_of[r] == r && r != mine)
            MPI_Isend(NULL, 0, MPI_BYTE, r, TAG_STOP, m->comm, &m->sends[j++]);
    MPI_Waitall(j, m->sends, MPI_STATUSES_IGNORE);
}

/*
 * This rank's loop: blocks of K = iv.every probes, a check after each.
 * `clear_since` counts the probes made since the last check that found the
 * flag clear: when the flag turns out set (at a check, or at the final
 * look), those came after somebody's claim and were wasted.
 */
static void run_loop(struct ctx *x, struct share *s)
{
    uint64_t clear_since = 0;
    bool seen = false, hit = false, more = s->cur < s->hi;
    void *scratch = x->buf;
    x->outcome = COORD_OUTCOME_FINISHED;
    while (more && !hit) {
        uint64_t k = coord_interval_begin(&x->iv), done = 0;
        while (done < k && !hit) {
            if (s->cur == s->hi && !(more = share_next(s)))
                break;
            uint64_t left = s->hi - s->cur, i = s->cur;
            uint64_t stop = i + (left < k - done ? left : k - done);
            for (; i < stop; i++)
                if (x->probe(i, scratch, x->arg)) {
                    x->hit = i++;
                    hit = true;
                    break;
                }
            done += i - s->cur;
            s->cur = i;
        }
        coord_interval_end(&x->iv, done);
        x->iterations += done;
        clear_since += done;
        if (hit || !more || x->never || seen)
            continue;
        x->checks++;
        if (!stop_seen(x)) {
            clear_since = 0;
        } else if (x->o->early_exit) {
            x->outcome = COORD_OUTCOME_STOPPED;
            break;
        } else {
            seen = true; /* run on; stop counting clear checks */
        }
    }
    if (hit) {
        /* The claim's time is read before the claim, as coord_search's
         * loop does (src/loop.h): a rank the claim stops sees the node's
         * flag after it is claimed, or a stop the winner sends after its
         * global claim, so its exit is stamped after this. (Read after
         * the claim, past the lock claim's unlock, the stamp came later
         * than some stopped ranks' exits: left before the claim, stop
         * latency 0; 13 of 100 two-rank runs with K = 1, an audit found.) */
        uint64_t t = coord_clock_ns();
        x->outcome = COORD_OUTCOME_LOST;
        if (coord_flag_claim_epoch(x->m->flag, x->epoch, x->o->claim) == 1 &&
            claim_global(x)) {
            x->t_claim = t;
            x->outcome = COORD_OUTCOME_WON;
        }
    }
    x->t_left = x->outcome == COORD_OUTCOME_WON ? x->t_claim : coord_clock_ns();
    if (x->outcome == COORD_OUTCOME_WON)
        send_stops(x);
    else if (!x->never &&
             (x->outcome != COORD_OUTCOME_FINISHED || seen || stop_seen(x)))
        x->wasted = clear_since;
}

/* A leader whose own loop is over keeps relaying a stop to its node until
 * the node's ranks have all left their loops (or the flag is set anyway).
 * It yields between polls: the ranks it waits for may need this CPU. */
static void relay(struct ctx *x)
{
    /* seq_cst: pairs with the other ranks' decrements. */
    atomic_fetch_sub_explicit(&x->m->nctl->running, 1, memory_order_seq_cst);
    if (!x->stop_posted)
        return;
    while (atomic_load_explicit(&x->m->nctl->running, memory_order_seq_cst) >
               0 &&
           !stop_seen(x))
        sched_yield();
}

/* Options every rank must share, compared across ranks. */
#define NSHARED 10

static int check_local(const coord_search_opts *o, coord_probe_fn probe,
                       void *result, size_t result_size, int node_mode)
{
    if (!o || !probe || o->begin >= o->end || o->check_every == 0 ||
        (o->check_every == COORD_CHECK_NEVER && o->early_exit) ||
        (o->claim != COORD_CLAIM_CAS && o->claim != COORD_CLAIM_LOCK) ||
        (o->partition != COORD_PARTITION_INTERLEAVED &&
         o->partition != COORD_PARTITION_BLOCKS) ||
        o->timeout_ms != -1 || o->poll ||
        result_size > COORD_SEARCH_MAX_RESULT || (!result && result_size) ||
        node_mode < 0)
        return COORD_EINVAL;
    return 0; /* the budget: coord_interval_init checks it */
}

static int node_mode_env(void)
{
    const char *v = getenv("COORD_MPI_NODE");
    if (!v || !*v || !strcmp(v, "shared"))
        return COORD__MPI_NODE_SHARED;
    return !strcmp(v, "rank") ? COORD__MPI_NODE_RANK : -1;
}

/*
 * The collective check: every rank contributes its own error (1 EINVAL,
 * 2 ENOMEM) and its options; one MAX reduction over (v, ~v) shows each
 * rank whether all values equal its own (if they differ, the largest
 * holder sees a larger ~v). Signed 64-bit: MPI_MIN/MAX on unsigned 64-bit
 * types is wrong in some MPIs; equality survives the reinterpretation.
 */
static int agree(MPI_Comm c, int err, const coord_search_opts *o,
                 size_t result_size, int node_mode)
{
    int64_t v[NSHARED] = {0}, in[1 + 2 * NSHARED], out[1 + 2 * NSHARED];
    if (o) {
        uint64_t u[NSHARED] = {o->begin, o->end, o->check_every,
                               o->early_exit, (uint64_t)o->claim,
                               (uint64_t)o->partition,
                               o->chunk ? o->chunk : COORD_SEARCH_CHUNK,
                               result_size, (uint64_t)node_mode, 0};
        /* The budget and the latency target change only K, which may
         * differ by rank; they need not agree. */
        memcpy(v, u, sizeof v);
    }
    in[0] = err == COORD_ENOMEM ? 2 : err ? 1 : 0;
    for (int i = 0; i < NSHARED; i++) {
        in[1 + i] = v[i];
        in[1 + NSHARED + i] = ~v[i];
    }
    MPI_Allreduce(in, out, 1 + 2 * NSHARED, MPI_INT64_T, MPI_MAX, c);
    if (out[0] == 2)
        return COORD_ENOMEM;
    if (out[0] == 1)
        return COORD_EINVAL;
    for (int i = 0; i < NSHARED; i++)
        if (out[1 + i] != v[i] || out[1 + NSHARED + i] != ~v[i])
            return COORD_EINVAL;
    return 0;
}


/* Ready this call: a new epoch of the node's flag and the running count
 * (node rank 0), the leaders' stop receives, then the start barrier. */
static void start(struct ctx *x)
{
    coord__mpi_net *m = x->m;
    if (m->node_rank == 0) {
        coord_flag_reset(m->flag);
        atomic_store_explicit(&m->nctl->running, (uint32_t)m->node_size,
                              memory_order_relaxed);
    }
    if (m->nodes > 1 && m->leader_of[m->rank] == m->rank && !x->never) {
        MPI_Irecv(NULL, 0, MPI_BYTE, MPI_ANY_SOURCE, TAG_STOP, m->comm,
                  &x->stop);
        x->stop_posted = true;
    }
    /* sync, barrier, sync: the reset before anybody's loop. */
    if (m->node_size > 1)
        MPI_Win_sync(m->swin);
    MPI_Barrier(m->comm);
    if (m->node_size > 1)
        MPI_Win_sync(m->swin);
    x->epoch = coord_flag_epoch(m->flag);
}

/* The wasted iterations of one rank's row: its count after its last clear
 * check, or without checks (COORD_CHECK_NEVER) the share of its probes
 * after the claim, from its time stamps (as coord_search estimates it). */
static uint64_t row_wasted(const int64_t *r, bool never, bool is_winner,
                           uint64_t claim_ns)
{
    if (is_winner)
        return 0;
    if (!never)
        return (uint64_t)r[R_WASTED];
    uint64_t t0 = (uint64_t)r[R_START], t1 = (uint64_t)r[R_LEFT];
    if (t1 <= claim_ns || t1 <= t0)
        return 0;
    uint64_t from = claim_ns > t0 ? claim_ns : t0;
    return (uint64_t)llround((double)r[R_ITER] * (double)(t1 - from) /
                             (double)(t1 - t0));
}

/* The end of the call: every rank's figures (one allgather, so each rank
 * computes the same totals), the leaders' stop receives settled, and the
 * winner's result bytes (one broadcast from the winner). */
static int finish(struct ctx *x, void *result, size_t result_size,
                  coord_search_stats *st)
{
    coord__mpi_net *m = x->m;
    double cost = x->iv.cost_ns > 0 ? x->iv.cost_ns
                  : x->iterations
                      ? (double)(x->t_left - x->t_start) /
                            (double)x->iterations
                      : 0;
    int64_t row[R_FIELDS] = {
        [R_WON] = x->outcome == COORD_OUTCOME_WON,
        [R_HIT] = (int64_t)x->hit,
        [R_CLAIM] = (int64_t)x->t_claim,
        [R_START] = (int64_t)x->t_start,
        [R_LEFT] = (int64_t)x->t_left,
        [R_ITER] = (int64_t)x->iterations,
        [R_CHECKS] = (int64_t)x->checks,
        [R_WASTED] = (int64_t)x->wasted,
        [R_EVERY] = (int64_t)x->iv.every,
        [R_COST_PS] = (int64_t)llround(cost * 1000.0),
        [R_CONFLICTS] = (int64_t)x->iv.conflicts};
    MPI_Allgather(row, R_FIELDS, MPI_INT64_T, m->rows, R_FIELDS, MPI_INT64_T,
                  m->comm);
    int winner = -1;
    for (int r = 0; r < m->n && winner < 0; r++)
        if (m->rows[(size_t)r * R_FIELDS + R_WON])
            winner = r;
    /* A leader's stop receive: it came (or will) unless the winner is of
     * its own node or nobody won; then nobody sends and it is cancelled. */
    if (x->stop_posted && !x->stop_done) {
        if (winner < 0 || m->leader_of[winner] == m->rank)
            MPI_Cancel(&x->stop);
        MPI_Wait(&x->stop, MPI_STATUS_IGNORE);
    }
    uint64_t claim_ns = 0;
    if (winner >= 0) {
        const int64_t *w = m->rows + (size_t)winner * R_FIELDS;
        st->index = (uint64_t)w[R_HIT];
        claim_ns = (uint64_t)w[R_CLAIM];
        if (result_size) {
            MPI_Bcast(x->buf, (int)result_size, MPI_BYTE, winner,
                      m->comm);
            memcpy(result, x->buf, result_size);
        }
    }
    uint64_t first = UINT64_MAX, last = 0, every = 0, cost_ps = 0;
    uint32_t cost_n = 0, every_n = 0;
    for (int r = 0; r < m->n; r++) {
        const int64_t *q = m->rows + (size_t)r * R_FIELDS;
        uint64_t t0 = (uint64_t)q[R_START], t1 = (uint64_t)q[R_LEFT];
        first = t0 < first ? t0 : first;
        last = t1 > last ? t1 : last;
        if (winner >= 0 && r != winner && t1 > claim_ns &&
            t1 - claim_ns > st->stop_latency_ns)
            st->stop_latency_ns = t1 - claim_ns;
        st->iterations += (uint64_t)q[R_ITER];
        st->checks += (uint64_t)q[R_CHECKS];
        if (winner >= 0)
            st->wasted += row_wasted(q, x->never, r == winner, claim_ns);
        /* The mean K of the ranks that had indexes, as coord_search's
         * of its workers (it forks none without): a rank with none never
         * used its K (the auto start value; 4 ranks on 1 index: 28
         * instead of the one rank's 64). A share, never empty, makes at
         * least one probe. */
        if (q[R_ITER] > 0) {
            every += (uint64_t)q[R_EVERY];
            every_n++;
        }
        if (q[R_COST_PS] > 0) {
            cost_ps += (uint64_t)q[R_COST_PS];
            cost_n++;
        }
        st->latency_won |= q[R_CONFLICTS] > 0;
    }
    st->winner = winner;
    x->first_start = first;
    st->run_ns = last - first;
    st->wasted_estimated = x->never && winner >= 0;
    st->check_every = x->o->check_every == COORD_CHECK_AUTO
                          ? (every_n ? (every + every_n / 2) / every_n : 0)
                          : x->o->check_every;
    st->iteration_ns = cost_n ? (double)cost_ps / 1000.0 / cost_n : 0;
    st->workers = (uint32_t)m->n;
    if (x->o->per_worker) {
        coord_search_worker pw = {.left_after_claim_ns = -1};
        pw.iterations = x->iterations;
        pw.checks = x->checks;
        pw.every = x->iv.every;
        pw.conflicts = x->iv.conflicts;
        pw.iteration_ns = cost;
        pw.loop_ns = x->t_left - x->t_start;
        pw.cpu_ns = x->cpu_ns;
        pw.outcome = x->outcome;
        if (winner >= 0) {
            pw.wasted = row_wasted(row, x->never, winner == m->rank,
                                   claim_ns);
            if (winner != m->rank && x->t_left > claim_ns)
                pw.left_after_claim_ns = (int64_t)(x->t_left - claim_ns);
        }
        x->o->per_worker[0] = pw;
    }
    if (winner >= 0 && m->nodes > 1)
        m->won = coord__mpi_claim_next(m->won); /* what the word now holds */
    return winner >= 0 ? 1 : 0;
}

/*
 * Can this call use `comm` at all: MPI initialised and not yet finalised
 * (before, MPI_Comm_create_keyval and the rest abort the job), a
 * communicator (MPI_COMM_NULL makes MPI_Comm_get_attr fail, fatally) and
 * an intracommunicator (an intercommunicator has no node split: MPI_Comm_
 * split_type crashed on one)? Local, with no communication: the ranks of
 * one misuse all see it, and each returns alone. The two MPI_Init* queries
 * may be called at any time.
 */
static int comm_usable(MPI_Comm comm)
{
    int init = 0, fini = 0, inter = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fini);
    if (!init || fini || comm == MPI_COMM_NULL)
        return COORD_EINVAL;
    MPI_Comm_test_inter(comm, &inter);
    return inter ? COORD_EINVAL : 0;
}

int coord_mpi_search(MPI_Comm comm, const coord_search_opts *opts,
                     coord_probe_fn probe, void *arg, void *result,
                     size_t result_size, coord_search_stats *stats)
{
    uint64_t t0 = coord_clock_ns();
    coord_search_stats st_local;
    coord_search_stats *st = stats ? stats : &st_local;
    memset(st, 0, sizeof *st);
    st->winner = -1;
    st->failed_worker = -1;
    if (comm_usable(comm) != 0) {
        st->wall_ns = coord_clock_ns() - t0;
        return COORD_EINVAL;
    }

    struct ctx x = {.o = opts, .probe = probe, .arg = arg};
    bool fresh;
    MPI_Comm orphan;
    coord__mpi_net *m = coord__mpi_net_get(comm, R_FIELDS, &fresh, &orphan);
    int node_mode = node_mode_env();
    int err = check_local(opts, probe, result, result_size, node_mode);
    if (err == 0) {
        err = coord_interval_init(&x.iv, opts->check_every,
                                  opts->overhead_budget,
                                  opts->latency_target_ns);
        x.never = opts->check_every == COORD_CHECK_NEVER;
    }
    if (!m)
        err = COORD_ENOMEM;
    if (err == 0) {
        x.buf = malloc(result_size ? result_size : 1);
        if (!x.buf)
            err = COORD_ENOMEM;
        else if (result_size)
            memcpy(x.buf, result, result_size);
    }
    err = agree(m ? m->comm : orphan, err, opts, result_size, node_mode);
    if (err) {
        free(x.buf);
        if (!m)
            MPI_Comm_free(&orphan);
        else if (fresh)
            coord__mpi_net_free(m);
        st->wall_ns = coord_clock_ns() - t0;
        return err;
    }
    if (fresh)
        coord__mpi_net_keep(m);
    coord__mpi_net_ready(m, node_mode);
    x.m = m;
    if (opts->check_every == COORD_CHECK_AUTO)
        coord_interval_check_ns(); /* measured now, not in the first block */

    struct share s;
    share_first(&s, opts, (uint32_t)m->rank, (uint32_t)m->n);
    start(&x);
    x.t_start = coord_clock_ns();
    uint64_t cpu0 = proc_cpu_ns();
    run_loop(&x, &s);
    x.cpu_ns = proc_cpu_ns() - cpu0;
    relay(&x);
    int rc = finish(&x, result, result_size, st);
    free(x.buf);
    uint64_t t_end = coord_clock_ns(), last_left = x.first_start + st->run_ns;
    st->join_ns = t_end > last_left ? t_end - last_left : 0;
    st->wall_ns = t_end - t0;
    return rc;
}
