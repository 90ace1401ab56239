/* SPDX-License-Identifier: MIT */
/* fuzz-queue.c: libFuzzer harness: a queue whose shared bytes the input overwrites, then used; only documented codes, no bad read, no long wait. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "queue_internal.h"
#include "queue_shm.h"
#include "robust-list.h"

/*
 * Each input overwrites bytes of a queue of 8 slots of 24 bytes (placed
 * with coord_queue_init in this process's memory, three messages and a
 * pill queued first), then makes calls with timeout 0 (or 1 ms). The input:
 *   byte 0, the mode: bit 0, the writes may land on the two robust
 *     mutexes too (all their words: lock, count, owner, users, kind and
 *     list), else those are left alone; with bit 0, bits 1 and 2 first
 *     write this thread's id into the producer's and the consumer's lock
 *     word (a lock glibc takes for one this thread holds: EDEADLK, which
 *     the queue waits for as for a holder of another pid namespace), which
 *     the writes may then change. Bits 3 to 5 choose the position the
 *     queue starts at (START below: 0, and positions about 2^32, k * 2^32,
 *     2^62 and 2^63, where the 64-bit head and tail and the slots' 32-bit
 *     sequence numbers wrap or near HEAD_FROZEN), set as a queue that
 *     moved that far holds them, before the first put; bit 6 makes the
 *     calls wait 1 ms (COORD_ETIMEDOUT allowed) instead of timeout 0
 *     until TIMED_OUT_CALLS of them timed out, so
 *     that they reach the sleep (queue_wait.c's wait_side: the sleepers'
 *     words the writes change); bit 7, after the first puts, leaves the
 *     handle's cached head 2^32 - 4 positions behind head (an idle
 *     handle's), for the starts from 2^32 - 4 on.
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
 * thread's robust list (robust-list.h); an input that writes nothing
 * (the mutexes left alone, an 0xff at once) gets the messages it put, in
 * order, and each call the result a queue without other users gives
 * (struct model): the wraps of the start positions lose, repeat or
 * invent nothing. A violation aborts (a crash for
 * libFuzzer); ASan reports any read outside the queue's memory, a hang
 * past -timeout fails too. The deterministic CTest forms are
 * tests/test-queue-hostile.c's queue_mutated_while_used (across two
 * processes, the mutexes left alone),
 * queue_forged_owner_words_with_timeout_0 (each forgery of their words)
 * and queue_mutated_at_wrapping_positions (the start positions, the
 * 1 ms waits, the idle handle's head and the model, with random writes).
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
/* With mode bit 6, the calls wait 1 ms until this many have timed out
 * (then 0): each costs a millisecond, the time of a few hundred inputs. */
#define TIMED_OUT_CALLS 2

/* The start positions of mode bits 3 to 5. */
static const uint64_t START[8] = {
    0,
    0xfffffffeull,                 /* the first put's commit wraps seq */
    0xfffffffbull,                 /* the first puts straddle 2^32 */
    7ull << 32 | 0xffffffffull,    /* k * 2^32 - 1 */
    (1ull << 62) - 3,
    (1ull << 63) - 6,              /* gets reach bit 63 (HEAD_FROZEN) */
    (1ull << 63) - 2,              /* the first puts' tail passes 2^63 */
    (1ull << 33) - CAP,            /* a lap short of k * 2^32 */
};

/* Set a fresh queue's positions to `at`, each slot free for its position
 * of the lap from there, as a queue that moved `at` positions holds. */
static void start_at(coord_queue *q, uint64_t at)
{
    atomic_store(&q->s->head, at);
    atomic_store(&q->s->tail, at);
    for (uint32_t i = 0; i < q->ring; i++)
        atomic_store(&slot_at(q, at + i)->word, FREE_WORD(at + i));
}

static bool documented(int r)
{
    return r == 0 || r == COORD_PILL || r == COORD_EAGAIN ||
           r == COORD_ECLOSED || r == COORD_EPROTO || r == COORD_ENOBUFS;
}

