/* SPDX-License-Identifier: MIT */
/* torture-pool.c: SIGKILLs into a running pool; every task accounted for exactly once. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torture.h"

#define WORKERS 4
#define WINDOW 64            /* tasks kept in flight */
#define FAIL_EVERY 97        /* task ids the callback fails on purpose */
#define STALL_NS 30000000000ull /* no result for this long: a hang */

/* Task: its id (8 bytes). Result: tt_mix(id), after a little work so that
 * kills land in the middle of tasks as well as between them. */
static int task_fn(const void *task, size_t task_len, void *result,
                   size_t result_cap, size_t *result_len, void *arg)
{
    (void)arg;
    uint64_t id;
    if (task_len != sizeof id || result_cap < sizeof id)
        return -EINVAL;
    memcpy(&id, task, sizeof id);
    volatile uint64_t x = id;
    for (unsigned i = 0; i < (unsigned)(tt_mix(id) % 20000); i++)
        x = tt_mix(x);
    if (id % FAIL_EVERY == 0)
        return -EDOM;
    uint64_t v = tt_mix(id);
    memcpy(result, &v, sizeof v);
    *result_len = sizeof v;
    return 0;
}

struct acct {
    uint8_t *seen; /* results per task id */
    size_t cap;
    int shown;     /* wrong results printed so far */
};

static void account(struct acct *a, const coord_task_result *res,
                    const uint64_t *val, struct tt_row *r)
{
    if (res->id >= a->cap || a->seen[res->id] == 255) {
        r->wrong++;
        return;
    }
    a->seen[res->id]++;
    if (res->attempts > 1)
        r->retried++;
    bool ok = false;
    if (res->status == 0) {
        ok = res->len == sizeof *val && *val == tt_mix(res->id);
        r->ok += ok;
    } else if (res->status == -EDOM) {
        ok = res->id % FAIL_EVERY == 0;
        r->reported += ok;
    } else if (res->status == COORD_EPEERDIED) {
        /* Its worker died on every attempt: reported with the cause. */
        ok = strstr(res->cause, "signal 9") != NULL;
        r->reported += ok;
    }
    if (!ok) {
        r->wrong++;
        if (a->shown++ < 5)
            fprintf(stderr, "torture pool: task %llu: status %d (%s), "
                            "attempts %u, cause '%s', len %zu\n",
                    (unsigned long long)res->id, res->status,
                    coord_err_name(res->status), res->attempts, res->cause,
                    res->len);
    }
}

/* Take results (waiting at most wait_ms for the first). Returns how many. */
static unsigned drain(coord_pool *p, struct acct *a, int wait_ms,
                      struct tt_row *r)
{
    unsigned got = 0;
    for (;;) {
        coord_task_result res;
        uint64_t val = 0;
        int rc = coord_pool_result(p, &res, &val, sizeof val,
                                   got ? 0 : wait_ms);
        if (rc != 0) {
            if (rc != COORD_EAGAIN && rc != COORD_ETIMEDOUT &&
                rc != COORD_ENODATA) {
                fprintf(stderr, "torture pool: result: %s\n",
                        coord_err_name(rc));
                r->wrong++;
            }
            return got;
        }
        account(a, &res, &val, r);
        got++;
    }
}

void tt_pool(const struct tt_plan *plan, struct tt_row *r)
{
    uint64_t rnd = plan->seed ^ 0x706f6f6cull;
    coord_pool_opts o;
    coord_pool_opts_init(&o);
    o.workers = WORKERS;
    o.retries = 2;
    o.max_task = 8;
    o.max_result = 8;
    o.queue_capacity = 256;
    coord_pool *p;
    int rc = coord_pool_start(&p, &o, task_fn, NULL);
    if (rc) {
        fprintf(stderr, "torture pool: start: %s\n", coord_err_name(rc));
        r->wrong++;
        return;
    }
    struct acct a = {NULL, 0, 0};
    uint64_t submitted = 0, done = 0, last_progress = coord_clock_ns();
    while (r->kills < plan->pool_kills) {
        /* Keep WINDOW tasks in flight. */
        while (submitted - done < WINDOW) {
            if (submitted == a.cap) {
                size_t nc = a.cap ? a.cap * 2 : 65536;
                uint8_t *ns = realloc(a.seen, nc);
                if (!ns) {
                    r->wrong++;
                    goto out;
                }
                memset(ns + a.cap, 0, nc - a.cap);
                a.seen = ns;
                a.cap = nc;
            }
            uint64_t id;
            rc = coord_pool_submit(p, &submitted, sizeof submitted, &id,
                                   10000);
            if (rc == COORD_ETIMEDOUT) {
                r->hangs++;
                goto out;
            }
            if (rc || id != submitted) {
                fprintf(stderr, "torture pool: submit: %s (id %llu for "
                                "task %llu)\n", coord_err_name(rc),
                        (unsigned long long)id,
                        (unsigned long long)submitted);
                r->wrong++;
                goto out;
            }
            submitted++;
        }
        /* Kill a random live worker about every other turn. */
        if (tt_rand(&rnd) % 2 == 0) {
            coord_pool_worker_stats ws;
            unsigned w = (unsigned)(tt_rand(&rnd) % WORKERS);
            if (coord_pool_get_worker_stats(p, w, &ws) == 0 && ws.alive &&
                ws.pid > 0 && kill(ws.pid, SIGKILL) == 0)
                r->kills++;
        }
        unsigned got = drain(p, &a, (int)(tt_rand(&rnd) % 4), r);
        done += got;
        uint64_t now = coord_clock_ns();
        if (got)
            last_progress = now;
        else if (now - last_progress > STALL_NS) {
            fprintf(stderr, "torture pool: no result for 30 s\n");
            r->hangs++;
            goto out;
        }
    }
    /* Stop killing: every task must now get its result. */
    rc = coord_pool_shutdown(p, 120000);
    if (rc) {
        fprintf(stderr, "torture pool: shutdown: %s\n", coord_err_name(rc));
        r->hangs++;
    }
    while (drain(p, &a, 0, r) > 0) {
    }
out:
    r->items = submitted;
    for (uint64_t id = 0; id < submitted; id++) {
        if (a.seen[id] == 0)
            r->lost++;
        else if (a.seen[id] > 1)
            r->dup += a.seen[id] - 1u;
    }
    coord_pool_stats st;
    memset(&st, 0, sizeof st);
    coord_pool_get_stats(p, &st);
    snprintf(r->note, sizeof r->note,
             "%u workers, retries 2: deaths %llu, restarts %llu, tasks "
             "resubmitted %llu, failed on purpose every %d ids",
             WORKERS, (unsigned long long)st.deaths,
             (unsigned long long)st.restarts, (unsigned long long)st.retried,
             FAIL_EVERY);
    coord_pool_destroy(p);
    free(a.seen);
}
