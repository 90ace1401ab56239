/* SPDX-License-Identifier: MIT */
/* node-mpi.c: the CLI's view of MPI nodes, as coord_mpi_search splits them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mpirun.h"
#include "node-mpi.h"

int cli_mpi_node_check(const char *cmd)
{
    const char *mode = getenv("COORD_MPI_NODE");
    if (!mode || !*mode || !strcmp(mode, "shared") || !strcmp(mode, "rank"))
        return 0;
    if (cli_mpirun_first_rank()) {
        char shown[64];
        snprintf(shown, sizeof shown, "%s", mode);
        cli_printable(shown);
        cli_error(cmd, "COORD_MPI_NODE must be shared (one node per "
                       "machine, the default) or rank (every rank its own "
                       "node), got '%s'", shown);
    }
    return CLI_USAGE;
}

MPI_Comm cli_mpi_node(void)
{
    int rank;
    MPI_Comm node;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    const char *mode = getenv("COORD_MPI_NODE");
    if (mode && !strcmp(mode, "rank"))
        MPI_Comm_split(MPI_COMM_WORLD, rank, 0, &node);
    else
        MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank,
                            MPI_INFO_NULL, &node);
    return node;
}
