/* SPDX-License-Identifier: MIT */
/* torture-manager.c: garbage, half frames, idle connections and killed clients, then streaming clients killed while they take turns, while a healthy client keeps getting answers. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "torture.h"

#define MAX_CLIENTS 24
#define IDLE_CONNS 40   /* more than MAX_CLIENTS */
#define DEADLINE_MS 300 /* handshake_ms and stall_ms */
#define CALL_MS 5000    /* the healthy client's per-call timeout */

/* What the abusers count, shared with the driver. */
struct mshared {
    atomic_int stop;
    _Atomic uint64_t garbage, half, idle_closed, refused, killed_clients;
    _Atomic uint64_t killed_streamers; /* the turns phase's kills */
    _Atomic uint64_t not_closed; /* connections the server kept too long */
};

struct mctx {
    struct mshared *sh;
    const char *path;
    uint64_t seed;
    bool half; /* frame_abuser: half frames rather than garbage */
};

/* A raw connection, or -1 (refused: the server is full, or busy). */
static int raw_connect(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Read until the server closes `fd` (what it sends is dropped); false when
 * it is still open after 10 s, far past DEADLINE_MS. */
static bool closed_by_server(int fd)
{
    uint64_t dl = coord_clock_ns() + 10000000000ull;
    char b[256];
    for (;;) {
        uint64_t now = coord_clock_ns();
        if (now >= dl)
            return false;
        struct pollfd p = {fd, POLLIN, 0};
        int n = poll(&p, 1, (int)((dl - now) / 1000000) + 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            continue;
        ssize_t k = recv(fd, b, sizeof b, MSG_DONTWAIT);
        if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR))
            return true;
    }
}

/* Bytes on fresh connections that the server must close: random ones
 * (sometimes with a plausible length prefix), answered with an error or
 * closed at the handshake deadline (c->half false); or a frame header
 * announcing 1000 bytes and a few of them, then silence, closed at the
 * deadline (c->half true). */
static int frame_abuser(void *arg)
{
    struct mctx *c = arg;
    uint64_t rnd = c->seed;
    while (!atomic_load(&c->sh->stop)) {
        int fd = raw_connect(c->path);
        if (fd < 0) {
            atomic_fetch_add(&c->sh->refused, 1);
            tt_sleep_us(1000);
            continue;
        }
        uint8_t b[300] = {0xe8, 0x03, 0, 0, 1, 3, 1, 0};
        size_t n = 4 + (size_t)(tt_rand(&rnd) % 20);
        if (!c->half) {
            n = 1 + (size_t)(tt_rand(&rnd) % sizeof b);
            for (size_t i = 0; i < n; i++)
                b[i] = (uint8_t)tt_rand(&rnd);
            if (tt_rand(&rnd) % 2) {
                uint32_t len = (uint32_t)(tt_rand(&rnd) % 600);
                memcpy(b, &len, n < 4 ? n : 4);
            }
        }
        if (send(fd, b, n, MSG_NOSIGNAL) == (ssize_t)n)
            atomic_fetch_add(closed_by_server(fd)
                                 ? (c->half ? &c->sh->half : &c->sh->garbage)
                                 : &c->sh->not_closed,
                             1);
        close(fd);
    }
    return 0;
}

/* IDLE_CONNS silent connections, reopened as the server closes them. */
static int idle_abuser(void *arg)
{
    struct mctx *c = arg;
    int fd[IDLE_CONNS];
    uint64_t opened[IDLE_CONNS];
    for (int i = 0; i < IDLE_CONNS; i++)
        fd[i] = -1;
    while (!atomic_load(&c->sh->stop)) {
        struct pollfd p[IDLE_CONNS];
        int np = 0, map[IDLE_CONNS];
        uint64_t now = coord_clock_ns();
        for (int i = 0; i < IDLE_CONNS; i++) {
            if (fd[i] < 0) {
                fd[i] = raw_connect(c->path);
                opened[i] = now;
                if (fd[i] < 0) {
                    atomic_fetch_add(&c->sh->refused, 1);
                    continue;
                }
            }
            if (now - opened[i] > 10000000000ull) {
                atomic_fetch_add(&c->sh->not_closed, 1);
                close(fd[i]);
                fd[i] = -1;
                continue;
            }
            p[np] = (struct pollfd){fd[i], POLLIN, 0};
            map[np++] = i;
        }
        if (poll(p, (nfds_t)np, 20) <= 0)
            continue;
        for (int j = 0; j < np; j++) {
            if (!p[j].revents)
                continue;
            char b[64];
            ssize_t k = recv(p[j].fd, b, sizeof b, MSG_DONTWAIT);
            if (k > 0 || (k < 0 && errno == EAGAIN))
                continue; /* the refusal's ERR frame: the close follows */
            close(p[j].fd);
            fd[map[j]] = -1;
            atomic_fetch_add(&c->sh->idle_closed, 1);
        }
    }
    for (int i = 0; i < IDLE_CONNS; i++)
        if (fd[i] >= 0)
            close(fd[i]);
    return 0;
}

