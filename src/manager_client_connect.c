/* SPDX-License-Identifier: MIT */
/* manager_client_connect.c: a manager client's connection: the socket, the handshake (HELLO with the data pipes and the mailbox, WELCOME), its settings, and its close. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "manager_client.h"
#include "manager_fast.h"
#include "manager_spin.h"

/* Send HELLO, offering the server a pair of pipes for the data path (its
 * ends travel with the frame as SCM_RIGHTS), and read WELCOME: the limits,
 * and whether the server took the pipes. A pipe round trip costs about half
 * of a Unix-socket one on Linux (measured: docs/results.md), which is why
 * the socket only carries the handshake. */
static int hello(coord_mclient *c, int timeout_ms)
{
    uint64_t deadline = timeout_ms > 0 ? coord__deadline(timeout_ms) : 0;
    int rq[2] = {-1, -1}, rp[2] = {-1, -1};
    bool pipes = pipe2(rq, O_CLOEXEC) == 0 && pipe2(rp, O_CLOEXEC) == 0;
    /* Ours for the connection's life: not at 0-2, where the program's
     * printf or fprintf(stderr) would write into the request stream. */
    if (pipes) {
        rq[0] = coord__fd_above_stdio(rq[0]);
        rq[1] = coord__fd_above_stdio(rq[1]);
        rp[0] = coord__fd_above_stdio(rp[0]);
    }
    int mfd = -1;
    struct coord__mfast *fast = pipes ? coord__mfast_create(&mfd) : NULL;
    uint8_t f[COORD__WIRE_HDR];
    struct coord__wbuf b = {f, 0, sizeof f, false};
    size_t at = coord__wb_frame_begin(&b, COORD__W_HELLO, 0, 0);
    coord__wb_frame_end(&b, at, 0);
    struct iovec iov = {f, sizeof f};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(3 * sizeof(int))];
    } cm;
    memset(&cm, 0, sizeof cm);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (pipes) {
        /* It reads requests, writes replies (and maps the mailbox). */
        int theirs[3] = {rq[0], rp[1], mfd};
        size_t nfd = fast ? 3 : 2;
        msg.msg_control = cm.buf;
        msg.msg_controllen = CMSG_SPACE(nfd * sizeof(int));
        struct cmsghdr *h = CMSG_FIRSTHDR(&msg);
        h->cmsg_level = SOL_SOCKET;
        h->cmsg_type = SCM_RIGHTS;
        h->cmsg_len = CMSG_LEN(nfd * sizeof(int));
        memcpy(CMSG_DATA(h), theirs, nfd * sizeof(int));
    }
    ssize_t n;
    do {
        n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (mfd >= 0)
        close(mfd); /* our mapping stays */
    int r = 0;
    if (n != (ssize_t)sizeof f) {
        r = coord__mcli_pending_err(c);
        if (!r)
            r = n < 0 && errno == ENOMEM ? COORD_ENOMEM : COORD_ECONNREFUSED;
    }
    struct coord__whdr h;
    if (r == 0)
        r = coord__mcli_recv_reply(c, 0, timeout_ms, deadline, &h);
    uint32_t flags = 0;
    if (r == 0) {
        struct coord__rd rd = {c->in + COORD__WIRE_HDR, c->in + c->consumed,
                               false};
        c->max_key = coord__rd_u32(&rd);
        c->max_value = coord__rd_u32(&rd);
        c->max_frame = coord__rd_u32(&rd);
        c->max_batch = coord__rd_u32(&rd);
        flags = coord__rd_u32(&rd);
        if (h.kind != COORD__W_WELCOME || rd.bad || rd.p != rd.end ||
            c->max_frame < COORD__WIRE_MIN_FRAME ||
            c->max_frame > UINT32_MAX / 2) /* no server says more */
            r = COORD_EPROTO;
        coord__mcli_release(c);
    }
    if (r == 0 && pipes && (flags & COORD__WELCOME_PIPES)) {
        c->in_fd = rp[0];
        c->out_fd = rq[1];
        c->keep_fd = rq[0];
        close(rp[1]); /* the server's: its death is end-of-file for us */
        fcntl(rq[1], F_SETFL, O_NONBLOCK);
        fcntl(rp[0], F_SETFL, O_NONBLOCK);
        if (fast && (flags & COORD__WELCOME_FAST))
            c->fast = fast;
        else
            coord__mfast_unmap(fast);
        return 0;
    }
    coord__mfast_unmap(fast);
    for (int i = 0; i < 2; i++) {
        if (rq[i] >= 0)
            close(rq[i]);
        if (rp[i] >= 0)
            close(rp[i]);
    }
    return r;
}

