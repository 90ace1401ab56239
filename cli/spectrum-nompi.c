/* SPDX-License-Identifier: MIT */
/* spectrum-nompi.c: `coord spectrum` in a coord built without MPI: no MPI rows. */
#include "cli-mpi.h"

int spectrum_mpi_begin(bool quick, int runs)
{
    (void)quick, (void)runs;
    return 0;
}

void spectrum_mpi_print(FILE *f, struct jw *w, double flag_ns)
{
    (void)f, (void)w, (void)flag_ns;
}
