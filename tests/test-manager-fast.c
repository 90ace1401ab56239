/* SPDX-License-Identifier: MIT */
/* test-manager-fast.c: the manager's mailbox (src/manager_fast.h): round trips, the pipe fallback, the bells, hostile mailboxes, deaths on either side. */
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "manager-raw.h"
#include "manager_client.h"
#include "manager_fast.h"

static coord_manager *start_spin(int64_t server_spin)
{
    coord_manager_opts o;
    coord_manager_opts_init(&o);
    o.spin_ns = server_spin;
    coord_manager *m;
    ASSERT_OK(coord_manager_start(&m, NULL, &o));
    return m;
}

static uint64_t frames_served(coord_mclient *c)
{
    coord_manager_stats st;
    ASSERT_OK(coord_mclient_stats(c, &st, T));
    return st.frames;
}

/* Small calls go through the mailbox, a reply too big for it comes on the
 * pipe, and the calls after it use the mailbox again; every value is
 * right whichever way it came. */
TEST(mailbox_carries_small_calls_and_big_replies_take_the_pipe)
{
    coord_manager *m = start_spin(0);
    coord_mclient *c = connect_ok(m);
    ASSERT_TRUE(c->fast != NULL);
    coord_mval v, one = coord_mval_i64(1);
    ASSERT_OK(coord_mclient_set(c, "d", "n", &one, T));
    for (int i = 0; i < 1000; i++)
        ASSERT_OK(coord_mclient_incr(c, "d", "n", 1, NULL, T));
    ASSERT_OK(coord_mclient_get(c, "d", "n", &v, T));
    ASSERT_EQ(v.i, 1001);
    /* 20 KB: the SET travels on the pipe (larger than the mailbox), and
     * so does its GET's reply (state PIPE). */
    static char big[20000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 26);
    coord_mval b = coord_mval_bytes(big, sizeof big);
    ASSERT_OK(coord_mclient_set(c, "d", "big", &b, T));
    ASSERT_OK(coord_mclient_get(c, "d", "big", &v, T));
    ASSERT_EQ(v.len, sizeof big);
    ASSERT_EQ(memcmp(v.data, big, sizeof big), 0);
    ASSERT_FALSE(c->fast_off); /* a pipe reply is not a lost one */
    ASSERT_OK(coord_mclient_get(c, "d", "n", &v, T));
    ASSERT_EQ(v.i, 1001);
    /* Frames around the inline slot's size (a request or reply of up to
     * COORD__MF_INLINE bytes shares the state's cache line). */
    for (size_t n = 10; n < 50; n++) {
        b = coord_mval_bytes(big, n);
        ASSERT_OK(coord_mclient_set(c, "d", "in", &b, T));
        ASSERT_OK(coord_mclient_get(c, "d", "in", &v, T));
        ASSERT_EQ(v.len, n);
        ASSERT_EQ(memcmp(v.data, big, n), 0);
    }
    /* A reply of exactly the mailbox's size, then one byte more. */
    uint64_t before = frames_served(c);
    for (size_t n = COORD__MF_CAP - 64; n < COORD__MF_CAP + 64; n++) {
        b = coord_mval_bytes(big, n - 30);
        ASSERT_OK(coord_mclient_set(c, "d", "edge", &b, T));
        ASSERT_OK(coord_mclient_get(c, "d", "edge", &v, T));
        ASSERT_EQ(v.len, n - 30);
        ASSERT_EQ(memcmp(v.data, big, n - 30), 0);
    }
    ASSERT_EQ(frames_served(c) - before, 2 * 128 + 1);
    coord_mclient_close(c);
    stop_ok(m);
}

/* A server that never spins sleeps in epoll_wait before every request:
 * each one rings (a NOP on the request pipe), and a client that never
 * spins sleeps in poll for each reply (a NOP on the reply pipe). Stale
 * bells never make a call return early or wrong. */