/* A real client sending big batches, to be SIGKILLed mid-request. */
static int busy_client(void *arg)
{
    struct mctx *c = arg;
    coord_mclient *m;
    if (coord_mclient_connect(&m, c->path, CALL_MS) != 0)
        return 0; /* full: the killer kills it anyway */
    static char blob[8192];
    coord_mval v = coord_mval_bytes(blob, sizeof blob);
    for (;;) {
        coord_mreq q[16];
        for (int i = 0; i < 16; i++)
            q[i] = (coord_mreq){.op = COORD_MOP_SET, .name = "abuse",
                                .key = "k", .value = v};
        coord_mclient_batch(m, q, 16, CALL_MS);
    }
}

static int killer_abuser(void *arg)
{
    struct mctx *c = arg;
    uint64_t rnd = c->seed;
    while (!atomic_load(&c->sh->stop)) {
        pid_t pid = tt_fork(busy_client, c);
        tt_sleep_us((unsigned)(tt_rand(&rnd) % 20000));
        kill(pid, SIGKILL);
        if (tt_wait(pid, 10000) != -1)
            atomic_fetch_add(&c->sh->killed_clients, 1);
    }
    return 0;
}

/* A client getting back to back through its mailbox (so it takes turns
 * with the others when they outnumber the CPUs), to be SIGKILLed anywhere:
 * holding a turn, waiting for one, or handing one on. */
static int stream_client(void *arg)
{
    struct mctx *c = arg;
    coord_mclient *m;
    if (coord_mclient_connect(&m, c->path, CALL_MS) != 0)
        return 0;
    coord_mval v;
    for (;;)
        coord_mclient_get(m, "healthy", "n", &v, CALL_MS);
}

/* Keeps `STREAMERS` stream clients alive, SIGKILLing one at random every
 * 0-20 ms and starting another in its place. */
#define STREAMERS 6
static int streamer_killer(void *arg)
{
    struct mctx *c = arg;
    uint64_t rnd = c->seed;
    pid_t live[STREAMERS];
    for (int i = 0; i < STREAMERS; i++)
        live[i] = tt_fork(stream_client, c);
    while (!atomic_load(&c->sh->stop)) {
        tt_sleep_us((unsigned)(tt_rand(&rnd) % 20000));
        int i = (int)(tt_rand(&rnd) % STREAMERS);
        kill(live[i], SIGKILL);
        if (tt_wait(live[i], 10000) != -1)
            atomic_fetch_add(&c->sh->killed_streamers, 1);
        live[i] = tt_fork(stream_client, c);
    }
    for (int i = 0; i < STREAMERS; i++) {
        kill(live[i], SIGKILL);
        tt_wait(live[i], 10000);
    }
    return 0;
}

/* Connect, retrying while the server refuses, for at most ms. */
static int connect_within(coord_mclient **out, const char *path, int ms)
{
    uint64_t dl = coord_clock_ns() + (uint64_t)ms * 1000000;
    int rc;
    while ((rc = coord_mclient_connect(out, path, CALL_MS)) ==
               COORD_ECONNREFUSED &&
           coord_clock_ns() < dl)
        tt_sleep_us(2000);
    return rc;
}

/* One checked step of the healthy client: incr, then get it back. */
static void healthy_step(coord_mclient *c, int64_t *expect, struct tt_row *r)
{
    int64_t nv = 0;
    coord_mval v;
    int rc = coord_mclient_incr(c, "healthy", "n", 1, &nv, CALL_MS);
    r->items++;
    if (rc == 0 && nv == *expect + 1) {
        r->ok++;
        *expect = nv;
    } else {
        fprintf(stderr, "torture manager: incr: %s, %lld for %lld\n",
                coord_err_name(rc), (long long)nv, (long long)*expect + 1);
        *(rc == COORD_ETIMEDOUT ? &r->hangs : &r->wrong) += 1;
        return;
    }
    rc = coord_mclient_get(c, "healthy", "n", &v, CALL_MS);
    r->items++;
    if (rc == 0 && v.type == COORD_MI64 && v.i == *expect) {
        r->ok++;
    } else {
        fprintf(stderr, "torture manager: get: %s\n", coord_err_name(rc));
        *(rc == COORD_ETIMEDOUT ? &r->hangs : &r->wrong) += 1;
    }
}

