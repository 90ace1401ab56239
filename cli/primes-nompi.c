/* SPDX-License-Identifier: MIT */
/* primes-nompi.c: `coord primes --mpi` in a coord built without MPI: says so. */
#include "cli-mpi.h"
#include "cli.h"
#include "mpirun.h"

int primes_mpi_begin(uint32_t *workers, bool vs_python)
{
    (void)workers, (void)vs_python;
    if (cli_mpirun_first_rank()) /* said once under mpirun */
        cli_error("primes", "--mpi: this coord was built without MPI (install "
                            "openmpi-bin libopenmpi-dev, then cmake "
                            "-DCOORD_MPI=ON)");
    return CLI_USAGE;
}

bool primes_mpi_built(void)
{
    return false;
}

bool primes_mpi_same(const int64_t *v, int n)
{
    (void)v, (void)n;
    return true;
}

int primes_mpi_search(const coord_search_opts *o, coord_probe_fn probe,
                      void *arg, void *result, size_t result_size,
                      coord_search_stats *st)
{
    (void)o, (void)probe, (void)arg, (void)result, (void)result_size, (void)st;
    return COORD_ENOSYS;
}

void primes_mpi_describe(FILE *f, struct jw *w)
{
    (void)f, (void)w;
}
