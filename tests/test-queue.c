/* SPDX-License-Identifier: MIT */
/* test-queue.c: the queue across real processes: FIFO, pills, close, bad input, SIGKILL mid-operation. */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "harness.h"
#include "queue_internal.h"
#include "queue_shm.h"

static void *shared_mem(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(p != MAP_FAILED);
    return p;
}

TEST(queue_basic)
{
    coord_queue *q;
    char buf[32];
    size_t len = 99;
    ASSERT_OK(coord_queue_create(&q, 3, 16));
    ASSERT_EQ(coord_queue_capacity(q), 3);
    ASSERT_EQ(coord_queue_max_msg(q), 16);
    ASSERT_EQ(coord_queue_count(q), 0);
    ASSERT_CODE(coord_queue_get(q, buf, sizeof buf, &len, 0), COORD_EAGAIN);
    ASSERT_OK(coord_queue_put(q, "one", 3, 0));
    ASSERT_OK(coord_queue_put(q, "sixteen-bytes-ok", 16, 0));
    ASSERT_OK(coord_queue_put(q, NULL, 0, 0));
    ASSERT_EQ(coord_queue_count(q), 3);
    /* Full: capacity is exact even though the ring is 4 slots. */
    ASSERT_CODE(coord_queue_put(q, "x", 1, 0), COORD_EAGAIN);
    ASSERT_CODE(coord_queue_put_pill(q, 0), COORD_EAGAIN);
    uint64_t t0 = coord_clock_ns();
    ASSERT_CODE(coord_queue_put(q, "x", 1, 30), COORD_ETIMEDOUT);
    ASSERT_GE(coord_clock_ns() - t0, 29000000);
    ASSERT_OK(coord_queue_get(q, buf, sizeof buf, &len, 0));
    ASSERT_EQ(len, 3);
    ASSERT_TRUE(memcmp(buf, "one", 3) == 0);
    ASSERT_OK(coord_queue_put_pill(q, 0));
    ASSERT_OK(coord_queue_get(q, buf, sizeof buf, &len, -1));
    ASSERT_EQ(len, 16);
    ASSERT_TRUE(memcmp(buf, "sixteen-bytes-ok", 16) == 0);
    ASSERT_OK(coord_queue_get(q, NULL, 0, &len, 0));
    ASSERT_EQ(len, 0);
    len = 7;
    ASSERT_CODE(coord_queue_get(q, NULL, 0, &len, 0), COORD_PILL);
    ASSERT_EQ(len, 0);
    t0 = coord_clock_ns();
    ASSERT_CODE(coord_queue_get(q, buf, sizeof buf, &len, 30),
                COORD_ETIMEDOUT);
    ASSERT_GE(coord_clock_ns() - t0, 29000000);
    /* A wait longer than the 100 ms sleep slice still ends at its own
     * deadline, not at the first slice. */
    t0 = coord_clock_ns();
    ASSERT_CODE(coord_queue_get(q, buf, sizeof buf, &len, 250),
                COORD_ETIMEDOUT);
    ASSERT_GE(coord_clock_ns() - t0, 249000000);
    /* Many laps around the ring keep order and count. */
    for (uint32_t i = 0; i < 10000; i++) {
        ASSERT_OK(coord_queue_put(q, &i, sizeof i, 0));
        uint32_t v = 0;
        ASSERT_OK(coord_queue_get(q, &v, sizeof v, &len, 0));
        ASSERT_EQ(v, i);
    }
    ASSERT_EQ(coord_queue_count(q), 0);
    coord_queue_destroy(q);
}