TEST(mailbox_bells_wake_a_sleeping_server_and_client)
{
    coord_manager *m = start_spin(-1);
    coord_mclient *c = connect_ok(m), *s = connect_ok(m);
    ASSERT_OK(coord_mclient_set_spin(c, -1));
    coord_mval v;
    for (int i = 0; i < 2000; i++) {
        ASSERT_OK(coord_mclient_incr(c, "d", "n", 1, NULL, T));
        ASSERT_OK(coord_mclient_incr(s, "d", "n", 1, NULL, T));
    }
    ASSERT_OK(coord_mclient_get(c, "d", "n", &v, T));
    ASSERT_EQ(v.i, 4000);
    ASSERT_FALSE(c->fast_off);
    ASSERT_FALSE(s->fast_off);
    coord_mclient_close(c);
    coord_mclient_close(s);
    stop_ok(m);
}

struct many_arg {
    const char *path;
    int n;
};

static int incr_child(void *p)
{
    struct many_arg *a = p;
    coord_mclient *c;
    if (coord_mclient_connect(&c, a->path, T))
        return 3;
    if (getpid() % 2)
        coord_mclient_set_spin(c, -1);
    for (int i = 0; i < a->n; i++)
        if (coord_mclient_incr(c, "ctr", "n", 1, NULL, T))
            return 4;
    coord_mclient_close(c);
    return 0;
}

/* Six processes, half of them never spinning, against a server that
 * spins and one that does not: no increment is lost or doubled. */
TEST(mailbox_six_processes_count_exactly)
{
    for (int k = 0; k < 2; k++) {
        coord_manager *m = start_spin(k ? -1 : 0);
        struct many_arg a = {coord_manager_path(m), 1500};
        pid_t pid[6];
        for (int i = 0; i < 6; i++)
            pid[i] = test_fork(incr_child, &a);
        for (int i = 0; i < 6; i++)
            test_join_ok(pid[i], 60000);
        coord_mclient *c = connect_ok(m);
        coord_mval v;
        ASSERT_OK(coord_mclient_get(c, "ctr", "n", &v, T));
        ASSERT_EQ(v.i, 6 * 1500);
        coord_mclient_close(c);
        stop_ok(m);
    }
}

/* ---- hostile mailboxes --------------------------------------------------- */

