/* SPDX-License-Identifier: MIT */
/* cli-mpi.h: the CLI's MPI hooks: in the -mpi.c files when built with MPI, the -nompi.c ones otherwise. */
#ifndef COORD_CLI_MPI_H
#define COORD_CLI_MPI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <coord.h>

/*
 * `coord primes --mpi`: every rank of mpirun runs the same command; the
 * ranks are the workers and only rank 0 prints.
 *
 * primes_mpi_begin: MPI_Init (timed: reported apart from the runs),
 * *workers = the number of ranks, stdout and stderr of ranks other than 0
 * sent to /dev/null, MPI_Finalize at exit. Returns 0, or 2 after a
 * one-line usage error (--vs-python with --mpi, said before MPI_Init; a
 * build without MPI).
 */
int primes_mpi_begin(uint32_t *workers, bool vs_python);

/* coord_mpi_search over MPI_COMM_WORLD (COORD_ENOSYS without MPI). */
int primes_mpi_search(const coord_search_opts *o, coord_probe_fn probe,
                      void *arg, void *result, size_t result_size,
                      coord_search_stats *st);

/* The MPI set-up, for the report: a text line, or with `json` the member
 * ,"mpi":{...} to put inside the command's JSON object. */
void primes_mpi_describe(FILE *f, bool json);

#endif
