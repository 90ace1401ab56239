/* SPDX-License-Identifier: MIT */
/* search.h: cooperative early exit: N forked workers, first hit wins, the rest stop. */
#ifndef COORD_SEARCH_H
#define COORD_SEARCH_H

#include "common.h"
#include "flag.h"
#include "interval.h"

COORD_BEGIN_DECLS

/*
 * coord_search splits the index range [begin, end) among `workers` forked
 * processes. Each calls probe(i, result, arg) for its indexes, in blocks of
 * K = check_every iterations followed by one load of a shared stop flag
 * (never `i % K`). The first probe that returns true claims the flag (one
 * CAS, or the lecture's lock + double check), copies its result into shared
 * memory and stops; the other workers see the flag at their next check and
 * leave (a worker that starts after the claim looks once before its first
 * probe: it makes no call). Every worker is joined before the call
 * returns.
 *
 * The probe runs in a child process: what it writes to `arg` or globals is
 * lost when the child exits; only `result` (result_size bytes) of the
 * winning probe comes back. It receives a private copy of the caller's
 * `result` buffer to fill, and must fill it before returning true.
 * The probe may fork: a fork that returns from it (rather than exec or
 * _exit) runs at most the rest of its block of K indexes again (with
 * COORD_CHECK_NEVER, the rest of the worker's share: there are no
 * blocks), then leaves (exit 0) before any claim or report: the worker's
 * own returns are the outcome (the same for team probes and rounds
 * bodies). A fork is told apart by an atfork handler, so this holds for
 * fork() and what calls it (Python's os.fork); a child of a bare clone()
 * or syscall(SYS_fork), which runs no handler, goes on as the worker.
 */

/* The probe: true when index `i` is a hit (and `result` is filled). */
typedef bool (*coord_probe_fn)(uint64_t i, void *result, void *arg);

/* How the range is divided. */
typedef enum coord_partition {
    /* Default. The range is cut into chunks of `chunk` indexes dealt round
     * robin (worker w gets chunks w, w + N, w + 2N, ...). All workers move
     * through the range together, so a hit is found after about
     * (position / N) iterations wherever it lies, and which worker finds it
     * does not depend on where it is. It also finds a hit near the smallest
     * index first, which is what "first prime above x" searches want. */
    COORD_PARTITION_INTERLEAVED = 0,
    /* The lecture's: one contiguous block per worker (worker w gets the
     * w-th N-th of the range). A hit at the end of a block is found last. */
    COORD_PARTITION_BLOCKS = 1
} coord_partition;

#define COORD_SEARCH_MAX_WORKERS 1024u
#define COORD_SEARCH_CHUNK 256u
#define COORD_SEARCH_MAX_RESULT (1u << 20)
/* The longest a search goes without calling opts.poll (when set). */
#define COORD_SEARCH_POLL_MS 10u

/* How one worker's loop ended. */
typedef enum coord_search_outcome {
    COORD_OUTCOME_FINISHED = 0, /* ran out of indexes */
    COORD_OUTCOME_WON = 1,      /* hit and claimed: the winner */
    COORD_OUTCOME_LOST = 2,     /* hit, but another worker had claimed */
    COORD_OUTCOME_STOPPED = 3,  /* saw the flag at a check and left */
    COORD_OUTCOME_CRASHED = 4,  /* died (signal or exit code) */
    COORD_OUTCOME_KILLED = 5    /* killed by the search while it still ran:
                                   the timeout's grace ran out (a worker
                                   without early exit does not stop at the
                                   flag), or another worker failed; its
                                   counts are unknown (0) */
} coord_search_outcome;

/* Per-worker statistics (opts.per_worker, optional). */
typedef struct coord_search_worker {
    uint64_t iterations; /* probe calls */
    uint64_t checks;     /* flag loads at block ends, and with early
                            exit the one before the first block */
    uint64_t wasted;     /* iterations after its last check that saw the
                            flag clear, when someone else claimed */
    uint64_t every;      /* K at the end of its loop */
    uint64_t conflicts;  /* auto: blocks where latency beat the budget */
    double iteration_ns; /* auto: its moving-average iteration cost */
    uint64_t loop_ns;    /* wall time of its loop (start signal -> left) */
    uint64_t cpu_ns;     /* CPU time of its loop (start signal -> left) */
    int64_t left_after_claim_ns; /* left the loop this long after the
                                    winning claim; -1: before it, or won */
    coord_search_outcome outcome;
    int status;          /* crashed: wait status (-1: unknown) */
} coord_search_worker;

