/* SPDX-License-Identifier: MIT */
/* pool.h: the task pool: forked workers reused across tasks, pills for shutdown, deaths detected and reported. */
#ifndef COORD_POOL_H
#define COORD_POOL_H

#include "common.h"

COORD_BEGIN_DECLS

/*
 * A coord_pool (task mode) forks N workers once and reuses them for every
 * task. The caller submits tasks (bytes); workers take them from a shared
 * coord_queue, run the callback, and put a result (bytes) on a result
 * queue. coord_pool_shutdown() waits until every submitted task has a
 * result, puts one pill per live worker, and joins every worker.
 *
 * Chunks. Tasks travel to the workers in chunks: one task-queue message
 * holds k tasks, and the worker sends their k results back in one
 * result-queue message. coord_pool_map chooses k from the task cost the
 * workers measure, the way the automatic check interval is chosen (see
 * interval.h): enough tasks that the hand-off costs at most about 2 % of
 * the work, at most about 100 µs of work per chunk, at most a quarter of
 * each worker's share of the tasks left, and at most what fits 4 KiB of
 * message (1 .. 1024 tasks); it starts at 1 and grows at most 4x per
 * measured chunk. coord_pool_submit sends each task at once (k = 1) unless
 * opts.chunk asks for chunks: then up to opts.chunk - 1 submitted tasks may
 * wait in the parent until the chunk is full, or until a pool call waits
 * (result, map, shutdown) or finds fewer chunks queued than live workers.
 * coord_pool_get_stats tells the k in use and the measured task cost.
 *
 * Waiting workers. Idle workers do not all wait on the task queue: one
 * of them polls it (and stays the poller while it runs the chunk it
 * took), the others sleep, each on its own word, and the parent wakes
 * one of them per chunk only when the chunks queued need it: nobody
 * polls, or the queued work (by the measured task cost; any when the cost
 * is not known yet) is more than about 10 µs for the poller while a CPU
 * is free for another worker, or more than 100 µs. So a stream of small
 * tasks costs the same with 1 or 15 workers (no wake-up per task, no
 * crowd of pollers on the queue), and a backlog wakes workers one per
 * chunk. A task whose chunk waits for the poller and the poller's chunk
 * turns out long starts on a sleeping worker within one 5 ms slice of a
 * pool call that waits, and within 100 ms in any case.
 *
 * Deaths. The parent watches its workers through pidfds (coord's process
 * layer), never through heartbeats: one poll() over all of them, at most
 * once per millisecond while the pool is busy, so a worker that dies (a
 * signal, exit(), a crash) is seen by the next pool call that waits,
 * within about 5 ms. Of its chunk, the tasks it finished keep their
 * results (they are in its record in shared memory), the tasks it had not
 * started are queued again as they were, and the one task it was running
 * is either submitted again (opts.retries times at most) or reported as a
 * failed result with its id, status COORD_EPEERDIED and the cause ("signal
 * 9 (Killed)", "exit 3"): every task of the chunk gets exactly one outcome.
 * The record is the worker's, and a task may write over it: the parent
 * believes a state only where it can be true, finds the tasks of a record
 * it cannot read by elimination, and counts each task's deaths itself: a
 * death counts to the task that was running, or to every task of the
 * chunk when the record does not say which (a task whose worker died
 * with it opts.retries + 34 times, queued again each time, is reported
 * with the cause "its worker died N times with it"); the tasks behind
 * the one that ran had not started, and the death is not theirs. A replacement worker is started unless opts.no_replace is set (one
 * whose fork fails: see "Forks that fail" below). If no worker is left,
 * every outstanding task is reported failed: nothing waits forever.
 *
 * Retirement (opts.retire_after = N > 0, multiprocessing's
 * maxtasksperchild): a worker that has run N tasks sends their results
 * and exits (status 0), and the parent forks a replacement as for a dead
 * worker, whatever opts.no_replace says (a retirement is not a death), so
 * what a task leaks in its worker (memory, globals) lasts at most N tasks.
 * No task fails or runs again for it, and stats.retired counts it, not
 * stats.deaths. A worker never runs more than N tasks: no chunk holds more
 * (opts.chunk and the automatic chunk are capped at N), and a worker with
 * fewer tasks left than its chunk holds runs those, sends their results,
 * and the parent queues the rest again as they were when it reaps the
 * worker. The worker marks its record as retiring before its last put, so
 * a parent that finds it ended knows no task was running: its last
 * results are read off the result queue or, when it was killed before the
 * put committed, out of its record, each exactly once. A worker killed
 * while it retires counts as a death (no task fails; it is replaced unless
 * opts.no_replace). The parent reaps a retiring worker as soon as its last
 * result is in (at the next pool call), so a replacement starts within a
 * fork's time when every worker retires at once. With N = 0 (the default:
 * workers never retire) a worker compares one local count per chunk and
 * writes nothing more. Once shutdown has every result (its pills go
 * out), a worker that retires is not replaced.
 *
 * Forks that fail. A replacement (after a retirement or a death) whose
 * fork fails (EAGAIN: a process limit or a cgroup's pids.max reached for
 * a moment) leaves its slot vacant, and the pool's calls that wait
 * (submit, result, map, shutdown) fork it again: 1 ms later, the gap
 * doubling after each failed try up to 10 ms. When the vacant slots are
 * all the pool has (the last worker retired or died, its fork failed),
 * the outstanding tasks wait for those forks for up to 1 s after the
 * last worker went; a fork that works in time runs them (none is lost or
 * run twice); otherwise they fail (COORD_EPEERDIED, "no live worker"),
 * so nothing waits for ever. Such a pool is not dead: a submit or map
 * that finds no worker forks the vacant slots again at once, and while
 * that fails waits for a worker (trying again) up to its timeout, 1 s at
 * most: COORD_EAGAIN with timeout 0 (nothing queued: call again),
 * COORD_ETIMEDOUT at its timeout, COORD_EPEERDIED once the forks have
 * failed for 1 s (nothing queued; the next call tries again). So a
 * one-worker pool with opts.retire_after = 1 lives through a fork that
 * fails once, and a pool whose forks failed for longer is back at the
 * first call after they work again. (A dead worker not replaced for
 * opts.no_replace leaves no vacant slot: with none left, submit and map
 * return COORD_EPEERDIED at once.)
 *
 * Finding the in-flight chunk: a worker takes a chunk by
 * coord_queue_get() straight into its own record in shared memory, so the
 * bytes are there before the get's commit, and it counts each finished
 * result in the record. After a death the parent takes the task queue's
 * consumer lock (so no get can commit meanwhile), reads all results
 * already queued, and looks at the dead worker's record: its chunk is in
 * flight unless it is still queued or another worker is running it (said
 * so after its get returned). No task is ever lost: a chunk the dead
 * worker had only copied is still queued, or was taken by a worker that
 * runs it or has put its results. One narrow case runs tasks twice: when
 * the dead worker's copy was left by a get that lost the chunk to a
 * worker whose get committed just before the lock and had not yet said
 * so. Each task still gets exactly one outcome: a task that already has a
 * result is never reported again, and a second result is dropped.
 *
 * Broken queues. Should a shared queue of the pool be found broken (a
 * stray write into the shared memory: see queue.h, Trust), or a worker's
 * chunk of results malformed (a task wrote over it), the pool stops
 * instead of replacing workers that could only fail again: every worker
 * is killed and reaped, the results already made are kept, every other
 * outstanding task is reported with status COORD_EPROTO and a cause
 * starting "pool broken", submit and map return COORD_EPROTO, results
 * stay readable and shutdown joins.
 *
 * Zombies and leaks: every worker is reaped by the pool (shutdown, or
 * destroy, which SIGKILLs what is left); workers die (SIGKILL) when the
 * process that started the pool dies or execs, busy or not, and not when
 * one of its threads exits (the one that forked them included): each
 * holds a read end of a pipe whose write end only that process holds
 * (docs/queue.md, "Worker lifetime"). So the process has one descriptor
 * more while workers run: do not close descriptors you did not open
 * (that kills the workers). The worker holds its read end as a descriptor
 * too: a callback that closes descriptors it did not open (a close_range
 * of 3 and up) or execs another program unties its worker, which then
 * outlives a starter that dies (destroy still kills and reaps it). The
 * shared segment is anonymous, so nothing is left in /dev/shm.
 *
 * A task that never returns (a loop, a worker stopped by SIGSTOP) is no
 * death: there is no per-task timeout. The calls that wait return
 * COORD_ETIMEDOUT at their timeout_ms (nothing is lost: call again), and
 * destroy SIGKILLs the worker (a stopped one included) and reaps it.
 *
 * Results are moved from the shared result queue into the parent's memory
 * whenever a pool call waits, so workers never block on a full result
 * queue while the caller is blocked submitting (no deadlock), and results
 * can be read after shutdown, once every worker has been joined (the
 * lecture's rule). Their records are reserved at submit and their bytes
 * go to one arena that doubles when the unread results fill it (no
 * allocation per result): the parent's memory grows with the results not
 * yet read. Shared memory: two queues of opts.queue_capacity messages of
 * up to a chunk each (about 8.5 MiB with the defaults), plus one record of
 * two chunks per worker.
 *
 * Concurrency: a pool is used by the process that started it, from one
 * thread at a time (any of its threads: one that made a call that forked
 * a replacement may exit, the worker lives on). Workers run only the
 * callback.
 */