TEST(queue_pill_is_not_data)
{
    coord_queue *q;
    size_t len;
    unsigned char buf[8];
    ASSERT_OK(coord_queue_create(&q, 8, 8));
    /* Data whose bytes look like anything a sentinel could be. */
    static const unsigned char zeros[8], ones[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    ASSERT_OK(coord_queue_put(q, zeros, 8, 0));
    ASSERT_OK(coord_queue_put(q, ones, 1, 0));
    ASSERT_OK(coord_queue_put(q, NULL, 0, 0));
    ASSERT_OK(coord_queue_put_pill(q, 0));
    ASSERT_CODE(coord_queue_get(q, buf, 8, &len, 0), 0);
    ASSERT_EQ(len, 8);
    ASSERT_CODE(coord_queue_get(q, buf, 8, &len, 0), 0);
    ASSERT_EQ(len, 1);
    ASSERT_CODE(coord_queue_get(q, buf, 8, &len, 0), 0);
    ASSERT_EQ(len, 0);
    ASSERT_CODE(coord_queue_get(q, buf, 8, &len, 0), COORD_PILL);
    coord_queue_destroy(q);
}

TEST(queue_bad_input)
{
    coord_queue *q = NULL;
    char buf[64];
    size_t len = 0;
    ASSERT_CODE(coord_queue_create(&q, 0, 8), COORD_EINVAL);
    ASSERT_CODE(coord_queue_create(&q, 8, 0), COORD_EINVAL);
    ASSERT_CODE(coord_queue_create(NULL, 8, 8), COORD_EINVAL);
    ASSERT_CODE(coord_queue_create(&q, (size_t)COORD_QUEUE_MAX_CAPACITY + 1, 8),
                COORD_EINVAL);
    ASSERT_CODE(coord_queue_create(&q, 8, (size_t)COORD_QUEUE_MAX_MSG + 1),
                COORD_EINVAL);
    ASSERT_CODE(coord_queue_create(&q, SIZE_MAX, SIZE_MAX), COORD_EINVAL);
    /* Within the limits but beyond any memory: ENOMEM, as documented
     * (it was EINVAL, from the segment's own size cap). */
    ASSERT_CODE(coord_queue_create(&q, COORD_QUEUE_MAX_CAPACITY, COORD_QUEUE_MAX_MSG),
                COORD_ENOMEM);
    ASSERT_EQ(coord_queue_size(0, 8), 0);
    ASSERT_EQ(coord_queue_size(8, 0), 0);
    ASSERT_CODE(coord_queue_create_named(&q, NULL, 8, 8), COORD_EINVAL);
    ASSERT_CODE(coord_queue_create_named(&q, "bad/name", 8, 8), COORD_EINVAL);
    ASSERT_CODE(coord_queue_open(&q, NULL), COORD_EINVAL);

    size_t need = coord_queue_size(4, 8);
    ASSERT_GT(need, 0);
    char *mem = shared_mem(need + 64);
    ASSERT_CODE(coord_queue_init(NULL, need, 4, 8, &q), COORD_EINVAL);
    ASSERT_CODE(coord_queue_init(mem + 8, need, 4, 8, &q), COORD_EINVAL);
    ASSERT_CODE(coord_queue_init(mem, need - 1, 4, 8, &q), COORD_EINVAL);
    ASSERT_CODE(coord_queue_init(mem, need, 4, 8, NULL), COORD_EINVAL);
    ASSERT_CODE(coord_queue_init(mem, need, 0, 8, &q), COORD_EINVAL);
    munmap(mem, need + 64);

    ASSERT_OK(coord_queue_create(&q, 4, 8));
    ASSERT_CODE(coord_queue_put(NULL, "x", 1, 0), COORD_EINVAL);
    ASSERT_CODE(coord_queue_put(q, NULL, 1, 0), COORD_EINVAL);
    ASSERT_CODE(coord_queue_put(q, "123456789", 9, 0), COORD_EMSGSIZE);
    ASSERT_CODE(coord_queue_put(q, "x", 1, -2), COORD_EINVAL);
    ASSERT_CODE(coord_queue_put_pill(NULL, 0), COORD_EINVAL);
    ASSERT_CODE(coord_queue_put_pill(q, -5), COORD_EINVAL);
    ASSERT_EQ(coord_queue_count(q), 0);
    ASSERT_OK(coord_queue_put(q, "12345678", 8, 0));
    ASSERT_CODE(coord_queue_get(NULL, buf, 8, &len, 0), COORD_EINVAL);
    ASSERT_CODE(coord_queue_get(q, NULL, 8, &len, 0), COORD_EINVAL);
    ASSERT_CODE(coord_queue_get(q, buf, 8, NULL, 0), COORD_EINVAL);
    ASSERT_CODE(coord_queue_get(q, buf, 8, &len, -7), COORD_EINVAL);
    /* Too small a buffer: ENOBUFS, the length, and the message stays. */
    ASSERT_CODE(coord_queue_get(q, buf, 7, &len, 0), COORD_ENOBUFS);
    ASSERT_EQ(len, 8);
    ASSERT_CODE(coord_queue_get(q, NULL, 0, &len, 0), COORD_ENOBUFS);
    ASSERT_EQ(coord_queue_count(q), 1);
    ASSERT_OK(coord_queue_get(q, buf, 8, &len, 0));
    ASSERT_TRUE(memcmp(buf, "12345678", 8) == 0);

    /* Use after close: puts fail, gets drain then fail. */
    ASSERT_OK(coord_queue_put(q, "a", 1, 0));
    ASSERT_OK(coord_queue_put_pill(q, 0));
    ASSERT_FALSE(coord_queue_is_closed(q));
    ASSERT_OK(coord_queue_close(q));
    ASSERT_OK(coord_queue_close(q));
    ASSERT_TRUE(coord_queue_is_closed(q));
    ASSERT_CODE(coord_queue_put(q, "b", 1, 0), COORD_ECLOSED);
    ASSERT_CODE(coord_queue_put(q, "b", 1, -1), COORD_ECLOSED);
    ASSERT_CODE(coord_queue_put_pill(q, 0), COORD_ECLOSED);
    ASSERT_OK(coord_queue_get(q, buf, 8, &len, 0));
    ASSERT_EQ(len, 1);
    ASSERT_CODE(coord_queue_get(q, buf, 8, &len, -1), COORD_PILL);
    ASSERT_CODE(coord_queue_get(q, buf, 8, &len, 0), COORD_ECLOSED);
    ASSERT_CODE(coord_queue_get(q, buf, 8, &len, -1), COORD_ECLOSED);
    ASSERT_CODE(coord_queue_close(NULL), COORD_EINVAL);
    ASSERT_TRUE(coord_queue_is_closed(NULL));
    ASSERT_CODE(coord_queue_count(NULL), COORD_EINVAL);
    ASSERT_EQ(coord_queue_capacity(NULL), 0);
    coord_queue_destroy(q);
    coord_queue_destroy(NULL);
}

/* ---- put_many / get_many ---------------------------------------------- */

TEST(queue_many_basic)
{
    coord_queue *q;
    ASSERT_OK(coord_queue_create(&q, 5, 8));
    const char *words[] = {"a", "bb", "ccc", "dddd", "eeeee", "ffffff", "g"};
    const void *m[7];
    size_t lens[7], done = 99, got = 99;
    for (int i = 0; i < 7; i++) {
        m[i] = words[i];
        lens[i] = strlen(words[i]);
    }
    /* Room for 5 of 7: five go, in order, in one call. */
    ASSERT_OK(coord_queue_put_many(q, m, lens, 7, &done, 0));
    ASSERT_EQ(done, 5);
    ASSERT_EQ(coord_queue_count(q), 5);
    ASSERT_CODE(coord_queue_put_many(q, m + 5, lens + 5, 2, &done, 0),
                COORD_EAGAIN);
    ASSERT_EQ(done, 0);
    char buf[4][8];
    size_t gl[4];
    ASSERT_OK(coord_queue_get_many(q, buf, 8, 4, gl, &got, 0));
    ASSERT_EQ(got, 4);
    for (int i = 0; i < 4; i++) {
        ASSERT_EQ(gl[i], strlen(words[i]));
        ASSERT_TRUE(memcmp(buf[i], words[i], gl[i]) == 0);
    }
    /* A pill ends a batch and is then taken alone. */
    ASSERT_OK(coord_queue_put_pill(q, 0));
    ASSERT_OK(coord_queue_put_many(q, m + 5, lens + 5, 2, &done, 0));
    ASSERT_EQ(done, 2);
    ASSERT_OK(coord_queue_get_many(q, buf, 8, 4, gl, &got, 0));
    ASSERT_EQ(got, 1);
    ASSERT_EQ(gl[0], 5);
    ASSERT_CODE(coord_queue_get_many(q, buf, 8, 4, gl, &got, 0), COORD_PILL);
    ASSERT_EQ(got, 0);
    ASSERT_EQ(gl[0], 0);
    /* A message longer than a record: first in line it is ENOBUFS (and
     * stays); behind another it ends the batch. */
    ASSERT_CODE(coord_queue_get_many(q, buf, 4, 4, gl, &got, 0),
                COORD_ENOBUFS);
    ASSERT_EQ(gl[0], 6);
    ASSERT_OK(coord_queue_get_many(q, buf, 8, 4, gl, &got, 0));
    ASSERT_EQ(got, 2);
    ASSERT_TRUE(memcmp(buf[0], "ffffff", 6) == 0 && buf[1][0] == 'g');
    ASSERT_CODE(coord_queue_get_many(q, buf, 8, 4, gl, &got, 0), COORD_EAGAIN);
    ASSERT_OK(coord_queue_put(q, "xyz", 3, 0));
    ASSERT_OK(coord_queue_put(q, "123456", 6, 0));
    ASSERT_OK(coord_queue_get_many(q, buf, 4, 4, gl, &got, 0));
    ASSERT_EQ(got, 1);
    ASSERT_EQ(coord_queue_count(q), 1);
    ASSERT_OK(coord_queue_get(q, buf[0], 8, gl, 0));
    /* Bad input: nothing queued. */
    size_t big[2] = {1, 9};
    ASSERT_CODE(coord_queue_put_many(q, m, big, 2, &done, 0), COORD_EMSGSIZE);
    ASSERT_EQ(coord_queue_count(q), 0);
    ASSERT_CODE(coord_queue_put_many(NULL, m, lens, 1, &done, 0), COORD_EINVAL);
    ASSERT_CODE(coord_queue_put_many(q, NULL, lens, 1, &done, 0), COORD_EINVAL);
    ASSERT_CODE(coord_queue_put_many(q, m, NULL, 1, &done, 0), COORD_EINVAL);
    ASSERT_CODE(coord_queue_put_many(q, m, lens, 0, &done, 0), COORD_EINVAL);
    ASSERT_CODE(coord_queue_put_many(q, m, lens, 1, NULL, 0), COORD_EINVAL);
    ASSERT_CODE(coord_queue_put_many(q, m, lens, 1, &done, -2), COORD_EINVAL);
    const void *nul[1] = {NULL};
    ASSERT_CODE(coord_queue_put_many(q, nul, lens, 1, &done, 0), COORD_EINVAL);
    /* Every error says *done = 0 / *got = 0, bad input's too (a caller
     * that adds *done after any return must not add what was there). */
    done = 99;
    ASSERT_CODE(coord_queue_put_many(NULL, m, lens, 1, &done, 0), COORD_EINVAL);
    ASSERT_EQ(done, 0);
    done = 99;
    ASSERT_CODE(coord_queue_put_many(q, m, lens, 0, &done, 0), COORD_EINVAL);
    ASSERT_EQ(done, 0);
    done = 99;
    ASSERT_CODE(coord_queue_put_many(q, m, lens, 1, &done, -2), COORD_EINVAL);
    ASSERT_EQ(done, 0);
    done = 99;
    ASSERT_CODE(coord_queue_put_many(q, NULL, lens, 1, &done, 0), COORD_EINVAL);
    ASSERT_EQ(done, 0);
    got = 99;
    ASSERT_CODE(coord_queue_get_many(NULL, buf, 8, 1, gl, &got, 0),
                COORD_EINVAL);
    ASSERT_EQ(got, 0);
    got = 99;
    ASSERT_CODE(coord_queue_get_many(q, buf, 8, 0, gl, &got, 0), COORD_EINVAL);
    ASSERT_EQ(got, 0);
    got = 99;
    ASSERT_CODE(coord_queue_get_many(q, buf, 8, 1, gl, &got, -2), COORD_EINVAL);
    ASSERT_EQ(got, 0);
    ASSERT_CODE(coord_queue_get_many(NULL, buf, 8, 1, gl, &got, 0),
                COORD_EINVAL);
    ASSERT_CODE(coord_queue_get_many(q, NULL, 8, 1, gl, &got, 0), COORD_EINVAL);
    ASSERT_CODE(coord_queue_get_many(q, buf, 8, 0, gl, &got, 0), COORD_EINVAL);
    ASSERT_CODE(coord_queue_get_many(q, buf, 8, 1, NULL, &got, 0),
                COORD_EINVAL);
    ASSERT_CODE(coord_queue_get_many(q, buf, 8, 1, gl, NULL, 0), COORD_EINVAL);
    ASSERT_CODE(coord_queue_get_many(q, buf, SIZE_MAX, 2, gl, &got, 0),
                COORD_EINVAL);
    /* Empty messages need no buffer. */
    size_t zero[2] = {0, 0};
    ASSERT_OK(coord_queue_put_many(q, nul, zero, 1, &done, 0));
    ASSERT_OK(coord_queue_get_many(q, NULL, 0, 2, gl, &got, 0));
    ASSERT_EQ(got, 1);
    ASSERT_EQ(gl[0], 0);
    /* Closed: puts fail, gets drain. */
    ASSERT_OK(coord_queue_put_many(q, m, lens, 2, &done, 0));
    ASSERT_OK(coord_queue_close(q));
    ASSERT_CODE(coord_queue_put_many(q, m, lens, 1, &done, -1), COORD_ECLOSED);
    ASSERT_OK(coord_queue_get_many(q, buf, 8, 4, gl, &got, -1));
    ASSERT_EQ(got, 2);
    ASSERT_CODE(coord_queue_get_many(q, buf, 8, 4, gl, &got, -1),
                COORD_ECLOSED);
    coord_queue_destroy(q);
}

/* Many laps with batches that straddle the ring's end, across processes:
 * every message once, in order (one producer). */
static int many_producer(void *a)
{
    coord_queue *q = a;
    uint32_t next = 0;
    uint64_t rng = 7;
    while (next < 200000) {
        uint32_t v[13];
        const void *m[13];
        size_t lens[13], n = 1 + test_rand(&rng) % 13, done;
        if (n > 200000 - next)
            n = 200000 - next;
        for (size_t k = 0; k < n; k++) {
            v[k] = next + (uint32_t)k;
            m[k] = &v[k];
            lens[k] = sizeof v[k];
        }
        if (coord_queue_put_many(q, m, lens, n, &done, 20000) != 0)
            return 1;
        next += (uint32_t)done;
    }
    return coord_queue_put_pill(q, 20000) != 0;
}

TEST(queue_many_across_processes)
{
    coord_queue *q;
    ASSERT_OK(coord_queue_create(&q, 37, 4));
    pid_t pid = test_fork(many_producer, q);
    uint32_t expect = 0, buf[11];
    size_t lens[11], got;
    uint64_t rng = 11;
    for (;;) {
        size_t max = 1 + test_rand(&rng) % 11;
        int r = coord_queue_get_many(q, buf, sizeof buf[0], max, lens, &got,
                                     20000);
        if (r == COORD_PILL)
            break;
        ASSERT_OK(r);
        ASSERT_TRUE(got >= 1 && got <= max);
        for (size_t k = 0; k < got; k++) {
            ASSERT_EQ(lens[k], 4);
            ASSERT_EQ(buf[k], expect);
            expect++;
        }
    }
    ASSERT_EQ(expect, 200000);
    test_join_ok(pid, 20000);
    coord_queue_destroy(q);
}

/* A live process whose pid a test plants in a claim: the queue must take
 * its claims for a live producer's (queue_put_many_need_not_be_consecutive,
 * queue_count_sees_a_put_many_in_progress). */
static int live_until_killed(void *a)
{
    (void)a;
    pause();
    return 0;
}

TEST(queue_put_many_need_not_be_consecutive)
{
    size_t need = coord_queue_size(8, 8);
    unsigned char *base = shared_mem(need);
    coord_queue *q;
    ASSERT_OK(coord_queue_init(base, need, 8, 8, &q));
    pid_t other = test_fork(live_until_killed, NULL);
    struct coord__queue_map map;
    coord__queue_layout(q, &map);
    unsigned char *slot1 = base + map.slot0 + map.slot_size;
    _Atomic uint64_t *w1 = (_Atomic uint64_t *)slot1;
    atomic_store(w1, (uint64_t)(uint32_t)other << 32 | 1u); /* (1, pid) */
    const void *m[3] = {"A0", "A1", "A2"};
    size_t lens[3] = {2, 2, 2}, done = 0;
    ASSERT_OK(coord_queue_put_many(q, m, lens, 3, &done, 0));
    ASSERT_EQ(done, 3);
    /* The other producer commits position 1. */
    memcpy(slot1 + SLOT_HDR, "XX", 2);
    atomic_store((_Atomic uint32_t *)(slot1 + map.info_off), 2u);
    atomic_store(w1, (uint64_t)2u);
    const char *want[4] = {"A0", "XX", "A1", "A2"};
    for (int i = 0; i < 4; i++) {
        char b[8];
        size_t len = 0;
        ASSERT_OK(coord_queue_get(q, b, sizeof b, &len, 0));
        ASSERT_EQ(len, 2);
        ASSERT_TRUE(memcmp(b, want[i], 2) == 0);
    }
    kill(other, SIGKILL);
    test_wait(other, 5000);
    coord_queue_destroy(q);
    munmap(base, need);
}

TEST(queue_count_sees_a_put_many_in_progress)
{
    size_t need = coord_queue_size(4, 8);
    unsigned char *base = shared_mem(need);
    coord_queue *q;
    ASSERT_OK(coord_queue_init(base, need, 4, 8, &q));
    pid_t putter = test_fork(live_until_killed, NULL);
    struct coord__queue_map map;
    coord__queue_layout(q, &map);
    uint64_t owner = (uint64_t)(uint32_t)putter << 32;
    unsigned char *s0 = base + map.slot0, *s1 = s0 + map.slot_size;
    memcpy(s1 + SLOT_HDR, "B", 1);
    atomic_store((_Atomic uint32_t *)(s1 + map.info_off), 1u);
    atomic_store((_Atomic uint64_t *)s1, owner | 2u); /* stamped (2, pid) */
    atomic_store((_Atomic uint64_t *)s0, owner | 0u); /* claimed (0, pid) */
    ASSERT_EQ(coord_queue_count(q), 1);
    ASSERT_FALSE(coord_queue_is_empty(q));
    char b[8];
    size_t len;
    ASSERT_CODE(coord_queue_get(q, b, sizeof b, &len, 0), COORD_EAGAIN);
    /* Its commit: the first slot's word, filled. */
    memcpy(s0 + SLOT_HDR, "A", 1);
    atomic_store((_Atomic uint32_t *)(s0 + map.info_off), 1u);
    atomic_store((_Atomic uint64_t *)s0, (uint64_t)1u);
    ASSERT_EQ(coord_queue_count(q), 2);
    ASSERT_OK(coord_queue_get(q, b, sizeof b, &len, 0));
    ASSERT_TRUE(len == 1 && b[0] == 'A');
    ASSERT_OK(coord_queue_get(q, b, sizeof b, &len, 0));
    ASSERT_TRUE(len == 1 && b[0] == 'B');
    kill(putter, SIGKILL);
    test_wait(putter, 5000);
    coord_queue_destroy(q);
    munmap(base, need);
}

/* ---- 4 producers x 4 consumers, 1,000,000 messages -------------------- */

#define FIFO_P 4
#define FIFO_C 4
#define FIFO_N 1000000u /* in total */

struct fifo_shared {
    coord_queue *q;
    _Atomic uint32_t go;
    _Atomic uint64_t sum;
    _Atomic uint32_t order_errors;
    _Atomic uint8_t seen[FIFO_N];
};

struct fifo_arg {
    struct fifo_shared *s;
    uint32_t id;
};

static int fifo_producer(void *a)
{
    struct fifo_arg *fa = a;
    struct fifo_shared *s = fa->s;
    while (!atomic_load(&s->go))
        ;
    for (uint32_t i = 0; i < FIFO_N / FIFO_P; i++) {
        uint32_t msg[2] = {fa->id, i};
        if (coord_queue_put(s->q, msg, sizeof msg, 10000) != 0)
            return 1;
    }
    return 0;
}

static int fifo_consumer(void *a)
{
    struct fifo_shared *s = ((struct fifo_arg *)a)->s;
    int64_t last[FIFO_P];
    for (int p = 0; p < FIFO_P; p++)
        last[p] = -1;
    uint64_t sum = 0;
    for (;;) {
        uint32_t msg[2];
        size_t len;
        int r = coord_queue_get(s->q, msg, sizeof msg, &len, 10000);
        if (r == COORD_PILL)
            break;
        if (r != 0 || len != sizeof msg || msg[0] >= FIFO_P ||
            msg[1] >= FIFO_N / FIFO_P)
            return 1;
        /* FIFO per producer: this consumer sees each producer's sequence
         * strictly increasing. */
        if ((int64_t)msg[1] <= last[msg[0]])
            atomic_fetch_add(&s->order_errors, 1);
        last[msg[0]] = msg[1];
        atomic_fetch_add(&s->seen[msg[0] * (FIFO_N / FIFO_P) + msg[1]], 1);
        sum += (uint64_t)msg[0] * 1000003u + msg[1];
    }
    atomic_fetch_add(&s->sum, sum);
    return 0;
}

/* is_empty answers as count() == 0 does, is_full as a put with timeout 0
 * would (pills count as messages); a claim left at the front by a killed
 * producer is passed over by both empty and count. */
TEST(queue_is_empty_and_is_full)
{
    size_t need = coord_queue_size(3, 8);
    unsigned char *base = shared_mem(need);
    coord_queue *q;
    ASSERT_OK(coord_queue_init(base, need, 3, 8, &q));
    ASSERT_TRUE(coord_queue_is_empty(NULL));
    ASSERT_FALSE(coord_queue_is_full(NULL));
    ASSERT_TRUE(coord_queue_is_empty(q));
    ASSERT_FALSE(coord_queue_is_full(q));
    ASSERT_OK(coord_queue_put_pill(q, 0));
    ASSERT_FALSE(coord_queue_is_empty(q));
    ASSERT_OK(coord_queue_put(q, "a", 1, 0));
    ASSERT_FALSE(coord_queue_is_full(q));
    ASSERT_OK(coord_queue_put(q, "b", 1, 0));
    ASSERT_TRUE(coord_queue_is_full(q));
    ASSERT_CODE(coord_queue_put(q, "c", 1, 0), COORD_EAGAIN);
    char buf[8];
    size_t len;
    ASSERT_CODE(coord_queue_get(q, buf, sizeof buf, &len, 0), COORD_PILL);
    ASSERT_FALSE(coord_queue_is_full(q));
    ASSERT_OK(coord_queue_get(q, buf, sizeof buf, &len, 0));
    ASSERT_OK(coord_queue_get(q, buf, sizeof buf, &len, 0));
    ASSERT_TRUE(coord_queue_is_empty(q));
    ASSERT_EQ(coord_queue_count(q), 0);
    /* Head is at position 3 now. Forge a claim of position 3 by a process
     * that does not exist: a put then takes position 4, behind it. */
    struct coord__queue_map map;
    coord__queue_layout(q, &map);
    uint32_t ring = 4; /* capacity 3: the ring rounds up to 4 slots */
    uint64_t claim = (uint64_t)0x7ffffff0u << 32 | 3u;
    memcpy(base + map.slot0 + (3 % ring) * map.slot_size, &claim,
           sizeof claim);
    ASSERT_TRUE(coord_queue_is_empty(q));
    ASSERT_OK(coord_queue_put(q, "d", 1, 0));
    ASSERT_EQ(coord_queue_count(q), 1);
    ASSERT_FALSE(coord_queue_is_empty(q));
    coord_queue_destroy(q); /* caller memory: releases nothing */
    munmap(base, need);
}

TEST(queue_fifo_4x4_million)
{
    struct fifo_shared *s = shared_mem(sizeof *s);
    ASSERT_OK(coord_queue_create(&s->q, 256, 8));
    struct fifo_arg args[FIFO_P + FIFO_C];
    pid_t pids[FIFO_P + FIFO_C];
    for (uint32_t i = 0; i < FIFO_P + FIFO_C; i++) {
        args[i].s = s;
        args[i].id = i < FIFO_P ? i : i - FIFO_P;
        pids[i] = test_fork(i < FIFO_P ? fifo_producer : fifo_consumer,
                            &args[i]);
    }
    atomic_store(&s->go, 1);
    for (int i = 0; i < FIFO_P; i++)
        test_join_ok(pids[i], 60000);
    for (int i = 0; i < FIFO_C; i++)
        ASSERT_OK(coord_queue_put_pill(s->q, 10000));
    for (int i = FIFO_P; i < FIFO_P + FIFO_C; i++)
        test_join_ok(pids[i], 60000);
    uint64_t want = 0, lost = 0, dup = 0;
    for (uint32_t p = 0; p < FIFO_P; p++)
        for (uint32_t i = 0; i < FIFO_N / FIFO_P; i++) {
            want += (uint64_t)p * 1000003u + i;
            uint8_t n = atomic_load(&s->seen[p * (FIFO_N / FIFO_P) + i]);
            lost += n == 0;
            dup += n > 1;
        }
    ASSERT_EQ(lost, 0);
    ASSERT_EQ(dup, 0);
    ASSERT_EQ(atomic_load(&s->order_errors), 0);
    ASSERT_EQ_U(atomic_load(&s->sum), want);
    ASSERT_EQ(coord_queue_count(s->q), 0);
    coord_queue_destroy(s->q);
    munmap(s, sizeof *s);
}

/* ---- poison pills come after every task ------------------------------- */

#define PILL_TASKS 20000u
#define PILL_WORKERS 4

struct pill_shared {
    coord_queue *q;
    _Atomic uint32_t done[PILL_TASKS];
    _Atomic uint32_t data_behind_pill;
    _Atomic uint32_t pills;
};

static bool is_data(const void *msg, size_t len, bool pill, void *arg)
{
    (void)msg, (void)len, (void)arg;
    return !pill;
}

static int pill_worker(void *a)
{
    struct pill_shared *s = a;
    for (;;) {
        uint32_t task;
        size_t len;
        int r = coord_queue_get(s->q, &task, sizeof task, &len, 10000);
        if (r == COORD_PILL) {
            /* Every message still queued behind our pill must be a pill:
             * all tasks were put before the pills, so FIFO delivered every
             * one of them to some worker before this pill. */
            if (coord__queue_scan(s->q, is_data, NULL) != 0)
                atomic_fetch_add(&s->data_behind_pill, 1);
            atomic_fetch_add(&s->pills, 1);
            return 0;
        }
        if (r != 0 || task >= PILL_TASKS)
            return 1;
        atomic_fetch_add(&s->done[task], 1);
    }
}

TEST(queue_pill_ordering)
{
    struct pill_shared *s = shared_mem(sizeof *s);
    ASSERT_OK(coord_queue_create(&s->q, 64, sizeof(uint32_t)));
    pid_t pids[PILL_WORKERS];
    for (int i = 0; i < PILL_WORKERS; i++)
        pids[i] = test_fork(pill_worker, s);
    for (uint32_t t = 0; t < PILL_TASKS; t++)
        ASSERT_OK(coord_queue_put(s->q, &t, sizeof t, 10000));
    for (int i = 0; i < PILL_WORKERS; i++)
        ASSERT_OK(coord_queue_put_pill(s->q, 10000));
    for (int i = 0; i < PILL_WORKERS; i++)
        test_join_ok(pids[i], 30000);
    ASSERT_EQ(atomic_load(&s->pills), PILL_WORKERS);
    ASSERT_EQ(atomic_load(&s->data_behind_pill), 0);
    for (uint32_t t = 0; t < PILL_TASKS; t++)
        ASSERT_EQ(atomic_load(&s->done[t]), 1);
    ASSERT_EQ(coord_queue_count(s->q), 0);
    coord_queue_destroy(s->q);
    munmap(s, sizeof *s);
}

/* ---- close wakes sleepers on both sides ------------------------------- */

static int blocked_getter(void *a)
{
    coord_queue *q = a;
    char b[8];
    size_t len;
    return coord_queue_get(q, b, sizeof b, &len, -1) == COORD_ECLOSED ? 0 : 1;
}

static int blocked_putter(void *a)
{
    coord_queue *q = a;
    return coord_queue_put(q, "y", 1, -1) == COORD_ECLOSED ? 0 : 1;
}

TEST(queue_close_wakes_waiters)
{
    coord_queue *empty, *full;
    ASSERT_OK(coord_queue_create(&empty, 2, 8));
    ASSERT_OK(coord_queue_create(&full, 1, 8));
    ASSERT_OK(coord_queue_put(full, "x", 1, 0));
    pid_t g[3], p[3];
    for (int i = 0; i < 3; i++) {
        g[i] = test_fork(blocked_getter, empty);
        p[i] = test_fork(blocked_putter, full);
    }
    usleep(50000); /* not synchronisation: lets them reach the futex */
    ASSERT_OK(coord_queue_close(empty));
    ASSERT_OK(coord_queue_close(full));
    for (int i = 0; i < 3; i++) {
        test_join_ok(g[i], 5000);
        test_join_ok(p[i], 5000);
    }
    coord_queue_destroy(empty);
    coord_queue_destroy(full);
}

/* ---- close racing a put that already passed its closed check ---------- */

/* The putter's message lives on a PROT_NONE page: put faults while copying
 * it, i.e. holding the producer lock after it has checked `closed`. The
 * SIGSEGV handler reports that, waits for the go-ahead, makes the page
 * readable and returns, so the copy resumes and the put commits. */
static int race_in[2], race_go[2];
static void *race_page;

static void race_segv(int sig)
{
    (void)sig;
    char c = 1;
    if (write(race_in[1], &c, 1) != 1 || read(race_go[0], &c, 1) != 1)
        _exit(7);
    mprotect(race_page, 4096, PROT_READ);
}

static int faulting_putter(void *a)
{
    coord_queue *q = a;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = race_segv;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL))
        return 8;
    return coord_queue_put(q, race_page, 8, 0) == 0 ? 0 : 9;
}