int coord_mclient_connect(coord_mclient **out, const char *path, int timeout_ms)
{
    if (!out || !path || !*path || coord__check_timeout(timeout_ms))
        return COORD_EINVAL;
    *out = NULL;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path)
        return COORD_ENAMETOOLONG;
    strcpy(a.sun_path, path);
    uint64_t deadline = timeout_ms > 0 ? coord__deadline(timeout_ms) : 0;
    coord_mclient *c = calloc(1, sizeof *c);
    if (!c)
        return COORD_ENOMEM;
    c->in_cap = 4096;
    c->in = malloc(c->in_cap);
    c->max_frame = COORD__WIRE_MIN_FRAME;
    c->spin_ns = COORD__SPIN_DEFAULT_NS;
    c->fd = coord__fd_above_stdio(
        socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    c->in_fd = c->out_fd = c->fd;
    c->keep_fd = -1;
    coord__wbuf_init(&c->out);
    int r = 0;
    if (!c->in) {
        r = COORD_ENOMEM;
    } else if (c->fd < 0) {
        r = errno == EMFILE || errno == ENFILE ? COORD_EMFILE : COORD_ENOMEM;
    } else {
        /* Non-blocking connect: a Unix socket whose backlog is full says
         * EAGAIN instead of blocking without a deadline; retry until the
         * deadline. The socket is blocking again afterwards. */
        int fl = fcntl(c->fd, F_GETFL);
        fcntl(c->fd, F_SETFL, fl | O_NONBLOCK);
        int cr;
        for (;;) {
            cr = connect(c->fd, (struct sockaddr *)&a, sizeof a);
            if (cr == 0 || (errno != EINTR && errno != EAGAIN))
                break;
            if (errno == EAGAIN &&
                (timeout_ms == 0 ||
                 (timeout_ms > 0 && coord_clock_ns() >= deadline)))
                break;
            if (errno == EAGAIN)
                usleep(1000);
        }
        int e = errno;
        fcntl(c->fd, F_SETFL, fl);
        errno = e;
        if (cr != 0 && errno == EAGAIN) {
            r = timeout_ms == 0 ? COORD_EAGAIN : COORD_ETIMEDOUT;
        } else if (cr != 0) {
            switch (errno) {
            case ENOENT:
                r = COORD_ENOENT;
                break;
            case EACCES:
            case EPERM:
                r = COORD_EACCES;
                break;
            case ENOTDIR:
                r = COORD_ENOTDIR;
                break;
            default: {
                /* The kernel refuses a path that is no socket (a file, a
                 * directory, a FIFO) as it refuses a socket nobody serves:
                 * say which. */
                struct stat st;
                r = lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)
                        ? COORD_EPROTO
                        : COORD_ECONNREFUSED;
            }
            }
        }
    }
    if (r == 0) {
        /* The server must be of our user, as we must be of its: a socket
         * planted by someone else at `path` gets nothing from us. */
        struct ucred cr;
        socklen_t len = sizeof cr;
        if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 ||
            cr.uid != geteuid())
            r = COORD_EACCES;
    }
    if (r == 0) {
        /* One deadline for the whole connect: the handshake gets what is
         * left of it. */
        int left = timeout_ms;
        if (timeout_ms > 0) {
            left = coord__mcli_remaining_ms(deadline);
            if (left == 0)
                left = 1;
        }
        r = hello(c, left);
    }
    if (r) {
        coord_mclient_close(c);
        return r;
    }
    /* Our spins and the server's do not count as load for each other, and
     * at most cpus - 1 clients spin at once (a slot each; src/wait.h). */
    c->spins = coord__mspin_open(path);
    coord__spinner_join_as(&c->sp, c->spins, COORD__SPIN_MEMBER);
    c->sp.turns = c->spins != NULL;
    *out = c;
    return 0;
}

int coord_mclient_set_interrupt(coord_mclient *c, int (*fn)(void *arg),
                                void *arg)
{
    if (!c)
        return COORD_EINVAL;
    c->interrupt = fn;
    c->interrupt_arg = fn ? arg : NULL;
    return 0;
}

int coord_mclient_set_spin(coord_mclient *c, int64_t spin_ns)
{
    if (!c)
        return COORD_EINVAL;
    return coord__spin_setting(spin_ns, &c->spin_ns);
}

void coord_mclient_close(coord_mclient *c)
{
    if (!c)
        return;
    coord__mcli_broken(c); /* its descriptors closed */
    coord__mfast_unmap(c->fast);
    coord__mspin_close(c->spins, false);
    free(c->in);
    free(c->keys);
    coord__wbuf_free(&c->out);
    free(c);
}
