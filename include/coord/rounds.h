/* SPDX-License-Identifier: MIT */
/* rounds.h: persistent workers running many early-exit rounds (one transaction, one query each). */
#ifndef COORD_ROUNDS_H
#define COORD_ROUNDS_H

#include "common.h"
#include "flag.h"
#include "interval.h"
#include "search.h"

COORD_BEGIN_DECLS

/*
 * A coord_rounds forks its workers once, at create, and then runs round
 * after round without forking:
 *
 *   coord_rounds_run(r, input, len, begin, end, result, &st, timeout)
 *
 * copies `input` (one transaction, one query: at most opts.max_input bytes)
 * into shared memory, starts a new epoch of the shared flag, and wakes every
 * worker. Each worker calls fn(i, input, len, result, arg) for its share of
 * the indexes [begin, end) (divided as coord_search does: interleaved
 * chunks or blocks), in blocks of K iterations followed by one flag check.
 * The first true return claims the round (coord_flag_claim_epoch with this
 * round's epoch) and publishes its result; the others abandon the round at
 * their next check (with early_exit; a worker that starts after the claim
 * leaves before its first call of fn). The call returns when every worker
 * has left the round, so rounds never overlap; the epoch makes a late claim
 * of round k fail in round k + 1 even if a worker were slow.
 *
 * A worker that has not started a claimed round (with more workers than
 * CPUs, one still waiting for a CPU) is not waited for: with early_exit,
 * the workers that leave the round count it out (one CAS on its slot
 * settles which of the two came first), with no iterations, and it takes
 * the next round as usual. Waiting for it to run only to see the flag held
 * a round up to a scheduler tick (4 ms with HZ=250; docs/scaling.md).
 * Such a worker's death is looked for once when the round ends (a
 * waitpid), so a worker dead before the round is still reported by it; one
 * dying during it is reported by the next round or by destroy.
 *
 * Workers start a round by a spin on the round counter, then a futex
 * sleep (so idle workers cost no CPU); the caller waits for the end of a
 * round the same way. A worker that dies is noticed while the caller waits
 * (pidfd poll at least every millisecond): the round fails with
 * COORD_EPEERDIED naming the worker, the others are killed and reaped, and
 * the object is broken from then on (COORD_EBROKEN).
 *
 * One caller at a time: a coord_rounds belongs to the process (and thread)
 * that created it. fn runs in the workers: what it writes to `arg` stays in
 * that worker (it may keep per-worker state there across rounds).
 */
typedef struct coord_rounds coord_rounds;

/* The round body: is index `i` of this round's `input` a hit? Fill `result`
 * (opts.result_size bytes, a private per-worker buffer) before returning
 * true. `worker` is this worker's number (0 .. workers - 1). */
typedef bool (*coord_round_fn)(uint64_t i, const void *input, size_t len,
                               void *result, uint32_t worker, void *arg);

typedef struct coord_rounds_opts {
    uint32_t workers;        /* 1 .. COORD_SEARCH_MAX_WORKERS */
    uint64_t check_every;    /* > 0 or COORD_CHECK_AUTO */
    bool early_exit;         /* false: every worker finishes its share */
    coord_claim_mode claim;
    coord_partition partition;
    uint64_t chunk;          /* interleaved chunk; 0: COORD_SEARCH_CHUNK */
    size_t max_input;        /* bytes of one round's input */
    size_t result_size;      /* bytes of one round's result */
    double overhead_budget;  /* auto: 0: 1 % */
    uint64_t latency_target_ns; /* auto: 0: 100 µs */
    uint32_t spin_ns;        /* spin this long before sleeping; 0: 50 µs */
} coord_rounds_opts;

/*
 * Defaults: 1 worker, auto interval, early exit, CAS, interleaved. Start
 * from COORD_ROUNDS_OPTS_INIT or coord_rounds_opts_init.
 *
 * Zero values: no field's zero is a silent trap. A zeroed struct is
 * rejected by coord_rounds_create (workers 0, check_every 0:
 * COORD_EINVAL). The zeros of claim, partition, chunk, overhead_budget,
 * latency_target_ns and spin_ns are their defaults; max_input 0 allows
 * only empty inputs (a longer one is COORD_EINVAL at coord_rounds_run),
 * result_size 0 returns no result. early_exit's zero (false) is the
 * lecture's run-to-completion baseline, as in coord_search_opts. The
 * round's timeout is a parameter of each call, not an option.
 */
#ifdef __cplusplus
/* C++ before C++20 has no designated initialisers (and C++20 warns
 * about the members they leave out): the same values from a function. */
static inline coord_rounds_opts coord__rounds_opts_defaults(void)
{
    coord_rounds_opts o = coord_rounds_opts();
    o.workers = 1;
    o.check_every = COORD_CHECK_AUTO;
    o.early_exit = true;
    o.claim = COORD_CLAIM_CAS;
    o.partition = COORD_PARTITION_INTERLEAVED;
    return o;
}
#define COORD_ROUNDS_OPTS_INIT coord__rounds_opts_defaults()
#else
#define COORD_ROUNDS_OPTS_INIT                                                 \
    {.workers = 1, .check_every = COORD_CHECK_AUTO, .early_exit = true,        \
     .claim = COORD_CLAIM_CAS, .partition = COORD_PARTITION_INTERLEAVED}
#endif

