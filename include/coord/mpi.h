/* SPDX-License-Identifier: MIT */
/* mpi.h: coord_mpi_search: the cooperative early-exit search over MPI ranks (library coord_mpi). */
#ifndef COORD_MPI_H
#define COORD_MPI_H

/*
 * Not part of coord.h: include <coord/mpi.h> and link coord_mpi (built when
 * CMake finds MPI, option COORD_MPI=AUTO|ON|OFF) and MPI. See docs/mpi.md.
 *
 * The same search as coord_search (search.h), with ranks instead of forked
 * workers: every rank of the communicator is one worker and iterates its
 * share of [begin, end) (the partitions of coord_search, worker w = rank
 * w), in blocks of K probes followed by one check of a stop flag.
 *
 *  - Within a node (MPI_Comm_split_type, MPI_COMM_TYPE_SHARED) the stop flag
 *    is a coord_flag in an MPI_Win_allocate_shared window: an ordinary
 *    rank's check is one load, and it makes no MPI call inside its loop.
 *    The node's first hit claims that flag (one CPU compare-and-swap, or
 *    the lecture's lock with opts->claim).
 *  - Across nodes: the node's winner makes the global claim with one 32-bit
 *    MPI_Compare_and_swap on a word at rank 0, and the winner sends a stop
 *    message to the leader (lowest rank) of every other node. A leader
 *    checks its node's flag and then MPI_Tests a posted receive at each
 *    block end; on a stop it sets its node's flag, so that its node stops
 *    at the next check. A leader whose own share ends first keeps relaying
 *    until its node's ranks are done.
 *  - When every rank has left its loop, one allgather of every rank's
 *    figures gives every rank the winner, the index and the totals, and
 *    one broadcast from the winner the result bytes.
 *
 * The environment variable COORD_MPI_NODE=rank makes every rank its own
 * node (every rank a leader), so that the across-nodes path runs on one
 * machine; COORD_MPI_NODE=shared (or unset) is the default above.
 *
 * A rank that dies (signal, exit) ends the job: mpirun kills the others
 * and exits non-zero (MPI's default). Surviving a dead rank would need
 * ULFM (MPIX_Comm_revoke/shrink), which Debian's Open MPI does not have.
 * MPI errors are fatal (the call uses MPI_ERRORS_ARE_FATAL on its private
 * duplicate of the communicator).
 */
/* Only MPI's C API: Open MPI's and MPICH's C++ bindings (gone from the
 * standard since MPI-3) warn under -Wextra in a C++ user's build. */
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include "search.h"

COORD_BEGIN_DECLS

/*
 * coord_mpi_search: run the search above over the ranks of `comm`.
 * Collective: every rank of `comm` calls it with the same range, interval,
 * early_exit, claim mode, partition, chunk, result_size and COORD_MPI_NODE
 * (a mismatch is detected and every rank returns COORD_EINVAL). The probe,
 * `arg` and `result` are each rank's own. MPI must be initialised and not
 * yet finalised (any thread level; only the calling thread makes MPI
 * calls), and `comm` an intracommunicator.
 *
 * opts: as for coord_search, except `workers` (ignored: the ranks are the
 * workers), `timeout_ms` (must be -1: bound a job with mpirun --timeout),
 * `per_worker` (NULL, or ONE entry: this rank's own figures) and `poll`
 * (must be NULL).
 * The probe receives a private buffer, a copy of this rank's `result`, to
 * fill before returning true; the winner's is broadcast to every rank.
 *
 * stats (may be NULL), the same on every rank unless marked "this rank":
 *   winner          the winning rank (in comm), -1 when nothing was found
 *   index           the hit (valid when winner >= 0)
 *   iterations, checks, wasted  totals of all ranks (wasted: as coord_search
 *                   counts it, per rank: iterations after its last check
 *                   that saw its node's flag clear; on other nodes than the
 *                   winner's, the iterations made while the claim and the
 *                   stop travelled are not counted: docs/mpi.md)
 *   stop_latency_ns the winning claim to the last other rank leaving its
 *                   loop (the ranks' CLOCK_MONOTONIC: exact on one machine,
 *                   off by the clocks' offset across machines)
 *   run_ns          the first rank's start to the last rank leaving
 *   check_every     fixed K, or for auto the mean of the final K of the
 *                   ranks that had indexes (as coord_search's workers)
 *   iteration_ns    the mean of the ranks' iteration cost; latency_won:
 *                   some rank's auto interval could not meet both limits
 *   workers         the number of ranks
 *   wall_ns         this rank: its whole call
 *   join_ns         this rank: the last rank leaving its loop to its return
 *   wasted_estimated  COORD_CHECK_NEVER and found (estimated from times)
 *   failed_worker   always -1 (a dead rank ends the job)
 *
 * The first call on a communicator duplicates it (our messages never meet
 * the caller's), splits it into nodes and allocates the windows, and
 * caches all that on the communicator (an MPI attribute): later calls
 * reuse it; it is freed with the communicator (collectively, inside
 * MPI_Comm_free), or at MPI_Finalize for communicators still alive, in
 * an order that every rank agreed on when it first used each one.
 * Concurrency: calls on one communicator must not overlap (e.g. from two
 * threads); with MPI_THREAD_MULTIPLE, threads may search at once on
 * different communicators (the library's own state is locked).
 * Progress: blocking until every rank has left its loop (no timeout): a
 * probe that never returns, or a rank that never makes the call (or makes
 * it fewer times), blocks every rank for ever; bound the job with mpirun
 * --timeout (docs/mpi.md).
 * Ownership: `result` (result_size bytes, NULL with 0) receives the
 * winner's bytes on every rank when found, and is untouched otherwise.
 * Returns, the same on every rank: 1 found, 0 not found, COORD_EINVAL
 * (each rank alone, with no communication, so that no rank waits for
 * another: MPI not initialised (MPI_Initialized) or already finalised
 * (MPI_Finalized), comm MPI_COMM_NULL, or comm an intercommunicator
 * (MPI_Comm_test_inter); then on any rank, agreed by all: NULL opts or
 * probe, empty range, check_every 0, COORD_CHECK_NEVER with early exit,
 * bad budget, claim mode or partition, timeout_ms not -1, poll set,
 * result_size too big or result NULL with a size, a bad COORD_MPI_NODE,
 * or the ranks disagree on the options above), COORD_ENOMEM (on any rank:
 * no memory for the private result buffer or, in the first call on a
 * communicator, for what is cached on it).
 */
COORD_EXTERN int coord_mpi_search(MPI_Comm comm,
                                  const coord_search_opts *opts,
                                  coord_probe_fn probe, void *arg,
                                  void *result, size_t result_size,
                                  coord_search_stats *stats);

COORD_END_DECLS

#endif
