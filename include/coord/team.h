/* SPDX-License-Identifier: MIT */
/* team.h: persistent search workers: coord_search's cooperative early exit, forked once and reused by many searches. */
#ifndef COORD_TEAM_H
#define COORD_TEAM_H

#include "common.h"
#include "rounds.h"
#include "search.h"

COORD_BEGIN_DECLS

/*
 * coord_search forks its workers for every search and reaps them at the
 * end: on a search of a millisecond or less the forks and joins are most
 * of the time (Example 27.1: 66 % of it). A coord_team forks them once:
 *
 *   coord_team *t;
 *   coord_team_create(&t, &opts, probe, arg, sizeof result);
 *   for (each query)
 *       coord_team_search(t, begin, end, &result, &stats, timeout_ms);
 *   coord_team_destroy(t);
 *
 * Each search has coord_search's semantics: the range [begin, end) is
 * divided among the workers (interleaved chunks or blocks, opts.partition),
 * each calls probe(i, result, arg) in blocks of K iterations followed by one
 * check of the shared flag, the first true return claims the search (one
 * CAS, or the lecture's lock + double check) and its `result` comes back;
 * the others leave at their next check, and a worker that starts after
 * the claim before its first probe. The call returns when every worker
 * has left the search, so searches never overlap, and a new flag epoch per
 * search makes a late claim of one search fail in the next. A worker that
 * has not started a claimed search is counted out of it by the others
 * (rounds.h): a search is not held up by a worker waiting for a CPU. Between
 * searches the workers wait by the one wait policy (a short spin, then a
 * futex sleep: idle workers cost no CPU).
 *
 * Built on coord_rounds (rounds.h): a team is a rounds engine whose round
 * body is the probe, with coord_search_stats for every search.
 *
 * The probe runs in the workers, which were forked at create: `arg` is
 * what it pointed to then (each worker has its own copy; what the probe
 * writes there stays in that worker and persists across searches). A
 * search's parameters are its range only; a probe that needs more per
 * search uses coord_rounds, which carries an input buffer.
 *
 * A worker that dies (a crash in the probe, a SIGKILL) is noticed within
 * about a millisecond while a search waits for it: that search returns
 * COORD_EPEERDIED naming it, the other workers are killed and reaped, and
 * the team is broken from then on (COORD_EBROKEN); create a new one. A
 * search never hangs on a dead worker.
 *
 * One caller at a time: a team belongs to the process (and thread) that
 * created it. A fork of that process inherits the handle but not the
 * workers: there coord_team_search returns COORD_ECHILD and
 * coord_team_destroy frees the fork's copy only, leaving the creator's
 * team working.
 */
typedef struct coord_team coord_team;

/*
 * coord_team_create: fork opts->workers workers that will run `probe`.
 * The options are coord_search's (search.h), and their zero values mean
 * the same, with these differences: begin, end and timeout_ms are ignored
 * (each search gives its range and timeout), per_worker and poll must be
 * NULL, and
 * COORD_CHECK_NEVER is not accepted (a persistent worker must see the flag
 * to leave a search). Every worker is forked even when a later search has
 * fewer indexes than workers (those find nothing to do).
 * Concurrency: the caller then owns *out; forking rules as coord_search.
 * Ownership: `probe` and `arg` are used in the workers; destroy *out with
 * coord_team_destroy.
 * Returns 0, COORD_EINVAL (NULL out, opts or probe, workers 0 or too many,
 * check_every 0 or NEVER, bad budget, claim mode or partition, per_worker
 * or poll not NULL, result_size above COORD_SEARCH_MAX_RESULT), COORD_ENOMEM,
 * COORD_EAGAIN (fork failed; nothing is left behind).
 */
COORD_EXTERN int coord_team_create(coord_team **out,
                                   const coord_search_opts *opts,
                                   coord_probe_fn probe, void *arg,
                                   size_t result_size);

/*
 * coord_team_search: one search of [begin, end) (begin < end) on the
 * team's workers.
 * Concurrency: the creator only, one search at a time. Progress: blocking
 * until every worker has left the search; bounded by timeout_ms (-1: none;
 * 0, which would be try-once, is COORD_EINVAL): at the deadline the flag is
 * set and workers leave at their next check; a worker still inside 1 s
 * later is killed and the team is broken (without early_exit the workers
 * do not leave at the flag, so a search with more than 1 s of work left at
 * its deadline breaks the team). A claim made before the deadline still
 * counts, as in coord_search: 1 and its result, even when a worker had to
 * be killed (the team is broken then; the killed workers' counts are
 * unknown: 0).
 * Memory ordering: the winner's result is copied after it was published.
 * Ownership: `result` (result_size bytes; may be NULL, then nothing is
 * copied) and `stats` (may be NULL) are filled. In stats, wall_ns is the
 * search alone (the wake-up of the waiting workers to the last one back:
 * no fork, no join), run_ns the wake-up to the last worker leaving its
 * loop, join_ns the rest; workers is the team's size; wasted_estimated is
 * always false.
 * Returns 1 (found), 0 (not found), COORD_EINVAL (NULL t, begin >= end,
 * bad timeout), COORD_ETIMEDOUT (nothing was claimed before the
 * deadline), COORD_EPEERDIED (a worker died: stats->failed_worker and
 * failed_status name it; the team is broken), COORD_ECHILD (a worker was
 * reaped behind the team's back, e.g. SIGCHLD set to SIG_IGN: its status
 * is unknown; the team is broken; or called in a fork of the creator:
 * nothing is touched), COORD_EBROKEN (an earlier search failed).
 */
COORD_EXTERN int coord_team_search(coord_team *t, uint64_t begin,
                                   uint64_t end, void *result,
                                   coord_search_stats *stats, int timeout_ms);

/*
 * coord_team_worker_pid: the pid of worker `w` (0 once reaped), for
 * monitoring and for tests that kill one. Concurrency: the owner.
 * Returns the pid or COORD_EINVAL (NULL t, w out of range).
 */
COORD_EXTERN int coord_team_worker_pid(const coord_team *t, uint32_t w);

/*
 * coord_team_destroy: tell the workers to quit, join them (killing any
 * that has not left within 5 s), and free everything. NULL is ignored.
 * Concurrency: the owner, not during a search. Returns 0, or
 * COORD_EPEERDIED when a worker had to be killed or had died since the
 * last search (a death a search already reported is not reported again).
 */
COORD_EXTERN int coord_team_destroy(coord_team *t);

COORD_END_DECLS

#endif
