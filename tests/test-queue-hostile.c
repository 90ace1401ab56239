/* SPDX-License-Identifier: MIT */
/* test-queue-hostile.c: a named queue whose shared bytes are planted or mutated: documented codes, no crash, no hang. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/syscall.h>

#include "harness.h"
#include "internal.h"
#include "queue_internal.h"
#include "queue_shm.h"
#include "fuzz/robust-list.h"

/* The whole file of named queue `name`, mapped writable as any process of
 * its owner could; *size gets its length. */
static unsigned char *map_file(const char *name, size_t *size)
{
    char path[512];
    snprintf(path, sizeof path, "/dev/shm/" COORD__NAME_PREFIX "%s", name);
    int fd = open(path, O_RDWR);
    ASSERT_TRUE(fd >= 0);
    struct stat st;
    ASSERT_OK(fstat(fd, &st));
    *size = (size_t)st.st_size;
    void *p = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    ASSERT_TRUE(p != MAP_FAILED);
    return p;
}

/* The report of issue 10: a slot length of 64 MiB planted in a queue of
 * 64-byte messages. get must not trust it, whatever the buffer. */
TEST(queue_planted_length_is_eproto)
{
    char name[64];
    coord_queue *q, *other;
    test_shm_name(name, sizeof name, "len");
    ASSERT_OK(coord_queue_create_named(&q, name, 4, 64));
    ASSERT_OK(coord_queue_put(q, "hello", 5, 0));
    size_t size;
    struct coord__queue_map map;
    coord__queue_layout(q, &map);
    unsigned char *f = map_file(name, &size);
    uint32_t *info = (uint32_t *)(f + COORD__SEG_HDR + map.slot0 + map.info_off);
    ASSERT_EQ(*info, 5);
    *info = 64u << 20;
    size_t cap = (size_t)128 << 20, len = 0;
    unsigned char *big = malloc(cap);
    ASSERT_TRUE(big != NULL);
    ASSERT_OK(coord_queue_open(&other, name));
    ASSERT_CODE(coord_queue_get(other, big, cap, &len, 0), COORD_EPROTO);
    /* Broken for every process and every call from now on. */
    ASSERT_CODE(coord_queue_get(q, big, cap, &len, 0), COORD_EPROTO);
    ASSERT_CODE(coord_queue_put(q, "x", 1, 0), COORD_EPROTO);
    ASSERT_CODE(coord_queue_put_pill(other, -1), COORD_EPROTO);
    ASSERT_TRUE(coord_queue_is_closed(q));
    /* close leaves it broken. */
    ASSERT_OK(coord_queue_close(q));
    ASSERT_CODE(coord_queue_get(other, big, cap, &len, -1), COORD_EPROTO);

    /* A pill bit with a length, and head past tail, are broken too. */
    coord_queue *q2;
    char name2[64];
    test_shm_name(name2, sizeof name2, "len2");
    ASSERT_OK(coord_queue_create_named(&q2, name2, 4, 8));
    ASSERT_OK(coord_queue_put_pill(q2, 0));
    size_t size2;
    unsigned char *f2 = map_file(name2, &size2);
    info = (uint32_t *)(f2 + COORD__SEG_HDR + map.slot0 + map.info_off);
    ASSERT_EQ(*info, 0x80000000u);
    *info = 0x80000001u;
    ASSERT_CODE(coord_queue_get(q2, big, 8, &len, 0), COORD_EPROTO);
    munmap(f2, size2);
    coord_queue_destroy(q2);
    free(big);

    /* Limits in the file that disagree with its size: open refuses. */
    coord_queue *third;
    uint32_t *capacity = (uint32_t *)(f + COORD__SEG_HDR + 4);
    ASSERT_EQ(*capacity, 4);
    *capacity = 1u << 20;
    ASSERT_CODE(coord_queue_open(&third, name), COORD_EPROTO);
    munmap(f, size);
    coord_queue_destroy(other);
    coord_queue_destroy(q);
}

/* ---- mutation fuzzing: a writer scribbles while a process uses it ----- */

#define FUZZ_CAP 8
#define FUZZ_MSG 24
#define FUZZ_ROUNDS 400  /* open .. destroy cycles of the user process */
#define FUZZ_OPS 50      /* calls per cycle */

struct fuzz_ctl {
    _Atomic uint32_t rounds_done;
    _Atomic uint32_t stop;
    _Atomic uint32_t bad_code; /* a code no call documents, or 0 */
    _Atomic uint32_t bad_len;  /* a length above max_msg or the buffer */
    _Atomic uint64_t calls, eproto, opens_refused;
};

static const char *fuzz_name;
static struct fuzz_ctl *fuzz_ctl;

static bool documented(int r)
{
    switch (r) {
    case 0:
    case COORD_PILL:
    case COORD_EAGAIN:
    case COORD_ETIMEDOUT:
    case COORD_ECLOSED:
    case COORD_EPROTO:
    case COORD_ENOBUFS:
        return true;
    default:
        return false;
    }
}