static int closed_getter(void *a)
{
    coord_queue *q = a;
    uint64_t v = 1;
    size_t len = 0;
    int r = coord_queue_get(q, &v, sizeof v, &len, 10000);
    if (r == COORD_ECLOSED)
        return 3; /* the put below returns 0: its message would be lost */
    return r == 0 && len == 8 && v == 0 ? 0 : 4;
}

TEST(queue_close_during_put_loses_nothing)
{
    coord_queue *q;
    ASSERT_OK(coord_queue_create(&q, 4, 8));
    ASSERT_OK(pipe(race_in));
    ASSERT_OK(pipe(race_go));
    race_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(race_page != MAP_FAILED);
    pid_t putter = test_fork(faulting_putter, q);
    struct pollfd pf = {race_in[0], POLLIN, 0};
    ASSERT_EQ(poll(&pf, 1, 10000), 1);
    char c;
    ASSERT_EQ(read(race_in[0], &c, 1), 1);
    /* The putter holds the producer lock, past its closed check. */
    ASSERT_OK(coord_queue_close(q));
    pid_t getter = test_fork(closed_getter, q);
    /* Give a wrong getter time to report ECLOSED before the put commits
     * (a correct one waits for the put whatever the timing). */
    for (int i = 0; i < 300; i++) {
        int st;
        if (waitpid(getter, &st, WNOHANG) == getter) {
            ASSERT_TRUE(WIFEXITED(st));
            ASSERT_EQ(WEXITSTATUS(st), 0);
            getter = 0;
            break;
        }
        usleep(1000);
    }
    ASSERT_EQ(write(race_go[1], "g", 1), 1);
    test_join_ok(putter, 10000);
    if (getter)
        test_join_ok(getter, 10000);
    ASSERT_EQ(coord_queue_count(q), 0);
    munmap(race_page, 4096);
    close(race_in[0]);
    close(race_in[1]);
    close(race_go[0]);
    close(race_go[1]);
    coord_queue_destroy(q);
}

/* ---- caller memory, and fault probe (b): exit right after put --------- */

static int put_then_exit(void *a)
{
    coord_queue *q = a;
    for (uint32_t i = 0; i < 1000; i++)
        if (coord_queue_put(q, &i, sizeof i, 10000) != 0)
            return 1;
    /* _exit at once: no flush, no feeder thread to wait for. */
    _exit(0);
}

TEST(queue_producer_exit_loses_nothing)
{
    size_t need = coord_queue_size(1000, 4);
    void *mem = shared_mem(need);
    coord_queue *q;
    ASSERT_OK(coord_queue_init(mem, need, 1000, 4, &q));
    test_join_ok(test_fork(put_then_exit, q), 10000);
    ASSERT_EQ(coord_queue_count(q), 1000);
    for (uint32_t i = 0; i < 1000; i++) {
        uint32_t v;
        size_t len;
        ASSERT_OK(coord_queue_get(q, &v, sizeof v, &len, 0));
        ASSERT_EQ(v, i);
    }
    coord_queue_destroy(q); /* caller memory: releases nothing */
    munmap(mem, need);
}

/* ---- named queues between unrelated processes ------------------------- */

HELPER(named_putter)
{
    if (argc < 1)
        return 2;
    coord_queue *q;
    int r = coord_queue_open(&q, argv[0]);
    if (r)
        return 3;
    for (uint32_t i = 0; i < 500; i++)
        if (coord_queue_put(q, &i, sizeof i, 10000))
            return 4;
    if (coord_queue_put_pill(q, 10000))
        return 5;
    coord_queue_destroy(q);
    return 0;
}

TEST(queue_named_unrelated_process)
{
    char name[64];
    coord_queue *q, *again;
    coord_flag *f;
    test_shm_name(name, sizeof name, "q");
    ASSERT_OK(coord_queue_create_named(&q, name, 16, 4));
    ASSERT_CODE(coord_queue_create_named(&again, name, 16, 4), COORD_EEXIST);
    const char *args[] = {name, NULL};
    pid_t pid = test_spawn_helper("named_putter", args);
    for (uint32_t i = 0;; i++) {
        uint32_t v;
        size_t len;
        int r = coord_queue_get(q, &v, sizeof v, &len, 10000);
        if (r == COORD_PILL) {
            ASSERT_EQ(i, 500);
            break;
        }
        ASSERT_OK(r);
        ASSERT_EQ(v, i);
    }
    test_join_ok(pid, 10000);
    /* Another kind under a queue's name is refused, and vice versa. */
    ASSERT_CODE(coord_flag_open(&f, name), COORD_EPROTO);
    char fname[64];
    test_shm_name(fname, sizeof fname, "f");
    ASSERT_OK(coord_flag_create_named(&f, fname));
    ASSERT_CODE(coord_queue_open(&again, fname), COORD_EPROTO);
    coord_flag_destroy(f);
    coord_queue_destroy(q);
    ASSERT_CODE(coord_queue_open(&again, name), COORD_ENOENT);
}

/* ---- fault probe (c): consumers killed mid-get do not wedge ----------- */

#define BIG_MSG (256 * 1024)

static int big_getter(void *a)
{
    coord_queue *q = a;
    static char buf[BIG_MSG];
    for (;;) {
        size_t len;
        int r = coord_queue_get(q, buf, sizeof buf, &len, -1);
        if (r < 0)
            return 1;
        /* Put it back so the queue never runs dry: the copy inside get
         * (256 KiB under the consumer lock) is where the kill lands. */
        if (coord_queue_put(q, buf, len, -1) < 0)
            return 1;
    }
}

TEST(queue_consumer_killed_mid_get)
{
    coord_queue *q;
    ASSERT_OK(coord_queue_create(&q, 8, BIG_MSG));
    static char msg[BIG_MSG];
    for (int i = 0; i < 4; i++) {
        memset(msg, 'a' + i, sizeof msg);
        ASSERT_OK(coord_queue_put(q, msg, sizeof msg, 0));
    }
    for (int round = 0; round < 20; round++) {
        pid_t a = test_fork(big_getter, q), b = test_fork(big_getter, q);
        usleep((useconds_t)(500 + (round * 397) % 3000));
        kill(a, SIGKILL);
        kill(b, SIGKILL);
        test_wait(a, 5000);
        test_wait(b, 5000);
        /* The survivors (here: the test) find the queue working: the 4
         * messages (each copied out and back, maybe one in flight with a
         * killed getter that had committed) are whole and gettable. */
        long n = coord_queue_count(q);
        ASSERT_GE(n, 2);
        ASSERT_LE(n, 4);
        for (long i = 0; i < n; i++) {
            static char got[BIG_MSG];
            size_t len;
            ASSERT_OK(coord_queue_get(q, got, sizeof got, &len, 1000));
            ASSERT_EQ(len, BIG_MSG);
            for (size_t k = 1; k < BIG_MSG; k++)
                if (got[k] != got[0])
                    ASSERT_EQ(got[k], got[0]);
            ASSERT_OK(coord_queue_put(q, got, len, 1000));
        }
        /* Top up what a committed-then-killed getter took with it. */
        for (long i = n; i < 4; i++) {
            memset(msg, 'w', sizeof msg);
            ASSERT_OK(coord_queue_put(q, msg, sizeof msg, 1000));
        }
    }
    coord_queue_destroy(q);
}

