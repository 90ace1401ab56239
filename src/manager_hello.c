/* SPDX-License-Identifier: MIT */
/* manager_hello.c: the manager's handshake: accept (our own user, a free slot), the HELLO's two pipes checked and taken, the move to them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "manager_server.h"

/* Move the connection to the pipes that came with its HELLO: send the
 * WELCOME on the socket first, then serve only the pipes (the socket is
 * closed; the client's death is end-of-file on the request pipe). A client
 * that sent more on the socket after HELLO breaks the protocol. Returns
 * false when the connection was closed. */
bool coord__mconn_upgrade(struct coord__msrv *sv, struct coord__mconn *c,
                          size_t left)
{
    if (left != 0)
        goto fail;
    if (!coord__mconn_flush(sv, c))
        return false; /* closed */
    if (c->out.len != 0) /* the WELCOME did not fit in the socket */
        goto fail;
    epoll_ctl(sv->ep, EPOLL_CTL_DEL, c->in_fd, NULL);
    close(c->in_fd);
    c->in_fd = c->pend_in;
    c->out_fd = c->pend_out;
    c->pend_in = c->pend_out = -1;
    coord__mfast_attach(sv, c);
    fcntl(c->in_fd, F_SETFL, O_NONBLOCK);
    fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    c->out_armed = false;
    if (epoll_ctl(sv->ep, EPOLL_CTL_ADD, c->in_fd, &ev) == 0)
        return true;
fail:
    sv->s.st.malformed++;
    coord__mconn_close(sv, c);
    return false;
}

/* The mailbox sent as the third descriptor: checked and mapped (with our
 * buffer for its requests) into c->pend_fast. Returns 0, or COORD_EBADMSG
 * when it is not a sealed memfd of the mailbox's size. A mailbox that
 * cannot be mapped (out of memory) is left out: WELCOME says so. */
static int take_mailbox(struct coord__mconn *c, int fd)
{
    int code;
    struct coord__mfast *f = coord__mfast_take(fd, &code);
    close(fd); /* the mapping stays */
    if (!f)
        return code;
    c->fbuf = malloc(COORD__MF_CAP);
    if (!c->fbuf) {
        coord__mfast_unmap(f);
        return 0;
    }
    coord__wbuf_init(&c->fout);
    c->pend_fast = f;
    return 0;
}

/* A descriptor of the pipe `fd` is an end of, opened anew (non-blocking,
 * close-on-exec) through /proc: a file description of our own. Returns it,
 * or -1 (no /proc, out of descriptors, or no reader on a write end). */
static int reopen_private(int fd, int mode)
{
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    int r;
    do {
        r = open(p, mode | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    } while (r < 0 && errno == EINTR);
    struct stat a, b;
    if (r >= 0 && (fstat(fd, &a) != 0 || fstat(r, &b) != 0 ||
                   a.st_dev != b.st_dev || a.st_ino != b.st_ino)) {
        close(r);
        r = -1;
    }
    return r;
}

/* recvmsg on the socket, taking file descriptors sent along: two pipes (a
 * read end for requests, a write end for replies, of two different pipes)
 * and optionally a mailbox (manager_fast.h), else the frame is refused.
 * Returns the byte count (0: end of file, -1: errno), or -2 when the
 * connection was closed here. */
ssize_t coord__mconn_recv_hello(struct coord__msrv *sv,
                                struct coord__mconn *c)
{
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(4 * sizeof(int))];
    } cm;
    struct iovec iov = {c->in + c->in_len, c->in_cap - c->in_len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = cm.buf,
                         .msg_controllen = sizeof cm.buf};
    ssize_t n = recvmsg(c->in_fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0)
        return n;
    /* Truncated control data with room for twice what a client sends:
     * the kernel could not install the descriptors (we are out of them). */
    int code = (msg.msg_flags & MSG_CTRUNC) ? COORD_EMFILE : 0;
    for (struct cmsghdr *h = CMSG_FIRSTHDR(&msg); h; h = CMSG_NXTHDR(&msg, h)) {
        if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
            continue;
        size_t nfd = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int fds[4];
        memcpy(fds, CMSG_DATA(h), (nfd > 4 ? 4 : nfd) * sizeof(int));
        struct stat a, b;
        if (code == COORD_EMFILE || nfd < 2 || nfd > 3 || c->pend_in >= 0 ||
            fstat(fds[0], &a) != 0 ||
            fstat(fds[1], &b) != 0 || !S_ISFIFO(a.st_mode) ||
            !S_ISFIFO(b.st_mode) ||
            /* Both ends of one pipe (or one named FIFO twice): the server
             * would read its own replies and hold the slot for ever. */
            (a.st_dev == b.st_dev && a.st_ino == b.st_ino) ||
            (fcntl(fds[0], F_GETFL) & O_ACCMODE) != O_RDONLY ||
            (fcntl(fds[1], F_GETFL) & O_ACCMODE) != O_WRONLY) {
            for (size_t i = 0; i < nfd && i < 4; i++)
                close(fds[i]);
            if (code != COORD_EMFILE) /* some were installed, not all */
                code = COORD_EBADMSG;
            continue;
        }
        /* Our own open file descriptions of the two pipes: the client
         * holds the ones it sent (their file status flags are shared), so
         * it could clear O_NONBLOCK on them and block the server in a
         * read or write. Without them, serve the connection on the
         * socket (WELCOME says so). */
        int pin = reopen_private(fds[0], O_RDONLY);
        int pout = pin >= 0 ? reopen_private(fds[1], O_WRONLY) : -1;
        close(fds[0]);
        close(fds[1]);
        if (pin < 0 || pout < 0) {
            if (pin >= 0)
                close(pin);
            if (nfd == 3)
                close(fds[2]);
            continue;
        }
        c->pend_in = pin;
        c->pend_out = pout;
        if (nfd == 3 && take_mailbox(c, fds[2]) != 0)
            code = COORD_EBADMSG;
    }
    if (code) {
        if (code == COORD_EBADMSG)
            sv->s.st.malformed++;
        coord__mconn_fail(sv, c, code);
        return -2;
    }
    return n;
}