typedef struct coord_round_stats {
    int32_t winner;         /* worker that claimed, -1: no hit */
    uint64_t index;         /* its index */
    uint32_t epoch;         /* the flag epoch of this round */
    uint64_t response_ns;   /* round start to decision: the claim, or the
                               last worker finishing when nothing hit */
    uint64_t round_ns;      /* round start to every worker back */
    uint64_t stop_latency_ns; /* claim to the last other worker leaving */
    uint64_t iterations;    /* fn calls, all workers */
    uint64_t wasted;        /* as coord_search_stats.wasted */
    uint64_t run_ns;        /* round start to the last worker leaving its
                               loop (round_ns less the owner's wake-up) */
    uint64_t checks;        /* flag loads, all workers */
    uint64_t check_every;   /* the interval: fixed, or for auto the mean
                               of the workers' K at the round's end, over
                               the workers that had indexes this round
                               (all of them in a round with none) */
    double iteration_ns;    /* auto: mean iteration cost the workers that
                               had indexes this round saw */
    bool latency_won;       /* auto: a block of this round could not meet
                               both the budget and the target */
    int32_t failed_worker;  /* COORD_EPEERDIED: which worker, else -1 */
    int failed_status;      /* its wait status; -1: reaped by someone
                               else (SIGCHLD ignored), status unknown */
} coord_round_stats;

typedef struct coord_rounds_totals {
    uint64_t rounds;        /* rounds completed */
    uint64_t claims;        /* rounds that had a winner */
    uint64_t iterations;
    uint64_t wasted;
    uint64_t busy_ns;       /* sum of round_ns */
    double rounds_per_s;    /* rounds / busy time */
    uint64_t every_min, every_max; /* workers' current K (auto moves) */
} coord_rounds_totals;

/*
 * coord_rounds_opts_init: defaults (as COORD_ROUNDS_OPTS_INIT) with
 * `workers` = the CPUs this process may run on (its affinity, at most the
 * online CPUs, the CPU quota of its cgroup rounded up, and
 * COORD_SEARCH_MAX_WORKERS; as coord_search_opts_init). Concurrency: any
 * thread (it reads the affinity and a few /proc and cgroup files). NULL
 * is ignored.
 */
COORD_EXTERN void coord_rounds_opts_init(coord_rounds_opts *o);

/*
 * coord_rounds_create: map the shared control block and fork the workers.
 * Concurrency: the caller then owns *out; forking rules as coord_search.
 * Ownership: `fn` and `arg` are used in the workers; the caller frees
 * nothing but must coord_rounds_destroy(*out).
 * Returns 0, COORD_EINVAL (NULL, workers 0 or too many, check_every 0 or
 * NEVER, bad budget, claim mode or partition, sizes too large),
 * COORD_ENOMEM, COORD_EAGAIN (fork failed; nothing is left behind).
 */
COORD_EXTERN int coord_rounds_create(coord_rounds **out,
                                     const coord_rounds_opts *opts,
                                     coord_round_fn fn, void *arg);

/*
 * coord_rounds_run: run one round over [begin, end) (begin <= end; an
 * empty range is a round with no work) with `input` (len bytes, copied).
 * Concurrency: one caller at a time (the creator). Progress: blocking until
 * every worker left the round; bounded by timeout_ms (then the flag is set
 * so that workers leave at their next check; a worker that does not leave
 * within 1 s more is killed and the object is broken. Without early_exit
 * the workers do not leave at the flag: a round with more than 1 s of work
 * left at the deadline breaks the object).
 * Memory ordering: the round's input is visible to fn; the result is copied
 * after the winner published it. Ownership: `result` (result_size bytes,
 * may be NULL) and `st` (may be NULL) are filled.
 * A claim made before the deadline counts (1, its result copied) even
 * when a worker had to be killed after it (the object is broken then;
 * `st` has the winner, index, epoch, response and round time only).
 * Returns 1 (claimed), 0 (no hit), COORD_EINVAL (NULL r, end < begin,
 * len > max_input, input NULL with len, timeout_ms 0 or below -1: a round
 * cannot be tried once), COORD_ETIMEDOUT, COORD_EPEERDIED
 * (st names the worker), COORD_ECHILD (a worker ended and was reaped
 * behind the object's back, e.g. SIGCHLD set to SIG_IGN: st names it, its
 * status is unknown (st->failed_status is -1); the object is broken; or
 * called in a fork of the creator, which inherited the handle: the workers
 * are the creator's, and nothing is touched),
 * COORD_EBROKEN (an earlier failure).
 */
COORD_EXTERN int coord_rounds_run(coord_rounds *r, const void *input,
                                  size_t len, uint64_t begin, uint64_t end,
                                  void *result, coord_round_stats *st,
                                  int timeout_ms);

/*
 * coord_rounds_totals_get: counters since create. Concurrency: the owner.
 * Returns 0 or COORD_EINVAL.
 */
COORD_EXTERN int coord_rounds_totals_get(const coord_rounds *r,
                                     coord_rounds_totals *t);

/*
 * coord_rounds_worker_pid: the pid of worker `w` (0 once reaped), for
 * monitoring and for tests that kill one. Returns the pid or COORD_EINVAL.
 */
COORD_EXTERN int coord_rounds_worker_pid(const coord_rounds *r, uint32_t w);

/*
 * coord_rounds_destroy: tell the workers to quit, join them (killing any
 * that has not left within 5 s), and unmap everything. NULL is ignored.
 * Returns 0, or COORD_EPEERDIED when a worker had to be killed or had
 * died with a failure status since the last round (a failure that a round
 * already reported, which broke the object, is not reported again; a
 * worker reaped behind our back, e.g. SIGCHLD ignored, counts as quit).
 * In a fork of the creator it frees that process's copy only (returns
 * 0): the workers, which are the creator's, are left alone.
 */
COORD_EXTERN int coord_rounds_destroy(coord_rounds *r);

COORD_END_DECLS

#endif
