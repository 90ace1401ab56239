/* SPDX-License-Identifier: MIT */
/* torture-queue.c: 4 producers and 4 consumers SIGKILLed at random; every committed message delivered exactly once. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "torture.h"

#define NP 4
#define NC 4
#define MAXSEQ (1u << 22) /* messages per producer, at most */
#define MAGIC 0x746f7274u

/* A message: who, which, and a check that a torn copy cannot pass. */
struct msg {
    uint32_t producer;
    uint32_t magic;
    uint64_t seq;
    uint64_t check;
};

enum { S_NONE = 0, S_PUTTING = 1, S_COMMITTED = 2 };

/* Shared by the driver and every producer and consumer incarnation. */
struct qshared {
    _Atomic uint64_t next[NP]; /* next sequence number of each producer */
    atomic_int stop;           /* producers: stop putting */
    _Atomic uint64_t bad;      /* torn, unknown or out-of-order messages */
    /* Each consumer gets straight into its record: a consumer killed
     * after its get committed leaves the message there. */
    struct {
        struct msg m;
        char pad[64 - sizeof(struct msg)];
    } rec[NC];
    _Atomic uint8_t state[NP][MAXSEQ]; /* S_* per message */
    _Atomic uint8_t seen[NP][MAXSEQ];  /* deliveries per message */
};

struct qctx {
    struct qshared *sh;
    char name[64];
    int index;
};

static uint64_t msg_check(uint32_t p, uint64_t seq)
{
    return tt_mix(((uint64_t)p << 40) ^ seq ^ MAGIC);
}

static bool msg_valid(const struct msg *m)
{
    return m->magic == MAGIC && m->producer < NP && m->seq < MAXSEQ &&
           m->check == msg_check(m->producer, m->seq);
}

static int producer(void *arg)
{
    struct qctx *c = arg;
    struct qshared *sh = c->sh;
    coord_queue *q;
    if (coord_queue_open(&q, c->name) != 0)
        return 3;
    uint32_t p = (uint32_t)c->index;
    while (!atomic_load(&sh->stop)) {
        /* Taken before the put: a killed incarnation's number is never
         * reused, so "in doubt" stays a property of one message. */
        uint64_t seq = atomic_fetch_add(&sh->next[p], 1);
        if (seq >= MAXSEQ) {
            /* Out of numbers: idle (and killable) until the driver stops. */
            while (!atomic_load(&sh->stop))
                tt_sleep_us(1000);
            break;
        }
        atomic_store(&sh->state[p][seq], S_PUTTING);
        struct msg m = {p, MAGIC, seq, msg_check(p, seq)};
        int rc;
        while ((rc = coord_queue_put(q, &m, sizeof m, 200)) ==
                   COORD_ETIMEDOUT &&
               !atomic_load(&sh->stop)) {
        }
        if (rc == COORD_ETIMEDOUT)
            break; /* not committed, and never will be */
        if (rc != 0)
            return 4;
        atomic_store(&sh->state[p][seq], S_COMMITTED);
    }
    coord_queue_destroy(q);
    return 0;
}

static int consumer(void *arg)
{
    struct qctx *c = arg;
    struct qshared *sh = c->sh;
    coord_queue *q;
    if (coord_queue_open(&q, c->name) != 0)
        return 3;
    struct msg *rec = &sh->rec[c->index].m;
    int64_t last[NP] = {-1, -1, -1, -1};
    for (;;) {
        memset(rec, 0, sizeof *rec);
        size_t len = 0;
        int rc = coord_queue_get(q, rec, sizeof *rec, &len, 200);
        if (rc == COORD_ETIMEDOUT)
            continue;
        if (rc == COORD_PILL)
            break;
        if (rc != 0)
            return 4;
        if (len != sizeof *rec || !msg_valid(rec) ||
            (int64_t)rec->seq <= last[rec->producer]) {
            atomic_fetch_add(&sh->bad, 1); /* torn, or FIFO broken */
            continue;
        }
        last[rec->producer] = (int64_t)rec->seq;
        atomic_fetch_add(&sh->seen[rec->producer][rec->seq], 1);
    }
    coord_queue_destroy(q);
    return 0;
}

