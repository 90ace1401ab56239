/* SPDX-License-Identifier: MIT */
/* fuzz-mclient.c: libFuzzer harness for a manager client's reading of a hostile server's frames. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "manager_client.h"

/* The input: a byte of calls to make (bits 0-3: how many, 0-15), one byte
 * per call choosing the operation, then the server's byte stream. A
 * server thread of this process accepts the connection, reads the HELLO
 * (taking the pipes it offers), writes the stream's first frame (the
 * WELCOME, its mailbox bit cleared: nobody answers there; its max_frame
 * cut under 1 MiB) on the socket
 * and the rest on the reply pipe when the WELCOME took the pipes (on the
 * socket otherwise), then closes everything: a client must end each call
 * with 0 or a documented code, hand out only bytes inside its buffer,
 * NUL-terminated, and never wait (end of file comes at once). */

static char path[108];
static int lfd = -1;

static void cleanup(void)
{
    unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* The server's writes after the client closed (its own, not the
     * client's: the client never raises SIGPIPE) fail with EPIPE. */
    signal(SIGPIPE, SIG_IGN);
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/coord.fzmc%d.sock", dir ? dir : "/tmp",
             (int)getpid());
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    unlink(path);
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(lfd, 4) != 0)
        abort();
    atexit(cleanup);
    return 0;
}

struct srv {
    uint8_t *d;
    size_t n;
};

static void write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void *serve(void *arg)
{
    struct srv *s = arg;
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return NULL;
    uint8_t hello[COORD__WIRE_HDR];
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(3 * sizeof(int))];
    } cm;
    struct iovec iov = {hello, sizeof hello};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = cm.buf,
                         .msg_controllen = sizeof cm.buf};
    int fds[3] = {-1, -1, -1};
    size_t nfd = 0;
    if (recvmsg(fd, &msg, MSG_CMSG_CLOEXEC) > 0) {
        for (struct cmsghdr *h = CMSG_FIRSTHDR(&msg); h;
             h = CMSG_NXTHDR(&msg, h))
            if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
                nfd = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                if (nfd > 3)
                    nfd = 3;
                memcpy(fds, CMSG_DATA(h), nfd * sizeof(int));
            }
    }
    /* The first frame as its length says (cut at the input's end). */
    size_t first = s->n;
    if (s->n >= 4) {
        uint32_t len = (uint32_t)s->d[0] | (uint32_t)s->d[1] << 8 |
                       (uint32_t)s->d[2] << 16 | (uint32_t)s->d[3] << 24;
        if ((size_t)len + 4 < s->n)
            first = (size_t)len + 4;
    }
    bool pipes = false;
    if (first >= COORD__WIRE_HDR + 20) {
        s->d[COORD__WIRE_HDR + 16] &= (uint8_t)~COORD__WELCOME_FAST;
        /* max_frame under 1 MiB: a server may say 2 GiB, and a header
         * then makes the client allocate that much (past -rss_limit_mb). */
        s->d[COORD__WIRE_HDR + 11] = 0;
        s->d[COORD__WIRE_HDR + 10] &= 0x0f;
        pipes = (s->d[COORD__WIRE_HDR + 16] & COORD__WELCOME_PIPES) &&
                nfd >= 2;
    }
    write_all(fd, s->d, first);
    write_all(pipes ? fds[1] : fd, s->d + first, s->n - first);
    for (size_t i = 0; i < nfd; i++)
        close(fds[i]);
    shutdown(fd, SHUT_WR);
    /* Take the requests until the client closes. */
    uint8_t sink[4096];
    while (read(fd, sink, sizeof sink) > 0)
        ;
    close(fd);
    return NULL;
}

static bool known(int rc)
{
    return rc == 0 || strcmp(coord_err_name(rc), "COORD_EUNKNOWN") != 0;
}

/* A value handed out: its bytes readable and NUL-terminated. */
static void check_val(const coord_mval *v)
{
    if (v->type == COORD_MBYTES || v->type == COORD_MSTR) {
        if (!v->data || ((const char *)v->data)[v->len] != '\0')
            abort();
        volatile uint8_t sum = 0;
        for (size_t i = 0; i < v->len; i++)
            sum ^= ((const uint8_t *)v->data)[i];
        if (v->type == COORD_MSTR && strlen(v->data) != v->len)
            abort();
    } else if (v->type > COORD_MSTR) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t ncalls = data[0] & 15;
    if (size < 1 + ncalls)
        return 0;
    const uint8_t *ops = data + 1;
    struct srv s = {malloc(size - 1 - ncalls + 1), size - 1 - ncalls};
    if (!s.d)
        return 0;
    memcpy(s.d, data + 1 + ncalls, s.n);
    pthread_t t;
    if (pthread_create(&t, NULL, serve, &s) != 0) {
        free(s.d);
        return 0;
    }
    coord_mclient *c = NULL;
    int rc = coord_mclient_connect(&c, path, 2000);
    if (getenv("FUZZ_MCLIENT_TRACE"))
        fprintf(stderr, "connect: %d\n", rc);
    if (!known(rc) || rc > 0)
        abort();
    for (size_t i = 0; c && i < ncalls; i++) {
        coord_mval v = coord_mval_none();
        coord_mval in = coord_mval_i64(5);
        const coord_mval *keys = NULL;
        coord_manager_stats st;
        bool count = false;
        switch (ops[i] % 12) {
        case 0: rc = coord_mclient_get(c, "d", "k", &v, 2000); break;
        case 1: rc = coord_mclient_set(c, "d", "k", &in, 2000); break;
        case 2: rc = coord_mclient_delete(c, "d", "k", 2000); break;
        case 3: rc = coord_mclient_incr(c, "d", "k", 1, &v.i, 2000); break;
        case 4:
            rc = coord_mclient_cas(c, "d", "k", &in, &in, &v, 2000);
            if (rc > 1)
                abort();
            break;
        case 5: rc = coord_mclient_dict_len(c, "d", 2000); count = true; break;
        case 6: {
            rc = coord_mclient_dict_keys(c, "d", &keys, 2000);
            for (int k = 0; k < rc; k++)
                check_val(&keys[k]);
            count = true;
            break;
        }
        case 7:
            rc = coord_mclient_list_append(c, "l", &in, 2000);
            count = true;
            break;
        case 8: rc = coord_mclient_list_get(c, "l", -1, &v, 2000); break;
        case 9: rc = coord_mclient_list_len(c, "l", 2000); count = true; break;
        case 10: rc = coord_mclient_list_pop(c, "l", 0, &v, 2000); break;
        default: rc = coord_mclient_stats(c, &st, 2000); break;
        }
        if (getenv("FUZZ_MCLIENT_TRACE"))
            fprintf(stderr, "call %u: %d\n", ops[i] % 12, rc);
        if (!known(rc) && !(count && rc > 0))
            abort();
        if (rc == 0)
            check_val(&v);
    }
    coord_mclient_close(c);
    pthread_join(t, NULL);
    free(s.d);
    return 0;
}