static int memfd_of(size_t size, unsigned seals)
{
    int fd = memfd_create("test-mailbox", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    ASSERT_GE(fd, 0);
    ASSERT_OK(ftruncate(fd, (off_t)size));
    if (seals)
        ASSERT_OK(fcntl(fd, F_ADD_SEALS, seals));
    return fd;
}

#define ALL_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

/* The server maps only a memfd of the mailbox's exact size that the
 * client can no longer shrink (else a shrink would fault the server's
 * reads); anything else refuses the handshake with COORD_EBADMSG. */
TEST(mailbox_only_a_sealed_memfd_of_its_size)
{
    coord_manager *m = start_spin(0);
    const char *p = coord_manager_path(m);
    size_t size = coord__mfast_size();
    int rq[2], rp[2];
    ASSERT_OK(pipe(rq));
    ASSERT_OK(pipe(rp));
    int bad[5] = {
        memfd_of(size, 0),                               /* unsealed */
        memfd_of(size, F_SEAL_GROW | F_SEAL_SEAL),       /* can shrink */
        memfd_of(size + 4096, ALL_SEALS),                /* wrong size */
        open("/dev/zero", O_RDWR | O_CLOEXEC),           /* not a memfd */
        -1,
    };
    /* The right memfd, but opened read-only through /proc. */
    int good = memfd_of(size, ALL_SEALS);
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", good);
    bad[4] = open(proc, O_RDONLY | O_CLOEXEC);
    for (int i = 0; i < 5; i++) {
        ASSERT_GE(bad[i], 0);
        int fds[3] = {rq[0], rp[1], bad[i]};
        ASSERT_CODE(raw_expect_err(hello_with_fds(p, fds, 3, NULL, 0)),
                    COORD_EBADMSG);
        close(bad[i]);
    }
    /* The good one: WELCOME says pipes and mailbox. */
    int fds[3] = {rq[0], rp[1], good};
    int s = hello_with_fds(p, fds, 3, NULL, 0);
    uint8_t b[64];
    read_exact(s, b, 32);
    ASSERT_EQ(b[5], COORD__W_WELCOME);
    ASSERT_EQ(b[28], COORD__WELCOME_PIPES | COORD__WELCOME_FAST);
    close(s);
    close(good);
    for (int i = 0; i < 2; i++) {
        close(rq[i]);
        close(rp[i]);
    }
    assert_healthy(m);
    stop_ok(m);
}

/* A raw client with a mailbox, after its handshake. */
struct raw_mb {
    int rq, rp; /* our ends: request pipe's write end, reply's read end */
    struct coord__mfast *f;
};

static struct raw_mb raw_mailbox(const char *path)
{
    int rq[2], rp[2];
    ASSERT_OK(pipe2(rq, O_CLOEXEC));
    ASSERT_OK(pipe2(rp, O_CLOEXEC));
    int mfd = memfd_of(coord__mfast_size(), ALL_SEALS);
    struct raw_mb r = {rq[1], rp[0], NULL};
    r.f = mmap(NULL, coord__mfast_size(), PROT_READ | PROT_WRITE, MAP_SHARED,
               mfd, 0);
    ASSERT_TRUE(r.f != MAP_FAILED);
    int fds[3] = {rq[0], rp[1], mfd};
    int s = hello_with_fds(path, fds, 3, NULL, 0);
    uint8_t b[64];
    read_exact(s, b, 32);
    ASSERT_EQ(b[28], COORD__WELCOME_PIPES | COORD__WELCOME_FAST);
    close(s);
    close(rq[0]);
    close(rp[1]);
    close(mfd);
    return r;
}

static void raw_mailbox_close(struct raw_mb *r)
{
    close(r->rq);
    close(r->rp);
    munmap(r->f, coord__mfast_size());
}

/* Post bytes as a request (the client's side of the protocol, by hand). */
static void post(struct raw_mb *r, const void *frame_bytes, uint32_t len)
{
    if (len <= COORD__MF_CAP)
        memcpy(coord__mfast_req(r->f, len), frame_bytes, len);
    atomic_store(&r->f->req_len, len);
    atomic_store(&r->f->state, COORD__MF_REQ_SLEEP);
    uint8_t nop[COORD__WIRE_HDR];
    coord__mfast_nop(nop);
    ASSERT_EQ(write(r->rq, nop, sizeof nop), (ssize_t)sizeof nop);
}

/* Wait (bounded) for the server to answer a posted request. */
static uint32_t answered(struct raw_mb *r)
{
    uint64_t end = coord_clock_ns() + 10000000000ull;
    for (;;) {
        uint32_t s = atomic_load(&r->f->state);
        if (s == COORD__MF_REPLIED || s == COORD__MF_PIPE)
            return s;
        ASSERT_LT(coord_clock_ns(), end);
        usleep(100);
    }
}

/* A request posted by hand is answered in the mailbox, with a bell on the
 * reply pipe for a client that said it sleeps; a length past the mailbox,
 * or bytes that are no frame, get an ERR on the pipe and the connection is
 * closed, while the server goes on serving others. */
TEST(mailbox_bad_requests_close_only_their_connection)
{
    coord_manager *m = start_spin(0);
    const char *p = coord_manager_path(m);
    uint8_t fb[64], rb[64];
    const uint8_t get[] = {1, 0, 1, 0, 1, 0, 'd', 'k'};
    size_t n = frame(fb, 1, COORD__W_REQ, 1, get, sizeof get);

    struct raw_mb r = raw_mailbox(p);
    post(&r, fb, (uint32_t)n);
    ASSERT_EQ(answered(&r), COORD__MF_REPLIED);
    uint32_t len = atomic_load(&r.f->rep_len);
    ASSERT_EQ(len, 17u); /* header, result code, ENOTFOUND's value type */
    memcpy(rb, coord__mfast_rep(r.f, len), len);
    ASSERT_EQ(rb[5], COORD__W_REP);
    ASSERT_EQ(rb[8], 7); /* the seq frame() wrote, echoed */
    read_exact(r.rp, rb, COORD__WIRE_HDR);
    ASSERT_EQ(rb[5], COORD__W_NOP); /* the bell for a sleeping client */
    raw_mailbox_close(&r);

    /* Lengths outside the mailbox, and garbage of a good length. */
    uint32_t lens[3] = {COORD__MF_CAP + 1, 3, 0xffffffffu};
    for (int i = 0; i < 4; i++) {
        r = raw_mailbox(p);
        if (i < 3) {
            post(&r, fb, lens[i]);
        } else {
            uint8_t junk[40];
            memset(junk, 0xee, sizeof junk);
            post(&r, junk, sizeof junk);
        }
        ASSERT_EQ(answered(&r), COORD__MF_PIPE);
        size_t got = 0;
        for (;;) { /* bells before the ERR are possible; then end of file */
            struct pollfd pf = {r.rp, POLLIN, 0};
            ASSERT_EQ(poll(&pf, 1, T), 1);
            ssize_t k = read(r.rp, rb + got, sizeof rb - got);
            if (k <= 0)
                break;
            got += (size_t)k;
        }
        ASSERT_EQ(got, 16u);
        ASSERT_EQ(rb[5], COORD__W_ERR);
        int32_t code;
        memcpy(&code, rb + 12, 4);
        ASSERT_TRUE(code == COORD_EBADMSG || code == COORD_EMSGSIZE ||
                    code == COORD_EVERSION);
        raw_mailbox_close(&r);
    }
    assert_healthy(m);
    stop_ok(m);
}

/* A client that leaves its big replies unread on the pipe and keeps
 * posting gets of the big value in its mailbox, reading a little of the
 * pipe each time: the posted requests wait until the pipe drains. They
 * were served anyway, each adding a whole reply to the pipe's backlog:
 * the server grew by about a megabyte per round, without bound (an
 * audit's finding: 3.6 MB to 397 MB in 450 rounds). */
TEST(mailbox_requests_wait_while_replies_wait_on_the_pipe)
{
    coord_manager *m = start_spin(0);
    const char *p = coord_manager_path(m);
    coord_mclient *c = connect_ok(m);
    static char big[1000000];
    memset(big, 'v', sizeof big);
    coord_mval v = coord_mval_bytes(big, sizeof big);
    ASSERT_OK(coord_mclient_set(c, "d", "big", &v, T));
    struct raw_mb r = raw_mailbox(p);
    uint8_t fb[64], sink[4096];
    const uint8_t get[] = {1, 0, 1, 0, 3, 0, 'd', 'b', 'i', 'g'};
    size_t n = frame(fb, 1, COORD__W_REQ, 1, get, sizeof get);
    post(&r, fb, (uint32_t)n);
    ASSERT_EQ(answered(&r), COORD__MF_PIPE); /* too big: its reply took the pipe */
    long before = status_kib(coord_manager_pid(m), "VmRSS");
    for (int i = 0; i < 120; i++) {
        post(&r, fb, (uint32_t)n);
        struct pollfd pf = {r.rp, POLLIN, 0};
        if (poll(&pf, 1, 200) == 1)
            ASSERT_GT(read(r.rp, sink, sizeof sink), 0);
        usleep(5000); /* the server's turn: room on the pipe, a posted get */
    }
    long after = status_kib(coord_manager_pid(m), "VmRSS");
    /* Bounded: the backlog of one or two replies, not 120 of them. */
    ASSERT_LT(after - before, 48 * 1024);
    raw_mailbox_close(&r);
    assert_healthy(m);
    coord_mclient_close(c);
    stop_ok(m);
}

/* A client that posts and dies (its pipes and mapping gone) costs the
 * server nothing: the reply goes into a mailbox nobody reads and the
 * connection closes on end of file. */
TEST(mailbox_client_gone_after_posting)
{
    coord_manager *m = start_spin(0);
    struct raw_mb r = raw_mailbox(coord_manager_path(m));
    ASSERT_OK(kill(coord_manager_pid(m), SIGSTOP));
    uint8_t fb[64];
    const uint8_t get[] = {1, 0, 1, 0, 1, 0, 'd', 'k'};
    size_t n = frame(fb, 1, COORD__W_REQ, 1, get, sizeof get);
    post(&r, fb, (uint32_t)n);
    raw_mailbox_close(&r);
    ASSERT_OK(kill(coord_manager_pid(m), SIGCONT));
    assert_healthy(m);
    stop_ok(m);
}

/* A client that scribbles over its own mailbox (states, lengths, bytes,
 * sometimes a good frame) and rings at random, reconnecting whenever the
 * server closes it: the server stays up, and a well-behaved client beside
 * it loses no increment. */
static int scribbler_child(void *p)
{
    const char *path = p;
    signal(SIGPIPE, SIG_IGN); /* a bell after the server closed us */
    uint64_t x = 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
    uint8_t good[64];
    const uint8_t get[] = {1, 0, 1, 0, 1, 0, 'd', 'k'};
    size_t gn = frame(good, 1, COORD__W_REQ, 1, get, sizeof get);
    uint64_t end = coord_clock_ns() + 1500000000ull;
    while (coord_clock_ns() < end) {
        struct raw_mb r = raw_mailbox(path);
        for (int i = 0; i < 20000; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            switch (x % 6) {
            case 0:
                atomic_store(&r.f->state, (uint32_t)(x >> 8) % 7);
                break;
            case 1:
                atomic_store(&r.f->req_len,
                             (uint32_t)(x >> 8) % (COORD__MF_CAP + 64));
                break;
            case 2:
                if (x & 256)
                    memcpy(r.f->inl + (x >> 9) % (COORD__MF_INLINE - 7), &x,
                           8);
                else
                    memcpy(r.f->req + (x >> 9) % (COORD__MF_CAP - 8), &x, 8);
                break;
            case 3:
                memcpy(coord__mfast_req(r.f, gn), good, gn);
                atomic_store(&r.f->req_len, (uint32_t)gn);
                atomic_store(&r.f->state, COORD__MF_REQ_SPIN);
                break;
            case 4: {
                uint8_t nop[COORD__WIRE_HDR];
                coord__mfast_nop(nop);
                fcntl(r.rq, F_SETFL, O_NONBLOCK);
                if (write(r.rq, nop, sizeof nop) < 0) {
                    /* full or closed: either is fine */
                }
                break;
            }
            default:
                break;
            }
            uint8_t b[4096];
            fcntl(r.rp, F_SETFL, O_NONBLOCK);
            ssize_t n = read(r.rp, b, sizeof b);
            if (n == 0)
                break; /* closed by the server: connect again */
        }
        raw_mailbox_close(&r);
    }
    return 0;
}

TEST(mailbox_scribbled_by_its_client)
{
    coord_manager *m = start_spin(0);
    pid_t pid = test_fork(scribbler_child, (void *)coord_manager_path(m));
    coord_mclient *c = connect_ok(m);
    int n = 0;
    uint64_t end = coord_clock_ns() + 1000000000ull;
    while (coord_clock_ns() < end || n < 100) {
        ASSERT_OK(coord_mclient_incr(c, "ok", "n", 1, NULL, T));
        n++;
    }
    coord_mval v;
    ASSERT_OK(coord_mclient_get(c, "ok", "n", &v, T));
    ASSERT_EQ(v.i, n);
    test_join_ok(pid, 30000);
    coord_manager_stats st;
    ASSERT_OK(coord_mclient_stats(c, &st, T));
    ASSERT_GT(st.malformed, 0); /* the scribbles did reach the server */
    coord_mclient_close(c);
    assert_healthy(m);
    stop_ok(m);
}

/* ---- idle mailboxes go cold ---------------------------------------------- */

static int busy_child(void *p)
{
    coord_mclient *c;
    if (coord_mclient_connect(&c, p, T))
        return 3;
    for (int i = 0; i < 20000; i++)
        if (coord_mclient_incr(c, "ctr", "busy", 1, NULL, T))
            return 4;
    coord_mclient_close(c);
    return 0;
}

/* Bursts of 1-4 increments after 0-3 ms of silence, so that the mailbox
 * often goes cold (unused for a sweep period) and the next call rings. */
#define BURSTS 150
static int bursty_child(void *p)
{
    coord_mclient *c;
    if (coord_mclient_connect(&c, p, T))
        return 3;
    unsigned seed = (unsigned)getpid();
    for (int i = 0; i < BURSTS; i++) {
        usleep((useconds_t)(rand_r(&seed) % 3000));
        for (int k = 0; k <= i % 4; k++)
            if (coord_mclient_incr(c, "ctr", "n", 1, NULL, T))
                return 4;
    }
    coord_mclient_close(c);
    return 0;
}

/* Four clients that keep falling silent and coming back, beside one that
 * keeps the server busy (so its sweep, not its sleep, marks them), against
 * a spinning server and one that never spins: nothing is lost or doubled,
 * and no call waits for a bell that never comes (each is bounded). */
TEST(mailbox_clients_back_after_idling_count_exactly)
{
    int per = 0;
    for (int i = 0; i < BURSTS; i++)
        per += i % 4 + 1;
    for (int k = 0; k < 2; k++) {
        coord_manager *m = start_spin(k ? -1 : 0);
        const char *path = coord_manager_path(m);
        pid_t busy = test_fork(busy_child, (void *)path);
        pid_t pid[4];
        for (int i = 0; i < 4; i++)
            pid[i] = test_fork(bursty_child, (void *)path);
        for (int i = 0; i < 4; i++)
            test_join_ok(pid[i], 60000);
        test_join_ok(busy, 60000);
        coord_mclient *c = connect_ok(m);
        coord_mval v;
        ASSERT_OK(coord_mclient_get(c, "ctr", "n", &v, T));
        ASSERT_EQ(v.i, 4 * per);
        ASSERT_OK(coord_mclient_get(c, "ctr", "busy", &v, T));
        ASSERT_EQ(v.i, 20000);
        coord_mclient_close(c);
        stop_ok(m);
    }
}

/* A mailbox left idle is marked (srv_sleep: its client must ring). A
 * request posted there without ringing is still run before a frame that
 * comes on the pipe after it: the frame makes the mailbox hot again and
 * the server looks into it first. */
TEST(mailbox_cold_request_runs_before_a_later_pipe_frame)
{
    coord_manager *m = start_spin(0);
    const char *p = coord_manager_path(m);
    struct raw_mb r = raw_mailbox(p);
    uint8_t fb[64], rb[64];
    const uint8_t get[] = {1, 0, 1, 0, 1, 0, 'd', 'k'};
    size_t n = frame(fb, 1, COORD__W_REQ, 1, get, sizeof get);
    post(&r, fb, (uint32_t)n); /* posts and rings: the mailbox is in use */
    ASSERT_EQ(answered(&r), COORD__MF_REPLIED);
    atomic_store(&r.f->state, COORD__MF_IDLE);
    /* Cold (or the server asleep): bounded wait for the mark. */
    uint64_t end = coord_clock_ns() + 10000000000ull;
    while (atomic_load(&r.f->srv_sleep) == 0) {
        ASSERT_LT(coord_clock_ns(), end);
        usleep(1000);
    }
    /* Post without ringing (as a client would that read srv_sleep too
     * early), then send the next request on the pipe. */
    memcpy(coord__mfast_req(r.f, n), fb, n);
    atomic_store(&r.f->req_len, (uint32_t)n);
    atomic_store(&r.f->state, COORD__MF_REQ_SPIN);
    ASSERT_EQ(write(r.rq, fb, n), (ssize_t)n);
    /* The pipe's reply (bells skipped) comes after the mailbox's. */
    for (;;) {
        struct pollfd pf = {r.rp, POLLIN, 0};
        ASSERT_EQ(poll(&pf, 1, T), 1);
        read_exact(r.rp, rb, COORD__WIRE_HDR);
        if (rb[5] != COORD__W_NOP)
            break;
    }
    ASSERT_EQ(rb[5], COORD__W_REP);
    ASSERT_EQ(atomic_load(&r.f->state), COORD__MF_REPLIED);
    raw_mailbox_close(&r);
    assert_healthy(m);
    stop_ok(m);
}

struct sleeper_arg {
    const char *path;
    int ready[2], go[2];
};

static int sleeping_get_child(void *p)
{
    struct sleeper_arg *a = p;
    coord_mclient *c;
    if (coord_mclient_connect(&c, a->path, T))
        return 3;
    if (!c->fast)
        return 4;
    coord_mclient_set_spin(c, -1); /* straight to poll */
    char x;
    if (write(a->ready[1], "x", 1) != 1 || read(a->go[0], &x, 1) != 1)
        return 5;
    coord_mval v;
    int r = coord_mclient_get(c, "d", "k", &v, COORD_FOREVER);
    return r == COORD_EPEERDIED ? 0 : 100 + (r < 0 ? -r : r);
}

/* The server is SIGKILLed while a client sleeps for its mailbox reply
 * without a deadline: the reply pipe's end of file ends the call. */
TEST(mailbox_server_killed_while_the_client_sleeps)
{
    coord_manager *m = start_spin(0);
    struct sleeper_arg a = {coord_manager_path(m), {-1, -1}, {-1, -1}};
    ASSERT_OK(pipe(a.ready));
    ASSERT_OK(pipe(a.go));
    pid_t srv = coord_manager_pid(m);
    pid_t pid = test_fork(sleeping_get_child, &a);
    char x;
    struct pollfd pf = {a.ready[0], POLLIN, 0};
    ASSERT_EQ(poll(&pf, 1, T), 1); /* connected */
    ASSERT_EQ(read(a.ready[0], &x, 1), 1);
    /* Stopped, the server cannot answer the get: it dies with it posted
     * (or, if the child is slow, before it is posted: the same end). */
    ASSERT_OK(kill(srv, SIGSTOP));
    ASSERT_EQ(write(a.go[1], "x", 1), 1);
    usleep(20000);
    ASSERT_OK(kill(srv, SIGKILL));
    test_join_ok(pid, 20000);
    ASSERT_CODE(coord_manager_stop(m, T), COORD_EPEERDIED);
    for (int i = 0; i < 2; i++) {
        close(a.ready[i]);
        close(a.go[i]);
    }
}

/* A call that times out with its request in the mailbox moves the
 * connection to the pipes (the late reply may still land in the mailbox)
 * until a call there completes; the next calls get their own replies, and
 * run after it. */
TEST(mailbox_timeout_moves_the_connection_to_the_pipes)
{
    coord_manager *m = start_spin(0);
    coord_mclient *c = connect_ok(m);
    coord_mval one = coord_mval_i64(1), v;
    ASSERT_OK(coord_mclient_set(c, "d", "k", &one, T));
    ASSERT_OK(kill(coord_manager_pid(m), SIGSTOP));
    ASSERT_CODE(coord_mclient_incr(c, "d", "k", 5, NULL, 50), COORD_ETIMEDOUT);
    ASSERT_TRUE(c->fast_off);
    /* Sent on the pipe while the +5 still waits in the mailbox: the
     * server runs the two in the order sent. */
    ASSERT_CODE(coord_mclient_get(c, "d", "k", &v, 0), COORD_EAGAIN);
    ASSERT_OK(kill(coord_manager_pid(m), SIGCONT));
    ASSERT_OK(coord_mclient_get(c, "d", "k", &v, T));
    ASSERT_EQ(v.i, 6);
    /* That call collected everything owed: the mailbox is back. */
    ASSERT_FALSE(c->fast_off);
    ASSERT_OK(coord_mclient_incr(c, "d", "k", 1, NULL, T));
    ASSERT_EQ(atomic_load(&c->fast->state), COORD__MF_IDLE);
    ASSERT_OK(coord_mclient_get(c, "d", "k", &v, T));
    ASSERT_EQ(v.i, 7); /* the timed-out +5 was applied late, once */
    coord_mclient_close(c);
    stop_ok(m);
}

#define TEST_LIST(X)                                                           \
    X(mailbox_carries_small_calls_and_big_replies_take_the_pipe)               \
    X(mailbox_bells_wake_a_sleeping_server_and_client)                         \
    X(mailbox_six_processes_count_exactly)                                     \
    X(mailbox_only_a_sealed_memfd_of_its_size)                                 \
    X(mailbox_bad_requests_close_only_their_connection)                        \
    X(mailbox_requests_wait_while_replies_wait_on_the_pipe)                    \
    X(mailbox_client_gone_after_posting)                                       \
    X(mailbox_scribbled_by_its_client)                                         \
    X(mailbox_server_killed_while_the_client_sleeps)                           \
    X(mailbox_timeout_moves_the_connection_to_the_pipes)                       \
    X(mailbox_clients_back_after_idling_count_exactly)                         \
    X(mailbox_cold_request_runs_before_a_later_pipe_frame)
#define HELPER_LIST(X)

TEST_MAIN()