/* How long a paused listener waits for a close before it tries again. */
#define LISTEN_RETRY_NS 100000000ull /* 100 ms */

void coord__mlisten_resume(struct coord__msrv *sv)
{
    if (!sv->listen_paused)
        return;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = sv->lmark};
    if (epoll_ctl(sv->ep, EPOLL_CTL_ADD, sv->lfd, &ev) == 0)
        sv->listen_paused = false;
    else
        sv->listen_retry_at = coord_clock_ns() + LISTEN_RETRY_NS;
}

int coord__mlisten_wait_ms(struct coord__msrv *sv, int tmo)
{
    if (!sv->listen_paused)
        return tmo;
    uint64_t now = coord_clock_ns();
    if (now >= sv->listen_retry_at) {
        coord__mlisten_resume(sv);
        if (!sv->listen_paused)
            return tmo;
    }
    if (tmo == 0)
        return 0;
    uint64_t ms = (sv->listen_retry_at - now + 999999) / 1000000;
    return tmo < 0 || (uint64_t)tmo > ms ? (int)ms : tmo;
}

/* Connections that hold a slot but whose client is gone before a byte:
 * accepted, nothing read, and the peer's end closed (a peek finds EOF). A
 * connect that only asks whether anybody listens (coord gc's, a start's
 * clear_stale) is such a connection until its EOF is read, in this turn or
 * the next: counted against max_clients it refused a real client that
 * came in the same moment. They are closed when their EOF is read, not
 * here (an event of this turn may still name them). O(connections), only
 * when the server is full. */
static size_t hung_up(const struct coord__msrv *sv)
{
    size_t n = 0;
    for (const struct coord__mconn *c = sv->all; c; c = c->next) {
        char b;
        if (!c->greeted && c->in_len == 0 && c->in_fd == c->out_fd &&
            c->in_fd >= 0 &&
            recv(c->in_fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
            n++;
    }
    return n;
}

void coord__maccept(struct coord__msrv *sv)
{
    for (;;) {
        int fd = accept4(sv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
                       errno == ENOBUFS)) {
            /* Out of descriptors: stop listening until a connection
             * closes, instead of spinning on a listener that stays
             * readable. */
            epoll_ctl(sv->ep, EPOLL_CTL_DEL, sv->lfd, NULL);
            sv->listen_paused = true;
            /* A close resumes it; so does the retry, for the pause that
             * no close would end (no connection, or a passing shortage
             * of memory): see coord__mlisten_wait_ms. */
            sv->listen_retry_at = coord_clock_ns() + LISTEN_RETRY_NS;
            return;
        }
        if (fd < 0)
            return; /* EAGAIN: all taken */
        struct ucred cr;
        socklen_t len = sizeof cr;
        int code = 0;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 ||
            cr.uid != geteuid()) {
            sv->s.st.refused_uid++;
            code = COORD_EACCES;
        } else if (sv->nconns >= sv->s.o.max_clients &&
                   sv->nconns - hung_up(sv) >= sv->s.o.max_clients) {
            sv->s.st.refused_full++;
            code = COORD_ECONNREFUSED;
        }
        struct coord__mconn *c = code ? NULL : calloc(1, sizeof *c);
        if (c)
            c->in = malloc(COORD__MCONN_BUF0);
        if (!code && (!c || !c->in))
            code = COORD_ENOMEM;
        if (code) {
            uint8_t f[16];
            struct coord__wbuf b = {f, 0, sizeof f, false};
            size_t at = coord__wb_frame_begin(&b, COORD__W_ERR, 0, 0);
            coord__wb_u32(&b, (uint32_t)code);
            coord__wb_frame_end(&b, at, 0);
            if (send(fd, f, b.len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
                /* Nothing to do: the client sees the close. */
            }
            close(fd);
            if (c)
                free(c->in);
            free(c);
            continue;
        }
        c->in_fd = c->out_fd = fd;
        c->pend_in = c->pend_out = -1;
        coord__mtimer_arm(sv, c,
                  coord_clock_ns() + (uint64_t)sv->s.o.handshake_ms * 1000000);
        c->in_cap = COORD__MCONN_BUF0;
        coord__wbuf_init(&c->out);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(sv->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            close(fd);
            free(c->in);
            free(c);
            continue;
        }
        c->next = sv->all;
        if (sv->all)
            sv->all->prev = c;
        sv->all = c;
        sv->nconns++;
        sv->s.st.accepted++;
        sv->s.st.clients = sv->nconns;
    }
}
