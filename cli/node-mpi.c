/* SPDX-License-Identifier: MIT */
/* node-mpi.c: the CLI's view of MPI nodes, as coord_mpi_search splits them. */
#include <stdlib.h>
#include <string.h>

#include "node-mpi.h"

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
