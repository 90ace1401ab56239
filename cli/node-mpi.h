/* SPDX-License-Identifier: MIT */
/* node-mpi.h: the CLI's view of MPI nodes, as coord_mpi_search splits them (MPI builds only). */
#ifndef COORD_CLI_NODE_MPI_H
#define COORD_CLI_NODE_MPI_H

#include <mpi.h>

/* Before MPI_Init: is COORD_MPI_NODE one that coord_mpi_search takes
 * (unset, empty, "shared" or "rank")? 0, or CLI_USAGE after one line
 * naming the variable and its values, said as `cmd` by the first rank
 * only (every rank checks the same environment). */
int cli_mpi_node_check(const char *cmd);

/* This rank's node in MPI_COMM_WORLD: the ranks sharing its memory, or
 * with COORD_MPI_NODE=rank itself alone. Collective; the caller frees the
 * communicator (MPI_Comm_free). */
MPI_Comm cli_mpi_node(void);

#endif