typedef struct coord_pool coord_pool;

/*
 * The worker callback: `task` (task_len bytes) in, up to `result_cap`
 * bytes written to `result` with *result_len set (it starts at 0). Return
 * 0 for success or any non-zero value, which becomes the result's status
 * (use a negative COORD_E* code). The bytes are the result whatever the
 * return value: a failing task may say why in them. A *result_len above
 * result_cap sends no bytes (and status COORD_EOVERFLOW when it returned
 * 0). It runs in a forked worker: it may crash, exit or be killed, and the
 * pool copes. It may fork; a fork of it that returns from the callback
 * (rather than _exit) leaves there, status 0, and takes no task: the
 * worker's own outcome is the task's (though result bytes the fork wrote
 * may be mixed into the worker's). A fork is told apart by an atfork
 * handler: a child of a bare clone() or syscall(SYS_fork) is not.
 */
typedef int (*coord_task_fn)(const void *task, size_t task_len, void *result,
                             size_t result_cap, size_t *result_len, void *arg);

/*
 * Options. The zero value of every field means its documented default, so
 * a zeroed struct (or one zeroed and then partly filled) starts the same
 * pool as coord_pool_opts_init() would: there is no field whose zero
 * silently turns a guarantee off (replacement is on unless no_replace is
 * set). Values outside the limits are rejected with COORD_EINVAL.
 */
