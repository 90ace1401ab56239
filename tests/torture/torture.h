/* SPDX-License-Identifier: MIT */
/* torture.h: the torture suite's passes, their counts and the helpers they share. */
#ifndef COORD_TORTURE_H
#define COORD_TORTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "coord.h"

/*
 * The torture suite runs three passes against the public API only (so it
 * keeps testing whatever implementation is behind the headers in include/coord):
 *   pool     random SIGKILLs of a running pool's workers; every task is
 *            accounted for exactly once (a result, or a failure reported
 *            with its id and cause, after its retries);
 *   queue    4 producers and 4 consumers of one named queue, SIGKILLed at
 *            random and restarted; every committed message is delivered
 *            exactly once (or taken by a consumer that was then killed,
 *            which is found in that consumer's buffer);
 *   manager  garbage frames, half frames, idle connections past
 *            max_clients and clients killed mid-request, while a healthy
 *            client keeps getting answers.
 * Each pass fills a row of counts; main prints them as a closing table and
 * exits 1 if any pass found a loss, a duplicate, a hang, a zombie, a file
 * left in /dev/shm or a wrong answer.
 */

/* How long each pass runs: short (CI, about a minute on 2 cores) or full. */
struct tt_plan {
    unsigned pool_kills;   /* SIGKILLs sent to pool workers */
    unsigned queue_kills;  /* SIGKILLs sent to producers and consumers */
    unsigned manager_ms;   /* length of the manager abuse */
    uint64_t seed;
};

/* One row of the closing table. Names of the columns in torture.c. */
struct tt_row {
    const char *pass;
    double secs;
    uint64_t kills;     /* SIGKILLs that hit a live process */
    uint64_t items;     /* tasks submitted, messages committed, requests */
    uint64_t ok;        /* results, deliveries, answers */
    uint64_t reported;  /* failures reported with id and cause */
    uint64_t retried;   /* tasks run again after a death; messages taken
                           by a killed consumer */
    uint64_t lost;      /* must be 0 */
    uint64_t dup;       /* must be 0 */
    uint64_t wrong;     /* wrong answers, unexpected codes: must be 0 */
    uint64_t hangs;     /* calls past their deadline: must be 0 */
    uint64_t zombies;   /* children left unreaped: must be 0 */
    uint64_t shm_left;  /* /dev/shm files left: must be 0 */
    char note[256];     /* what else the pass counted */
};

void tt_pool(const struct tt_plan *p, struct tt_row *r);
void tt_queue(const struct tt_plan *p, struct tt_row *r);
void tt_manager(const struct tt_plan *p, struct tt_row *r);

/* xorshift64*: the suite's random numbers (seeded per pass and process). */
uint64_t tt_rand(uint64_t *s);

/* A MAP_SHARED anonymous mapping of `size` zeroed bytes (exits on failure). */
void *tt_shared(size_t size);

/* Fork a child that runs fn(arg) and _exits with its return value; the
 * child dies with this process. Returns the pid (exits on failure). */
pid_t tt_fork(int (*fn)(void *), void *arg);

/* Wait for `pid` at most timeout_ms; returns its wait status, or -1 after
 * it was SIGKILLed and reaped because it did not end in time. */
int tt_wait(pid_t pid, int timeout_ms);

/* Children of this process left unreaped (zombies or still running); each
 * is SIGKILLed and reaped. Returns how many there were. */
uint64_t tt_reap_leftovers(void);

/* /dev/shm files whose name starts with `prefix`; each is removed. */
uint64_t tt_shm_leftovers(const char *prefix);

/* Sleep `us` microseconds (the random spacing of the injections). */
void tt_sleep_us(unsigned us);

/* A 64-bit mix of x (splitmix64's finaliser): the tasks' answers. */
uint64_t tt_mix(uint64_t x);

#endif