/* COORD_EMSGSIZE is the documented answer to a message longer than the
 * max_msg this open found: a mutated max_msg that still matches the file's
 * size (every value whose slots round to the same cache lines) is a queue
 * that open cannot tell from a real one. Returns 0 for that, else r. */
static int msgsize_ok(int r, const size_t *ml, size_t n, size_t max)
{
    for (size_t k = 0; r == COORD_EMSGSIZE && k < n; k++)
        if (ml[k] > max)
            return 0;
    return r;
}

/* The user: opens the queue by name, calls put, put_many, get, get_many,
 * count with short timeouts, checks every code and length, destroys. */
static int fuzz_user(void *arg)
{
    (void)arg;
    struct fuzz_ctl *c = fuzz_ctl;
    uint64_t rng = 0x5eed;
    unsigned char buf[4][FUZZ_MSG + 8];
    for (uint32_t round = 0; round < FUZZ_ROUNDS; round++) {
        coord_queue *q;
        int r = coord_queue_open(&q, fuzz_name);
        if (r != 0) {
            if (r != COORD_EPROTO && r != COORD_EVERSION && r != COORD_EAGAIN)
                atomic_store(&c->bad_code, (uint32_t)-r);
            atomic_fetch_add(&c->opens_refused, 1);
            atomic_store(&c->rounds_done, round + 1);
            /* The writer restores the first line within 16 mutations, but
             * on a loaded machine it can lose its CPU right after damaging
             * it: without a pause here every remaining round was refused
             * in a few ms and the test saw 50 calls (a check-loop beside
             * two busy loops). A refused round gives it a millisecond. */
            usleep(1000);
            continue;
        }
        size_t max = coord_queue_max_msg(q);
        for (int i = 0; i < FUZZ_OPS; i++) {
            size_t len = 99, lens[4], n;
            uint64_t x = test_rand(&rng);
            const void *m[3] = {buf[0], buf[1], buf[2]};
            size_t ml[3] = {x % (FUZZ_MSG + 1), 3, 0};
            int tmo = (int)(x >> 62) % 2; /* 0 or 1 ms */
            switch ((x >> 8) % 6) {
            case 0:
                r = coord_queue_put(q, buf[0], ml[0], tmo);
                r = msgsize_ok(r, ml, 1, max);
                break;
            case 1:
                r = coord_queue_put_many(q, m, ml, 3, &n, tmo);
                r = msgsize_ok(r, ml, 3, max);
                break;
            case 2:
                r = coord_queue_put_pill(q, tmo);
                break;
            case 3:
                r = coord_queue_get(q, buf[0], sizeof buf[0], &len, tmo);
                if ((r == 0 || r == COORD_ENOBUFS) && len > max)
                    atomic_store(&c->bad_len, (uint32_t)len);
                break;
            case 4:
                r = coord_queue_get_many(q, buf, sizeof buf[0], 4, lens, &n,
                                         tmo);
                for (size_t k = 0; r == 0 && k < n; k++)
                    if (lens[k] > max || lens[k] > sizeof buf[0])
                        atomic_store(&c->bad_len, (uint32_t)lens[k]);
                break;
            default:
                r = coord_queue_count(q) < 0 ? COORD_EINVAL : 0;
                break;
            }
            if (!documented(r))
                atomic_store(&c->bad_code, (uint32_t)-r);
            if (r == COORD_EPROTO)
                atomic_fetch_add(&c->eproto, 1);
            atomic_fetch_add(&c->calls, 1);
        }
        coord_queue_destroy(q);
        atomic_store(&c->rounds_done, round + 1);
    }
    return 0;
}

/* Fixed seed and bounded counts: the same mutations every run. The writer
 * flips random bytes anywhere in the queue but its two locks (glibc's
 * words: see queue.h, Trust), and now and then restores the first line
 * (the limits open checks, and the state word: open again) so that the
 * user goes on opening it and meeting the damage, not EPROTO alone. */
/* A slot word no queue holds (a sequence number from no lap of its slot),
 * met by a put: COORD_EPROTO, where the put used to take it for a full
 * queue while the room count said there was room, and spin for ever
 * whatever its timeout (found by an audit: 1 in 800 random tamperings). */
TEST(queue_put_meets_a_word_no_queue_holds)
{
    char name[64];
    coord_queue *q;
    test_shm_name(name, sizeof name, "word");
    ASSERT_OK(coord_queue_create_named(&q, name, 4, 48));
    struct coord__queue_map map;
    coord__queue_layout(q, &map);
    size_t size;
    unsigned char *f = map_file(name, &size);
    _Atomic uint64_t *word = (_Atomic uint64_t *)(f + COORD__SEG_HDR + map.slot0);
    ASSERT_EQ(atomic_load(word), 0); /* free for position 0 */
    atomic_store(word, 0xfffffff0u);
    alarm(20); /* a regression fails the case, it does not hang it */
    ASSERT_CODE(coord_queue_put(q, "hi", 2, 100), COORD_EPROTO);
    const void *msgs[1] = {"hi"};
    size_t lens[1] = {2}, done = 0;
    ASSERT_CODE(coord_queue_put_many(q, msgs, lens, 1, &done, -1), COORD_EPROTO);
    alarm(0);
    munmap(f, size);
    coord_queue_destroy(q);
}