/* What a producer SIGKILLed between its claim (the slot's CAS) and its
 * move of tail leaves, and a get then passes as a skip: tail behind head.
 * Two puts follow with nothing taken between them; the second, which finds
 * head's slot taken, must be put (there is room), not spin. Returns 0, or
 * the step that went wrong; the caller bounds it (a spin never returns). */
static int puts_after_a_stale_tail(void *arg)
{
    pid_t dead = *(pid_t *)arg;
    coord_queue *q;
    char b[8];
    size_t len;
    if (coord_queue_create(&q, 2, 8))
        return 1;
    /* Two puts and two gets: tail and head at 2; this handle's cached
     * head is still 0. */
    for (int i = 0; i < 2; i++)
        if (coord_queue_put(q, "a", 1, 0))
            return 2;
    for (int i = 0; i < 2; i++)
        if (coord_queue_get(q, b, sizeof b, &len, 0))
            return 3;
    /* The killed producer's claim of position 2; tail stays at 2. */
    atomic_store(&slot_at(q, 2)->word, WORD(2, dead));
    /* A get finds the claimer gone and passes its slot (head 3). */
    if (coord_queue_get(q, b, sizeof b, &len, 1000) != COORD_ETIMEDOUT ||
        atomic_load(&q->s->head) != 3 || atomic_load(&q->s->tail) != 2)
        return 4;
    /* Two puts: room for both (capacity 2, the queue empty). */
    if (coord_queue_put(q, "c", 1, 0) || coord_queue_put(q, "d", 1, 0))
        return 5;
    if (coord_queue_put(q, "e", 1, 0) != COORD_EAGAIN)
        return 6;
    if (coord_queue_get(q, b, sizeof b, &len, 0) || b[0] != 'c' ||
        coord_queue_get(q, b, sizeof b, &len, 0) || b[0] != 'd')
        return 7;
    coord_queue_destroy(q);
    return 0;
}

static int exit_now(void *arg)
{
    (void)arg;
    return 0;
}

TEST(queue_producer_killed_before_moving_tail)
{
    /* A pid that is gone: a child that exited and was reaped. */
    pid_t dead = test_fork(exit_now, NULL);
    test_join_ok(dead, 20000);
    test_join_ok(test_fork(puts_after_a_stale_tail, &dead), 20000);
}

/* ---- positions across 2^32 (the slots' 32-bit sequence numbers wrap) -- */

/* Make q an empty queue whose head and tail are at position `at`: each
 * slot free for its position in at .. at + ring - 1, as a queue that has
 * passed `at` positions holds it. */
static void queue_start_at(coord_queue *q, uint64_t at)
{
    atomic_store(&q->s->head, at);
    atomic_store(&q->s->tail, at);
    for (uint32_t i = 0; i < q->ring; i++)
        atomic_store(&slot_at(q, at + i)->word, (uint64_t)(uint32_t)(at + i));
}

/* A put into a full queue whose tail has just passed 2^32 (head not
 * yet), by a handle whose first put in its process this is: the handle's
 * cached head was one this process never saw (0 from the open, or the
 * parent's, for a handle inherited through fork from a process that only
 * got from the queue, as a pool's workers inherit the result queue).
 * With 32-bit positions a put's room check took it for a head just
 * behind tail and the slot's lap-before word for one a get had taken:
 * into a full queue of 4 (ring 4) it claimed the slot of the oldest
 * unread message, which was overwritten, the put returned 0, and the next
 * get found a word no queue holds and broke the queue (COORD_EPROTO for
 * everyone). With capacity 3 (ring 4) the put went past capacity. */
static int wrap_put_into_full(void *arg)
{
    return coord_queue_put(arg, "z", 1, 0) == COORD_EAGAIN ? 0 : 1;
}

TEST(queue_first_put_after_the_wrap_sees_it_full)
{
    const size_t caps[2] = {4, 3};
    for (int c = 0; c < 2; c++) {
        char name[64];
        coord_queue *a, *w, *b;
        test_shm_name(name, sizeof name, c ? "wrap3" : "wrap4");
        ASSERT_OK(coord_queue_create_named(&a, name, caps[c], 8));
        ASSERT_OK(coord_queue_open(&w, name));
        /* Two positions before the wrap: full with tail at 2 (or 1). */
        queue_start_at(a, 0xfffffffeu);
        for (size_t i = 0; i < caps[c]; i++) {
            char m = (char)('0' + i);
            ASSERT_OK(coord_queue_put(w, &m, 1, 0));
        }
        ASSERT_TRUE(coord_queue_is_full(a));
        ASSERT_CODE(coord_queue_put(w, "x", 1, 0), COORD_EAGAIN);
        /* A handle opened now. */
        ASSERT_OK(coord_queue_open(&b, name));
        ASSERT_CODE(coord_queue_put(b, "y", 1, 0), COORD_EAGAIN);
        /* A child's put through the creator's handle, which never put. */
        test_join_ok(test_fork(wrap_put_into_full, a), 20000);
        ASSERT_EQ(coord_queue_count(a), (long)caps[c]);
        for (size_t i = 0; i < caps[c]; i++) {
            char m[8];
            size_t len = 0;
            ASSERT_OK(coord_queue_get(a, m, sizeof m, &len, 0));
            ASSERT_EQ(len, 1);
            ASSERT_EQ(m[0], (char)('0' + i));
        }
        /* And the handles go on across the wrap. */
        ASSERT_OK(coord_queue_put(b, "y", 1, 0));
        ASSERT_OK(coord_queue_put(a, "z", 1, 0));
        char m[8];
        size_t len = 0;
        ASSERT_OK(coord_queue_get(a, m, sizeof m, &len, 0));
        ASSERT_EQ(m[0], 'y');
        ASSERT_OK(coord_queue_get(b, m, sizeof m, &len, 0));
        ASSERT_EQ(m[0], 'z');
        ASSERT_CODE(coord_queue_get(a, m, sizeof m, &len, 0), COORD_EAGAIN);
        coord_queue_destroy(b);
        coord_queue_destroy(w);
        coord_queue_destroy(a);
    }
}

/* Puts, put_manys, gets and get_manys in order across 2^32, and the
 * claims of a put_many SIGKILLed there (its first message written, its
 * second unreadable: it stalls between claim and commit) passed as skips
 * whichever position the wrap falls at. */
static char *wrap_page;
static void wrap_stall(int sig)
{
    (void)sig;
    for (;;)
        pause();
}

static int wrap_killed_putter(void *arg)
{
    coord_queue *q = arg;
    wrap_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memcpy(wrap_page, "dead", 4);
    mprotect(wrap_page, 4096, PROT_NONE);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = wrap_stall;
    sigaction(SIGSEGV, &sa, NULL);
    const void *msgs[3] = {"m1", wrap_page, "m3"};
    size_t lens[3] = {2, 4, 2}, done = 0;
    coord_queue_put_many(q, msgs, lens, 3, &done, -1);
    return 1; /* never: it stalls in the put */
}

TEST(queue_positions_wrap)
{
    coord_queue *q;
    ASSERT_OK(coord_queue_create(&q, 4, 8));
    queue_start_at(q, 0xfffffff0u);
    uint64_t sent = 0, got = 0;
    for (int round = 0; round < 24; round++) {
        const void *msgs[3];
        size_t lens[3] = {8, 8, 8}, done = 0;
        uint64_t v[3] = {sent, sent + 1, sent + 2};
        for (int i = 0; i < 3; i++)
            msgs[i] = &v[i];
        int r = coord_queue_put_many(q, msgs, lens, 3, &done, 0);
        ASSERT_TRUE(r == 0 || r == COORD_EAGAIN);
        sent += done;
        uint64_t buf[2];
        size_t ls[2], n = 0;
        ASSERT_OK(coord_queue_get_many(q, buf, 8, round & 1 ? 2 : 1, ls, &n,
                                       0));
        for (size_t i = 0; i < n; i++)
            ASSERT_EQ(buf[i], got++);
        ASSERT_EQ(coord_queue_count(q), (long)(sent - got));
    }
    while (got < sent) {
        uint64_t m;
        size_t len;
        ASSERT_OK(coord_queue_get(q, &m, sizeof m, &len, 0));
        ASSERT_EQ(m, got++);
    }
    ASSERT_TRUE(atomic_load(&q->s->head) > 0x100000000u); /* past 2^32 */
    for (uint64_t off = 0; off < 6; off++) {
        uint64_t at = 0xfffffffcu + off;
        queue_start_at(q, at);
        ASSERT_OK(coord_queue_put(q, "A", 1, 0));
        pid_t kid = test_fork(wrap_killed_putter, q);
        /* Its two claims are in (it stalls filling the second). */
        for (int i = 0; i < 20000 && atomic_load(&q->s->tail) != at + 3; i++)
            usleep(1000);
        ASSERT_EQ(atomic_load(&q->s->tail), at + 3);
        kill(kid, SIGKILL);
        int st;
        ASSERT_EQ(waitpid(kid, &st, 0), kid);
        char m[8];
        size_t len = 0;
        ASSERT_OK(coord_queue_get(q, m, sizeof m, &len, 0));
        ASSERT_EQ(m[0], 'A');
        /* The dead claims: skips once a get saw them twice. */
        ASSERT_CODE(coord_queue_get(q, m, sizeof m, &len, 0), COORD_EAGAIN);
        ASSERT_OK(coord_queue_put(q, "B", 1, 1000));
        ASSERT_OK(coord_queue_get(q, m, sizeof m, &len, 1000));
        ASSERT_EQ(m[0], 'B');
        ASSERT_EQ(coord_queue_count(q), 0);
    }
    coord_queue_destroy(q);
}

/* A handle that put (its cached head c), then idles while the others
 * move the queue on by k * 2^32 - j positions (0 < j <= capacity, here
 * simulated by setting the positions), then puts into a full queue. With
 * 32-bit positions its copy looked j positions ahead of the true head:
 * the room check passed, and the slot's lap-before word (the oldest
 * unread message's) read as one a get had taken, so the put overwrote
 * that message and returned 0 and the next get broke the queue
 * (capacity = ring); or (capacity 3, ring 4) it put one message past
 * capacity. 64-bit positions: the copy is older than head, never ahead
 * of it, so the put reloads it and finds the queue full. */
TEST(queue_idle_handle_put_after_k_wraps_sees_it_full)
{
    const size_t caps[2] = {4, 3};
    for (int c = 0; c < 2; c++) {
        char name[64];
        coord_queue *a, *b;
        test_shm_name(name, sizeof name, c ? "idle3" : "idle4");
        ASSERT_OK(coord_queue_create_named(&a, name, caps[c], 8));
        ASSERT_OK(coord_queue_open(&b, name));
        uint64_t at = 1000;
        for (uint64_t k = 1; k <= 2; k++) {
            for (uint64_t j = 1; j <= caps[c]; j++) {
                char m[8];
                size_t len = 0;
                /* b puts, a gets: b's cached head is `at`. */
                queue_start_at(a, at);
                ASSERT_OK(coord_queue_put(b, "b", 1, 0));
                ASSERT_OK(coord_queue_get(a, m, sizeof m, &len, 0));
                ASSERT_EQ(m[0], 'b');
                /* k * 2^32 - j positions on, a fills the queue. */
                uint64_t on = at + (k << 32) - j;
                queue_start_at(a, on);
                for (size_t i = 0; i < caps[c]; i++) {
                    char v = (char)('0' + i);
                    ASSERT_OK(coord_queue_put(a, &v, 1, 0));
                }
                ASSERT_TRUE(coord_queue_is_full(a));
                ASSERT_CODE(coord_queue_put(b, "x", 1, 0), COORD_EAGAIN);
                ASSERT_EQ(coord_queue_count(a), (long)caps[c]);
                for (size_t i = 0; i < caps[c]; i++) {
                    ASSERT_OK(coord_queue_get(a, m, sizeof m, &len, 0));
                    ASSERT_EQ(len, 1);
                    ASSERT_EQ(m[0], (char)('0' + i));
                }
                ASSERT_CODE(coord_queue_get(a, m, sizeof m, &len, 0),
                            COORD_EAGAIN);
                /* b goes on from there. */
                ASSERT_OK(coord_queue_put(b, "y", 1, 0));
                ASSERT_OK(coord_queue_get(a, m, sizeof m, &len, 0));
                ASSERT_EQ(m[0], 'y');
                ASSERT_EQ(atomic_load(&a->s->head), on + caps[c] + 1);
                at = on + caps[c] + 16;
            }
        }
        coord_queue_destroy(b);
        coord_queue_destroy(a);
    }
}

/* ---- a live claimer in another pid namespace -------------------------- */


/* A page holding the 4 bytes `four` that no access may touch, and `stall`
 * as the SIGSEGV handler: a put of those bytes stops inside the put, after
 * its claim, in `stall` (which decides how long). */
static char *stall_page(const char *four, void (*stall)(int))
{
    char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memcpy(page, four, 4);
    mprotect(page, 4096, PROT_NONE);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = stall;
    sigaction(SIGSEGV, &sa, NULL);
    return page;
}

/* The putter stalls inside its put, between its claim and its commit: its
 * message lies in a page it cannot read yet, and the SIGSEGV handler
 * (which says so in *ns_stalled) waits 1.5 s before making it readable.
 * Alive all along, as a preempted or stopped putter is. */
static char *ns_page;
static _Atomic int *ns_stalled;
static _Atomic int *ns_got; /* the getter got the message after all */

static void ns_stall(int sig)
{
    (void)sig;
    atomic_store(ns_stalled, 1);
    usleep(1500000);
    mprotect(ns_page, 4096, PROT_READ | PROT_WRITE);
}

static int ns_putter(void *arg)
{
    coord_queue *q;
    if (coord_queue_open(&q, arg) != 0)
        return 2;
    ns_page = stall_page("late", ns_stall);
    int r = coord_queue_put(q, ns_page, 4, -1);
    coord_queue_destroy(q);
    return r == 0 ? 0 : 1;
}

