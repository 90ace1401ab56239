/* SPDX-License-Identifier: MIT */
/* node-mpi.h: what the ranks must agree on: their nodes, as coord_mpi_search splits them, and their options (MPI builds only). */
#ifndef COORD_CLI_NODE_MPI_H
#define COORD_CLI_NODE_MPI_H

#include <mpi.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * The first collective of every rank of `coord primes` and `coord
 * spectrum` in an MPI job: do all ranks run the same command `cmd` in the
 * same way (`help`: --help, which says the usage once all agree; else the
 * MPI run: primes --mpi, spectrum's MPI rows)? A rank that ran another
 * command, or asked for --help beside ranks that search, made other
 * collective calls, or none, and the others waited for ever. Collective
 * on MPI_COMM_WORLD (one allreduce). Returns 0, or CLI_USAGE on every
 * rank, after one line said as `cmd` by rank 0, when they differ.
 */
int cli_mpi_agree(const char *cmd, bool help);

/* Before MPI_Init: is COORD_MPI_NODE one that coord_mpi_search takes
 * (unset, empty, "shared" or "rank")? 0, or CLI_USAGE after one line
 * naming the variable and its values, said as `cmd` by the first rank
 * only (every rank checks the same environment). */
int cli_mpi_node_check(const char *cmd);

/*
 * This rank's node in MPI_COMM_WORLD: the ranks sharing its memory, or
 * with COORD_MPI_NODE=rank itself alone. Collective on MPI_COMM_WORLD:
 * first the ranks compare their COORD_MPI_NODE (each rank's launcher may
 * set its own environment), since ranks that split by different rules
 * would call different collectives and wait for ever. Returns 0 and
 * *node, which the caller frees (MPI_Comm_free), or CLI_USAGE on every
 * rank, after one line said as `cmd` by rank 0, when they differ.
 */
int cli_mpi_node(const char *cmd, MPI_Comm *node);

/*
 * Do all ranks hold the same n values (n <= 16)? mpirun may give each rank
 * its own command line (mpirun -np 1 coord ... : -np 1 coord ...), and
 * ranks that disagree on how many collective calls they make wait for
 * each other for ever. Collective on MPI_COMM_WORLD (one allreduce): every
 * rank gets the same answer. n out of range: false, on every rank alike.
 */
bool cli_mpi_same(const int64_t *v, int n);

#endif
