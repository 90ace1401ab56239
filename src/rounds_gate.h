/* SPDX-License-Identifier: MIT */
/* rounds_gate.h: who has a round: a rounds worker's gate word, entered by the worker or skipped by a sibling. */
#ifndef COORD_ROUNDS_GATE_H
#define COORD_ROUNDS_GATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * A rounds worker's gate (rounds.c): who has round s. ENTERED(s) once the
 * worker took it, SKIPPED(s) once a sibling leaving the claimed round found
 * it not started and counted it out (one CAS decides).
 */
#define COORD__ROUND_ENTERED(s) ((uint64_t)(s) << 1)
#define COORD__ROUND_SKIPPED(s) (((uint64_t)(s) << 1) | 1u)

/* Enter round s (the value the worker read from the round counter): false
 * when a sibling already counted it out of round s, or of a later round.
 * A later one means s is stale: the worker read it, then waited for a CPU
 * while round s and at least the next were claimed without it. Entering
 * "round s" then would run the round in progress under s's name: a
 * sibling counts it out of that round again while it runs, and its own
 * exit counts out, for s, the siblings inside that round (the owner
 * returns early, rounds overlap). Serial-number order: wraps at 2^32. */
static inline bool coord__round_enter(_Atomic uint64_t *gate, uint32_t s)
{
    uint64_t g = atomic_load_explicit(gate, memory_order_acquire);
    if ((g & 1u) && (int32_t)((uint32_t)(g >> 1) - s) >= 0)
        return false;
    return atomic_compare_exchange_strong_explicit(
        gate, &g, COORD__ROUND_ENTERED(s), memory_order_acq_rel,
        memory_order_acquire);
}

#endif