/* In a new pid namespace: the putter's pid names nothing here (ESRCH).
 * It waits 500 ms; on a loaded machine the putter may have committed by
 * then, and the message is this get's (ns_got). */
static int ns_getter(void *arg)
{
    coord_queue *q;
    char b[8];
    size_t len = 0;
    if (coord_queue_open(&q, arg) != 0)
        return 2;
    int r = coord_queue_get(q, b, sizeof b, &len, 500);
    coord_queue_destroy(q);
    if (r == 0 && len == 4 && memcmp(b, "late", 4) == 0) {
        atomic_store(ns_got, 1);
        return 0;
    }
    return r == COORD_ETIMEDOUT ? 0 : 1;
}

/* A get in another pid namespace than a stalled putter took the live
 * putter for dead (kill(pid, 0) = ESRCH there) and made its slot a skip;
 * the put then committed behind head and returned 0: the message was
 * never delivered. */
TEST(queue_live_claimer_in_another_pid_namespace_is_not_repaired)
{
    char name[64];
    coord_queue *q;
    test_shm_name(name, sizeof name, "pidns");
    ASSERT_OK(coord_queue_create_named(&q, name, 4, 8));
    ns_stalled = shared_mem(sizeof *ns_stalled);
    ns_got = shared_mem(sizeof *ns_got);
    pid_t putter = test_fork(ns_putter, name);
    WAIT_FOR(atomic_load(ns_stalled), 10000);
    if (unshare(CLONE_NEWPID) != 0) {
        kill(putter, SIGKILL);
        test_wait(putter, 10000);
        coord_queue_destroy(q);
        SKIP("no new pid namespace here (unshare: not permitted)");
    }
    /* A plain fork: test_fork's child checks getppid(), which is 0 in a
     * new pid namespace. The case's deadline still bounds it (the harness
     * kills the case's process group). */
    fflush(stdout);
    pid_t getter = fork();
    ASSERT_TRUE(getter >= 0);
    if (getter == 0)
        _exit(ns_getter(name));
    test_join_ok(getter, 20000);
    test_join_ok(putter, 20000);
    /* The message once: the getter's, or here now. */
    char b[8];
    size_t len = 0;
    if (atomic_load(ns_got)) {
        ASSERT_CODE(coord_queue_get(q, b, sizeof b, &len, 0), COORD_EAGAIN);
    } else {
        ASSERT_OK(coord_queue_get(q, b, sizeof b, &len, 2000));
        ASSERT_EQ(len, 4);
        ASSERT_TRUE(memcmp(b, "late", 4) == 0);
    }
    coord_queue_destroy(q);
}

/* ---- a put_many of one thread, a dead claim of another ----------------- */

/* In one process: thread 1 stalls inside its put, between claim and
 * commit (its message lies in a page it cannot read; the SIGSEGV handler
 * never returns), and thread 2 then puts three messages with one put_many
 * at the next positions, which returns 0: fully put. Then the process is
 * SIGKILLed. */
static char *mt_page;
static _Atomic int *mt_stalled;
static coord_queue *mt_q;

static void mt_stall(int sig)
{
    (void)sig;
    atomic_fetch_add(mt_stalled, 1);
    for (;;)
        pause();
}

static void *mt_stalled_put(void *arg)
{
    (void)arg;
    coord_queue_put(mt_q, mt_page, 4, -1);
    return NULL;
}

static int mt_putter(void *arg)
{
    mt_q = arg;
    mt_page = stall_page("dead", mt_stall);
    pthread_t t;
    if (pthread_create(&t, NULL, mt_stalled_put, NULL) != 0)
        return 2;
    while (!atomic_load(mt_stalled))
        usleep(1000);
    const void *msgs[3] = {"m1", "m2", "m3"};
    size_t lens[3] = {2, 2, 2}, done = 0;
    if (coord_queue_put_many(mt_q, msgs, lens, 3, &done, 1000) != 0 ||
        done != 3)
        return 3;
    kill(getpid(), SIGKILL);
    return 4;
}

/* The repair of thread 1's dead claim turned every later slot still
 * marked with the process's pid into a skip, thread 2's committed
 * put_many's second and third messages with it: m1 came, m2 and m3 were
 * lost although put_many had returned 0 with done = 3. */
TEST(queue_dead_claim_spares_another_threads_put_many)
{
    coord_queue *q;
    ASSERT_OK(coord_queue_create(&q, 8, 16));
    mt_stalled = shared_mem(sizeof *mt_stalled);
    int st = test_wait(test_fork(mt_putter, q), 20000);
    ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    const char *want[3] = {"m1", "m2", "m3"};
    for (int i = 0; i < 3; i++) {
        char b[16];
        size_t len = 0;
        ASSERT_OK(coord_queue_get(q, b, sizeof b, &len, 2000));
        ASSERT_EQ(len, 2);
        ASSERT_TRUE(memcmp(b, want[i], 2) == 0);
    }
    char b[16];
    size_t len;
    ASSERT_CODE(coord_queue_get(q, b, sizeof b, &len, 0), COORD_EAGAIN);
    coord_queue_destroy(q);
}

/* Thread 2 of the next test: a put_many of three messages whose third lies
 * in the page it cannot read: it stalls after claiming its first slot,
 * stamping the second (m2) and claiming the third, before its commit. */
static void *mt_stalled_put_many(void *arg)
{
    (void)arg;
    const void *msgs[3] = {"m1", "m2", mt_page};
    size_t lens[3] = {2, 2, 4}, done = 0;
    coord_queue_put_many(mt_q, msgs, lens, 3, &done, -1);
    return NULL;
}

static int mt_two_stalled_putters(void *arg)
{
    mt_q = arg;
    mt_page = stall_page("dead", mt_stall);
    pthread_t t1, t2;
    if (pthread_create(&t1, NULL, mt_stalled_put, NULL) != 0)
        return 2;
    while (atomic_load(mt_stalled) < 1)
        usleep(1000);
    if (pthread_create(&t2, NULL, mt_stalled_put_many, NULL) != 0)
        return 3;
    while (atomic_load(mt_stalled) < 2)
        usleep(1000);
    kill(getpid(), SIGKILL);
    return 4;
}

/* Two threads of one process die inside their puts: a put (claim at 0)
 * and a put_many (its first slot claimed at 1, m2 stamped at 2, a claim
 * at 3). Neither committed, so nothing may be delivered: the repair of the
 * claim at 0 turned the put_many's first claim into a skip but left m2,
 * stamped for that put_many (not the one at 0), to the gets: a get
 * returned m2, one message of a put_many that put none. */
TEST(queue_dead_claims_of_two_threads_deliver_nothing)
{
    coord_queue *q;
    ASSERT_OK(coord_queue_create(&q, 8, 16));
    mt_stalled = shared_mem(sizeof *mt_stalled);
    int st = test_wait(test_fork(mt_two_stalled_putters, q), 20000);
    ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    char b[16];
    size_t len = 0;
    ASSERT_CODE(coord_queue_get(q, b, sizeof b, &len, 500), COORD_ETIMEDOUT);
    ASSERT_OK(coord_queue_put(q, "ok", 2, 1000));
    ASSERT_OK(coord_queue_get(q, b, sizeof b, &len, 2000));
    ASSERT_EQ(len, 2);
    ASSERT_TRUE(memcmp(b, "ok", 2) == 0);
    coord_queue_destroy(q);
}

/* ---- a process killed in its sleep costs nothing for long --------------- */

static int sleeping_getter(void *a)
{
    coord_queue *q = a;
    char b[8];
    size_t len;
    int r = coord_queue_get(q, b, sizeof b, &len, 20000);
    return r == 0 && len == 1 && b[0] == 'y' ? 0 : 1;
}

/* Fork a sleeping_getter and return once it is registered as a sleeper. */
static pid_t fork_sleeper(coord_queue *q)
{
    uint32_t puts, gets;
    pid_t c = test_fork(sleeping_getter, q);
    WAIT_FOR((coord__queue_sleepers(q, &puts, &gets), gets == 1), 10000);
    return c;
}

TEST(queue_killed_sleeper_expires)
{
    coord_queue *q;
    uint32_t puts, gets;
    ASSERT_OK(coord_queue_create(&q, 4, 8));
    pid_t a = fork_sleeper(q);
    kill(a, SIGKILL);
    test_wait(a, 5000);
    /* Its registration stays until its slice (100 ms) is over; then the
     * next put drops it instead of waking nobody on every put forever. */
    coord__queue_sleepers(q, &puts, &gets);
    ASSERT_LE(gets, 1);
    usleep(150000); /* the behaviour under test is time-based */
    ASSERT_OK(coord_queue_put(q, "x", 1, 0));
    coord__queue_sleepers(q, &puts, &gets);
    ASSERT_EQ(gets, 0);
    char b[8];
    size_t len;
    ASSERT_OK(coord_queue_get(q, b, sizeof b, &len, 0));
    /* A live sleeper is still woken, and takes itself off. */
    pid_t c = fork_sleeper(q);
    ASSERT_OK(coord_queue_put(q, "y", 1, 0));
    test_join_ok(c, 10000);
    coord__queue_sleepers(q, &puts, &gets);
    ASSERT_EQ(gets, 0);
    ASSERT_EQ(puts, 0);
    coord_queue_destroy(q);
}

/* ---- a commit wakes as many sleepers as it has messages -------------- */

/* A process's field from /proc/<pid>/status ("voluntary_ctxt_switches"),
 * or -1. */
static long proc_status_field(pid_t pid, const char *field)
{
    char v[64];
    return test_proc_status(pid, field, v, sizeof v) ? atol(v) : -1;
}

/* Is the process asleep ('S' in /proc/<pid>/stat)? */
static bool proc_sleeping(pid_t pid)
{
    return test_proc_state(pid) == 'S';
}

/* Fork a sleeping_getter and return once `want` gets are registered and it
 * sleeps. */
static pid_t fork_nth_sleeper(coord_queue *q, uint32_t want)
{
    uint32_t puts, gets;
    pid_t c = test_fork(sleeping_getter, q);
    WAIT_FOR((coord__queue_sleepers(q, &puts, &gets), gets == want), 10000);
    WAIT_FOR(proc_sleeping(c), 10000);
    return c;
}

/*
 * One put, four sleeping gets: one of them wakes, the other three sleep on.
 * Seen from outside: the three do not block again (their voluntary context
 * switches do not grow), where waking all would make each of them wake,
 * find nothing and sleep again (one more switch each). A sleeper also wakes
 * by itself at the end of each 100 ms slice; the four start 25 ms apart, so
 * a short round sees at most one such wake-up, and a round counts only when
 * the three slept through it with fewer than three switches among them.
 * Up to 10 rounds (the taker is replaced each time); waking all fails every
 * one of them.
 */
TEST(queue_put_wakes_one_sleeper_not_all)
{
    coord_queue *q;
    uint32_t puts, gets;
    ASSERT_OK(coord_queue_create(&q, 16, 8));
    pid_t kid[4];
    for (uint32_t i = 0; i < 4; i++) {
        kid[i] = fork_nth_sleeper(q, i + 1);
        usleep(25000); /* spread their slices (see above) */
    }
    bool quiet_round = false;
    for (int round = 0; round < 10 && !quiet_round; round++) {
        long before[4];
        for (int i = 0; i < 4; i++) {
            WAIT_FOR(proc_sleeping(kid[i]), 10000);
            before[i] = proc_status_field(kid[i], "voluntary_ctxt_switches");
            ASSERT_GE(before[i], 0);
        }
        ASSERT_OK(coord_queue_put(q, "y", 1, 0));
        /* Exactly one of them takes it and exits. */
        int taker = -1;
        uint64_t until = coord_clock_ns() + 10000000000ull;
        while (taker < 0 && coord_clock_ns() < until) {
            for (int i = 0; i < 4 && taker < 0; i++) {
                int st;
                if (waitpid(kid[i], &st, WNOHANG) == kid[i]) {
                    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
                    taker = i;
                }
            }
            if (taker < 0)
                usleep(200);
        }
        ASSERT_GE(taker, 0);
        long more = 0;
        for (int i = 0; i < 4; i++) {
            if (i == taker)
                continue;
            WAIT_FOR(proc_sleeping(kid[i]), 10000);
            long after = proc_status_field(kid[i], "voluntary_ctxt_switches");
            ASSERT_GE(after, before[i]);
            more += after - before[i];
        }
        quiet_round = more < 3;
        /* Nobody else took the message or left. */
        WAIT_FOR((coord__queue_sleepers(q, &puts, &gets), gets == 3), 10000);
        ASSERT_EQ(coord_queue_count(q), 0);
        kid[taker] = fork_nth_sleeper(q, 4);
    }
    ASSERT_TRUE(quiet_round);
    /* Four messages at once (put_many): all four wake and take one each. */
    uint64_t v[4];
    const void *m[4];
    size_t lens[4], done = 0;
    for (int i = 0; i < 4; i++) {
        v[i] = 'y';
        m[i] = &v[i];
        lens[i] = 1;
    }
    ASSERT_OK(coord_queue_put_many(q, m, lens, 4, &done, 0));
    ASSERT_EQ(done, 4);
    for (int i = 0; i < 4; i++)
        test_join_ok(kid[i], 10000);
    coord__queue_sleepers(q, &puts, &gets);
    ASSERT_EQ(gets, 0);
    ASSERT_EQ(coord_queue_count(q), 0);
    coord_queue_destroy(q);
}

/* A wake-up sent to a sleeper that was killed before it answered (here:
 * forged, the count of wake-ups not yet answered raised by hand) leaves a
 * message to the live sleeper's own slice: it gets it a slice later, not
 * never. */
