/* SPDX-License-Identifier: MIT */
/* fuzz-queue.c: libFuzzer harness: a queue whose shared bytes the input overwrites, then used; only documented codes, no bad read, no long wait. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "queue_internal.h"
#include "robust-list.h"

/*
 * Each input overwrites bytes of a queue of 8 slots of 24 bytes (placed
 * with coord_queue_init in this process's memory, three messages and a
 * pill queued first), then makes calls with timeout 0. The input:
 *   byte 0, the mode: bit 0, the writes may land on the two robust
 *     mutexes too (all their words: lock, count, owner, users, kind and
 *     list), else those are left alone; with bit 0, bits 1 and 2 first
 *     write this thread's id into the producer's and the consumer's lock
 *     word (a lock glibc takes for one this thread holds: EDEADLK), which
 *     the writes may then change.
 *   then writes of 3 bytes each (a little-endian 16-bit offset, a value),
 *     up to an 0xff where a write would start;
 *   then calls, one byte each.
 * A lock word naming another thread (any other nonzero value without
 * FUTEX_OWNER_DIED: glibc waits for it as for a holder) costs a call up
 * to 10 ms before its operation and 10 ms for its wake-ups (docs/queue.md,
 * Waiting for a side lock), the time of a few hundred other inputs: an
 * input makes at most HELD_CALLS calls while a lock word looks so, then
 * ends, so that the fuzzer keeps most of its rate (measured here over
 * 30 s: 18.5 k inputs/s without the mutexes' words, 6.8 k with at most 8
 * calls per input of mode bit 0, 7.8-13.5 k with this, over five runs).
 *
 * The checks: every return code is one the header documents for that
 * call, and every length handed back fits max_msg and the buffer; no call
 * takes longer than CALL_SLOW_NS (an input with a slower call is run
 * again, SLOW_RUNS times in all, and fails only if each run has one: a
 * descheduled moment is not a finding); no robust mutex is left on this
 * thread's robust list (robust-list.h). A violation aborts (a crash for
 * libFuzzer); ASan reports any read outside the queue's memory, a hang
 * past -timeout fails too. The deterministic CTest forms are
 * tests/test-queue-hostile.c's queue_mutated_while_used (across two
 * processes, the mutexes left alone) and
 * queue_forged_owner_words_with_timeout_0 (each forgery of their words).
 *
 * The mutexes' list words are fuzzed as the other words are, between
 * calls: glibc's lock writes both before anything reads them, so a forged
 * pair is harmless to a lock taken after it. Written while this thread
 * holds the lock (a peer writing at the same moment), they would be
 * written through at the unlock, in this process's memory: no user-space
 * check can stop that, which is why the concurrent writer of
 * tests/test-queue-hostile.c leaves the locks alone (docs/queue.md,
 * Trust).
 *
 * tests/fuzz/run.sh builds and runs it (a quarter of its time), with the
 * other targets.
 */
#ifndef __GLIBC__
#error "fuzz-queue.c writes and reads glibc's mutex words"
#endif

#define CAP 8
#define MSG 24
#define HELD_CALLS 2
/* A call waits at most 20 ms for side locks (10 ms before its operation,
 * 10 ms for its wake-ups); the rest is a few slots' work. */
#define CALL_SLOW_NS 60000000ull
#define SLOW_RUNS 3

static bool documented(int r)
{
    return r == 0 || r == COORD_PILL || r == COORD_EAGAIN ||
           r == COORD_ECLOSED || r == COORD_EPROTO || r == COORD_ENOBUFS;
}

/* A failed check says its line and aborts (a crash for libFuzzer). */
#define check(ok) check_at((ok), __LINE__)
static void check_at(bool ok, int line)
{
    if (!ok) {
        fprintf(stderr, "fuzz-queue: the check at line %d failed\n", line);
        abort();
    }
}

/* The queue's producer (k = 0) or consumer (1) lock, as glibc's words. */
static pthread_mutex_t *lock_at(unsigned char *mem,
                                const struct coord__queue_map *map, int k)
{
    return (pthread_mutex_t *)(void *)(mem + map->lock_off[k]);
}

/* Would glibc wait for one of the locks as for a holder: a lock word
 * naming a thread other than `self` (or none, with FUTEX_WAITERS), not
 * marked dead? */
static bool looks_held(unsigned char *mem, const struct coord__queue_map *map,
                       int self)
{
    for (int k = 0; k < 2; k++) {
        unsigned w = (unsigned)lock_at(mem, map, k)->__data.__lock;
        if (w && !(w & FUTEX_OWNER_DIED) && (int)(w & FUTEX_TID_MASK) != self)
            return true;
    }
    return false;
}

