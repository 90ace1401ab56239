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

int cli_mpi_node(const char *cmd, MPI_Comm *node)
{
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    const char *mode = getenv("COORD_MPI_NODE");
    int by_rank = mode && !strcmp(mode, "rank");
    /* The largest of by_rank and of its negation: all the same? */
    int in[2] = {by_rank, -by_rank}, out[2];
    MPI_Allreduce(in, out, 2, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (out[0] != -out[1]) {
        if (rank == 0)
            cli_error(cmd, "COORD_MPI_NODE differs between the ranks (rank "
                           "on some, shared or unset on others): give every "
                           "rank the same");
        return CLI_USAGE;
    }
    if (by_rank)
        MPI_Comm_split(MPI_COMM_WORLD, rank, 0, node);
    else
        MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank,
                            MPI_INFO_NULL, node);
    return 0;
}