#define COORD_POOL_MAX_WORKERS 1024u          /* opts.workers at most */
#define COORD_POOL_MAX_BYTES ((size_t)1 << 24) /* max_task, max_result */

typedef struct coord_pool_opts {
    unsigned workers;      /* 1 .. 1024; 0: 4 */
    size_t max_task;       /* bytes per task, <= 16 MiB; 0: 256 */
    size_t max_result;     /* bytes per result, <= 16 MiB; 0: 256 */
    size_t queue_capacity; /* chunks queued at once (and result chunks);
                              0: 1024 */
    unsigned retries;      /* re-runs of a task whose worker died (0) */
    bool no_replace;       /* true: a dead worker is not replaced
                              (false, the default: it is) */
    unsigned chunk;        /* tasks per queue message, 1 .. 1024; 0: chosen
                              automatically (see "Chunks" above) */
    unsigned retire_after; /* tasks a worker runs before it exits and is
                              replaced, 1 .. INT_MAX (a larger value is a
                              negative count converted); 0: never (see
                              "Retirement" above) */
} coord_pool_opts;

/* The outcome of one task. */
typedef struct coord_task_result {
    uint64_t id;       /* from coord_pool_submit */
    int status;        /* 0, the callback's non-zero return (its bytes
                          kept), COORD_EOVERFLOW (it claimed more than
                          max_result bytes), COORD_EPEERDIED (its worker
                          died), COORD_EPROTO (the pool broke, see
                          "Broken queues"), or COORD_ENOMEM (the parent
                          could not keep a copy of its result: len 0, see
                          cause) */
    int worker;        /* index of the worker that ran it last, or -1 */
    unsigned attempts; /* runs started (> 1 after retries) */
    int wait_status;   /* raw wait status of the dead worker, else 0; -1
                          when someone else reaped it (SIGCHLD set to
                          SIG_IGN): it is gone, how is unknown */
    char cause[64];    /* "signal 9 (Killed)", "exit 3", "no live worker",
                          "reaped elsewhere (status unknown)" */
    size_t len;        /* result bytes */
} coord_task_result;

