/* SPDX-License-Identifier: MIT */
/* cli-mpi.h: the CLI's MPI hooks: in the -mpi.c files when built with MPI, the -nompi.c ones otherwise. */
#ifndef COORD_CLI_MPI_H
#define COORD_CLI_MPI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <coord.h>

#include "json-write.h"

/*
 * After `coord cmd --help` (primes, spectrum) was parsed, with stdout
 * kept quiet where cli_mpirun_quiet keeps it so: should this rank print
 * the usage now (*say)? Outside a launcher, or in a job of one rank: no,
 * it was printed while parsing (by the first rank); so too when the
 * launcher says every rank runs this command line (Open MPI's one app
 * context: all asked for --help). With peers that may run other command
 * lines (cli_mpirun_command_lines) the ranks that did not ask for --help
 * wait in MPI_Init, and this rank's exit 0 would not end the job: MPI_Init,
 * cli_mpi_agree (did all ask for cmd's --help?), MPI_Finalize; *say on
 * rank 0 alone. (Built without MPI no rank waits: *say on the first rank
 * of each command line.) Returns 0 (exit 0), or CLI_USAGE after rank 0's
 * one line (every rank of the job exits 2).
 */
int cli_mpi_help(const char *cmd, bool *say);

/* Has this process called MPI_Init (MPI_Initialized)? False in a build
 * without MPI. A rank that did must not linger before it exits
 * (cli_mpirun_linger): the others wait for it in MPI_Finalize. */
bool cli_mpi_began(void);

/*
 * `coord primes --mpi`: every rank of mpirun runs the same command; the
 * ranks are the workers and only rank 0 prints.
 *
 * primes_mpi_begin: MPI_Init (timed: reported apart from the runs),
 * *workers = the number of ranks, stdout and stderr of ranks other than 0
 * sent to /dev/null, MPI_Finalize at exit. Returns 0, or 2 after a
 * one-line usage error (--vs-python with --mpi, no launcher started this
 * process (cli_mpirun_launched: no MPI singleton), or COORD_MPI_NODE
 * neither shared nor rank, said before MPI_Init; a build without MPI;
 * after MPI_Init, a rank with --help or another command (cli_mpi_agree),
 * or COORD_MPI_NODE not the same on every rank), said by the first rank
 * only (cli_mpirun_first_rank, then rank 0).
 */
int primes_mpi_begin(uint32_t *workers, bool vs_python);

/* primes_mpi_built: was this coord built with MPI (false: primes-nompi.c)? */
bool primes_mpi_built(void);

/* primes_mpi_same: after primes_mpi_begin, do all ranks hold the same `n`
 * values (n <= 16: what each parsed from its command line, which mpirun
 * may give each rank apart: mpirun -np 1 coord ... : -np 1 coord ...)?
 * Collective on MPI_COMM_WORLD (one allreduce); true without MPI. Ranks
 * that differ in the number of searches (--runs, the modes) waited for
 * each other for ever. */
bool primes_mpi_same(const int64_t *v, int n);

/* coord_mpi_search over MPI_COMM_WORLD (COORD_ENOSYS without MPI). */
int primes_mpi_search(const coord_search_opts *o, coord_probe_fn probe,
                      void *arg, void *result, size_t result_size,
                      coord_search_stats *st);

/* The MPI set-up, for the report: a text line on `f`, or with a writer
 * `w` (not NULL) the member "mpi":{...} of the command's open object. */
void primes_mpi_describe(FILE *f, struct jw *w);

/*
 * `coord spectrum` under mpirun: the MPI rows (the check on a shared
 * window, a leader's check with MPI_Test, the MPI claim, the search's stop
 * latency), measured with every rank running.
 * spectrum_mpi_begin: when mpirun started this process (its environment
 * says so, cli_mpirun_launched): MPI_Init, the measurements (`runs`
 * repetitions, every one of them: 1 to SPECTRUM_MAX_RUNS, as --runs
 * accepts; fewer operations when `quick`), MPI_Finalize; ranks other than
 * 0 then exit (0, or 1 when a row failed), and rank 0 goes on alone with
 * the fork-based rows. Returns the number of MPI rows (0: not under
 * mpirun, or built without MPI), or minus the exit status after a
 * one-line error: -CLI_USAGE (`runs` out of that range, or COORD_MPI_NODE
 * neither shared nor rank, said before MPI_Init by the first rank only;
 * or, said by rank 0 after MPI_Init, the other ranks exiting 2: a rank
 * with --help or another command (cli_mpi_agree), COORD_MPI_NODE not the
 * same on every rank, --quick or --runs not the same), -CLI_RUNTIME (a
 * row failed).
 */
int spectrum_mpi_begin(bool quick, int runs);
/* Print the MPI rows after the others: table lines on `f`, or with a
 * writer `w` (not NULL) the row objects into its open `rows` array, each
 * with the count of runs its figures summarise (`runs`).
 * `flag_ns`: the flag_check row's p50, for the "x flag" column. Nothing
 * when there are none. */
void spectrum_mpi_print(FILE *f, struct jw *w, double flag_ns);

#endif
