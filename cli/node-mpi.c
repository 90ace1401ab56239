/* SPDX-License-Identifier: MIT */
/* node-mpi.c: what the ranks must agree on: their nodes, as coord_mpi_search splits them, and their options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-mpi.h"
#include "cli.h"
#include "mpirun.h"
#include "node-mpi.h"

int cli_mpi_agree(const char *cmd, bool help)
{
    /* The command's name and the way it runs, in one value. */
    uint64_t h = help;
    for (const char *c = cmd; *c; c++)
        h = h * 131 + (unsigned char)*c;
    const int64_t mine = (int64_t)h;
    if (cli_mpi_same(&mine, 1))
        return 0;
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0)
        cli_error(cmd, "the ranks' command lines differ (--help on some "
                       "and not on others, or another command): give every "
                       "rank the same command line%s",
                  strcmp(cmd, "primes") ? "" : ", --mpi on each");
    return CLI_USAGE;
}

int cli_mpi_help(const char *cmd, bool *say)
{
    *say = false; /* printed while parsing, with one command line */
    if (!cli_mpirun_command_lines())
        return 0;
    /* The ranks without --help are in MPI_Init: join them, or they wait
     * for ever (this rank's exit 0 does not end the job). With one
     * command line every rank asked for --help and none waits: no MPI,
     * which in a process that is not the rank's own program (a second
     * coord in a rank's script, a child of a rank) failed (Open MPI's
     * orte_init errors, exit 1) or waited for ranks that never came. */
    MPI_Init(NULL, NULL);
    int rank, rc = cli_mpi_agree(cmd, true);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Finalize();
    *say = rc == 0 && rank == 0; /* once, where several command lines
                                  * would each have said it */
    return rc;
}

bool cli_mpi_began(void)
{
    int began = 0;
    MPI_Initialized(&began);
    return began != 0;
}

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
    const int64_t mine = by_rank;
    if (!cli_mpi_same(&mine, 1)) {
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

bool cli_mpi_same(const int64_t *v, int n)
{
    /* The largest of each value and of its complement: the smallest is
     * the complement of the latter, so all are the same when both are. */
    int64_t in[32] = {0}, out[32];
    if (n < 0 || n > 16)
        return false;
    for (int i = 0; i < n; i++) {
        in[i] = v[i];
        in[n + i] = ~v[i];
    }
    MPI_Allreduce(in, out, 2 * n, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
    for (int i = 0; i < n; i++)
        if (out[i] != in[i] || out[n + i] != in[n + i])
            return false;
    return true;
}