static bool documented_timed(int r, int tmo)
{
    return documented(r) || (tmo > 0 && r == COORD_ETIMEDOUT);
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

/* Would a call wait for one of the locks as for a holder: a lock word
 * naming a thread (or none, with FUTEX_WAITERS), not marked dead? One
 * naming `self` too: glibc's EDEADLK, which the queue takes for a holder
 * of another pid namespace with this thread's number. */
static bool looks_held(unsigned char *mem, const struct coord__queue_map *map,
                       int self)
{
    (void)self;
    for (int k = 0; k < 2; k++) {
        unsigned w = (unsigned)lock_at(mem, map, k)->__data.__lock;
        if (w && !(w & FUTEX_OWNER_DIED))
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

/* What an input that writes nothing must see: the queue's messages in
 * order (a FIFO of up to CAP, pills as len SIZE_MAX), every call's result
 * as a queue without other users gives it. */
struct model {
    size_t at, n, len[CAP];
    unsigned char msg[CAP][MSG];
};

static void model_push(struct model *m, const void *msg, size_t len)
{
    size_t k = (m->at + m->n++) % CAP;
    m->len[k] = len;
    if (msg && len != SIZE_MAX)
        memcpy(m->msg[k], msg, len);
}

/* The message first in line matches (buf, len); taken off. */
static void model_take(struct model *m, const unsigned char *buf, size_t len)
{
    check(m->n > 0 && m->len[m->at] == len &&
          (len == SIZE_MAX || memcmp(m->msg[m->at], buf, len) == 0));
    m->at = (m->at + 1) % CAP;
    m->n--;
}

/* r, for a call that found nothing to do (empty or full) in a clean run. */
static bool model_none(int r, int tmo)
{
    return r == (tmo ? COORD_ETIMEDOUT : COORD_EAGAIN);
}

/* Run the input once over the queue in `mem`; returns the longest call's
 * nanoseconds. */
static uint64_t run(unsigned char *mem, size_t size, const uint8_t *d,
                    size_t n)
{
    coord_queue *q;
    check(coord_queue_init(mem, size, CAP, MSG, &q) == 0);
    unsigned mode = n ? d[0] : 0;
    uint64_t at = START[(mode >> 3) & 7];
    bool timed = mode & 0x40;
    if (at)
        start_at(q, at);
    check(coord_queue_put(q, "first", 5, 0) == 0);
    check(coord_queue_put(q, "a message of 24 bytes...", 24, 0) == 0);
    check(coord_queue_put(q, NULL, 0, 0) == 0);
    check(coord_queue_put_pill(q, 0) == 0);
    /* After the puts (whose first would reload it): an idle handle's
     * head, from 2^32 - 4 positions ago, which a 32-bit room check took
     * for one 4 ahead of head. */
    if ((mode & 0x80) && at >= (1ull << 32) - 4)
        atomic_store(&q->head_cache, at - ((1ull << 32) - 4));
    struct model m = {0};
    model_push(&m, "first", 5);
    model_push(&m, "a message of 24 bytes...", 24);
    model_push(&m, NULL, 0);
    model_push(&m, NULL, SIZE_MAX);
    struct coord__queue_map map;
    coord__queue_layout(q, &map);

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
    /* Nothing written: the calls' results are known (struct model). */
    bool clean = !owners && i == 1;
    /* The calls: one byte each, after an 0xff (or the writes' end). */
    unsigned char buf[4][MSG];
    size_t lens[4], got, len;
    const void *msgs[2] = {"xy", "z"};
    size_t mlens[2] = {2, 1};
    uint64_t slowest = 0;
    unsigned held_calls = 0, timed_out = 0;
    for (i++; i < n; i++) {
        if (owners && looks_held(mem, &map, self) && ++held_calls > HELD_CALLS)
            break;
        int r = 0, tmo = timed && timed_out < TIMED_OUT_CALLS ? 1 : 0;
        uint64_t t0 = coord_clock_ns();
        switch (d[i] % 6) {
        case 0:
            r = coord_queue_get(q, buf[0], d[i] & 0x80 ? 4 : MSG, &len, tmo);
            check(documented_timed(r, tmo) &&
                  (r != 0 || len <= (d[i] & 0x80 ? 4u : (size_t)MSG)));
            check(r != COORD_ENOBUFS || len <= MSG);
            if (clean) {
                size_t cap = d[i] & 0x80 ? 4 : MSG;
                size_t f = m.n ? m.len[m.at] : 0;
                if (!m.n)
                    check(model_none(r, tmo));
                else if (f == SIZE_MAX)
                    check(r == COORD_PILL);
                else if (f > cap)
                    check(r == COORD_ENOBUFS && len == f);
                else
                    check(r == 0);
                if (r == COORD_PILL)
                    model_take(&m, NULL, SIZE_MAX);
                else if (r == 0)
                    model_take(&m, buf[0], len);
            }
            break;
        case 1:
            r = coord_queue_get_many(q, buf, MSG, 4, lens, &got, tmo);
            check(documented_timed(r, tmo));
            for (size_t k = 0; r == 0 && k < got; k++)
                check(got <= 4 && lens[k] <= MSG);
            if (clean) {
                /* Up to 4, a pill only alone (first in line). */
                size_t want = 0;
                while (want < 4 && want < m.n &&
                       m.len[(m.at + want) % CAP] != SIZE_MAX)
                    want++;
                if (!m.n)
                    check(model_none(r, tmo));
                else if (m.len[m.at] == SIZE_MAX)
                    check(r == COORD_PILL);
                else
                    check(r == 0 && got == want);
                if (r == COORD_PILL)
                    model_take(&m, NULL, SIZE_MAX);
                for (size_t k = 0; r == 0 && k < got; k++)
                    model_take(&m, buf[k], lens[k]);
            }
            break;
        case 2:
            r = coord_queue_put(q, "hello", 5, tmo);
            check(documented_timed(r, tmo) && r != COORD_PILL && r != COORD_ENOBUFS);
            if (clean) {
                check(m.n < CAP ? r == 0 : model_none(r, tmo));
                if (r == 0)
                    model_push(&m, "hello", 5);
            }
            break;
        case 3:
            r = coord_queue_put_many(q, msgs, mlens, 2, &got, tmo);
            check(documented_timed(r, tmo) && r != COORD_PILL && r != COORD_ENOBUFS);
            check(r != 0 || (got >= 1 && got <= 2));
            if (clean) {
                size_t room = CAP - m.n;
                check(room ? r == 0 && got == (room < 2 ? room : 2)
                           : model_none(r, tmo));
                for (size_t k = 0; r == 0 && k < got; k++)
                    model_push(&m, msgs[k], mlens[k]);
            }
            break;
        case 4:
            r = coord_queue_put_pill(q, tmo);
            check(documented_timed(r, tmo) && r != COORD_PILL && r != COORD_ENOBUFS);
            if (clean) {
                check(m.n < CAP ? r == 0 : model_none(r, tmo));
                if (r == 0)
                    model_push(&m, NULL, SIZE_MAX);
            }
            break;
        default: {
            long c = coord_queue_count(q);
            check(c >= 0 && c <= CAP);
            check(!clean || (size_t)c == m.n);
            break;
        }
        }
        uint64_t t = coord_clock_ns() - t0;
        timed_out += r == COORD_ETIMEDOUT;
        if (t > slowest)
            slowest = t;
        check(robust_list_empty());
    }
    coord_queue_destroy(q);
    return slowest;
}

/* Does a sleep of 1 ms end more than SLEEP_LATE_NS late (a machine too
 * loaded to tell a slow call from a thread that waits for a CPU)? */
#define SLEEP_LATE_NS 10000000ull
static bool sleep_is_late(void)
{
    struct timespec ts = {0, 1000000};
    uint64_t t0 = coord_clock_ns();
    nanosleep(&ts, NULL);
    return coord_clock_ns() - t0 > 1000000 + SLEEP_LATE_NS;
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
     * run has a slow call fails, and only while a sleep of 1 ms takes
     * less than SLEEP_LATE_NS (a run whose calls wait 1 ms each sleeps
     * dozens of times: under a load of 17 on 2 CPUs, nice 19, its
     * wake-ups came 100-400 ms late in all, three runs in a row). */
    uint64_t slowest[SLOW_RUNS];
    for (int k = 0; k < SLOW_RUNS; k++) {
        slowest[k] = run(mem, size, d, n);
        if (slowest[k] <= CALL_SLOW_NS || sleep_is_late())
            return 0;
    }
    fprintf(stderr, "fuzz-queue: a call took more than %llu ms in each of %d "
            "runs (%.1f, %.1f, %.1f ms)\n", CALL_SLOW_NS / 1000000,
            SLOW_RUNS, (double)slowest[0] / 1e6, (double)slowest[1] / 1e6,
            (double)slowest[2] / 1e6);
    abort();
}