/* The lap before's "free" or "claimed" word (position t - ring, no owner
 * or a pid) planted at the slot of tail t in an empty queue. The room
 * check proves head > t - ring, so no queue holds it there; a put took it
 * for "full" while has_space said there was room, and spun at full CPU
 * until its deadline, with timeout -1 for ever (count 0, is_full false).
 * Now COORD_EPROTO, as for any other such word. */
TEST(queue_put_meets_the_lap_befores_claim)
{
    const uint32_t owners[2] = {0, 12345};
    for (int k = 0; k < 2; k++) {
        char name[64];
        coord_queue *q;
        test_shm_name(name, sizeof name, k ? "lapclaim" : "lapfree");
        ASSERT_OK(coord_queue_create_named(&q, name, 4, 48));
        struct coord__queue_map map;
        coord__queue_layout(q, &map);
        size_t size;
        unsigned char *f = map_file(name, &size);
        _Atomic uint64_t *word =
            (_Atomic uint64_t *)(f + COORD__SEG_HDR + map.slot0);
        ASSERT_EQ(atomic_load(word), 0); /* free for position 0 */
        /* (0 - ring, owner): ring 4 */
        atomic_store(word, (uint64_t)owners[k] << 32 | 0xfffffffcu);
        ASSERT_EQ(coord_queue_count(q), 0);
        ASSERT_FALSE(coord_queue_is_full(q));
        alarm(20); /* a regression fails the case, it does not hang it */
        ASSERT_CODE(coord_queue_put(q, "hi", 2, -1), COORD_EPROTO);
        const void *msgs[1] = {"hi"};
        size_t lens[1] = {2}, done = 0;
        ASSERT_CODE(coord_queue_put_many(q, msgs, lens, 1, &done, -1),
                    COORD_EPROTO);
        alarm(0);
        munmap(f, size);
        coord_queue_destroy(q);
    }
}

/* glibc trusts a mutex's kind word: rewritten (here to priority inherit,
 * not robust, with a lock word taken), pthread_mutex_trylock fails an
 * assertion and aborts the caller. A queue passed by descriptor holds
 * whatever its sender wrote, so a side lock compares the kind with coord's
 * first, as the flag's, value's and array's locks do: a get waiting on the
 * producer lock, and a put waiting on the consumer lock, find the queue
 * broken (found by tests/fuzz/fuzz-fd.c). */
TEST(queue_lock_kind_rewritten_is_eproto)
{
    for (int side = 0; side < 2; side++) {
        char name[64];
        coord_queue *q;
        test_shm_name(name, sizeof name, side ? "kindc" : "kindp");
        ASSERT_OK(coord_queue_create_named(&q, name, 1, 8));
        struct coord__queue_map map;
        coord__queue_layout(q, &map);
        size_t size;
        unsigned char *f = map_file(name, &size);
        pthread_mutex_t *m =
            (pthread_mutex_t *)(void *)(f + COORD__SEG_HDR + map.lock_off[side]);
        m->__data.__kind = 0xa0; /* PTHREAD_MUTEX_PRIO_INHERIT_NP | pshared */
        m->__data.__lock = 0x7ff80000;
        char b[8];
        size_t len;
        if (side == 0) {
            /* Empty: the get registers as a sleeper under the producer
             * lock. */
            ASSERT_CODE(coord_queue_get(q, b, sizeof b, &len, 100),
                        COORD_EPROTO);
        } else {
            /* Full: the put registers under the consumer lock. */
            ASSERT_OK(coord_queue_put(q, "a", 1, 0));
            ASSERT_CODE(coord_queue_put(q, "b", 1, 100), COORD_EPROTO);
        }
        ASSERT_TRUE(coord_queue_is_closed(q)); /* broken for everyone */
        munmap(f, size);
        coord_queue_destroy(q);
    }
}

/* ---- forged mutex words: tests/fuzz/fuzz-queue.c's, fixed ------------ */

/* The forgeries of a side lock's words (glibc's; the kind word is
 * queue_lock_kind_rewritten_is_eproto's), written while nobody holds it
 * (a peer writing while this process holds it is out of reach: glibc's
 * unlock writes through the list words, docs/queue.md, Trust). */
enum forgery {
    FORGE_LIVE,       /* the lock word names a live thread: a holder */
    FORGE_LIVE_WAITS, /* the same, with FUTEX_WAITERS */
    FORGE_SELF,       /* names this thread (glibc: EDEADLK): a holder of
                       * another pid namespace with our number */
    FORGE_DIED,       /* a holder that died (FUTEX_OWNER_DIED) */
    FORGE_OWNER,      /* owner "not recoverable", the lock free */
    FORGE_COUNTS,     /* owner, count and users of this thread */
    FORGE_LIST,       /* list words pointing nowhere */
    FORGERIES
};

