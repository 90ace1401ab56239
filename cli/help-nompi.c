/* SPDX-License-Identifier: MIT */
/* help-nompi.c: --help under a launcher in a coord built without MPI: no rank waits in MPI_Init. */
#include "cli-mpi.h"
#include "mpirun.h"

int cli_mpi_help(const char *cmd, bool *say)
{
    (void)cmd;
    /* No rank of this coord starts MPI: every rank exits by itself. With
     * several command lines stdout was quiet while parsing: the first
     * rank of each says it now. */
    *say = cli_mpirun_command_lines() && cli_mpirun_first_rank();
    return 0;
}

bool cli_mpi_began(void)
{
    return false;
}
