/* SPDX-License-Identifier: MIT */
/* queue-probes.c: `coord queue`'s fault probes, run on coord (forked processes, SIGKILL) and in Python. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <coord.h>

#include "cli.h"
#include "json.h"
#include "progress.h"
#include "launch.h"
#include "queue-probes.h"


static int probe_task(const void *task, size_t len, void *result, size_t cap,
                      size_t *out, void *arg)
{
    (void)arg;
    uint32_t x;
    if (len != sizeof x || cap < sizeof x)
        return COORD_EINVAL;
    memcpy(&x, task, sizeof x);
    if (x == 3)
        raise(SIGKILL);
    usleep(10000);
    x *= x;
    memcpy(result, &x, sizeof x);
    *out = sizeof x;
    return 0;
}

/* (a) map over a pool whose worker is SIGKILLed mid-task returns. */
void queue_probe_pool(struct probe *pr)
{
    coord_pool_opts o;
    coord_pool_opts_init(&o);
    o.workers = 2;
    o.max_task = o.max_result = sizeof(uint32_t);
    coord_pool *p;
    if (coord_pool_start(&p, &o, probe_task, NULL) != 0) {
        snprintf(pr->detail, sizeof pr->detail, "pool did not start");
        return;
    }
    uint32_t tasks[8], out[8];
    coord_task_result info[8];
    for (uint32_t i = 0; i < 8; i++)
        tasks[i] = i;
    uint64_t t0 = coord_clock_ns();
    int failed = coord_pool_map(p, tasks, 8, sizeof tasks[0], out,
                                sizeof out[0], info, 3000);
    int r = failed < 0 ? failed : coord_pool_shutdown(p, 3000);
    double ms = (double)(coord_clock_ns() - t0) / 1e6;
    int done = failed < 0 ? 0 : 8;
    char cause[64] = "";
    bool right = failed >= 0;
    for (uint32_t i = 0; failed >= 0 && i < 8; i++) {
        if (info[i].status != 0)
            snprintf(cause, sizeof cause, "%s", info[i].cause);
        else if (out[i] != i * i)
            right = false;
    }
    coord_pool_destroy(p);
    pr->ok = r == 0 && done == 8 && failed == 1 && right &&
             info[3].status == COORD_EPEERDIED;
    /* Say what happened to task 3, not what should have. */
    char t3[96];
    if (failed < 0)
        snprintf(t3, sizeof t3, "map failed: %s", coord_strerror(failed));
    else if (info[3].status != 0)
        snprintf(t3, sizeof t3, "task 3 failed (%s)", cause);
    else
        snprintf(t3, sizeof t3, "task 3 did not fail");
    snprintf(pr->detail, sizeof pr->detail,
             "map returned in %.0f ms: %d results, %.80s, workers %s", ms,
             done, t3, r == 0 ? "joined" : "not joined");
}

void queue_probe_exit_after_put(struct probe *pr)
{
    coord_queue *q;
    if (coord_queue_create(&q, 1000, sizeof(uint32_t)) != 0)
        return;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        for (uint32_t i = 0; i < 1000; i++)
            coord_queue_put(q, &i, sizeof i, COORD_FOREVER);
        _exit(0); /* at once: nothing is buffered in this process */
    }
    if (pid < 0) { /* not the queue's fault: say so */
        snprintf(pr->detail, sizeof pr->detail, "fork failed: %s",
                 strerror(errno));
        coord_queue_destroy(q);
        return;
    }
    int got = 0;
    launch_reap(pid, NULL);
    uint32_t v;
    size_t len;
    while (coord_queue_get(q, &v, sizeof v, &len, 500) == 0)
        got++;
    coord_queue_destroy(q);
    pr->ok = got == 1000;
    snprintf(pr->detail, sizeof pr->detail, "%d of 1000 items arrived", got);
}

void queue_probe_kill_get(struct probe *pr)
{
    coord_queue *q;
    if (coord_queue_create(&q, 16, 16) != 0)
        return;
    fflush(NULL);
    pid_t a = fork();
    if (a == 0) {
        char b[16];
        size_t len;
        coord_queue_get(q, b, sizeof b, &len, COORD_FOREVER);
        _exit(0);
    }
    if (a < 0) { /* kill(-1) would end every process of this user */
        snprintf(pr->detail, sizeof pr->detail, "fork failed: %s",
                 strerror(errno));
        coord_queue_destroy(q);
        return;
    }
    /* As the Python probe (time.sleep, which resumes after a signal): let A
     * block inside get. A usleep that a signal handler without SA_RESTART
     * ended after 0.2 ms killed A before it reached get. */
    struct timespec ts = {0, 200 * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    kill(a, SIGKILL);
    launch_reap(a, NULL);
    coord_queue_put(q, "item", 4, 1000);
    pid_t b = fork();
    if (b == 0) {
        char buf[16];
        size_t len;
        int r = coord_queue_get(q, buf, sizeof buf, &len, 2000);
        _exit(r == 0 && len == 4 && memcmp(buf, "item", 4) == 0 ? 0 : 1);
    }
    int st = -1, e = errno;
    if (b > 0)
        launch_reap(b, &st);
    coord_queue_destroy(q);
    pr->ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    if (b < 0)
        snprintf(pr->detail, sizeof pr->detail, "fork failed: %s",
                 strerror(e));
    else
        snprintf(pr->detail, sizeof pr->detail, "%s",
                 pr->ok ? "the next consumer got the item"
                        : "the next consumer did not get the item");
}

void queue_python_failed(const char *what, const char *why)
{
    static bool said;
    if (said)
        return;
    said = true;
    progress_done();
    cli_error("queue", "Python's %s did not run: %s", what, why);
}

void queue_probe_python(const char *script, const char *skip,
                        struct probe *pr)
{
    if (skip) {
        pr->skipped = skip;
        return;
    }
    struct json *j;
    char why[256];
    if (launch_python_json(script, NULL, LAUNCH_PYTHON_TIMEOUT_MS, NULL, &j,
                           why, sizeof why) != 0) {
        queue_python_failed(script, why);
        pr->skipped = "python run failed";
        return;
    }
    pr->ok = json_true(json_get(j, "ok"));
    const char *detail = json_str(json_get(j, "detail"));
    snprintf(pr->detail, sizeof pr->detail, "%s", detail ? detail : "");
    json_free(j);
}
