/* SPDX-License-Identifier: MIT */
/* mpirun.h: what an MPI launcher's environment says about this process, read before MPI_Init (in every build). */
#ifndef COORD_CLI_MPIRUN_H
#define COORD_CLI_MPIRUN_H

#include <stdbool.h>

/*
 * mpirun starts the same command line on every rank, so a message said
 * before MPI_Init (a usage error, --help) would be said once per rank.
 * These read the launchers' variables: OMPI_COMM_WORLD_RANK (Open MPI),
 * PMIX_RANK (PMIx launchers), PMI_RANK (MPICH's Hydra, PMI-1/2),
 * MV2_COMM_WORLD_RANK (MVAPICH), the first one set. Any thread may call
 * them; they only read the environment.
 */

/* Did a launcher start this process as a rank of an MPI job? Without one,
 * MPI_Init makes a singleton, which starts a helper daemon (and, with no
 * ssh agent, fails with pages of run-time errors). */
bool cli_mpirun_launched(void);

/* Does the launcher say this process is one of several ranks (its job's
 * size, OMPI_COMM_WORLD_SIZE, PMI_SIZE or MV2_COMM_WORLD_SIZE, above 1)?
 * Ranks may then run different command lines (Open MPI's mpirun ... :
 * ..., MPICH's mpiexec ... : ...), and a rank that exits 0 without MPI
 * leaves the others waiting in MPI_Init for ever. False outside a
 * launcher, for a job of one rank, and under a launcher that says no
 * size (PMIx's variables alone). */
bool cli_mpirun_peers(void);

/* Removes the launcher's variables that these functions read from this
 * process's environment, so that the programs it starts afterwards run as
 * standalone programs, not as ranks (coord report under mpirun: each
 * rank's experiments run on their own, as they would without mpirun).
 * Not thread-safe (unsetenv): call it before starting threads. */
void cli_mpirun_forget(void);

/* May the ranks of this job run more than one command line (peers,
 * cli_mpirun_peers, and the launcher does not say there is only one:
 * Open MPI's OMPI_NUM_APP_CTX other than 1, or a launcher that does not
 * say)? With one, every rank asked for what this one asked for (--help
 * on all or none), so none waits for a rank that exits without MPI. */
bool cli_mpirun_command_lines(void);

/* Is this process the first rank of its job (rank 0), or not started by
 * a launcher at all, or (Open MPI, mpirun ... : ...) the first rank of an
 * app context (its own command line): the one process of its command
 * line that should speak? */
bool cli_mpirun_first_rank(void);

/* A usage error on a rank that is not the first (it said nothing: the
 * first rank of its command line says it): wait up to
 * CLI_MPIRUN_LINGER_MS before exiting, so that the speaking rank exits
 * first and its exit ends the job. Were this rank first to exit 2, mpirun
 * aborted the job at once and killed the first rank, still starting (a
 * loaded machine, many ranks) and yet to say anything: mpirun's banner
 * alone, exit 2, no reason given. A launcher ends this rank sooner (the
 * first rank's exit 2); one that ends no rank (srun's default) waits
 * the whole time. */
#define CLI_MPIRUN_LINGER_MS 15000
void cli_mpirun_linger(void);

/* A command's quiet stretch on the ranks that are not the first (see
 * cli_mpirun_quiet). */
struct cli_quiet {
    int out, err; /* the saved stdout and stderr descriptors, or -1 */
};

/*
 * cli_mpirun_quiet: on a rank that is not the first, point stdout and
 * stderr (the descriptors 1 and 2, so every writer is covered) at
 * /dev/null until cli_mpirun_loud; on the first rank of a job whose
 * ranks may run several command lines (cli_mpirun_command_lines), stdout
 * alone (--help is said once the ranks agree that all asked for it:
 * cli_mpi_help); outside a launcher, or on the first rank of a job of
 * one command line, do nothing. For the option parsing and
 * the usage checks of a command that may run under mpirun: the first
 * rank says what is wrong once, every rank exits with the same status.
 * Not thread-safe (it changes the process's descriptors). Without
 * /dev/null, or a descriptor to save the streams in, nothing is
 * silenced.
 */
void cli_mpirun_quiet(struct cli_quiet *q);

/* cli_mpirun_loud: flush stdout and stderr (what was said while quiet is
 * dropped) and give them back their descriptors. Safe after a quiet that
 * did nothing. */
void cli_mpirun_loud(struct cli_quiet *q);

#endif