TEST(queue_unanswered_wake_strands_nothing)
{
    size_t need = coord_queue_size(4, 8);
    unsigned char *base = shared_mem(need);
    coord_queue *q;
    uint32_t puts, gets;
    ASSERT_OK(coord_queue_init(base, need, 4, 8, &q));
    pid_t c = fork_nth_sleeper(q, 1);
    struct coord__queue_map map;
    coord__queue_layout(q, &map);
    uint32_t forged = 1;
    memcpy(base + map.woken_off[1], &forged, sizeof forged);
    ASSERT_OK(coord_queue_put(q, "y", 1, 0));
    test_join_ok(c, 10000);
    coord__queue_sleepers(q, &puts, &gets);
    ASSERT_EQ(gets, 0);
    ASSERT_EQ(coord_queue_count(q), 0);
    coord_queue_destroy(q); /* caller memory: releases nothing */
    munmap(base, need);
}

/* ---- a side lock never let go: calls with a timeout still return ------- */

/* The side locks a holder (side_holder) takes: the consumer lock with head
 * frozen (the pool's look into the queue, coord__queue_hold_get), the
 * consumer lock alone, the producer lock. */
enum { HOLD_FROZEN = 1, HOLD_CLOCK = 2, HOLD_PLOCK = 4 };

/* In shared memory: a holder's orders and its answer. */
struct side_hold {
    coord_queue *q;
    int how;
    bool want_gets, want_puts; /* take them while such a sleeper is counted */
    pid_t pid;                 /* the holder's */
    _Atomic int held, release;
};

/* Take what h->how names. Returns 0, or the step that failed. */
static int side_take(struct side_hold *h)
{
    uint64_t d = 0;
    int r = 0;
    if (h->how & HOLD_FROZEN)
        r = coord__queue_hold_get(h->q);
    else if (h->how & HOLD_CLOCK)
        r = coord__queue_get_lock(h->q, -1, &d);
    if (r)
        return 2;
    if ((h->how & HOLD_PLOCK) && coord__queue_put_lock(h->q, -1, &d))
        return 3;
    return 0;
}

static void side_release(struct side_hold *h)
{
    if (h->how & HOLD_PLOCK)
        side_unlock(&h->q->s->plock);
    if (h->how & HOLD_FROZEN)
        coord__queue_release_get(h->q);
    else if (h->how & HOLD_CLOCK)
        side_unlock(&h->q->s->clock);
}

/* A holder child: takes the side locks h->how names, at a moment when the
 * sleepers h wants are counted (a sleeper leaves the count for a few
 * microseconds between its 100 ms slices: then it lets go and tries again;
 * once held, the counts cannot change, since sleepers register and leave
 * under the other side's lock), says so, and keeps them until told (at
 * most 60 s). To the other processes it is a holder that never lets go, as
 * a robust mutex's owner word naming a live thread (a forged queue's) is.
 * Returns 0, or the step that failed. */
static int side_holder(void *arg)
{
    struct side_hold *h = arg;
    uint64_t end = coord_clock_ns() + 60000000000ull;
    for (;;) {
        if (coord_clock_ns() > end)
            return 1;
        int r = side_take(h);
        if (r)
            return r;
        uint32_t puts, gets;
        coord__queue_sleepers(h->q, &puts, &gets);
        if ((!h->want_gets || gets) && (!h->want_puts || puts))
            break;
        side_release(h);
        usleep(1000);
    }
    atomic_store(&h->held, 1);
    while (!atomic_load(&h->release)) {
        if (coord_clock_ns() > end)
            return 4;
        usleep(1000);
    }
    side_release(h);
    return 0;
}

/* Start a side_holder that holds what `hold` says; returns once it holds
 * (its control block, shared, for hold_end). */
static struct side_hold *hold_start(const struct side_hold *hold)
{
    struct side_hold *h = shared_mem(sizeof *h);
    *h = *hold;
    h->pid = test_fork(side_holder, h);
    WAIT_FOR(atomic_load(&h->held), 20000);
    return h;
}

/* Let the holder go, and reap it. */
static void hold_end(struct side_hold *h)
{
    atomic_store(&h->release, 1);
    test_join_ok(h->pid, 20000);
    munmap(h, sizeof *h);
}

/* Fork fn(q), a put (puts) or a get that will sleep, and return once it
 * is counted as a sleeper. */
static pid_t fork_counted(int (*fn)(void *), coord_queue *q, bool puts)
{
    uint32_t n[2];
    pid_t c = test_fork(fn, q);
    WAIT_FOR((coord__queue_sleepers(q, &n[0], &n[1]), n[puts ? 0 : 1] == 1),
             10000);
    return c;
}

/* The calls under test run in a child while the holder holds: they must
 * end in bounded time. A child that has not ended 10 s later fails the
 * case (where a call waited for the holder, it would end only after the
 * release). */
#define HELD_CALLS_MS 10000

/* Run `calls` on q in a child while a side_holder holds what `hold` says,
 * then let the holder go. */
static void calls_while_held(coord_queue *q, const struct side_hold *hold,
                             int (*calls)(void *))
{
    struct side_hold *h = hold_start(hold);
    test_join_ok(test_fork(calls, q), HELD_CALLS_MS);
    hold_end(h);
}

/* The queue works: gets with timeout 0 take the one-byte messages `want`
 * in order, then find it empty. */
static void gets_take(coord_queue *q, const char *want)
{
    char b[8];
    size_t len = 0;
    for (; *want; want++) {
        ASSERT_OK(coord_queue_get(q, b, sizeof b, &len, 0));
        ASSERT_EQ(len, 1);
        ASSERT_EQ(b[0], *want);
    }
    ASSERT_CODE(coord_queue_get(q, b, sizeof b, &len, 0), COORD_EAGAIN);
}

/* Timeout 0 with head frozen (the consumer lock held): a get cannot commit,
 * and says so; a timeout > 0 waits out its deadline. */
static int gets_at_a_frozen_head(void *arg)
{
    coord_queue *q = arg;
    char b[8];
    size_t len, lens[2], got = 9;
    if (coord_queue_get(q, b, sizeof b, &len, 0) != COORD_EAGAIN)
        return 1;
    if (coord_queue_get_many(q, b, 4, 2, lens, &got, 0) != COORD_EAGAIN ||
        got != 0)
        return 2;
    if (coord_queue_get(q, b, sizeof b, &len, 20) != COORD_ETIMEDOUT)
        return 3;
    return coord_queue_put(q, "b", 1, 0) == 0 ? 0 : 4;
}

/* A get with timeout 0 whose consumer lock is held for good (the frozen
 * head of coord__queue_hold_get) returns COORD_EAGAIN: it waited for the
 * holder without limit. The queue works once the holder lets go. */
TEST(queue_timeout_0_gives_up_on_a_held_consumer_lock)
{
    coord_queue *q;
    ASSERT_OK(coord_queue_create(&q, 4, 8));
    ASSERT_OK(coord_queue_put(q, "a", 1, 0));
    calls_while_held(q, &(struct side_hold){.q = q, .how = HOLD_FROZEN},
                     gets_at_a_frozen_head);
    gets_take(q, "ab");
    coord_queue_destroy(q);
}

/* A getter that sleeps until it takes "x" (60 s at most). */
static int getter_of_x(void *arg)
{
    char b[8];
    size_t len = 0;
    int r = coord_queue_get(arg, b, sizeof b, &len, 60000);
    return r == 0 && len == 1 && b[0] == 'x' ? 0 : 1;
}

/* With the producer lock held for good: a get with timeout 0 that meets a
 * dead producer's claim a second time (the repair takes the producer lock)
 * returns COORD_EAGAIN, and a put with timeout 0 that finds a get asleep
 * (its wake-up takes the producer lock) puts its message and returns. */
static int calls_past_a_held_producer_lock(void *arg)
{
    coord_queue *q = arg;
    char b[8];
    size_t len;
    for (int i = 0; i < 2; i++)
        if (coord_queue_get(q, b, sizeof b, &len, 0) != COORD_EAGAIN)
            return 1 + i;
    return coord_queue_put(q, "x", 1, 0) == 0 ? 0 : 3;
}

TEST(queue_timeout_0_gives_up_on_a_held_producer_lock)
{
    coord_queue *q;
    uint32_t puts, gets;
    ASSERT_OK(coord_queue_create(&q, 4, 8));
    pid_t getter = fork_counted(getter_of_x, q, false);
    pid_t dead = test_fork(exit_now, NULL);
    test_join_ok(dead, 20000);
    struct side_hold *h = hold_start(
        &(struct side_hold){.q = q, .how = HOLD_PLOCK, .want_gets = true});
    /* A producer that died between its claim and its commit, at head (the
     * sleeping getter cannot repair it: that takes the producer lock). */
    atomic_store(&slot_at(q, 0)->word, WORD(0, (uint32_t)dead));
    test_join_ok(test_fork(calls_past_a_held_producer_lock, q),
                 HELD_CALLS_MS);
    hold_end(h);
    /* The getter repairs the claim and takes "x". */
    test_join_ok(getter, 20000);
    ASSERT_OK(coord_queue_put(q, "y", 1, 0));
    gets_take(q, "y");
    coord__queue_sleepers(q, &puts, &gets);
    ASSERT_EQ(puts + gets, 0);
    coord_queue_destroy(q);
}

/* A putter that sleeps until its "p" is in (60 s at most). */
static int putter_of_p(void *arg)
{
    return coord_queue_put(arg, "p", 1, 60000) == 0 ? 0 : 1;
}

/* With the consumer lock held for good: a get with timeout 0 that finds a
 * put asleep (its wake-up takes the consumer lock) takes its message and
 * returns. */
static int get_past_a_held_consumer_lock(void *arg)
{
    char b[8];
    size_t len = 0;
    int r = coord_queue_get(arg, b, sizeof b, &len, 0);
    return r == 0 && len == 1 && b[0] == 'a' ? 0 : 1;
}

TEST(queue_timeout_0_get_wakes_past_a_held_consumer_lock)
{
    coord_queue *q;
    ASSERT_OK(coord_queue_create(&q, 2, 8));
    ASSERT_OK(coord_queue_put(q, "a", 1, 0));
    ASSERT_OK(coord_queue_put(q, "b", 1, 0));
    pid_t putter = fork_counted(putter_of_p, q, true);
    calls_while_held(
        q, &(struct side_hold){.q = q, .how = HOLD_CLOCK, .want_puts = true},
        get_past_a_held_consumer_lock);
    test_join_ok(putter, 20000);
    /* (The putter, woken while the lock was held, may have left its
     * registration to expire: no count is checked here.) */
    gets_take(q, "bp");
    coord_queue_destroy(q);
}

/* The wake-ups of one call share one wait for a side lock (10 ms): a get
 * with timeout 0 wakes the sleeping puts after each skip it passes, and
 * waited 10 ms for each (SKIP_RUN of them: 41 s, past HELD_CALLS_MS; a
 * forged ring of 2^30 skips with a forged owner word: for ever). With the
 * consumer lock held for good and a put asleep, it passes them and takes
 * the message behind. */
#define SKIP_RUN 4095
TEST(queue_timeout_0_get_past_skips_waits_for_a_held_lock_once)
{
    coord_queue *q;
    ASSERT_OK(coord_queue_create(&q, SKIP_RUN + 1, 8));
    /* Skips (puts that never committed) at 0 .. SKIP_RUN - 1, then "a":
     * the queue is full. */
    for (uint32_t i = 0; i < SKIP_RUN; i++)
        atomic_store(&slot_at(q, i)->word, WORD(i + 1, OWNER_SKIP));
    atomic_store(&q->s->tail, SKIP_RUN);
    ASSERT_OK(coord_queue_put(q, "a", 1, 0));
    ASSERT_TRUE(coord_queue_is_full(q));
    pid_t putter = fork_counted(putter_of_p, q, true);
    calls_while_held(
        q, &(struct side_hold){.q = q, .how = HOLD_CLOCK, .want_puts = true},
        get_past_a_held_consumer_lock);
    test_join_ok(putter, 20000);
    gets_take(q, "p");
    coord_queue_destroy(q);
}

/* A get with a deadline (3 s), asleep on an empty queue when the producer
 * lock is taken for good: it can neither take itself off the sleepers nor
 * register again, and returns COORD_ETIMEDOUT at its deadline (it waited
 * for the holder without limit to take itself off). */
static int get_with_a_deadline(void *arg)
{
    char b[8];
    size_t len;
    return coord_queue_get(arg, b, sizeof b, &len, 3000) == COORD_ETIMEDOUT
               ? 0
               : 1;
}

TEST(queue_timeout_gives_up_on_a_held_lock_at_its_deadline)
{
    coord_queue *q;
    uint32_t puts, gets;
    ASSERT_OK(coord_queue_create(&q, 4, 8));
    pid_t getter = fork_counted(get_with_a_deadline, q, false);
    struct side_hold *h = hold_start(
        &(struct side_hold){.q = q, .how = HOLD_PLOCK, .want_gets = true});
    test_join_ok(getter, HELD_CALLS_MS);
    hold_end(h);
    /* The getter's registration was left to expire (its slice ended before
     * its deadline): the next put drops it. */
    ASSERT_OK(coord_queue_put(q, "z", 1, 0));
    coord__queue_sleepers(q, &puts, &gets);
    ASSERT_EQ(puts + gets, 0);
    gets_take(q, "z");
    coord_queue_destroy(q);
}

/* ---- 200 SIGKILLs at random moments inside put and get ---------------- */

#define KILL_IDS 3072 /* producer and consumer lives, kills included */
#define KILL_SEQ 4096
#define KILL_EMPTY UINT64_MAX
/* Odd-numbered lives use put_many / get_many of up to KILL_BATCH. */
#define KILL_BATCH 6
/* A run puts more messages than this before it stops killing. */
#define KILL_MIN_PUTS 1000

struct kill_shared {
    coord_queue *q;
    _Atomic uint32_t put_done[KILL_IDS]; /* messages fully put, per id */
    uint64_t inbox[KILL_IDS][KILL_BATCH]; /* gets write straight into it */
    _Atomic uint8_t recv[KILL_IDS][KILL_SEQ];
    _Atomic uint32_t bad;
    _Atomic uint32_t stop; /* producers end after their current put */
};