typedef struct coord_pool_stats {
    unsigned workers;   /* configured */
    unsigned live;      /* running now */
    uint64_t submitted; /* tasks accepted by submit */
    uint64_t succeeded; /* results with status 0 */
    uint64_t failed;    /* results with another status */
    uint64_t deaths;    /* workers that died (not by a pill, nor retired) */
    uint64_t retired;   /* workers that exited after opts.retire_after
                           tasks (see "Retirement") */
    uint64_t restarts;  /* replacement workers started (for deaths and
                           retirements) */
    uint64_t retried;   /* tasks submitted again after a death */
    uint64_t pending;   /* submitted tasks without a result yet */
    unsigned chunk;     /* tasks per chunk now: opts.chunk, or the
                           automatic chunk a map uses (a submit without
                           opts.chunk sends 1) */
    double task_ns;     /* average run time of one task as the workers
                           measure it (0 before the first result) */
} coord_pool_stats;

typedef struct coord_pool_worker_stats {
    int pid;            /* current process, 0 when none */
    bool alive;
    uint64_t done;      /* tasks finished in this slot (all incarnations) */
    uint64_t restarts;  /* times this slot got a replacement (after a
                           death or a retirement) */
} coord_pool_worker_stats;

/*
 * coord_pool_opts_init: the defaults: 4 workers, 256-byte tasks and
 * results, queue capacity 1024, no retries, replacement on, automatic
 * chunks, workers never retire (the same as an all-zero struct). NULL
 * ignored. Concurrency: any thread. Progress: does not block.
 */
COORD_EXTERN void coord_pool_opts_init(coord_pool_opts *o);

/*
 * coord_pool_start: map the shared queues and records, then fork the
 * workers, which run fn(task, ..., arg) for each task. `arg` is inherited
 * by fork (the worker sees the parent's memory as of fork time).
 * Concurrency: the caller's thread; do not fork elsewhere meanwhile.
 * Ownership: the caller owns *out and must coord_pool_destroy() it.
 * Returns 0, COORD_EINVAL (out, o or fn NULL; a field above its limit,
 * opts.retire_after above INT_MAX included, or a chunk of opts.chunk
 * tasks above 64 MiB),
 * COORD_ENOMEM, COORD_EAGAIN (fork failed; nothing is left running).
 */
COORD_EXTERN int coord_pool_start(coord_pool **out, const coord_pool_opts *o,
                                  coord_task_fn fn, void *arg);

/*
 * coord_pool_submit: queue one task (copied) and set *id (0, 1, 2, ... in
 * submit order; id may be NULL). Waits while the task queue is full,
 * meanwhile collecting results and handling deaths, and while no worker
 * lives and its fork fails (1 s at most: see "Forks that fail"). With
 * opts.chunk > 1 the task joins the chunk being filled (see "Chunks").
 * Progress: blocking with timeout_ms (-1, 0, > 0).
 * Returns 0, COORD_EMSGSIZE (len > max_task), COORD_EAGAIN (timeout 0:
 * the queue is full, or no worker lives and a fork failed just now),
 * COORD_ETIMEDOUT, COORD_ECLOSED (after shutdown), COORD_EPEERDIED (no
 * live worker: replacement off, or the forks of the vacant slots failed
 * for 1 s; nothing was queued, and the next call forks them again),
 * COORD_EPROTO (the pool is broken: see "Broken queues"),
 * COORD_ENOMEM (no room to record the task's outcome; nothing was queued),
 * COORD_ECHILD (called in a fork of the process that started the pool:
 * its workers and results are the starter's; the same for result, map and
 * shutdown), COORD_EINVAL.
 */
COORD_EXTERN int coord_pool_submit(coord_pool *p, const void *task,
                                   size_t len, uint64_t *id, int timeout_ms);

/*
 * coord_pool_result: take the next result (completion order): *res, and
 * res->len bytes into `buf` (`cap` bytes; buf may be NULL when cap is 0).
 * Waits for one while tasks are pending, handling deaths (and forking
 * vacant slots again: "Forks that fail") meanwhile.
 * Returns 0, COORD_ENODATA (no result left and nothing pending: done),
 * COORD_ENOBUFS (res->len says the size; the result stays first),
 * COORD_EAGAIN, COORD_ETIMEDOUT, COORD_ECHILD (a fork of the starter),
 * COORD_EINVAL.
 */
COORD_EXTERN int coord_pool_result(coord_pool *p, coord_task_result *res,
                                   void *buf, size_t cap, int timeout_ms);

