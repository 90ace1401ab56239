/* SPDX-License-Identifier: MIT */
/* mpi-claim.h: the values of the global claim word at rank 0, as pure arithmetic (no MPI), so that a test can drive it past its wrap. */
#ifndef COORD_MPI_CLAIM_H
#define COORD_MPI_CLAIM_H

#include <stdint.h>
#include <string.h>

/*
 * The word counts the searches won on one communicator, modulo 2^32: a
 * call's claim swaps it from `won` to won + 1 (unsigned arithmetic, so
 * UINT32_MAX + 1 is 0, which C defines), and a call nobody wins leaves
 * it. Every rank keeps the same `won` (each learns the winner from the
 * end's allgather), so every rank compares with the word's value. The two
 * values of one call always differ (x + 1 != x modulo 2^32), so exactly
 * one compare-and-swap of a call can succeed, after any number of calls:
 * a later claimant of the call finds won + 1 and loses. (The word used to
 * hold the last round anybody won, from a 32-bit round counter: after
 * 2^32 calls with no win in between, a round met it again, and a swap
 * from the word's value to the same value let every claimant win; and the
 * signed `had + 1` overflowed at 2^31.) No call's swap is in flight when
 * the next call starts (each is flushed before the end's allgather).
 */

/* The value this call swaps the word to, from `won`. */
static inline uint32_t coord__mpi_claim_next(uint32_t won)
{
    return won + 1u; /* wraps at 2^32: defined for unsigned types */
}

/* A value as the word carries it (MPI_INT32_T: Open MPI 4.1's default
 * one-sided component crashes on a 64-bit compare-and-swap): the same 32
 * bits, copied (a conversion of a value above INT32_MAX would be
 * implementation-defined). */
static inline int32_t coord__mpi_claim_wire(uint32_t v)
{
    int32_t w;
    memcpy(&w, &v, sizeof w);
    return w;
}

#endif
