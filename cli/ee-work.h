/* SPDX-License-Identifier: MIT */
/* ee-work.h: the work the early-exit experiments (primes, waste, interval) search through: primality tests, a sieve, probes. */
#ifndef COORD_CLI_EE_WORK_H
#define COORD_CLI_EE_WORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The lecture's isPrime: trial division by 2, 3 and 6k +- 1 up to sqrt(n),
 * stopping at the first divisor. Its cost grows with n. */
bool ee_is_prime(uint64_t n);
/* The smallest prime >= n (n < 2^63). */
uint64_t ee_next_prime(uint64_t n);

/* Example 27.1's probe: every index n gets the full primality test (the
 * real per-iteration cost); the hit is `target` (a prime), or with `any`
 * the first prime a worker meets, as in the lecture. */
struct ee_prime_search {
    uint64_t target;
    bool any;
};
bool ee_probe_prime(uint64_t n, void *result, void *arg);

/* Example 27.2's two iterations, both about primes:
 *   cheap: is n prime? one lookup in a sieve of Eratosthenes built before
 *          the workers fork (about 1-2 ns);
 *   heavy: is n prime? trial division by every odd d <= sqrt(n), without
 *          stopping early, so every n costs the same (about 10 us at
 *          n = 10^7).
 * The hit is index `hit` (UINT64_MAX: none), so the same loop serves the
 * overhead runs (no hit) and the stop-latency runs (one hit). */
struct ee_work {
    const uint8_t *sieve; /* cheap: 1 for primes, indexed by n */
    uint64_t sieve_len;   /* a power of two */
    uint64_t base;        /* heavy: n = base + i */
    uint64_t hit;
};
bool ee_probe_cheap(uint64_t i, void *result, void *arg);
bool ee_probe_heavy(uint64_t i, void *result, void *arg);
/* A sieve for 0 .. len-1 (malloc'd; NULL on failure). */
uint8_t *ee_sieve(uint64_t len);

#endif
