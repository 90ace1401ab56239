/* SPDX-License-Identifier: MIT */
/* earlyexit.h: what the early-exit experiments (primes, waste, interval) share: work, Python, plots. */
#ifndef COORD_CLI_EARLYEXIT_H
#define COORD_CLI_EARLYEXIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <coord.h>

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

/* What the experiments report of a coord_search, as medians over
 * repeated runs (primes and waste measure the same five figures). */
struct ee_figures {
    double wall_ns, iterations, wasted, stop_ns, every;
};

/* The most runs an experiment repeats (its --runs limit). */
#define EE_MAX_RUNS 101

/* The figures of each run, collected for their medians. Start it zeroed. */
struct ee_runs {
    size_t n;
    double wall_ns[EE_MAX_RUNS], iterations[EE_MAX_RUNS],
        wasted[EE_MAX_RUNS], stop_ns[EE_MAX_RUNS], every[EE_MAX_RUNS];
};
/* Adds one run's figures (ignored beyond EE_MAX_RUNS runs). */
void ee_runs_add(struct ee_runs *r, const coord_search_stats *st);
/* The median of each figure over the runs added; sorts them in place. */
struct ee_figures ee_runs_median(struct ee_runs *r);

/* Run `python3 <python dir>/<script> args...` and capture its stdout into
 * `out` (NUL-terminated, truncated to cap). The directory is
 * $COORD_PYTHON_DIR, else <source>/bench/python. Returns 0 on exit 0,
 * 1 when python3 or the script is missing (the caller prints "skipped"),
 * -1 when it failed (message in `why`). */
int ee_python(const char *script, const char *const *args, char *out,
              size_t cap, char *why, size_t why_cap);

/* True when program `name` is found on $PATH. */
bool ee_have(const char *name);

/* A number after "key": in the JSON text `s` (the first occurrence). */
bool ee_json_num(const char *s, const char *key, double *out);

/* Draw with gnuplot: `script` gets "set terminal ...; set output ..." put
 * in front of it according to the extension of `file` (.png or .svg).
 * Returns 0, or 1 after printing a one-line message (gnuplot missing,
 * unknown extension, gnuplot failed). */
int ee_gnuplot(const char *cmd, const char *file, const char *script);
/* True for a plot file name gnuplot can write (.png, .svg). */
bool ee_plot_ext_ok(const char *file);

/* "1,234,567" into buf. */
const char *ee_commas(uint64_t v, char *buf, size_t cap);
/* A duration: "850 ns", "12.3 us", "4.56 ms", "1.23 s". */
const char *ee_dur(double ns, char *buf, size_t cap);

#endif