static void forge(pthread_mutex_t *m, enum forgery f)
{
    int self = (int)syscall(SYS_gettid), other = (int)getppid();
    switch (f) {
    case FORGE_LIVE: m->__data.__lock = other; break;
    case FORGE_LIVE_WAITS:
        m->__data.__lock = (int)(0x80000000u | (unsigned)other);
        break;
    case FORGE_SELF: m->__data.__lock = self; break;
    case FORGE_DIED:
        m->__data.__lock = (int)(0x40000000u | (unsigned)other);
        break;
    case FORGE_OWNER: m->__data.__owner = 0x7fffffff; break;
    case FORGE_COUNTS:
        m->__data.__owner = self;
        m->__data.__count = 7;
        m->__data.__nusers = 99;
        break;
    default:
#if __SIZEOF_POINTER__ == 8
        m->__data.__list.__prev = (void *)8;
#endif
        m->__data.__list.__next = (void *)16;
    }
}

#define FORGE_SKIPS 3000
#define FORGE_CAP (FORGE_SKIPS + 8)

struct forge_case {
    int side; /* 0: the producer lock, 1: the consumer lock */
    enum forgery f;
    pid_t dead; /* a process gone and reaped */
};

/* One call's code: `want`. (A lock word that names this thread is a
 * holder like any other: it broke the queue until session 19.) */
#define FORGED_CALL(call, want)                                                    do {                                                                               int r_ = (call);                                                               if (r_ != (want))                 test__fail(__FILE__, __LINE__, "%s (forgery %d, side %d): %s",                            #call, (int)c->f, c->side, coord_err_name(r_));                 ASSERT_TRUE(robust_list_empty());                                     } while (0)

/* In a child, bounded in time: a queue in this process's memory, with a
 * run of skips at head, a sleeper of each side counted (so every commit's
 * wake-up takes the other side's lock) and c's forgery in one lock; calls
 * with timeout 0. */
static int forged_calls(void *arg)
{
    const struct forge_case *c = arg;
    size_t size = coord_queue_size(FORGE_CAP, 8), len = 0, got = 0;
    void *mem = aligned_alloc(COORD__CACHE_LINE, size);
    coord_queue *q;
    ASSERT_TRUE(mem != NULL);
    ASSERT_OK(coord_queue_init(mem, size, FORGE_CAP, 8, &q));
    for (uint32_t i = 0; i < FORGE_SKIPS; i++)
        atomic_store(&slot_at(q, i)->word, WORD(i + 1, OWNER_SKIP));
    atomic_store(&q->s->tail, FORGE_SKIPS);
    ASSERT_OK(coord_queue_put(q, "a", 1, 0));
    ASSERT_OK(coord_queue_put(q, "b", 1, 0));
    struct sleepers *sl[2] = {&q->s->put_sl, &q->s->get_sl};
    for (int i = 0; i < 2; i++) {
        atomic_store(&sl[i]->count, 1);
        sl[i]->until = UINT64_MAX;
    }
    coord__mutex *lock = c->side ? &q->s->clock : &q->s->plock;
    forge(&lock->m, c->f);
    /* Held for good by a live thread, as far as glibc can tell. */
    bool held = c->f == FORGE_LIVE || c->f == FORGE_LIVE_WAITS ||
                c->f == FORGE_SELF;
    char b[4][8];
    size_t lens[4];
    const void *m[2] = {"c", "d"};
    size_t ml[2] = {1, 1};
    /* A get passes the skips, waking the puts after each (the consumer
     * lock), and takes "a"; a put wakes the gets (the producer lock). */
    FORGED_CALL(coord_queue_get(q, b[0], 8, &len, 0), 0);
    ASSERT_TRUE(len == 1 && b[0][0] == 'a');
    FORGED_CALL(coord_queue_put(q, "e", 1, 0), 0);
    FORGED_CALL(coord_queue_put_many(q, m, ml, 2, &got, 0), 0);
    FORGED_CALL(coord_queue_get_many(q, b, 8, 4, lens, &got, 0), 0);
    ASSERT_TRUE(got == 4);
    FORGED_CALL(coord_queue_put_pill(q, 0), 0);
    FORGED_CALL(coord_queue_get(q, b[0], 8, &len, 0), COORD_PILL);
    /* A head left frozen: a get thaws it under the consumer lock. */
    FORGED_CALL(coord_queue_put(q, "f", 1, 0), 0);
    atomic_fetch_or(&q->s->head, HEAD_FROZEN);
    FORGED_CALL(coord_queue_get(q, b[0], 8, &len, 0),
                held && c->side == 1 ? COORD_EAGAIN : 0);
    atomic_fetch_and(&q->s->head, ~HEAD_FROZEN);
    if (held && c->side == 1)
        FORGED_CALL(coord_queue_get(q, b[0], 8, &len, 0), 0);
    /* A dead put's claim at head, "g" behind it: the second get that
     * meets it turns it into a skip under the producer lock, and the
     * next takes "g". */
    uint32_t h = (uint32_t)atomic_load(&q->s->head);
    atomic_store(&slot_at(q, h)->word, WORD(h, (uint32_t)c->dead));
    atomic_store(&q->s->tail, h + 1);
    FORGED_CALL(coord_queue_put(q, "g", 1, 0), 0);
    FORGED_CALL(coord_queue_get(q, b[0], 8, &len, 0), COORD_EAGAIN);
    FORGED_CALL(coord_queue_get(q, b[0], 8, &len, 0), COORD_EAGAIN);
    FORGED_CALL(coord_queue_get(q, b[0], 8, &len, 0),
                held && c->side == 0 ? COORD_EAGAIN : 0);
    ASSERT_TRUE(held || b[0][0] == 'g');
    coord_queue_destroy(q);
    free(mem);
    return 0;
}

