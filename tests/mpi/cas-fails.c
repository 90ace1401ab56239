/* SPDX-License-Identifier: MIT */
/* cas-fails.c: a test shim, loaded with LD_PRELOAD, through MPI's profiling interface: no MPI_Compare_and_swap swaps. */
#include <stdint.h>
#include <string.h>

#include <mpi.h>

/*
 * Every 32- or 64-bit compare-and-swap is made with a compare value one
 * more than the caller's, so that it does not swap (unless the target
 * already held that value): the caller's failure path runs, as when
 * another process had swapped first. The compare buffer must stay valid
 * until the operation completes (at the caller's flush), hence a static
 * one: the callers under test have one operation in flight at a time.
 * Any other type passes through.
 */
int MPI_Compare_and_swap(const void *origin, const void *compare,
                         void *result, MPI_Datatype type, int target,
                         MPI_Aint disp, MPI_Win win)
{
    static int64_t wrong64;
    static int32_t wrong32;
    if (type == MPI_INT32_T) {
        memcpy(&wrong32, compare, sizeof wrong32);
        wrong32 = (int32_t)((uint32_t)wrong32 + 1);
        compare = &wrong32;
    } else if (type == MPI_INT64_T) {
        memcpy(&wrong64, compare, sizeof wrong64);
        wrong64 = (int64_t)((uint64_t)wrong64 + 1);
        compare = &wrong64;
    }
    return PMPI_Compare_and_swap(origin, compare, result, type, target, disp,
                                 win);
}