void tt_queue(const struct tt_plan *plan, struct tt_row *r)
{
    uint64_t rnd = plan->seed ^ 0x71756575ull;
    struct qshared *sh = tt_shared(sizeof *sh);
    uint8_t(*dead)[MAXSEQ] = calloc(NP, MAXSEQ);
    if (!dead) {
        r->wrong++;
        return;
    }
    struct qctx ctx[NP + NC];
    coord_queue *q;
    char name[64];
    snprintf(name, sizeof name, "torture-%d-q", (int)getpid());
    int rc = coord_queue_create_named(&q, name, 64, sizeof(struct msg));
    if (rc) {
        fprintf(stderr, "torture queue: create: %s\n", coord_err_name(rc));
        r->wrong++;
        free(dead);
        return;
    }
    pid_t pid[NP + NC];
    for (int i = 0; i < NP + NC; i++) {
        ctx[i].sh = sh;
        snprintf(ctx[i].name, sizeof ctx[i].name, "%s", name);
        ctx[i].index = i < NP ? i : i - NP;
        pid[i] = tt_fork(i < NP ? producer : consumer, &ctx[i]);
    }
    uint64_t pkills = 0, ckills = 0, harvested = 0;
    while (r->kills < plan->queue_kills) {
        tt_sleep_us((unsigned)(tt_rand(&rnd) % 3000));
        int k = (int)(tt_rand(&rnd) % (NP + NC));
        kill(pid[k], SIGKILL);
        int st = tt_wait(pid[k], 10000);
        if (st == -1) {
            r->hangs++;
        } else if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL) {
            fprintf(stderr, "torture queue: %s %d ended with status %#x "
                            "before its kill\n",
                    k < NP ? "producer" : "consumer", ctx[k].index, st);
            r->wrong++;
        } else {
            r->kills++;
            if (k < NP)
                pkills++;
            else
                ckills++;
        }
        if (k >= NP) {
            /* The dead consumer's record: a message its get may have
             * committed (counted only if nobody else delivers it). */
            const struct msg *m = &sh->rec[ctx[k].index].m;
            if (msg_valid(m)) {
                dead[m->producer][m->seq]++;
                harvested++;
            }
        }
        pid[k] = tt_fork(k < NP ? producer : consumer, &ctx[k]);
    }
    /* No more kills: producers stop, then one pill per consumer. */
    atomic_store(&sh->stop, 1);
    for (int i = 0; i < NP; i++) {
        int st = tt_wait(pid[i], 30000);
        if (st == -1)
            r->hangs++;
        else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            r->wrong++;
    }
    for (int i = 0; i < NC; i++) {
        rc = coord_queue_put_pill(q, 30000);
        if (rc == COORD_ETIMEDOUT)
            r->hangs++;
        else if (rc)
            r->wrong++;
    }
    for (int i = NP; i < NP + NC; i++) {
        int st = tt_wait(pid[i], 30000);
        if (st == -1)
            r->hangs++;
        else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            r->wrong++;
    }
    long left = coord_queue_count(q);
    coord_queue_destroy(q);
    r->shm_left += tt_shm_leftovers("coord.torture-");

    uint64_t in_doubt = 0, doubt_seen = 0, to_dead = 0;
    for (uint32_t p = 0; p < NP; p++) {
        uint64_t n = atomic_load(&sh->next[p]);
        if (n > MAXSEQ)
            n = MAXSEQ;
        for (uint64_t s = 0; s < n; s++) {
            unsigned st = atomic_load(&sh->state[p][s]);
            unsigned seen = atomic_load(&sh->seen[p][s]);
            if (seen > 1)
                r->dup += seen - 1;
            if (st == S_COMMITTED) {
                r->items++;
                if (seen >= 1)
                    r->ok++;
                else if (dead[p][s]) /* taken by a consumer then killed */
                    to_dead++;
                else
                    r->lost++;
            } else {
                /* Killed inside put (or never put): delivered at most
                 * once, and either way is right. */
                in_doubt++;
                doubt_seen += seen == 1;
            }
        }
    }
    r->retried = to_dead;
    r->wrong += atomic_load(&sh->bad) + (left != 0);
    snprintf(r->note, sizeof r->note,
             "%d producers x %d consumers: %llu producer and %llu consumer "
             "kills, %llu puts cut by a kill (%llu of them delivered), %llu "
             "dead consumers' buffers held a message, %ld left queued",
             NP, NC, (unsigned long long)pkills, (unsigned long long)ckills,
             (unsigned long long)in_doubt, (unsigned long long)doubt_seen,
             (unsigned long long)harvested, left);
    free(dead);
}