typedef struct coord_search_opts {
    uint32_t workers;       /* 1 .. COORD_SEARCH_MAX_WORKERS */
    uint64_t begin, end;    /* half-open, begin < end */
    uint64_t check_every;   /* > 0, COORD_CHECK_AUTO, or COORD_CHECK_NEVER
                               (only with early_exit false) */
    bool early_exit;        /* false: run every worker to its end, the
                               lecture's baseline (a worker that hits still
                               returns, as in the lecture) */
    coord_claim_mode claim; /* COORD_CLAIM_CAS (default) or _LOCK */
    coord_partition partition;
    uint64_t chunk;         /* interleaved chunk; 0: COORD_SEARCH_CHUNK */
    double overhead_budget; /* auto: 0 < b < 1; 0: 1 % */
    uint64_t latency_target_ns; /* auto: 0: 100 µs */
    int timeout_ms;         /* -1: none; > 0: stop and fail after it;
                               0 (try-once, meaningless here): EINVAL */
    coord_search_worker *per_worker; /* NULL, or `workers` entries out */
    /* NULL: none. Called in the calling thread while it waits for the
     * workers: once they are all forked, then every COORD_SEARCH_POLL_MS
     * or sooner until they are all joined. 0 goes on; anything else
     * stops the search (COORD_EINTR). After its first call the search
     * forks nothing more and runs no probe in this process, so the hook
     * may let go of what the children had to inherit held (Python's
     * GIL) and take it back in each call. coord_search only: team and
     * MPI searches refuse it. */
    int (*poll)(void *poll_arg);
    void *poll_arg;
} coord_search_opts;

typedef struct coord_search_stats {
    uint64_t wall_ns;       /* the whole call: fork to the last reap */
    uint64_t run_ns;        /* start signal to the last worker leaving */
    uint64_t join_ns;       /* last worker left to all reaped */
    int32_t winner;         /* worker index, -1 when nothing was found */
    uint64_t index;         /* the hit (valid when winner >= 0) */
    uint64_t iterations;    /* probe calls, all workers */
    uint64_t wasted;        /* iterations after the winning claim: each
                               other worker's iterations after its last
                               check that saw the flag clear (exact to
                               within one interval per worker) */
    bool wasted_estimated;  /* COORD_CHECK_NEVER: no checks, so wasted is
                               estimated from each worker's time stamps */
    uint64_t stop_latency_ns; /* winning claim to the last other worker
                                 leaving its loop (not process exit) */
    uint64_t check_every;   /* the interval: fixed value, or for auto the
                               mean of the workers' final K */
    uint64_t checks;        /* flag loads, all workers */
    bool latency_won;       /* auto: some block could not meet both the
                               budget and the target; latency was kept */
    double iteration_ns;    /* auto: mean iteration cost the workers saw */
    uint32_t workers;       /* processes forked (never more than the range
                               has indexes, or chunks when interleaved) */
    int32_t failed_worker;  /* COORD_EPEERDIED: which worker died, else -1 */
    int failed_status;      /* its wait status (signal or exit code;
                               -1: reaped by someone else, unknown) */
} coord_search_stats;

/*
 * Defaults: 1 worker, empty range, auto interval, early exit, CAS claim,
 * interleaved partition, no timeout. Start from COORD_SEARCH_OPTS_INIT or
 * coord_search_opts_init.
 *
 * Zero values: no field's zero is a silent trap. A zeroed struct is
 * rejected at the first call (workers 0, check_every 0: COORD_EINVAL), and
 * so is timeout_ms 0 in a struct that was zeroed and then partly filled:
 * a search cannot "try once", and a zero left there used to make every
 * search time out after a few ms. The zeros of claim (CAS), partition
 * (interleaved), chunk, overhead_budget and latency_target_ns are their
 * defaults; per_worker and poll NULL mean none. early_exit's zero (false)
 * is not the default but the lecture's run-to-completion baseline, a mode
 * the caller asks for (DESIGN.md pins that meaning).
 */
