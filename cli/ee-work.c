/* SPDX-License-Identifier: MIT */
/* ee-work.c: primality tests, the sieve and the probes the early-exit experiments search with. */
#include <stdlib.h>
#include <string.h>

#include "ee-work.h"

/* The same test in 32-bit arithmetic: a 32-bit division costs a third
 * of a 64-bit one on x86-64, and most experiments stay below 2^32. */
static bool is_prime32(uint32_t n)
{
    if (n < 4)
        return n >= 2;
    if (n % 2 == 0 || n % 3 == 0)
        return false;
    for (uint32_t d = 5; d <= n / d; d += 6)
        if (n % d == 0 || n % (d + 2) == 0)
            return false;
    return true;
}

bool ee_is_prime(uint64_t n)
{
    if (n <= UINT32_MAX)
        return is_prime32((uint32_t)n);
    if (n < 4)
        return n >= 2;
    if (n % 2 == 0 || n % 3 == 0)
        return false;
    for (uint64_t d = 5; d <= n / d; d += 6)
        if (n % d == 0 || n % (d + 2) == 0)
            return false;
    return true;
}

uint64_t ee_next_prime(uint64_t n)
{
    while (!ee_is_prime(n))
        n++;
    return n;
}

bool ee_probe_prime(uint64_t n, void *result, void *arg)
{
    const struct ee_prime_search *s = arg;
    bool p = ee_is_prime(n);
    if (p && (s->any || n == s->target)) {
        *(uint64_t *)result = n;
        return true;
    }
    return false;
}

uint8_t *ee_sieve(uint64_t len)
{
    uint8_t *s = malloc(len ? len : 1);
    if (!s)
        return NULL;
    memset(s, 1, len);
    for (uint64_t i = 0; i < len && i < 2; i++)
        s[i] = 0;
    for (uint64_t p = 2; p * p < len; p++)
        if (s[p])
            for (uint64_t m = p * p; m < len; m += p)
                s[m] = 0;
    return s;
}

bool ee_probe_cheap(uint64_t i, void *result, void *arg)
{
    const struct ee_work *w = arg;
    /* The index wraps over the sieve (a power of two long, so a mask and
     * not a division), so any range length works. */
    uint64_t n = i & (w->sieve_len - 1);
    bool p = w->sieve[n] != 0;
    if (i == w->hit) {
        *(uint64_t *)result = i;
        return true;
    }
    return p && n == 0; /* never: keeps the lookup from being dropped */
}

bool ee_probe_heavy(uint64_t i, void *result, void *arg)
{
    const struct ee_work *w = arg;
    uint64_t n = w->base + i;
    uint64_t divisors = 0;
    for (uint64_t d = 3; d <= n / d; d += 2)
        divisors += n % d == 0;
    if (i == w->hit) {
        *(uint64_t *)result = divisors;
        return true;
    }
    return divisors == UINT64_MAX; /* never */
}