static int exit_at_once(void *arg)
{
    (void)arg;
    return 0;
}

/* A queue passed by descriptor holds whatever its sender wrote, its
 * mutexes' lock, owner, count and list words included (glibc trusts
 * them). With each forgery in each lock, calls with timeout 0 return what
 * they would (a lock word naming another thread only makes them wait 10
 * ms: the ones that need that lock before their operation give
 * COORD_EAGAIN, the wake-ups after it wake without it; one naming this
 * thread breaks the queue), leave no mutex on this thread's robust list,
 * and end: a get passes FORGE_SKIPS skips, waking the puts after each, so
 * 10 ms a wake-up would take 30 s (the child has 20 s; before session 11
 * a timeout-0 call waited for ever for a live owner). fuzz-queue.c does
 * this with any bytes. */
TEST(queue_forged_owner_words_with_timeout_0)
{
    pid_t dead = test_fork(exit_at_once, NULL);
    test_join_ok(dead, 20000);
    for (int side = 0; side < 2; side++) {
        for (int f = 0; f < FORGERIES; f++) {
            struct forge_case c = {side, (enum forgery)f, dead};
            test_join_ok(test_fork(forged_calls, &c), 20000);
        }
    }
}

TEST(queue_mutated_while_used)
{
    char name[64];
    coord_queue *q;
    test_shm_name(name, sizeof name, "fuzz");
    ASSERT_OK(coord_queue_create_named(&q, name, FUZZ_CAP, FUZZ_MSG));
    for (int i = 0; i < FUZZ_CAP / 2; i++)
        ASSERT_OK(coord_queue_put(q, "seed", 4, 0));
    size_t size;
    struct coord__queue_map map;
    coord__queue_layout(q, &map);
    size_t slot0 = map.slot0;
    unsigned char *f = map_file(name, &size);
    unsigned char *obj = f + COORD__SEG_HDR;
    size_t obj_size = size - COORD__SEG_HDR;
    unsigned char line0[COORD__CACHE_LINE];
    memcpy(line0, obj, sizeof line0);
    fuzz_name = name;
    fuzz_ctl = mmap(NULL, sizeof *fuzz_ctl, PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(fuzz_ctl != MAP_FAILED);
    memset(fuzz_ctl, 0, sizeof *fuzz_ctl);
    pid_t pid = test_fork(fuzz_user, NULL);
    uint64_t rng = 0xf00dull;
    uint64_t flips = 0;
    /* Bounded: until the user has done its rounds (each call waits at
     * most 1 ms, so that takes seconds), at most 2,000,000 mutations. */
    while (atomic_load(&fuzz_ctl->rounds_done) < FUZZ_ROUNDS &&
           flips < 2000000) {
        uint64_t x = test_rand(&rng);
        size_t off;
        /* 1 in 32 hits the first line (limits and state), 1 in 4 the
         * other header lines, the rest the slots. */
        if (x % 32 == 0)
            off = (size_t)(x >> 8) % COORD__CACHE_LINE;
        else if (x % 4 == 1)
            off = COORD__CACHE_LINE +
                  (size_t)(x >> 8) % (slot0 - COORD__CACHE_LINE);
        else
            off = slot0 + (size_t)(x >> 8) % (obj_size - slot0);
        if ((off >= map.lock_off[0] && off < map.lock_off[0] + map.lock_len) ||
            (off >= map.lock_off[1] && off < map.lock_off[1] + map.lock_len))
            continue;
        obj[off] = (unsigned char)(x >> 40);
        if (flips % 16 == 0)
            memcpy(obj, line0, sizeof line0);
        flips++;
        if (flips % 16 == 0)
            usleep(50);
    }
    printf("# %llu mutations, %llu calls, %llu EPROTO, %llu opens refused\n",
           (unsigned long long)flips,
           (unsigned long long)atomic_load(&fuzz_ctl->calls),
           (unsigned long long)atomic_load(&fuzz_ctl->eproto),
           (unsigned long long)atomic_load(&fuzz_ctl->opens_refused));
    int st = test_wait(pid, 60000);
    if (WIFSIGNALED(st))
        test__fail(__FILE__, __LINE__,
                   "the user process died of signal %d after %u rounds",
                   WTERMSIG(st), atomic_load(&fuzz_ctl->rounds_done));
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ASSERT_EQ(atomic_load(&fuzz_ctl->bad_code), 0);
    ASSERT_EQ(atomic_load(&fuzz_ctl->bad_len), 0);
    /* The mutations did reach the user (else this tests nothing). */
    ASSERT_GT(atomic_load(&fuzz_ctl->eproto), 0);
    ASSERT_GT(atomic_load(&fuzz_ctl->calls), 2000);
    munmap(fuzz_ctl, sizeof *fuzz_ctl);
    munmap(f, size);
    coord_queue_destroy(q);
}

/* ---- positions near 2^32 and 2^63: fuzz-queue.c's starts, fixed ------ */

#define WRAP_CAP 8
#define WRAP_MSG 24
#define WRAP_ROUNDS 150 /* inputs per start position */

/* The starts of fuzz-queue.c's mode bits 3 to 5 but 0: where the 64-bit
 * positions or the slots' 32-bit sequence numbers wrap, or near bit 63
 * (HEAD_FROZEN). */
static const uint64_t wrap_starts[] = {
    0xfffffffeull,        7ull << 32 | 0xffffffffull,
    0xfffffffbull,        (1ull << 62) - 3,
    (1ull << 63) - 6,     (1ull << 63) - 2,
    (1ull << 33) - WRAP_CAP,
};

/* What a round that writes nothing must see (the queue's messages in
 * order, pills as len SIZE_MAX), as fuzz-queue.c's struct model. */
struct wrap_model {
    size_t at, n, len[WRAP_CAP];
    unsigned char msg[WRAP_CAP][WRAP_MSG];
};

static void wrap_push(struct wrap_model *m, const void *msg, size_t len)
{
    size_t k = (m->at + m->n++) % WRAP_CAP;
    m->len[k] = len;
    if (msg && len != SIZE_MAX)
        memcpy(m->msg[k], msg, len);
}

/* The message first in line is (buf, len): taken off. */
static bool wrap_take(struct wrap_model *m, const void *buf, size_t len)
{
    if (!m->n || m->len[m->at] != len ||
        (len != SIZE_MAX && memcmp(m->msg[m->at], buf, len) != 0))
        return false;
    m->at = (m->at + 1) % WRAP_CAP;
    m->n--;
    return true;
}

static bool wrap_documented(int r, int tmo)
{
    return r == 0 || r == COORD_PILL || r == COORD_EAGAIN ||
           r == COORD_ECLOSED || r == COORD_EPROTO || r == COORD_ENOBUFS ||
           (tmo > 0 && r == COORD_ETIMEDOUT);
}

/* In a child, bounded in time: for each start, WRAP_ROUNDS times a queue
 * in this process's memory set to that position (each slot free for its
 * position of the lap, as a queue that moved that far holds it), three
 * messages and a pill put, random bytes written outside the two locks,
 * then random calls with timeout 0 or 1 ms: only documented codes,
 * lengths that fit, a count within capacity, no robust mutex left; and a
 * round that wrote nothing (a quarter) gets its messages back in order,
 * each call the result a queue without other users gives. */
static int wrap_mutated_calls(void *arg)
{
    (void)arg;
    size_t size = coord_queue_size(WRAP_CAP, WRAP_MSG);
    unsigned char *mem = aligned_alloc(COORD__CACHE_LINE, size);
    ASSERT_TRUE(mem != NULL);
    uint64_t rng = 0x2b32ull, calls = 0, eproto = 0;
    for (size_t st = 0; st < sizeof wrap_starts / sizeof *wrap_starts; st++) {
        uint64_t at = wrap_starts[st];
        for (int round = 0; round < WRAP_ROUNDS; round++) {
            coord_queue *q;
            ASSERT_OK(coord_queue_init(mem, size, WRAP_CAP, WRAP_MSG, &q));
            atomic_store(&q->s->head, at);
            atomic_store(&q->s->tail, at);
            for (uint32_t i = 0; i < q->ring; i++)
                atomic_store(&slot_at(q, at + i)->word, FREE_WORD(at + i));
            ASSERT_OK(coord_queue_put(q, "first", 5, 0));
            ASSERT_OK(coord_queue_put(q, "a message of 24 bytes...", 24, 0));
            ASSERT_OK(coord_queue_put(q, NULL, 0, 0));
            ASSERT_OK(coord_queue_put_pill(q, 0));
            /* An idle handle's cached head, 2^32 - 4 behind head (set
             * after the puts, the first of which would reload it): a
             * 32-bit room check took it for one 4 ahead of head. */
            if (round & 1)
                atomic_store(&q->head_cache, at - ((1ull << 32) - 4));
            struct wrap_model m = {0};
            wrap_push(&m, "first", 5);
            wrap_push(&m, "a message of 24 bytes...", 24);
            wrap_push(&m, NULL, 0);
            wrap_push(&m, NULL, SIZE_MAX);
            struct coord__queue_map map;
            coord__queue_layout(q, &map);
            int writes = (int)(test_rand(&rng) % 4);
            bool clean = writes == 0;
            for (int w = 0; w < writes; w++) {
                uint64_t x = test_rand(&rng);
                size_t off = (size_t)(x >> 8) % size;
                bool lock = false;
                for (int k = 0; k < 2; k++)
                    lock |= off >= map.lock_off[k] &&
                            off < map.lock_off[k] + map.lock_len;
                if (!lock)
                    mem[off] = (unsigned char)x;
            }
            unsigned char buf[4][WRAP_MSG];
            size_t lens[4], got = 0, len = 0;
            const void *msgs[2] = {"xy", "z"};
            size_t mlens[2] = {2, 1};
            for (int i = 0; i < 16; i++) {
                uint64_t x = test_rand(&rng);
                int tmo = x % 4 == 0 ? 1 : 0, r;
                /* A clean round's expected code: nothing to take or no
                 * room, and the first in line. */
                int none = tmo ? COORD_ETIMEDOUT : COORD_EAGAIN;
                size_t first = m.n ? m.len[m.at] : 0;
                switch ((x >> 8) % 6) {
                case 0:
                    r = coord_queue_get(q, buf[0], WRAP_MSG, &len, tmo);
                    ASSERT_TRUE(r != 0 || len <= WRAP_MSG);
                    if (!clean)
                        break;
                    ASSERT_EQ(r, !m.n ? none
                                 : first == SIZE_MAX ? COORD_PILL : 0);
                    ASSERT_TRUE(r != 0 || wrap_take(&m, buf[0], len));
                    ASSERT_TRUE(r != COORD_PILL || wrap_take(&m, NULL, SIZE_MAX));
                    break;
                case 1:
                    r = coord_queue_get_many(q, buf, WRAP_MSG, 4, lens, &got,
                                             tmo);
                    for (size_t k = 0; r == 0 && k < got; k++)
                        ASSERT_TRUE(got <= 4 && lens[k] <= WRAP_MSG);
                    if (!clean)
                        break;
                    ASSERT_EQ(r, !m.n ? none
                                 : first == SIZE_MAX ? COORD_PILL : 0);
                    if (r == 0) {
                        size_t want = 0; /* up to 4, to the first pill */
                        while (want < 4 && want < m.n &&
                               m.len[(m.at + want) % WRAP_CAP] != SIZE_MAX)
                            want++;
                        ASSERT_EQ(got, want);
                    }
                    for (size_t k = 0; r == 0 && k < got; k++)
                        ASSERT_TRUE(wrap_take(&m, buf[k], lens[k]));
                    ASSERT_TRUE(r != COORD_PILL || wrap_take(&m, NULL, SIZE_MAX));
                    break;
                case 2:
                    r = coord_queue_put(q, "hello", 5, tmo);
                    if (!clean)
                        break;
                    ASSERT_EQ(r, m.n < WRAP_CAP ? 0 : none);
                    if (r == 0)
                        wrap_push(&m, "hello", 5);
                    break;
                case 3:
                    r = coord_queue_put_many(q, msgs, mlens, 2, &got, tmo);
                    ASSERT_TRUE(r != 0 || (got >= 1 && got <= 2));
                    if (!clean)
                        break;
                    ASSERT_EQ(r, m.n < WRAP_CAP ? 0 : none);
                    if (r == 0)
                        ASSERT_EQ(got, WRAP_CAP - m.n < 2 ? WRAP_CAP - m.n : 2);
                    for (size_t k = 0; r == 0 && k < got; k++)
                        wrap_push(&m, msgs[k], mlens[k]);
                    break;
                case 4:
                    r = coord_queue_put_pill(q, tmo);
                    if (!clean)
                        break;
                    ASSERT_EQ(r, m.n < WRAP_CAP ? 0 : none);
                    if (r == 0)
                        wrap_push(&m, NULL, SIZE_MAX);
                    break;
                default: {
                    long c = coord_queue_count(q);
                    ASSERT_TRUE(c >= 0 && c <= WRAP_CAP);
                    ASSERT_TRUE(!clean || (size_t)c == m.n);
                    r = 0;
                    break;
                }
                }
                if (!wrap_documented(r, tmo))
                    test__fail(__FILE__, __LINE__,
                               "start %#llx round %d call %d: %s",
                               (unsigned long long)at, round, i,
                               coord_err_name(r));
                eproto += r == COORD_EPROTO;
                calls++;
                ASSERT_TRUE(robust_list_empty());
            }
            coord_queue_destroy(q);
        }
    }
    printf("# %llu calls, %llu EPROTO\n", (unsigned long long)calls,
           (unsigned long long)eproto);
    ASSERT_GT(eproto, 0); /* the writes reached the calls */
    free(mem);
    return 0;
}

/* A queue whose positions are near 2^32 (the slots' sequence numbers
 * wrap), k * 2^32 or 2^63 (HEAD_FROZEN), some of its bytes rewritten,
 * used with timeout 0 and 1 ms: documented codes only, no bad length, no
 * lock left, and it ends (tests/fuzz/fuzz-queue.c's mode bits 3 to 7 with
 * any bytes). */
TEST(queue_mutated_at_wrapping_positions)
{
    test_join_ok(test_fork(wrap_mutated_calls, NULL), 60000);
}

struct nsq {
    const char *name;
    int ready[2], go[2];
};

/* Pid 1 of one namespace: hold the consumer lock (as the pool's look into
 * a queue does) until told to let go. */
static int nsq_holder(void *arg)
{
    struct nsq *a = arg;
    coord_queue *q;
    char c = 1;
    if (coord_queue_open(&q, a->name) != 0 || coord__queue_hold_get(q) != 0)
        return 1;
    if (write(a->ready[1], &c, 1) != 1 || read(a->go[0], &c, 1) != 1)
        return 2;
    coord__queue_release_get(q);
    coord_queue_destroy(q);
    return 0;
}

/* Pid 1 of another namespace: a get while the other side holds the lock
 * must wait for it (and time out here), nothing more. */
static int nsq_getter(void *arg)
{
    struct nsq *a = arg;
    coord_queue *q;
    char buf[16];
    size_t len;
    if (coord_queue_open(&q, a->name) != 0)
        return 1;
    int r = coord_queue_get(q, buf, sizeof buf, &len, 300);
    coord_queue_destroy(q);
    return r == COORD_ETIMEDOUT ? 0 : 10 + (-r & 0x7f);
}

/* Two processes in two pid namespaces (two containers sharing /dev/shm)
 * have the same pid, 1, and so the same thread id: a robust mutex's owner
 * word names the holder by that id. A get of the one that found the other
 * holding the consumer lock took the lock for its own (EDEADLK) and
 * marked the queue broken for every process: the message in it lost. */
TEST(queue_side_lock_held_by_same_tid_of_another_pidns)
{
    char name[64];
    coord_queue *q;
    test_shm_name(name, sizeof name, "nstid");
    ASSERT_OK(coord_queue_create_named(&q, name, 4, 16));
    ASSERT_OK(coord_queue_put(q, "kept", 4, 0));
    struct nsq a = {name, {-1, -1}, {-1, -1}};
    ASSERT_OK(pipe(a.ready));
    ASSERT_OK(pipe(a.go));
    pid_t h = test_fork_in_new_pidns(nsq_holder, &a);
    ASSERT_TRUE(h > 0);
    close(a.ready[1]); /* a holder that ends early: EOF, not a wait */
    a.ready[1] = -1;
    char c;
    struct pollfd pf = {a.ready[0], POLLIN, 0};
    if (poll(&pf, 1, 20000) != 1 || read(a.ready[0], &c, 1) != 1) {
        int st;
        kill(h, SIGKILL);
        waitpid(h, &st, 0);
        close(a.ready[0]), close(a.go[0]), close(a.go[1]);
        coord_queue_destroy(q);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
            SKIP("unshare(CLONE_NEWPID) is not permitted here (needs root "
                 "or a user namespace)");
        ASSERT_TRUE(!"the holder in its namespace did not start");
    }
    pid_t g = test_fork_in_new_pidns(nsq_getter, &a);
    ASSERT_TRUE(g > 0);
    int st = test_wait(g, 20000);
    c = 1;
    ASSERT_EQ(write(a.go[1], &c, 1), 1);
    int hst = test_wait(h, 20000);
    ASSERT_TRUE(WIFEXITED(hst) && WEXITSTATUS(hst) == 0);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0); /* the getter timed out, as behind any holder */
    char buf[16];
    size_t len = 0;
    ASSERT_OK(coord_queue_get(q, buf, sizeof buf, &len, 1000));
    ASSERT_EQ(len, 4);
    ASSERT_TRUE(memcmp(buf, "kept", 4) == 0);
    close(a.ready[0]), close(a.go[0]), close(a.go[1]);
    coord_queue_destroy(q);
}

#define TEST_LIST(X)                                                           \
    X(queue_planted_length_is_eproto)                                          \
    X(queue_put_meets_a_word_no_queue_holds)                                   \
    X(queue_put_meets_the_lap_befores_claim)                                   \
    X(queue_lock_kind_rewritten_is_eproto)                                     \
    X(queue_forged_owner_words_with_timeout_0)                                 \
    X(queue_mutated_while_used)                                                \
    X(queue_mutated_at_wrapping_positions)                                     \
    X(queue_side_lock_held_by_same_tid_of_another_pidns)
#define HELPER_LIST(X)
TEST_MAIN()
