/* SPDX-License-Identifier: MIT */
/* test-threads.c: threads of one process sharing coord handles (run under TSan in CI). */
#include <pthread.h>
#include <sched.h>

#include "harness.h"

/*
 * Every other test shares objects between processes, which ThreadSanitizer
 * cannot see. These cases share one handle between threads of one process,
 * as the headers allow (queue puts and gets, flag claims, sets and waits,
 * value and array updates), and check what the API promises: every message
 * once and in each producer's order, one winner per epoch, the data a
 * setter wrote before a release seen after the matching acquire, exact
 * sums. CTest labels them `tsan`; .ci/run runs them in a ThreadSanitizer
 * build, where any report fails the case. Every coord call is bounded by a
 * timeout, and the runner bounds the case.
 */

#define WAIT_MS 30000 /* any single wait; far above what a loaded machine needs */

/* Start `n` threads running fn(args + i * size) and join them. */
static void run_threads(size_t n, void *(*fn)(void *), void *args, size_t size)
{
    pthread_t tid[16];
    ASSERT_LE(n, 16);
    for (size_t i = 0; i < n; i++)
        ASSERT_EQ(pthread_create(&tid[i], NULL, fn, (char *)args + i * size), 0);
    for (size_t i = 0; i < n; i++)
        ASSERT_EQ(pthread_join(tid[i], NULL), 0);
}

/* A failure in a thread: recorded, reported by the main thread after the
 * join (test__fail ends the process, which would hide the other threads'
 * state). The first one wins. */
static _Atomic(const char *) thread_failure;
static _Atomic int thread_failure_line;
static _Atomic int thread_failure_code;