/* Is offset `off` of the queue inside one of its two mutexes? */
static bool in_lock(const struct coord__queue_map *map, size_t off)
{
    for (int i = 0; i < 2; i++)
        if (off >= map->lock_off[i] && off < map->lock_off[i] + map->lock_len)
            return true;
    return false;
}

/* Run the input once over the queue in `mem`; returns the longest call's
 * nanoseconds. */
static uint64_t run(unsigned char *mem, size_t size, const uint8_t *d,
                    size_t n)
{
    coord_queue *q;
    check(coord_queue_init(mem, size, CAP, MSG, &q) == 0);
    check(coord_queue_put(q, "first", 5, 0) == 0);
    check(coord_queue_put(q, "a message of 24 bytes...", 24, 0) == 0);
    check(coord_queue_put(q, NULL, 0, 0) == 0);
    check(coord_queue_put_pill(q, 0) == 0);
    struct coord__queue_map map;
    coord__queue_layout(q, &map);

    unsigned mode = n ? d[0] : 0;
    bool owners = mode & 1;
    int self = (int)syscall(SYS_gettid);
    size_t i = 1;
    for (int k = 0; k < 2 && owners; k++)
        if (mode & (2u << k))
            lock_at(mem, &map, k)->__data.__lock = self;
    for (; i + 3 <= n && d[i] != 0xff; i += 3) {
        size_t off = ((size_t)d[i] | (size_t)d[i + 1] << 8) % size;
        if (owners || !in_lock(&map, off))
            mem[off] = d[i + 2];
    }
    /* The calls: one byte each, after an 0xff (or the writes' end). */
    unsigned char buf[4][MSG];
    size_t lens[4], got, len;
    const void *msgs[2] = {"xy", "z"};
    size_t mlens[2] = {2, 1};
    uint64_t slowest = 0;
    unsigned held_calls = 0;
    for (i++; i < n; i++) {
        if (owners && looks_held(mem, &map, self) && ++held_calls > HELD_CALLS)
            break;
        int r;
        uint64_t t0 = coord_clock_ns();
        switch (d[i] % 6) {
        case 0:
            r = coord_queue_get(q, buf[0], d[i] & 0x80 ? 4 : MSG, &len, 0);
            check(documented(r) &&
                  (r != 0 || len <= (d[i] & 0x80 ? 4u : (size_t)MSG)));
            check(r != COORD_ENOBUFS || len <= MSG);
            break;
        case 1:
            r = coord_queue_get_many(q, buf, MSG, 4, lens, &got, 0);
            check(documented(r));
            for (size_t k = 0; r == 0 && k < got; k++)
                check(got <= 4 && lens[k] <= MSG);
            break;
        case 2:
            r = coord_queue_put(q, "hello", 5, 0);
            check(documented(r) && r != COORD_PILL && r != COORD_ENOBUFS);
            break;
        case 3:
            r = coord_queue_put_many(q, msgs, mlens, 2, &got, 0);
            check(documented(r) && r != COORD_PILL && r != COORD_ENOBUFS);
            check(r != 0 || (got >= 1 && got <= 2));
            break;
        case 4:
            r = coord_queue_put_pill(q, 0);
            check(documented(r) && r != COORD_PILL && r != COORD_ENOBUFS);
            break;
        default: {
            long c = coord_queue_count(q);
            check(c >= 0 && c <= CAP);
            break;
        }
        }
        uint64_t t = coord_clock_ns() - t0;
        if (t > slowest)
            slowest = t;
        check(robust_list_empty());
    }
    coord_queue_destroy(q);
    return slowest;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    static unsigned char *mem;
    static size_t size;
    if (!mem) {
        size = coord_queue_size(CAP, MSG);
        mem = aligned_alloc(COORD__CACHE_LINE, size);
        check(mem != NULL);
    }
    /* A slow run is run again, twice at most: only an input whose every
     * run has a slow call fails. */
    uint64_t slowest[SLOW_RUNS];
    for (int k = 0; k < SLOW_RUNS; k++) {
        slowest[k] = run(mem, size, d, n);
        if (slowest[k] <= CALL_SLOW_NS)
            return 0;
    }
    fprintf(stderr, "fuzz-queue: a call took more than %llu ms in each of %d "
            "runs (%.1f, %.1f, %.1f ms)\n", CALL_SLOW_NS / 1000000,
            SLOW_RUNS, (double)slowest[0] / 1e6, (double)slowest[1] / 1e6,
            (double)slowest[2] / 1e6);
    abort();
}