struct kill_arg {
    struct kill_shared *s;
    uint32_t id;
};

static int kill_producer(void *a)
{
    struct kill_arg *ka = a;
    struct kill_shared *s = ka->s;
    for (uint32_t i = 0; i < KILL_SEQ && !atomic_load(&s->stop);) {
        uint64_t v[KILL_BATCH];
        const void *m[KILL_BATCH];
        size_t lens[KILL_BATCH], n = 1;
        if (ka->id % 2)
            n = KILL_SEQ - i < KILL_BATCH ? KILL_SEQ - i : KILL_BATCH;
        for (size_t k = 0; k < n; k++) {
            v[k] = (uint64_t)ka->id << 32 | (i + k);
            m[k] = &v[k];
            lens[k] = sizeof v[k];
        }
        if (n == 1) {
            if (coord_queue_put(s->q, &v[0], sizeof v[0], 20000) != 0)
                return 1;
        } else if (coord_queue_put_many(s->q, m, lens, n, &n, 20000) != 0) {
            return 1;
        }
        i += (uint32_t)n;
        /* Only now are messages up to i fully put. */
        atomic_store(&s->put_done[ka->id], i);
        /* A little work between puts so a producer lives long enough to
         * be killed many times over its life. */
        for (volatile int k = 0; k < 200; k++)
            ;
    }
    return 0;
}

static int kill_consumer(void *a)
{
    struct kill_arg *ka = a;
    struct kill_shared *s = ka->s;
    uint64_t *inbox = s->inbox[ka->id];
    for (;;) {
        for (int k = 0; k < KILL_BATCH; k++)
            inbox[k] = KILL_EMPTY;
        atomic_signal_fence(memory_order_seq_cst);
        size_t lens[KILL_BATCH], got = 1;
        int r;
        if (ka->id % 2)
            r = coord_queue_get_many(s->q, inbox, sizeof *inbox, KILL_BATCH,
                                     lens, &got, 20000);
        else
            r = coord_queue_get(s->q, inbox, sizeof *inbox, lens, 20000);
        if (r == COORD_PILL)
            return 0;
        for (size_t k = 0; k < got; k++) {
            uint64_t v = inbox[k];
            uint32_t id = (uint32_t)(v >> 32), seq = (uint32_t)v;
            if (r != 0 || lens[k] != 8 || id >= KILL_IDS || seq >= KILL_SEQ) {
                atomic_fetch_add(&s->bad, 1);
                return 1;
            }
            atomic_fetch_add(&s->recv[id][seq], 1);
        }
    }
}

/* Messages fully put by the producers among the first n lives. */
static uint64_t puts_done(struct kill_shared *s, uint32_t n)
{
    uint64_t total = 0;
    for (uint32_t id = 0; id < n; id++)
        total += atomic_load(&s->put_done[id]);
    return total;
}

struct role {
    pid_t pid;
    uint32_t id;
    bool producer;
};

/* SIGKILL `target` random producers and consumers (at most `max_s`
 * seconds once a quarter of them is done), replacing each; then check
 * every message. */
static void sigkill_run(int target, int max_s)
{
    struct kill_shared *s = shared_mem(sizeof *s);
    /* Small capacity: producers block on full and consumers on empty, so
     * kills also land in the waiting paths. */
    ASSERT_OK(coord_queue_create(&s->q, 16, 8));
    static struct kill_arg args[KILL_IDS];
    static bool was_producer[KILL_IDS], was_killed[KILL_IDS];
    uint32_t next_id = 0;
    struct role roles[4];
    for (int i = 0; i < 4; i++) {
        uint32_t id = next_id++;
        args[id] = (struct kill_arg){s, id};
        roles[i] = (struct role){0, id, i < 2};
        was_producer[id] = i < 2;
        roles[i].pid = test_fork(i < 2 ? kill_producer : kill_consumer,
                                 &args[id]);
    }
    uint64_t rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
    int kills = 0, floor = target / 4;
    uint64_t stop_at = coord_clock_ns() + (uint64_t)max_s * 1000000000ull;
    /* max_s only cuts the run short of `target`, never below the floor of
     * kills and messages that makes it mean something: a loaded or
     * sanitized machine that forks and hands over slowly takes longer, it
     * does not fail (each round is bounded: a kill, a reap of at most 5 s,
     * a fork; and KILL_IDS bounds the rounds, as every round uses up an
     * id). */
    while (next_id + 4 < KILL_IDS &&
           (kills < floor || puts_done(s, next_id) <= KILL_MIN_PUTS ||
            (kills < target && coord_clock_ns() < stop_at))) {
        usleep((useconds_t)(test_rand(&rng) % 4000));
        int i = (int)(test_rand(&rng) % 4);
        /* Replace producers that finished on their own too. */
        for (int k = 0; k < 4; k++) {
            if (!roles[k].producer)
                continue;
            int st;
            if (waitpid(roles[k].pid, &st, WNOHANG) == roles[k].pid) {
                ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
                roles[k].pid = 0;
            }
        }
        if (roles[i].pid) {
            kill(roles[i].pid, SIGKILL);
            int st = test_wait(roles[i].pid, 5000);
            /* It may have finished just before the signal. */
            if (WIFSIGNALED(st)) {
                was_killed[roles[i].id] = true;
                kills++;
            }
            roles[i].pid = 0;
        }
        for (int k = 0; k < 4; k++) {
            if (roles[k].pid)
                continue;
            uint32_t id = next_id++;
            args[id] = (struct kill_arg){s, id};
            roles[k].id = id;
            was_producer[id] = roles[k].producer;
            roles[k].pid = test_fork(
                roles[k].producer ? kill_producer : kill_consumer, &args[id]);
        }
    }
    ASSERT_GE(kills, floor); /* enough kills to mean something */
    /* On a loaded machine every life is short, and the ids can run out
     * before the puts pass KILL_MIN_PUTS (789 of 1,000 once, beside two
     * busy loops): the live producers then go on, unkilled, until they do
     * (bounded: producers that cannot put 1,000 messages in 60 s fail the
     * check below). */
    uint64_t more_until = coord_clock_ns() + 60000000000ull;
    while (puts_done(s, next_id) <= KILL_MIN_PUTS &&
           coord_clock_ns() < more_until)
        usleep(1000);
    /* Live producers end after the put they are in (the work left is one
     * put each, whatever the machine's speed), then one pill per live
     * consumer. */
    atomic_store(&s->stop, 1);
    int consumers = 0;
    for (int k = 0; k < 4; k++) {
        if (roles[k].producer)
            test_join_ok(roles[k].pid, 30000);
        else
            consumers++;
    }
    for (int k = 0; k < consumers; k++)
        ASSERT_OK(coord_queue_put_pill(s->q, 10000));
    for (int k = 0; k < 4; k++)
        if (!roles[k].producer)
            test_join_ok(roles[k].pid, 30000);
    ASSERT_EQ(atomic_load(&s->bad), 0);
    ASSERT_EQ(coord_queue_count(s->q), 0);

    /* A killed consumer that had committed its get took the message with
     * it; its inbox then holds the message, which nobody else received. */
    for (uint32_t id = 0; id < next_id; id++) {
        if (was_producer[id] || !was_killed[id])
            continue;
        for (int k = 0; k < KILL_BATCH && s->inbox[id][k] != KILL_EMPTY; k++) {
            uint64_t v = s->inbox[id][k];
            uint32_t pid_ = (uint32_t)(v >> 32), seq = (uint32_t)v;
            if (pid_ < KILL_IDS && seq < KILL_SEQ &&
                atomic_load(&s->recv[pid_][seq]) == 0)
                atomic_store(&s->recv[pid_][seq], 1);
        }
    }
    uint64_t lost = 0, dup = 0, phantom = 0, total = 0;
    for (uint32_t id = 0; id < next_id; id++) {
        if (!was_producer[id])
            continue;
        uint32_t done = atomic_load(&s->put_done[id]);
        total += done;
        for (uint32_t i = 0; i < KILL_SEQ; i++) {
            uint8_t n = atomic_load(&s->recv[id][i]);
            if (n > 1)
                dup++;
            else if (i < done && n == 0)
                lost++;
            /* The put (of up to KILL_BATCH) a producer was killed in may
             * or may not count; any later sequence number can never have
             * been put. */
            else if (i >= done + KILL_BATCH && n != 0)
                phantom++;
        }
    }
    ASSERT_EQ(lost, 0);
    ASSERT_EQ(dup, 0);
    ASSERT_EQ(phantom, 0);
    ASSERT_GT(total, KILL_MIN_PUTS);
    coord_queue_destroy(s->q);
    munmap(s, sizeof *s);
}

TEST(queue_sigkill_200_put_get)
{
    sigkill_run(200, 8);
}

/* The same with ten times the kills (a few seconds; label slow). */
TEST(queue_sigkill_2000_slow)
{
    sigkill_run(2000, 60);
}

/* ---- the `coord queue` experiment end to end ---------------------------- */

TEST(queue_cli_experiment)
{
    char cmd[1024], out[16384];
    snprintf(cmd, sizeof cmd,
             "'%s' queue --messages 20000 --pipe-messages 4000 --runs 1 "
             "--no-python --json",
             COORD_CLI_PATH);
    FILE *f = popen(cmd, "r");
    ASSERT_TRUE(f != NULL);
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = 0;
    int st = pclose(f);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    ASSERT_TRUE(out[0] == '{' && strchr(out, '\n') == out + n - 1);
    /* 6 coord rows, all exactly once; Python rows say why they are out. */
    int coord_rows = 0, once = 0;
    for (const char *p = out; (p = strstr(p, "\"impl\":\"coord\",\"msg_bytes\""));
         p++)
        coord_rows++;
    for (const char *p = out; (p = strstr(p, "\"exactly_once\":true")); p++)
        once++;
    ASSERT_EQ(coord_rows, 6);
    ASSERT_EQ(once, 12); /* coord and pipe rows */
    ASSERT_TRUE(strstr(out, "\"exactly_once\":false") == NULL);
    ASSERT_TRUE(strstr(out, "\"skipped\":\"--no-python\"") != NULL);
    /* Our three fault probes pass. */
    int ok = 0;
    for (const char *p = out; (p = strstr(p, "\"impl\":\"coord\",\"ok\":true")); p++)
        ok++;
    ASSERT_EQ(ok, 3);
    snprintf(cmd, sizeof cmd, "'%s' queue --runs 0 2>/dev/null",
             COORD_CLI_PATH);
    st = system(cmd);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 2);
}

/* One row of `coord queue --json` output starting at p ("{\"case\":..."),
 * copied into row (up to its '}'); returns its impl: 0 coord, 1 pipe,
 * 2 python. */
static int cli_row(const char *p, char *row, size_t cap)
{
    static const char *const impls[3] = {"coord", "pipe", "python"};
    const char *end = strchr(p, '}');
    ASSERT_TRUE(end != NULL);
    ASSERT_LT((size_t)(end - p), cap);
    memcpy(row, p, (size_t)(end - p));
    row[end - p] = '\0';
    int impl = -1;
    for (int k = 0; k < 3; k++) {
        char want[32];
        snprintf(want, sizeof want, "\"impl\":\"%s\",", impls[k]);
        if (strstr(row, want))
            impl = k;
    }
    ASSERT_TRUE(impl >= 0);
    return impl;
}

/* A message count that the producers do not divide evenly (10 over the 4
 * producers of 4 -> 4): every row, coord, pipe and Python, puts and
 * delivers all 10 (the remainder was dropped: 8 went through, the row said
 * 10 and "exactly once", checked against 8). Python's rows run, or say that
 * there is no python3. */
TEST(queue_cli_every_message)
{
    const char *argv[] = {COORD_CLI_PATH, "queue", "--messages", "10",
                          "--pipe-messages", "10", "--python-messages", "10",
                          "--runs", "2", "--python-runs", "1", "--no-probes",
                          "--json", NULL};
    static char out[16384], err[4096];
    int st = test_run(argv, out, sizeof out, err, sizeof err, 120000);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        test__fail(__FILE__, __LINE__, "status %#x\n%s\n%s", st, out, err);
    int ran[3] = {0, 0, 0}, skipped = 0;
    for (const char *p = out; (p = strstr(p, "{\"case\":")); p++) {
        char row[512];
        int impl = cli_row(p, row, sizeof row);
        if (impl == 2 && strstr(row, "\"skipped\":\"no python3\"")) {
            skipped++;
            continue;
        }
        if (!strstr(row, "\"messages\":10,") ||
            !strstr(row, "\"exactly_once\":true") ||
            !strstr(row, "\"delivered\":10"))
            test__fail(__FILE__, __LINE__, "row %s", row);
        ran[impl]++;
    }
    ASSERT_EQ(ran[0], 6);
    ASSERT_EQ(ran[1], 6);
    ASSERT_EQ(ran[2] + skipped, 6);
    if (skipped)
        printf("python3 missing: Python's rows not checked\n");
}

/* Python's side that fails to run (here: its scripts are not where
 * COORD_PYTHON_DIR says) says why on stderr, once: the rows only said
 * "python run failed", and a report's queue.log kept nothing. */
TEST(queue_cli_python_failure_says_why_once)
{
    char dir[] = "/tmp/coord-queue-nopy-XXXXXX";
    ASSERT_TRUE(mkdtemp(dir) != NULL);
    setenv("COORD_PYTHON_DIR", dir, 1);
    const char *argv[] = {COORD_CLI_PATH, "queue", "--messages", "10",
                          "--pipe-messages", "10", "--python-messages", "10",
                          "--runs", "1", "--python-runs", "1", "--json",
                          NULL};
    static char out[16384], err[4096];
    int st = test_run(argv, out, sizeof out, err, sizeof err, 120000);
    unsetenv("COORD_PYTHON_DIR");
    rmdir(dir);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        test__fail(__FILE__, __LINE__, "status %#x\n%s\n%s", st, out, err);
    char want[256];
    snprintf(want, sizeof want, "coord queue: Python's 1p1c did not run: "
             "%s/queue_throughput.py not found\n", dir);
    if (strcmp(err, want) != 0)
        test__fail(__FILE__, __LINE__, "stderr: %s", err);
    ASSERT_TRUE(strstr(out, "\"skipped\":\"python run failed\"") != NULL);
}