static void thread_fail(int line, const char *what, int code)
{
    const char *none = NULL;
    if (atomic_compare_exchange_strong(&thread_failure, &none, what)) {
        atomic_store(&thread_failure_line, line);
        atomic_store(&thread_failure_code, code);
    }
}
#define T_CHECK(c, code)                                                       \
    do {                                                                       \
        if (!(c)) {                                                            \
            thread_fail(__LINE__, #c, (int)(code));                            \
            return NULL;                                                       \
        }                                                                      \
    } while (0)
/* The same without leaving: for a thread that must still meet barriers. */
#define T_NOTE(c, code)                                                        \
    do {                                                                       \
        if (!(c))                                                              \
            thread_fail(__LINE__, #c, (int)(code));                            \
    } while (0)
#define T_OK(expr)                                                             \
    do {                                                                       \
        int rc_ = (expr);                                                      \
        T_CHECK(rc_ == 0, rc_);                                                \
    } while (0)

static void assert_threads_ok(void)
{
    const char *what = atomic_load(&thread_failure);
    if (what) {
        int code = atomic_load(&thread_failure_code);
        test__fail(__FILE__, atomic_load(&thread_failure_line),
                   "in a thread: %s (code %d, %s)", what, code,
                   coord_err_name(code));
    }
}

/* ---- one queue handle, producers and consumers in threads -------------- */

#define QP 3    /* producer threads */
#define QC 3    /* consumer threads */
#define QN 5000 /* messages per producer */
#define QMSG 64

struct qmsg {
    uint32_t producer, seq;
    unsigned char fill[QMSG - 8];
};

/* The byte at offset i of message (p, seq): a torn or stale copy shows. */
static unsigned char qbyte(uint32_t p, uint32_t seq, size_t i)
{
    return (unsigned char)(p * 131u + seq * 7u + i);
}

static size_t qlen(uint32_t seq)
{
    return 8 + seq % (QMSG - 7); /* 8 .. QMSG bytes */
}

struct qshared {
    coord_queue *q;
    pthread_barrier_t go;
    _Atomic uint32_t seen[QP][QN];
};

struct qthread {
    struct qshared *sh;
    uint32_t id;
    uint64_t got;
};

static void *q_producer(void *arg)
{
    struct qthread *t = arg;
    coord_queue *q = t->sh->q;
    pthread_barrier_wait(&t->sh->go);
    struct qmsg m[4];
    uint32_t seq = 0;
    while (seq < QN) {
        /* Producer 0 puts one at a time, the others in batches of up to
         * four (put_many may take fewer: the rest go next time). */
        size_t n = t->id == 0 ? 1 : 4;
        if (n > QN - seq)
            n = QN - seq;
        const void *msgs[4];
        size_t lens[4];
        for (size_t k = 0; k < n; k++) {
            m[k].producer = t->id;
            m[k].seq = seq + (uint32_t)k;
            for (size_t i = 0; i < sizeof m[k].fill; i++)
                m[k].fill[i] = qbyte(t->id, seq + (uint32_t)k, i);
            msgs[k] = &m[k];
            lens[k] = qlen(seq + (uint32_t)k);
        }
        if (n == 1) {
            T_OK(coord_queue_put(q, msgs[0], lens[0], WAIT_MS));
            seq++;
        } else {
            size_t done = 0;
            T_OK(coord_queue_put_many(q, msgs, lens, n, &done, WAIT_MS));
            T_CHECK(done >= 1 && done <= n, done);
            seq += (uint32_t)done;
        }
    }
    return NULL;
}

/* One message taken: its bytes are the producer's, it was not taken
 * before, and it comes after this consumer's last one from that producer
 * (the queue is FIFO: no consumer sees a producer's messages reordered). */
static int q_take(struct qthread *t, const struct qmsg *m, size_t len,
                  int64_t last[QP])
{
    if (len < 8 || m->producer >= QP || m->seq >= QN || len != qlen(m->seq))
        return -1;
    for (size_t i = 0; i + 8 < len; i++)
        if (m->fill[i] != qbyte(m->producer, m->seq, i))
            return -2;
    if ((int64_t)m->seq <= last[m->producer])
        return -3;
    last[m->producer] = m->seq;
    if (atomic_fetch_add(&t->sh->seen[m->producer][m->seq], 1) != 0)
        return -4;
    t->got++;
    return 0;
}

static void *q_consumer(void *arg)
{
    struct qthread *t = arg;
    coord_queue *q = t->sh->q;
    int64_t last[QP];
    for (int p = 0; p < QP; p++)
        last[p] = -1;
    pthread_barrier_wait(&t->sh->go);
    struct qmsg m[8];
    size_t lens[8];
    uint64_t deadline = coord_clock_ns() + (uint64_t)WAIT_MS * 1000000u;
    for (;;) {
        size_t len = 0, got = 0;
        int rc;
        if (t->id == 0) {
            /* Waits in the library. */
            rc = coord_queue_get(q, &m[0], sizeof m[0], &len, WAIT_MS);
            lens[0] = len;
            got = rc == 0;
        } else if (t->id == 1) {
            rc = coord_queue_get_many(q, m, sizeof m[0], 8, lens, &got,
                                      WAIT_MS);
        } else {
            /* Polls (timeout 0): meets puts that have claimed a slot but
             * not committed, the handle's shared `stuck` pair. */
            rc = coord_queue_get(q, &m[0], sizeof m[0], &len, 0);
            lens[0] = len;
            got = rc == 0;
            if (rc == COORD_EAGAIN) {
                T_CHECK(coord_clock_ns() < deadline, COORD_ETIMEDOUT);
                sched_yield();
                continue;
            }
        }
        if (rc == COORD_PILL)
            return NULL;
        T_OK(rc);
        deadline = coord_clock_ns() + (uint64_t)WAIT_MS * 1000000u;
        for (size_t k = 0; k < got; k++) {
            int bad = q_take(t, &m[k], lens[k], last);
            T_CHECK(bad == 0, bad);
        }
    }
}

TEST(threads_queue_one_handle)
{
    static struct qshared sh; /* zeroed: every message unseen */
    ASSERT_OK(coord_queue_create(&sh.q, 8, QMSG)); /* small: puts wait */
    ASSERT_EQ(pthread_barrier_init(&sh.go, NULL, QP + QC + 1), 0);
    struct qthread prod[QP], cons[QC];
    pthread_t tp[QP], tc[QC];
    for (uint32_t i = 0; i < QC; i++) {
        cons[i] = (struct qthread){&sh, i, 0};
        ASSERT_EQ(pthread_create(&tc[i], NULL, q_consumer, &cons[i]), 0);
    }
    for (uint32_t i = 0; i < QP; i++) {
        prod[i] = (struct qthread){&sh, i, 0};
        ASSERT_EQ(pthread_create(&tp[i], NULL, q_producer, &prod[i]), 0);
    }
    pthread_barrier_wait(&sh.go);
    for (int i = 0; i < QP; i++)
        ASSERT_EQ(pthread_join(tp[i], NULL), 0);
    /* One pill per consumer after the last message: FIFO delivers every
     * message first. */
    for (int i = 0; i < QC; i++)
        ASSERT_OK(coord_queue_put_pill(sh.q, WAIT_MS));
    for (int i = 0; i < QC; i++)
        ASSERT_EQ(pthread_join(tc[i], NULL), 0);
    assert_threads_ok();
    uint64_t total = 0;
    for (int i = 0; i < QC; i++)
        total += cons[i].got;
    ASSERT_EQ_U(total, (uint64_t)QP * QN);
    for (int p = 0; p < QP; p++)
        for (int s = 0; s < QN; s++)
            if (atomic_load(&sh.seen[p][s]) != 1)
                test__fail(__FILE__, __LINE__, "message %d/%d taken %u times",
                           p, s, atomic_load(&sh.seen[p][s]));
    ASSERT_TRUE(coord_queue_is_empty(sh.q));
    pthread_barrier_destroy(&sh.go);
    coord_queue_destroy(sh.q);
}

/* ---- one flag handle: claims, sets and waits from threads -------------- */

#define FT 4      /* threads */
#define FROUNDS 500

struct fshared {
    coord_flag *f;
    pthread_barrier_t round; /* FT threads + the main thread */
    _Atomic int winners[FROUNDS]; /* claim winners, or setters: 1 each */
    /* Written plainly by the round's setter before coord_flag_set and read
     * plainly by the waiters after coord_flag_wait: the flag's release and
     * acquire are all that orders them (TSan reports a race otherwise). */
    struct {
        uint32_t round, check;
    } note[FROUNDS];
};

struct fthread {
    struct fshared *sh;
    int id;
};

static void *f_thread(void *arg)
{
    struct fthread *t = arg;
    coord_flag *f = t->sh->f;
    /* Failures are noted, not returned: every thread meets every barrier. */
    for (int r = 0; r < FROUNDS; r++) {
        pthread_barrier_wait(&t->sh->round); /* the main thread reset it */
        uint32_t e = coord_flag_epoch(f);
        if (r % 2 == 0) {
            /* Claims: one winner per epoch, whatever the mode; a claim
             * for the epoch before fails. */
            coord_claim_mode mode = (r / 2) % 2 ? COORD_CLAIM_LOCK
                                                : COORD_CLAIM_CAS;
            int rc = coord_flag_claim_epoch(f, e, mode);
            T_NOTE(rc == 0 || rc == 1, rc);
            if (rc == 1)
                atomic_fetch_add(&t->sh->winners[r], 1);
            rc = coord_flag_claim_epoch(f, e - 1, mode);
            T_NOTE(rc == 0, rc);
            T_NOTE(!coord_flag_claim(f), -1);
        } else if (t->id == r % FT) {
            /* The setter: write the note, then set (release). */
            t->sh->note[r].round = (uint32_t)r;
            t->sh->note[r].check = (uint32_t)r * 2654435761u;
            coord_flag_set(f);
            atomic_fetch_add(&t->sh->winners[r], 1);
        } else {
            /* The waiters: wait (acquire), then read the note. */
            int rc = 0;
            while (!coord_flag_is_set(f) && rc == 0)
                rc = coord_flag_wait(f, WAIT_MS);
            T_NOTE(rc == 0, rc);
            if (rc == 0) {
                T_NOTE(t->sh->note[r].round == (uint32_t)r,
                       t->sh->note[r].round);
                T_NOTE(t->sh->note[r].check == (uint32_t)r * 2654435761u, -1);
            }
        }
        pthread_barrier_wait(&t->sh->round); /* the round is over */
    }
    return NULL;
}

TEST(threads_flag_one_handle)
{
    static struct fshared sh;
    ASSERT_OK(coord_flag_create(&sh.f));
    ASSERT_EQ(pthread_barrier_init(&sh.round, NULL, FT + 1), 0);
    struct fthread th[FT];
    pthread_t tid[FT];
    for (int i = 0; i < FT; i++) {
        th[i] = (struct fthread){&sh, i};
        ASSERT_EQ(pthread_create(&tid[i], NULL, f_thread, &th[i]), 0);
    }
    for (int r = 0; r < FROUNDS; r++) {
        ASSERT_GE(coord_flag_reset(sh.f), 0);
        pthread_barrier_wait(&sh.round);
        pthread_barrier_wait(&sh.round);
    }
    for (int i = 0; i < FT; i++)
        ASSERT_EQ(pthread_join(tid[i], NULL), 0);
    assert_threads_ok();
    for (int r = 0; r < FROUNDS; r++)
        ASSERT_EQ(atomic_load(&sh.winners[r]), 1);
    pthread_barrier_destroy(&sh.round);
    coord_flag_destroy(sh.f);
}

/* ---- one value and one array handle: updates from threads -------------- */

#define VT 4    /* threads */
#define VN 3000 /* updates of each kind per thread */
#define ALEN 64

struct vshared {
    coord_value *v;
    coord_array *a;
    pthread_barrier_t go;
};

struct vthread {
    struct vshared *sh;
    unsigned id;
};

static void *v_thread(void *arg)
{
    struct vthread *t = arg;
    coord_value *v = t->sh->v;
    coord_array *a = t->sh->a;
    uint64_t *data = coord_array_data(a);
    size_t b, e, nb, ne;
    unsigned next = (t->id + 1) % VT;
    pthread_barrier_wait(&t->sh->go);
    T_OK(coord_array_slice(a, t->id, VT, &b, &e));
    T_OK(coord_array_slice(a, next, VT, &nb, &ne));
    T_CHECK(b + 2 < e && nb + 2 < ne, e - b);
    /* This thread's slice, but for element 0 (the locked counter below)
     * and its last element, written plainly through coord_array_data and
     * published by coord_array_set of the last one (release); the next
     * thread reads it after coord_array_get of that element (acquire). */
    for (size_t k = b + 1; k + 1 < e; k++)
        data[k] = k * 1000 + t->id;
    coord_scalar s = {.u = 1};
    T_OK(coord_array_set(a, e - 1, s));

    int64_t seen = 0;
    for (int i = 0; i < VN; i++) {
        int64_t old;
        /* add: one more under the value's lock. */
        T_OK(coord_value_add_i64(v, 1, &old));
        T_CHECK(old >= seen, old);
        /* cas: read, then try to store one more until it lands. */
        for (int tries = 0;; tries++) {
            coord_scalar cur, want;
            T_OK(coord_value_get(v, &cur));
            want.i = cur.i + 1;
            int rc = coord_value_cas(v, cur, want, NULL);
            T_CHECK(rc == 0 || rc == 1, rc);
            if (rc == 1)
                break;
            T_CHECK(tries < 1000000, COORD_ETIMEDOUT);
        }
        /* A compound update under the lock: load, store one more. */
        coord_scalar cur;
        T_OK(coord_value_lock(v, WAIT_MS));
        T_OK(coord_value_get(v, &cur));
        cur.i += 1;
        T_OK(coord_value_store(v, cur));
        T_OK(coord_value_unlock(v));
        T_OK(coord_value_get_i64(v, &seen));
        /* The array's element 0, one more under the array's lock. */
        T_OK(coord_array_lock(a, WAIT_MS));
        T_OK(coord_array_get(a, 0, &s));
        s.u += 1;
        T_OK(coord_array_set(a, 0, s));
        T_OK(coord_array_unlock(a));
    }
    /* The next thread's slice, once it is published. */
    uint64_t deadline = coord_clock_ns() + (uint64_t)WAIT_MS * 1000000u;
    for (;;) {
        T_OK(coord_array_get(a, ne - 1, &s));
        if (s.u == 1)
            break;
        T_CHECK(coord_clock_ns() < deadline, COORD_ETIMEDOUT);
        sched_yield();
    }
    for (size_t k = nb + 1; k + 1 < ne; k++)
        T_CHECK(data[k] == k * 1000 + next, data[k]);
    return NULL;
}

TEST(threads_value_array_one_handle)
{
    static struct vshared sh;
    ASSERT_OK(coord_value_create(&sh.v, COORD_I64));
    ASSERT_OK(coord_array_create(&sh.a, COORD_U64, ALEN));
    ASSERT_EQ(pthread_barrier_init(&sh.go, NULL, VT), 0);
    struct vthread th[VT];
    for (unsigned i = 0; i < VT; i++)
        th[i] = (struct vthread){&sh, i};
    run_threads(VT, v_thread, th, sizeof th[0]);
    assert_threads_ok();
    int64_t total;
    ASSERT_OK(coord_value_get_i64(sh.v, &total));
    ASSERT_EQ(total, (int64_t)VT * VN * 3);
    coord_scalar s;
    ASSERT_OK(coord_array_get(sh.a, 0, &s));
    ASSERT_EQ_U(s.u, (uint64_t)VT * VN);
    pthread_barrier_destroy(&sh.go);
    coord_array_destroy(sh.a);
    coord_value_destroy(sh.v);
}

/* ---- handles made and released in several threads at once -------------- */

#define HT 4
#define HN 60 /* rounds per thread */

struct hthread {
    unsigned id;
    pthread_barrier_t *go;
};

/*
 * Each thread makes, uses and releases its own objects, anonymous and
 * named (a second handle through open), all at once: the library's
 * process-wide state (the record of this process's mappings that every
 * handle is looked up in, the pid cache, the named files) is shared.
 */
static void *h_thread(void *arg)
{
    struct hthread *t = arg;
    pthread_barrier_wait(t->go);
    for (int i = 0; i < HN; i++) {
        char sfx[32], name[64];
        snprintf(sfx, sizeof sfx, "thr%u-%d", t->id, i);
        test_shm_name(name, sizeof name, sfx);

        coord_queue *q, *q2;
        T_OK(coord_queue_create_named(&q, name, 4, 16));
        T_OK(coord_queue_open(&q2, name));
        T_OK(coord_queue_put(q, "abc", 3, WAIT_MS));
        char buf[16];
        size_t len;
        T_OK(coord_queue_get(q2, buf, sizeof buf, &len, WAIT_MS));
        T_CHECK(len == 3 && memcmp(buf, "abc", 3) == 0, len);
        coord_queue_destroy(q2);
        coord_queue_destroy(q); /* the creator: removes the name */

        coord_flag *f;
        coord_value *v;
        T_OK(coord_flag_create(&f));
        T_OK(coord_value_create(&v, COORD_U32));
        T_CHECK(coord_flag_claim(f), -1);
        T_OK(coord_value_set_i64(v, i));
        int64_t x;
        T_OK(coord_value_get_i64(v, &x));
        T_CHECK(x == i, x);
        coord_value_destroy(v);
        coord_flag_destroy(f);
    }
    return NULL;
}

TEST(threads_handles_made_and_released)
{
    pthread_barrier_t go;
    ASSERT_EQ(pthread_barrier_init(&go, NULL, HT), 0);
    struct hthread th[HT];
    for (unsigned i = 0; i < HT; i++)
        th[i] = (struct hthread){i, &go};
    run_threads(HT, h_thread, th, sizeof th[0]);
    assert_threads_ok();
    pthread_barrier_destroy(&go);
}

#define TEST_LIST(X)                                                           \
    X(threads_queue_one_handle)                                                \
    X(threads_flag_one_handle)                                                 \
    X(threads_value_array_one_handle)                                          \
    X(threads_handles_made_and_released)
#define HELPER_LIST(X)
TEST_MAIN()