void tt_manager(const struct tt_plan *plan, struct tt_row *r)
{
    struct mshared *sh = tt_shared(sizeof *sh);
    coord_manager_opts o;
    coord_manager_opts_init(&o);
    o.max_clients = MAX_CLIENTS;
    o.handshake_ms = DEADLINE_MS;
    o.stall_ms = DEADLINE_MS;
    coord_manager *m;
    int rc = coord_manager_start(&m, NULL, &o);
    if (rc) {
        fprintf(stderr, "torture manager: start: %s\n", coord_err_name(rc));
        r->wrong++;
        return;
    }
    char path[128];
    snprintf(path, sizeof path, "%s", coord_manager_path(m));
    coord_mclient *c;
    rc = connect_within(&c, path, 10000);
    if (rc) {
        fprintf(stderr, "torture manager: connect: %s\n", coord_err_name(rc));
        r->wrong++;
        coord_manager_stop(m, 10000);
        return;
    }
    static int (*const abusers[])(void *) = {frame_abuser, frame_abuser,
                                             idle_abuser, killer_abuser};
    enum { NA = sizeof abusers / sizeof abusers[0] };
    struct mctx ctx[NA];
    pid_t pid[NA];
    for (int i = 0; i < NA; i++) {
        ctx[i] = (struct mctx){sh, path, plan->seed ^ (uint64_t)(i + 1),
                               i == 1};
        pid[i] = tt_fork(abusers[i], &ctx[i]);
    }
    /* The healthy client keeps asking; now and then a fresh client
     * connects (retrying while the slots are taken). */
    int64_t expect = 0;
    uint64_t fresh_ok = 0, fresh_late = 0;
    uint64_t end = coord_clock_ns() + (uint64_t)plan->manager_ms * 1000000;
    uint64_t next_fresh = 0;
    while (coord_clock_ns() < end) {
        healthy_step(c, &expect, r);
        if (coord_clock_ns() >= next_fresh) {
            coord_mclient *f;
            if (connect_within(&f, path, 5000) == 0) {
                fresh_ok++;
                coord_mclient_close(f);
            } else {
                fresh_late++;
            }
            next_fresh = coord_clock_ns() + 200000000;
        }
    }
    atomic_store(&sh->stop, 1);
    for (int i = 0; i < NA; i++)
        if (tt_wait(pid[i], 30000) == -1)
            r->hangs++;
    /* Turns (src/wait.h, 5.): the healthy client streams beside STREAMERS
     * stream clients (more than the member slots on a machine with fewer
     * than STREAMERS + 2 CPUs), one of them SIGKILLed and replaced every
     * 0-20 ms; every answer must come, and be right. */
    atomic_store(&sh->stop, 0);
    struct mctx sctx = {sh, path, plan->seed ^ 0x5eedu, false};
    pid_t streamers = tt_fork(streamer_killer, &sctx);
    end = coord_clock_ns() + (uint64_t)plan->manager_ms * 1000000 / 4;
    while (coord_clock_ns() < end)
        healthy_step(c, &expect, r);
    atomic_store(&sh->stop, 1);
    if (tt_wait(streamers, 60000) == -1)
        r->hangs++;
    /* The abuse is over: its connections go (at the deadline at most), and
     * the healthy client is still served. */
    coord_manager_stats st;
    memset(&st, 0, sizeof st);
    uint64_t dl = coord_clock_ns() + 10000000000ull;
    while ((rc = coord_mclient_stats(c, &st, CALL_MS)) == 0 &&
           st.clients > 1 && coord_clock_ns() < dl)
        tt_sleep_us(10000);
    if (rc || st.clients != 1) {
        fprintf(stderr, "torture manager: %llu connections left after the "
                        "abuse (%s)\n", (unsigned long long)st.clients,
                coord_err_name(rc));
        r->wrong++;
    }
    healthy_step(c, &expect, r);
    coord_mclient *f;
    if (connect_within(&f, path, 5000) == 0)
        coord_mclient_close(f);
    else
        r->wrong++;
    coord_mclient_close(c);
    r->kills = atomic_load(&sh->killed_clients) +
               atomic_load(&sh->killed_streamers);
    r->wrong += atomic_load(&sh->not_closed);
    snprintf(r->note, sizeof r->note,
             "max_clients %d, deadlines %d ms: %llu garbage and %llu half "
             "frames closed, %llu idle closed, %llu refusals, fresh clients "
             "%llu in / %llu kept out 5 s, server saw %llu malformed; "
             "then %llu streaming clients killed beside the healthy one",
             MAX_CLIENTS, DEADLINE_MS,
             (unsigned long long)atomic_load(&sh->garbage),
             (unsigned long long)atomic_load(&sh->half),
             (unsigned long long)atomic_load(&sh->idle_closed),
             (unsigned long long)atomic_load(&sh->refused),
             (unsigned long long)fresh_ok, (unsigned long long)fresh_late,
             (unsigned long long)st.malformed,
             (unsigned long long)atomic_load(&sh->killed_streamers));
    rc = coord_manager_stop(m, 10000);
    if (rc) {
        fprintf(stderr, "torture manager: stop: %s\n", coord_err_name(rc));
        r->wrong++;
    }
    struct stat sb;
    if (lstat(path, &sb) == 0)
        r->shm_left++; /* the socket outlived its server */
}