#ifdef __cplusplus
/* C++ before C++20 has no designated initialisers (and C++20 warns
 * about the members they leave out): the same values from a function. */
static inline coord_search_opts coord__search_opts_defaults(void)
{
    coord_search_opts o = coord_search_opts();
    o.workers = 1;
    o.check_every = COORD_CHECK_AUTO;
    o.early_exit = true;
    o.claim = COORD_CLAIM_CAS;
    o.partition = COORD_PARTITION_INTERLEAVED;
    o.timeout_ms = -1;
    return o;
}
#define COORD_SEARCH_OPTS_INIT coord__search_opts_defaults()
#else
#define COORD_SEARCH_OPTS_INIT                                                 \
    {.workers = 1, .check_every = COORD_CHECK_AUTO, .early_exit = true,        \
     .claim = COORD_CLAIM_CAS, .partition = COORD_PARTITION_INTERLEAVED,       \
     .timeout_ms = -1}
#endif

/*
 * coord_search_opts_init: fill `o` with the defaults above, `workers` set
 * to the number of CPUs this process may run on (its affinity, which
 * taskset or a container's cpuset narrows; at most the online CPUs, the
 * CPU quota of its cgroup and its ancestors rounded up, so Docker's
 * --cpus=1.5 or a Kubernetes limit of 1500m gives 2, and
 * COORD_SEARCH_MAX_WORKERS), and the range [begin, end).
 * Concurrency: any thread (it reads the affinity and a few /proc and
 * cgroup files). NULL is ignored.
 */
COORD_EXTERN void coord_search_opts_init(coord_search_opts *o, uint64_t begin,
                                         uint64_t end);

/*
 * coord_search: run a cooperative search (see the top of this file).
 * Concurrency: any thread may call it; it forks (so the usual fork rules
 * apply to a multi-threaded caller: the probe may only use what is safe in
 * a child) and reaps only the children it forked. Progress: blocking until
 * every worker is joined; bounded by opts->timeout_ms when set, counted
 * from the call, forks included (at the deadline the flag is set and
 * workers stop at their next check; any still running 1 s later, e.g.
 * all of them without early_exit, are killed).
 * Ownership: `result` (result_size bytes, may be NULL with 0) receives the
 * winner's result; `stats` (may be NULL) and opts->per_worker are filled
 * (every entry, whatever the return but COORD_EINVAL: a search that ended
 * before the start signal reports its workers KILLED, or CRASHED for the
 * one that died, with nothing counted).
 * Returns 1 found, 0 not found, COORD_EINVAL (NULL opts or probe, workers
 * 0 or too many, empty range, check_every 0, COORD_CHECK_NEVER with early
 * exit, bad budget, claim mode or partition, result_size too big or
 * result NULL with a size, timeout_ms 0 or below -1), COORD_ETIMEDOUT (workers stopped or killed at
 * the deadline; or the workers were not all ready to start by then, or,
 * whatever the timeout, within 10 s of their fork: one stopped or
 * starved of CPU; then none ran a probe and all were killed),
 * COORD_EPEERDIED (a worker died: stats->failed_worker and
 * failed_status name it; the others were killed and reaped),
 * COORD_ENOMEM / COORD_EAGAIN (cannot map or fork), COORD_ECHILD (a
 * worker was reaped behind the call's back, e.g. with SIGCHLD set to
 * SIG_IGN or by a waitpid(-1) elsewhere, before it had finished its
 * share: whether it was killed is unknown, so is the search's outcome;
 * the others are killed. A worker reaped that way after it finished its
 * share is no failure: with SIGCHLD ignored a search works, only a
 * worker's death has no status),
 * COORD_EINTR (opts->poll returned nonzero: the workers still running
 * were killed and reaped, even after a claim; stats say what was known).
 */
COORD_EXTERN int coord_search(const coord_search_opts *opts,
                              coord_probe_fn probe, void *arg, void *result,
                              size_t result_size, coord_search_stats *stats);

/*
 * coord_search_outcome_name: "finished", "won", "lost", "stopped",
 * "crashed", "killed", or "?" for an unknown value. Concurrency: pure.
 */
COORD_EXTERN const char *coord_search_outcome_name(coord_search_outcome o);

COORD_END_DECLS

#endif