/*
 * coord_pool_map: Python's Pool.map that never hangs on a dead worker: run
 * n tasks of task_size bytes (task i at tasks + i * task_size), wait for all
 * results; result i to results + i * result_size (NULL when result_size is
 * 0), its outcome to info[i] (info may be NULL). A result longer than
 * result_size is not copied: status COORD_ENOBUFS, or the callback's own
 * status when it failed (info[i].len > result_size says so); a failed
 * task's bytes that fit are copied as a good one's. Other tasks' results
 * stay for coord_pool_result. Tasks go out in automatic chunks (see
 * "Chunks"); results are written straight into the arrays as they arrive.
 * Blocking, timeout_ms for the whole map; with no live worker it forks
 * and waits as submit does (see "Forks that fail").
 * Returns the number of failed tasks (see info[i].status, .cause), or
 * COORD_EMSGSIZE, COORD_ETIMEDOUT / COORD_EAGAIN / COORD_EPEERDIED (as
 * submit's: no live worker, replacement off or forks failing for 1 s; the
 * results that arrived before the call returned are in results/info: zero
 * info first to tell which, as an entry that arrived has attempts > 0 or a
 * cause; the tasks submitted
 * whose results had not arrived deliver them later to coord_pool_result),
 * COORD_ENOMEM (nothing submitted), COORD_EPROTO (the pool is broken, or
 * broke during the map: every task of the map then has its outcome in
 * results/info), COORD_ECLOSED, COORD_ECHILD (a fork of the starter),
 * COORD_EINVAL (also n * task_size or n * result_size beyond SIZE_MAX: a
 * count gone negative, say).
 */
COORD_EXTERN int coord_pool_map(coord_pool *p, const void *tasks, size_t n,
                                size_t task_size, void *results,
                                size_t result_size, coord_task_result *info,
                                int timeout_ms);

/*
 * coord_pool_shutdown: wait until every submitted task has a result
 * (retrying and replacing as configured), put one pill per live worker,
 * then join (reap) every worker. Submits fail afterwards with
 * COORD_ECLOSED; results stay readable. Calling it again returns 0.
 * Progress: blocking with timeout_ms; on COORD_ETIMEDOUT nothing is lost
 * and the call may be repeated (or destroy kills what is left).
 * Returns 0, COORD_ETIMEDOUT, COORD_EAGAIN (timeout 0), COORD_ECHILD (a
 * fork of the starter: it would have put pills into the starter's queue),
 * COORD_EINVAL.
 */
COORD_EXTERN int coord_pool_shutdown(coord_pool *p, int timeout_ms);

/*
 * coord_pool_destroy: SIGKILL and reap any worker still running, drop
 * unread results, unmap and free everything. NULL is ignored. In a process
 * forked from the one that started the pool (it inherited the handle) it
 * frees that process's copy only: the workers and the queues, which are
 * the starter's, are left alone.
 */
COORD_EXTERN void coord_pool_destroy(coord_pool *p);

/*
 * coord_pool_set_fork_hooks: from now on, call before(arg) just before the
 * pool forks a replacement for a dead worker and after(arg) just after
 * (whether or not the fork succeeded), in the process that started the
 * pool only: the new worker runs neither. They run inside the pool call
 * that found the death (submit, result, map or shutdown), in its thread.
 * For a caller that lets go of a lock while those calls wait but must
 * hold it across a fork, as the Python binding holds the interpreter's
 * GIL. The workers coord_pool_start forks come before the hooks can be
 * set: a caller that needs them there brackets that call itself. A hook
 * must not call into the pool. before and after both NULL remove them.
 * Concurrency: as the other pool calls (the starter, one thread at a time).
 * Progress: does not block; the hooks block as long as they do.
 * Ownership: arg is borrowed; it must stay valid while the hooks are set.
 * Returns 0, COORD_EINVAL (p NULL, or only one of before and after NULL),
 * COORD_ECHILD (a fork of the starter).
 */
COORD_EXTERN int coord_pool_set_fork_hooks(coord_pool *p,
                                           void (*before)(void *arg),
                                           void (*after)(void *arg),
                                           void *arg);

/*
 * coord_pool_get_stats / coord_pool_get_worker_stats: counters as of now (worker
 * `index` < opts.workers). Returns 0 or COORD_EINVAL.
 */
COORD_EXTERN int coord_pool_get_stats(const coord_pool *p, coord_pool_stats *st);
COORD_EXTERN int coord_pool_get_worker_stats(const coord_pool *p, unsigned index,
                                         coord_pool_worker_stats *ws);

COORD_END_DECLS

#endif
