/* SPDX-License-Identifier: MIT */
/* search-twin-primes.c: coord_search finds twin primes above a bound; rounds screen many bounds. */
#include <coord.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static bool is_prime(uint64_t n)
{
    if (n < 4)
        return n >= 2;
    if (n % 2 == 0 || n % 3 == 0)
        return false;
    for (uint64_t d = 5; d <= n / d; d += 6)
        if (n % d == 0 || n % (d + 2) == 0)
            return false;
    return true;
}

/* coord_search's probe: is n the smaller of a twin pair (n, n + 2)? */
static bool twin(uint64_t n, void *result, void *arg)
{
    (void)arg;
    if (!is_prime(n) || !is_prime(n + 2))
        return false;
    *(uint64_t *)result = n;
    return true;
}

/* A round's body: the input is the bound; index i is the number bound + i. */
static bool twin_round(uint64_t i, const void *input, size_t len, void *result,
                       uint32_t worker, void *arg)
{
    (void)len, (void)worker;
    return twin(*(const uint64_t *)input + i, result, arg);
}

int main(int argc, char **argv)
{
    uint64_t from = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000000000ull;

    /* One search: 2 workers, auto interval, early exit (the defaults). */
    coord_search_opts o;
    coord_search_opts_init(&o, from, from + 10000000);
    coord_search_stats st;
    uint64_t found;
    int r = coord_search(&o, twin, NULL, &found, sizeof found, &st);
    if (r < 0) {
        fprintf(stderr, "search: %s\n", coord_strerror(r));
        return 1;
    }
    if (r == 0) {
        printf("no twin primes in [%" PRIu64 ", +10^7)\n", from);
    } else {
        printf("twin primes %" PRIu64 ", %" PRIu64 " (worker %d, %" PRIu64
               " numbers tested, %" PRIu64 " after the claim, stop latency "
               "%" PRIu64 " ns, K = %" PRIu64 ")\n",
               found, found + 2, st.winner, st.iterations, st.wasted,
               st.stop_latency_ns, st.check_every);
    }

    /* Many searches: the rounds engine forks its workers once. */
    coord_rounds_opts ro;
    coord_rounds_opts_init(&ro);
    ro.max_input = sizeof(uint64_t);
    ro.result_size = sizeof(uint64_t);
    coord_rounds *rounds;
    if ((r = coord_rounds_create(&rounds, &ro, twin_round, NULL)) != 0) {
        fprintf(stderr, "rounds: %s\n", coord_strerror(r));
        return 1;
    }
    for (uint64_t k = 0; k < 5; k++) {
        uint64_t bound = from * (k + 2), twin_at;
        coord_round_stats rs;
        r = coord_rounds_run(rounds, &bound, sizeof bound, 0, 10000000,
                             &twin_at, &rs, 10000);
        if (r < 0) {
            fprintf(stderr, "round: %s\n", coord_strerror(r));
            break;
        }
        if (r == 1)
            printf("above %" PRIu64 ": %" PRIu64 " (response %" PRIu64
                   " us)\n",
                   bound, twin_at, rs.response_ns / 1000);
    }
    return coord_rounds_destroy(rounds) == 0 && r >= 0 ? 0 : 1;
}