/* --no-python: Python's rows were not run, so they claim no counts
 * ("messages" null and "runs" 0, as the table's "-"; they said 5000 and
 * 3),
 * and coord's rows say their ratio to Python is null (it was missing).
 * Pipe rows never carry the ratio. */
TEST(queue_cli_skipped_rows_claim_no_counts)
{
    const char *argv[] = {COORD_CLI_PATH, "queue", "--messages", "10",
                          "--pipe-messages", "10", "--runs", "1",
                          "--no-probes", "--no-python", "--json", NULL};
    static char out[16384], err[4096];
    int st = test_run(argv, out, sizeof out, err, sizeof err, 120000);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        test__fail(__FILE__, __LINE__, "status %#x\n%s\n%s", st, out, err);
    int seen[3] = {0, 0, 0};
    for (const char *p = out; (p = strstr(p, "{\"case\":")); p++) {
        char row[512];
        int impl = cli_row(p, row, sizeof row);
        bool ok;
        if (impl == 2)
            ok = strstr(row, "\"skipped\":\"--no-python\"") &&
                 strstr(row, "\"messages\":null,") &&
                 strstr(row, "\"runs\":0,") &&
                 !strstr(row, "ratio_vs_python");
        else
            ok = strstr(row, "\"messages\":10,") &&
                 strstr(row, "\"runs\":1,") && !strstr(row, "skipped") &&
                 (impl == 0 ? strstr(row, "\"ratio_vs_python\":null") != NULL
                            : strstr(row, "ratio_vs_python") == NULL);
        if (!ok)
            test__fail(__FILE__, __LINE__, "row %s", row);
        seen[impl]++;
    }
    ASSERT_EQ(seen[0], 6);
    ASSERT_EQ(seen[1], 6);
    ASSERT_EQ(seen[2], 6);
}

/* With no descriptor free, the named create and open say COORD_EMFILE
 * (queue.h lists it, as flag.h does for every named object), and the
 * failed create leaves no file behind. */
static int named_out_of_descriptors(void *arg)
{
    const char *name = arg;
    char other[96];
    snprintf(other, sizeof other, "%s-2", name);
    coord_queue *q, *again, *q2;
    if (coord_queue_create_named(&q, name, 4, 8) != 0)
        return 3;
    int lowest = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (lowest < 0)
        return 4;
    close(lowest);
    struct rlimit rl, low;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 5;
    low = rl;
    low.rlim_cur = (rlim_t)lowest;
    if (setrlimit(RLIMIT_NOFILE, &low) != 0)
        return 6;
    int r1 = coord_queue_open(&again, name);
    int r2 = coord_queue_create_named(&q2, other, 4, 8);
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 7;
    coord_queue_destroy(q);
    if (r1 != COORD_EMFILE)
        return 8;
    if (r2 != COORD_EMFILE)
        return 9;
    if (coord_queue_open(&again, other) != COORD_ENOENT)
        return 10;
    return 0;
}

TEST(queue_named_out_of_descriptors)
{
    char name[64];
    test_shm_name(name, sizeof name, "qfd");
    test_join_ok(test_fork(named_out_of_descriptors, name), 20000);
}

/* A get_many that copied a batch and then lost its commit to another get
 * (which took the message first) goes round again; when it then fails, its
 * *got must say 0 (queue.h), not the count of the batch it lost. The other
 * get runs at a fixed point inside the copy-out: the buffer is PROT_NONE
 * and the SIGSEGV handler of the first write takes the message with
 * coord_queue_get, then opens the buffer. In a child: the handler is its. */
static coord_queue *lost_q;
static char *lost_buf;
static long lost_pg;
static volatile int lost_stolen = -100;

static void lost_commit_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    (void)uc;
    char other[8];
    size_t len;
    lost_stolen = coord_queue_get(lost_q, other, sizeof other, &len, 0);
    mprotect(lost_buf, (size_t)lost_pg, PROT_READ | PROT_WRITE);
}

static int get_many_lost_commit(void *arg)
{
    (void)arg;
    lost_pg = sysconf(_SC_PAGESIZE);
    if (coord_queue_create(&lost_q, 4, 8))
        return 2;
    lost_buf = mmap(NULL, (size_t)lost_pg, PROT_NONE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (lost_buf == MAP_FAILED)
        return 3;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = lost_commit_segv;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL))
        return 4;
    if (coord_queue_put(lost_q, "hello", 5, 0))
        return 5;
    size_t lens[4], got = 99;
    int r = coord_queue_get_many(lost_q, lost_buf, 8, 4, lens, &got, 0);
    if (lost_stolen != 0)
        return 6; /* the handler's get did not take the message */
    if (r != COORD_EAGAIN)
        return 7; /* the queue is empty now */
    if (got != 0)
        return 8; /* the lost batch's count */
    coord_queue_destroy(lost_q);
    return 0;
}

TEST(queue_get_many_lost_commit_says_got_0)
{
    test_join_ok(test_fork(get_many_lost_commit, NULL), 20000);
}

/* A get that waits on a put's claim in a closed queue (the put claimed
 * before the close and may still commit) sleeps, as in an open queue: the
 * close made its wait "ready" at once, so it spun at full CPU for as long
 * as the put took, for ever behind a stopped put. Here the claim is this
 * process's (alive: never repaired); the getter, a child, must register as
 * a sleeper, which a spinning get never does; then the claim commits (an
 * empty message) and the get returns it. */
static int get_waits_on_claim(void *arg)
{
    coord_queue *q = arg;
    size_t len = 99;
    int r = coord_queue_get(q, NULL, 0, &len, -1);
    return r == 0 && len == 0 ? 0 : 1;
}

TEST(queue_closed_get_sleeps_on_a_claim)
{
    coord_queue *q;
    ASSERT_OK(coord_queue_create(&q, 4, 8));
    struct slot *sl = slot_at(q, 0);
    /* A put's claim of position 0 (claim: word, then tail). */
    atomic_store(&sl->word, WORD(0, (uint32_t)getpid()));
    atomic_store(&q->s->tail, 1);
    ASSERT_OK(coord_queue_close(q));
    pid_t c = test_fork(get_waits_on_claim, q);
    uint32_t puts = 0, gets = 0;
    for (int i = 0; i < 10000 && gets == 0; i++) {
        usleep(1000);
        coord__queue_sleepers(q, &puts, &gets);
    }
    if (gets == 0) {
        kill(c, SIGKILL);
        waitpid(c, NULL, 0);
    }
    ASSERT_EQ(gets, 1);
    /* The put's commit: an empty message. */
    atomic_store(&sl->info, 0);
    atomic_store(&sl->word, (uint64_t)1);
    test_join_ok(c, 20000);
    coord_queue_destroy(q);
}

/* A put that commits (or gives its slot up) in a closed queue wakes every
 * sleeping get, not one per message: there each of them waits on that
 * put's claim, and each has its answer once it resolves (the message, or
 * COORD_ECLOSED). Woken one, the other slept to the end of its slice
 * (100 ms) and, with a shorter timeout, returned COORD_ETIMEDOUT from a
 * closed, empty queue. Two gets (timeout CLOSED_GET_MS) sleep on a claim
 * in a closed queue; the claim commits, as put_msgs does (the word, then
 * wake_side of 1). A round counts only when the commit was done well
 * before either get's deadline (a stalled machine: another round). */
#define CLOSED_GET_MS 80
struct closed_gets {
    coord_queue *q;
    _Atomic uint64_t start[2];
    _Atomic int r[2];
};
static struct closed_gets *closed_gets;

static int closed_get(void *arg)
{
    int i = (int)(intptr_t)arg;
    size_t len = 99;
    atomic_store(&closed_gets->start[i], coord_clock_ns());
    int r = coord_queue_get(closed_gets->q, NULL, 0, &len, CLOSED_GET_MS);
    atomic_store(&closed_gets->r[i], r);
    return r == 0 && len != 0 ? 1 : 0;
}

/* One round: 1 when it counted (and passed), 0 when the machine stalled. */
static int closed_commit_round(struct closed_gets *cg, bool give_up)
{
    coord_queue *q;
    ASSERT_OK(coord_queue_create(&q, 4, 8));
    cg->q = q;
    struct slot *sl = slot_at(q, 0);
    /* A put's claim of position 0 (this process: alive, never repaired). */
    atomic_store(&sl->word, WORD(0, (uint32_t)getpid()));
    atomic_store(&q->s->tail, 1);
    ASSERT_OK(coord_queue_close(q));
    pid_t c[2];
    for (int i = 0; i < 2; i++) {
        atomic_store(&cg->start[i], 0);
        atomic_store(&cg->r[i], 1);
        c[i] = test_fork(closed_get, (void *)(intptr_t)i);
    }
    uint32_t puts = 0, gets = 0;
    for (int i = 0; i < 10000 && gets < 2; i++) {
        usleep(500);
        coord__queue_sleepers(q, &puts, &gets);
    }
    /* The put's commit, or its slot given up (closed: a skip). */
    if (give_up) {
        atomic_store_explicit(&sl->word, WORD(1, OWNER_SKIP),
                              memory_order_seq_cst);
    } else {
        atomic_store(&sl->info, 0);
        atomic_store_explicit(&sl->word, (uint64_t)1, memory_order_seq_cst);
    }
    wake_side(q, true, 1);
    uint64_t done = coord_clock_ns();
    test_join_ok(c[0], 20000);
    test_join_ok(c[1], 20000);
    coord_queue_destroy(q);
    int r0 = atomic_load(&cg->r[0]), r1 = atomic_load(&cg->r[1]);
    uint64_t first = atomic_load(&cg->start[0]);
    if (atomic_load(&cg->start[1]) < first)
        first = atomic_load(&cg->start[1]);
    if (gets < 2 || done + 20000000ull >= first + CLOSED_GET_MS * 1000000ull)
        return 0; /* a stall: a get may have timed out before the commit */
    /* Both were woken well before their deadline. */
    ASSERT_NE(r0, COORD_ETIMEDOUT);
    ASSERT_NE(r1, COORD_ETIMEDOUT);
    if (give_up) {
        ASSERT_EQ(r0, COORD_ECLOSED);
        ASSERT_EQ(r1, COORD_ECLOSED);
    } else {
        /* One took the message, the other found the queue closed. */
        ASSERT_TRUE((r0 == 0 && r1 == COORD_ECLOSED) ||
                    (r1 == 0 && r0 == COORD_ECLOSED));
    }
    return 1;
}

TEST(queue_closed_commit_wakes_every_get)
{
    struct closed_gets *cg = mmap(NULL, sizeof *cg, PROT_READ | PROT_WRITE,
                                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(cg != MAP_FAILED);
    closed_gets = cg;
    for (int give_up = 0; give_up < 2; give_up++) {
        int counted = 0;
        for (int round = 0; round < 20 && !counted; round++)
            counted = closed_commit_round(cg, give_up);
        if (!counted)
            SKIP("every round stalled past the gets' timeout");
    }
    munmap(cg, sizeof *cg);
}

#define TEST_LIST(X)                                                           \
    X(queue_basic)                                                             \
    X(queue_pill_is_not_data)                                                  \
    X(queue_bad_input)                                                         \
    X(queue_many_basic)                                                        \
    X(queue_get_many_lost_commit_says_got_0)                                   \
    X(queue_many_across_processes)                                             \
    X(queue_put_many_need_not_be_consecutive)                                  \
    X(queue_fifo_4x4_million)                                                  \
    X(queue_pill_ordering)                                                     \
    X(queue_close_wakes_waiters)                                               \
    X(queue_closed_get_sleeps_on_a_claim)                                      \
    X(queue_closed_commit_wakes_every_get)                                     \
    X(queue_close_during_put_loses_nothing)                                    \
    X(queue_producer_exit_loses_nothing)                                       \
    X(queue_named_unrelated_process)                                           \
    X(queue_named_out_of_descriptors)                                          \
    X(queue_consumer_killed_mid_get)                                           \
    X(queue_producer_killed_before_moving_tail)                                \
    X(queue_first_put_after_the_wrap_sees_it_full)                             \
    X(queue_positions_wrap)                                                    \
    X(queue_idle_handle_put_after_k_wraps_sees_it_full)                        \
    X(queue_live_claimer_in_another_pid_namespace_is_not_repaired)            \
    X(queue_dead_claim_spares_another_threads_put_many)                        \
    X(queue_dead_claims_of_two_threads_deliver_nothing)                        \
    X(queue_killed_sleeper_expires)                                            \
    X(queue_put_wakes_one_sleeper_not_all)                                     \
    X(queue_is_empty_and_is_full)                                              \
    X(queue_count_sees_a_put_many_in_progress)                                 \
    X(queue_unanswered_wake_strands_nothing)                                   \
    X(queue_timeout_0_gives_up_on_a_held_consumer_lock)                        \
    X(queue_timeout_0_gives_up_on_a_held_producer_lock)                        \
    X(queue_timeout_0_get_wakes_past_a_held_consumer_lock)                     \
    X(queue_timeout_0_get_past_skips_waits_for_a_held_lock_once)              \
    X(queue_timeout_gives_up_on_a_held_lock_at_its_deadline)                   \
    X(queue_sigkill_200_put_get)                                               \
    X(queue_sigkill_2000_slow)                                                 \
    X(queue_cli_experiment)                                                    \
    X(queue_cli_every_message)                                                 \
    X(queue_cli_skipped_rows_claim_no_counts)                                  \
    X(queue_cli_python_failure_says_why_once)
#define HELPER_LIST(X) X(named_putter)
TEST_MAIN()
