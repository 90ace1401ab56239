/* SPDX-License-Identifier: MIT */
/* manager.c: the manager server: private socket, peer checks, epoll loop, start and stop. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "manager_internal.h"
#include "manager_spin.h"

#define CONN_BUF0 16384  /* initial input buffer of a connection */
#define FRAMES_PER_TURN 8 /* frames served per connection before the next */
#define MAX_EVENTS 64
#define OUT_FLUSH_AT (1u << 20) /* unsent reply bytes that are written at once */

void coord_manager_opts_init(coord_manager_opts *o)
{
    if (!o)
        return;
    o->max_key = 256;
    o->max_value = 1u << 20;
    o->max_entries = 1000000;
    o->max_bytes = (size_t)256 << 20;
    o->max_frame = (size_t)16 << 20;
    o->max_batch = 4096;
    o->max_clients = 64;
    o->spin_ns = 0;
    o->handshake_ms = 2000;
    o->stall_ms = 10000;
}

int coord__mopts_fix(const coord_manager_opts *in, coord_manager_opts *out)
{
    coord_manager_opts d;
    coord_manager_opts_init(&d);
    if (in) {
        if (in->max_key)
            d.max_key = in->max_key;
        if (in->max_value)
            d.max_value = in->max_value;
        if (in->max_entries)
            d.max_entries = in->max_entries;
        if (in->max_bytes)
            d.max_bytes = in->max_bytes;
        if (in->max_frame)
            d.max_frame = in->max_frame;
        if (in->max_batch)
            d.max_batch = in->max_batch;
        if (in->max_clients)
            d.max_clients = in->max_clients;
        d.spin_ns = in->spin_ns;
        if (in->handshake_ms)
            d.handshake_ms = in->handshake_ms;
        if (in->stall_ms)
            d.stall_ms = in->stall_ms;
    }
    /* Stored as what it asks for: positive ns, or -1 for none. */
    uint64_t spin;
    if (coord__spin_setting(d.spin_ns, &spin))
        return COORD_EINVAL;
    d.spin_ns = spin ? (int64_t)spin : -1;
    /* Lengths travel as u16 (keys), u32 (values, frames) and counts as
     * u16 (batch) and i32 (results). */
    if (d.max_key > UINT16_MAX || d.max_value > UINT32_MAX / 2 ||
        d.max_frame > UINT32_MAX / 2 || d.max_frame < COORD__WIRE_MIN_FRAME ||
        d.max_frame < d.max_value + 2 * d.max_key + 64 ||
        d.max_frame < 5 * d.max_batch + 64 ||
        d.max_batch > UINT16_MAX || d.max_entries > INT32_MAX - 2 ||
        d.max_clients > 100000 || d.handshake_ms < 0 ||
        d.handshake_ms > COORD__MGR_MAX_MS || d.stall_ms < 0 ||
        d.stall_ms > COORD__MGR_MAX_MS)
        return COORD_EINVAL;
    *out = d;
    return 0;
}

/* ---- the socket and its private directory ------------------------------ */

struct coord__mpath {
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    bool made_dir;
    dev_t dev;
    ino_t ino; /* of the socket we bound: never unlink someone else's */
};

static int errno_code(int e)
{
    switch (e) {
    case ENOENT:
        return COORD_ENOENT;
    case EACCES:
    case EPERM:
        return COORD_EACCES;
    case ENOTDIR:
        return COORD_ENOTDIR;
    case ENAMETOOLONG:
        return COORD_ENAMETOOLONG;
    case EEXIST:
    case EADDRINUSE:
        return COORD_EEXIST;
    case ENOMEM:
    case ENOBUFS:
        return COORD_ENOMEM;
    case EMFILE:
    case ENFILE:
        return COORD_EMFILE;
    case ECONNREFUSED:
        return COORD_ECONNREFUSED;
    case EAGAIN:
        return COORD_EAGAIN;
    default:
        return COORD_EIO;
    }
}

/* Fill p->dir and make sure it is private (or create it). */
static int prepare_dir(struct coord__mpath *p, const char *path)
{
    if (path) {
        if (!*path)
            return COORD_EINVAL;
        if (strlen(path) >= sizeof p->path)
            return COORD_ENAMETOOLONG;
        strcpy(p->path, path);
        char tmp[sizeof p->path];
        strcpy(tmp, path);
        strcpy(p->dir, dirname(tmp));
        struct stat st;
        if (lstat(p->dir, &st) != 0) {
            if (errno != ENOENT)
                return errno_code(errno);
            if (mkdir(p->dir, 0700) != 0)
                return errno_code(errno);
            p->made_dir = true;
            return 0;
        }
        if (!S_ISDIR(st.st_mode))
            return COORD_ENOTDIR;
        /* Somebody else's directory, or one that others can enter, would
         * let them reach (or replace) the socket. */
        if (st.st_uid != geteuid() || (st.st_mode & 077) != 0)
            return COORD_EACCES;
        return 0;
    }
    const char *t = getenv("TMPDIR");
    if (!t || !*t || strlen(t) > sizeof p->dir - 40)
        t = "/tmp";
    snprintf(p->dir, sizeof p->dir, "%s/coord-mgr-XXXXXX", t);
    if (!mkdtemp(p->dir)) /* mode 0700 */
        return errno_code(errno);
    p->made_dir = true;
    size_t dl = strlen(p->dir);
    memcpy(p->path, p->dir, dl);
    memcpy(p->path + dl, "/manager.sock", sizeof "/manager.sock");
    return 0;
}

static void path_cleanup(struct coord__mpath *p)
{
    struct stat st;
    if (p->ino && lstat(p->path, &st) == 0 && st.st_ino == p->ino &&
        st.st_dev == p->dev)
        unlink(p->path);
    /* A server that was killed left its spinset behind; one that stopped
     * cleanly removed it already (then this finds nothing). */
    if (p->ino)
        coord__mspin_forget(p->dev, p->ino);
    p->ino = 0;
    if (p->made_dir)
        rmdir(p->dir); /* fails harmlessly if the user put files there */
    p->made_dir = false;
}

/* A socket file nobody listens on is left over from a crash: reuse it. */
static int clear_stale(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : errno_code(errno);
    if (!S_ISSOCK(st.st_mode))
        return COORD_EEXIST;
    /* Non-blocking: a live server whose backlog is full (it is busy or
     * stopped) says EAGAIN here instead of blocking this call. */
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return errno_code(errno);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path, path);
    int r = connect(fd, (struct sockaddr *)&a, sizeof a);
    int e = errno;
    close(fd);
    if (r == 0 || e == EAGAIN)
        return COORD_EEXIST; /* a live server */
    if (e != ECONNREFUSED)
        return errno_code(e);
    return unlink(path) == 0 ? 0 : errno_code(errno);
}

static int listen_on(struct coord__mpath *p, const char *path, int *fd_out)
{
    memset(p, 0, sizeof *p);
    int r = prepare_dir(p, path);
    if (r)
        return r;
    if ((r = clear_stale(p->path))) {
        path_cleanup(p);
        return r;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        r = errno_code(errno);
        path_cleanup(p);
        return r;
    }
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path, p->path);
    struct stat st;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        r = errno_code(errno);
        close(fd);
        path_cleanup(p);
        return r;
    }
    /* The directory is already private; 0600 on the socket is the second
     * fence (a directory that a user loosens later keeps the socket shut). */
    if (chmod(p->path, 0600) != 0 || lstat(p->path, &st) != 0 ||
        listen(fd, 128) != 0) {
        r = errno_code(errno);
        close(fd);
        unlink(p->path);
        path_cleanup(p);
        return r;
    }
    p->dev = st.st_dev;
    p->ino = st.st_ino;
    *fd_out = fd;
    return 0;
}

/* ---- connections ------------------------------------------------------- */

struct conn {
    int in_fd, out_fd; /* the socket, or the client's two pipes */
    int pend_in, pend_out; /* pipes received with HELLO, not yet in use */
    uint8_t *in;
    size_t in_len, in_cap;
    struct coord__wbuf out;
    size_t out_off;
    bool closing;     /* close once `out` is flushed */
    bool out_armed;   /* EPOLLOUT registered (reading paused) */
    bool pending;     /* complete frames left for the next turn */
    bool greeted;     /* a first frame (normally HELLO) was served */
    uint64_t deadline; /* handshake or stalled frame: closed at this time */
    struct conn *next_pending;
    struct conn *prev, *next; /* all live connections */
};

struct server {
    struct coord__mstore s;
    int ep, lfd, sfd;
    size_t nconns;
    struct conn *pending_head, *pending_tail;
    struct conn *all;
    void *lmark;        /* epoll cookie of the listening socket */
    bool listen_paused; /* out of descriptors: not accepting for now */
    uint64_t next_timer; /* earliest connection deadline, or UINT64_MAX */
    bool stop;
};

static void close_pending_fds(struct conn *c)
{
    if (c->pend_in >= 0)
        close(c->pend_in);
    if (c->pend_out >= 0)
        close(c->pend_out);
    c->pend_in = c->pend_out = -1;
}

static void conn_close(struct server *sv, struct conn *c)
{
    epoll_ctl(sv->ep, EPOLL_CTL_DEL, c->in_fd, NULL);
    close(c->in_fd);
    if (c->out_fd != c->in_fd) {
        epoll_ctl(sv->ep, EPOLL_CTL_DEL, c->out_fd, NULL);
        close(c->out_fd);
    }
    c->in_fd = c->out_fd = -1;
    close_pending_fds(c);
    free(c->in);
    c->in = NULL;
    coord__wbuf_free(&c->out);
    if (c->prev)
        c->prev->next = c->next;
    else
        sv->all = c->next;
    if (c->next)
        c->next->prev = c->prev;
    sv->nconns--;
    sv->s.st.clients = sv->nconns;
    if (sv->listen_paused) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = sv->lmark};
        if (epoll_ctl(sv->ep, EPOLL_CTL_ADD, sv->lfd, &ev) == 0)
            sv->listen_paused = false;
    }
    /* A pending connection is freed when the pending list reaches it. */
    if (!c->pending)
        free(c);
}

static void conn_arm(struct server *sv, struct conn *c, bool out)
{
    if (c->out_armed == out)
        return;
    /* Backpressure: while a reply waits for room in the socket or pipe,
     * stop reading this client's requests (memory stays bounded). */
    struct epoll_event ev = {.events = out ? EPOLLOUT : EPOLLIN,
                             .data.ptr = c};
    if (c->in_fd == c->out_fd) {
        epoll_ctl(sv->ep, EPOLL_CTL_MOD, c->in_fd, &ev);
    } else if (out) {
        epoll_ctl(sv->ep, EPOLL_CTL_DEL, c->in_fd, NULL);
        epoll_ctl(sv->ep, EPOLL_CTL_ADD, c->out_fd, &ev);
    } else {
        epoll_ctl(sv->ep, EPOLL_CTL_DEL, c->out_fd, NULL);
        epoll_ctl(sv->ep, EPOLL_CTL_ADD, c->in_fd, &ev);
    }
    c->out_armed = out;
}

/* Write what we can. Returns false when the connection was closed. */
static bool conn_flush(struct server *sv, struct conn *c)
{
    while (c->out_off < c->out.len) {
        /* Non-blocking descriptors; SIGPIPE is ignored in the server. */
        ssize_t n = write(c->out_fd, c->out.p + c->out_off,
                          c->out.len - c->out_off);
        if (n > 0) {
            c->out_off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (c->closing) {
                conn_close(sv, c);
                return false;
            }
            conn_arm(sv, c, true);
            return true;
        }
        conn_close(sv, c); /* EPIPE, ECONNRESET: the client is gone */
        return false;
    }
    c->out.len = c->out_off = 0;
    if (c->out.cap > (1u << 20)) { /* do not keep a big reply's buffer */
        coord__wbuf_free(&c->out);
    }
    if (c->closing) {
        conn_close(sv, c);
        return false;
    }
    conn_arm(sv, c, false);
    return true;
}

static void pending_push(struct server *sv, struct conn *c)
{
    if (c->pending)
        return;
    c->pending = true;
    c->next_pending = NULL;
    if (sv->pending_tail)
        sv->pending_tail->next_pending = c;
    else
        sv->pending_head = c;
    sv->pending_tail = c;
}

static void send_err_and_close(struct server *sv, struct conn *c, int code)
{
    size_t f = coord__wb_frame_begin(&c->out, COORD__W_ERR, 0, 0);
    coord__wb_u32(&c->out, (uint32_t)code);
    coord__wb_frame_end(&c->out, f, 0);
    c->closing = true;
    conn_flush(sv, c);
}

/* Move the connection to the pipes that came with its HELLO: send the
 * WELCOME on the socket first, then serve only the pipes (the socket is
 * closed; the client's death is end-of-file on the request pipe). A client
 * that sent more on the socket after HELLO breaks the protocol. Returns
 * false when the connection was closed. */
static bool conn_upgrade(struct server *sv, struct conn *c, size_t left)
{
    if (left != 0)
        goto fail;
    if (!conn_flush(sv, c))
        return false; /* closed */
    if (c->out.len != 0) /* the WELCOME did not fit in the socket */
        goto fail;
    epoll_ctl(sv->ep, EPOLL_CTL_DEL, c->in_fd, NULL);
    close(c->in_fd);
    c->in_fd = c->pend_in;
    c->out_fd = c->pend_out;
    c->pend_in = c->pend_out = -1;
    fcntl(c->in_fd, F_SETFL, O_NONBLOCK);
    fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    c->out_armed = false;
    if (epoll_ctl(sv->ep, EPOLL_CTL_ADD, c->in_fd, &ev) == 0)
        return true;
fail:
    sv->s.st.malformed++;
    conn_close(sv, c);
    return false;
}

/* ---- deadlines ----------------------------------------------------------
 * A connection holds a slot (max_clients) and descriptors, so one that
 * does not speak must not hold them for long: until its first frame is
 * served it lives at most handshake_ms from its accept, and afterwards a
 * partial frame that gets no new byte for stall_ms closes it. Replies the
 * client does not read (out_armed) and complete frames waiting for their
 * turn (pending) are the server's wait, not the client's, and never time
 * out. Each connection keeps its own deadline; next_timer is a lower bound
 * of them, so the loop costs nothing while no deadline is set, and a sweep
 * (every connection, O(max_clients)) runs only when next_timer is due. */

static void timer_arm(struct server *sv, struct conn *c, uint64_t deadline)
{
    c->deadline = deadline;
    if (deadline < sv->next_timer)
        sv->next_timer = deadline;
}

static bool conn_timed(const struct conn *c)
{
    return !c->greeted || (c->in_len > 0 && !c->out_armed && !c->pending);
}

/* Close the connections whose deadline passed; recompute next_timer. */
static void timer_sweep(struct server *sv, uint64_t now)
{
    uint64_t next = UINT64_MAX;
    for (struct conn *c = sv->all, *nx; c; c = nx) {
        nx = c->next;
        if (!conn_timed(c))
            continue;
        if (now >= c->deadline) {
            if (c->in_len > 0)
                sv->s.st.malformed++; /* a half frame is dropped */
            conn_close(sv, c);
        } else if (c->deadline < next) {
            next = c->deadline;
        }
    }
    sv->next_timer = next;
}

/* The epoll_wait timeout: `tmo` (0 or -1, the loop's own choice), shortened
 * to reach the next connection deadline; sweeps first when it is due. */
static int timer_wait_ms(struct server *sv, int tmo)
{
    /* Checked on busy turns too (tmo 0): a loop kept awake by other
     * clients must still close the silent ones. */
    if (sv->next_timer == UINT64_MAX)
        return tmo;
    uint64_t now = coord_clock_ns();
    if (now >= sv->next_timer)
        timer_sweep(sv, now);
    if (tmo == 0 || sv->next_timer == UINT64_MAX)
        return tmo;
    uint64_t ms = (sv->next_timer - now + 999999) / 1000000;
    return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

/* Serve up to FRAMES_PER_TURN complete frames from the input buffer.
 * Returns false when the connection was closed. */
static bool conn_serve(struct server *sv, struct conn *c)
{
    size_t off = 0;
    int served = 0;
    bool more = false;
    while (!c->closing) {
        struct coord__whdr h;
        int r = coord__wire_header(c->in + off, c->in_len - off,
                                   sv->s.o.max_frame, &h);
        if (r == COORD_EAGAIN)
            break;
        if (r) {
            sv->s.st.malformed++;
            send_err_and_close(sv, c, r);
            return false;
        }
        size_t total = (size_t)h.len + 4;
        if (c->in_len - off < total) {
            /* Incomplete: make room for the whole frame (bounded by
             * max_frame, checked above). */
            if (off == 0 && total > c->in_cap) {
                uint8_t *p = realloc(c->in, total);
                if (!p) {
                    send_err_and_close(sv, c, COORD_ENOMEM);
                    return false;
                }
                c->in = p;
                c->in_cap = total;
            }
            break;
        }
        /* Frames left: served on the next turn (fairness: others first),
         * or, while the output waits for room, by the EPOLLOUT handler
         * (a pending turn would only spin the loop meanwhile). */
        if (c->out_armed || served == FRAMES_PER_TURN) {
            more = true;
            break;
        }
        bool upgrade = h.kind == COORD__W_HELLO && c->pend_in >= 0;
        sv->s.welcome_flags = upgrade ? COORD__WELCOME_PIPES : 0;
        r = coord__mstore_exec(&sv->s, c->in + off, total, &c->out);
        sv->s.welcome_flags = 0;
        off += total;
        served++;
        c->greeted = true; /* it spoke: the handshake deadline is over */
        if (r) {
            c->closing = true;
        } else if (upgrade) {
            if (!conn_upgrade(sv, c, c->in_len - off))
                return false;
        } else if (c->out.len - c->out_off >= OUT_FLUSH_AT) {
            /* Send a big reply before building the next: if the client
             * does not take it, out_armed stops the loop, so replies held
             * here stay below OUT_FLUSH_AT plus one frame. */
            if (!conn_flush(sv, c))
                return false;
        }
    }
    if (off) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
    }
    if (c->in_len == 0 && c->in_cap > (1u << 20)) {
        uint8_t *p = realloc(c->in, CONN_BUF0);
        if (p) {
            c->in = p;
            c->in_cap = CONN_BUF0;
        }
    }
    if (c->out.len > c->out_off || c->closing) {
        if (!conn_flush(sv, c))
            return false;
    }
    if (more && !c->out_armed)
        pending_push(sv, c);
    /* A partial frame left: its clock starts now (new bytes, or the end of
     * a wait that was ours: backpressure or a pending turn). */
    if (c->greeted && conn_timed(c))
        timer_arm(sv, c,
                  coord_clock_ns() + (uint64_t)sv->s.o.stall_ms * 1000000);
    return true;
}

/* recvmsg on the socket, taking file descriptors sent along: exactly two
 * pipes (a read end for requests, a write end for replies, of two different
 * pipes), else the frame is refused. Returns the byte count (0: end of
 * file, -1: errno), or -2 when the connection was closed here. */
static ssize_t recv_fds(struct server *sv, struct conn *c)
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
        if (code == COORD_EMFILE || nfd != 2 || c->pend_in >= 0 ||
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
        c->pend_in = fds[0];
        c->pend_out = fds[1];
    }
    if (code) {
        if (code == COORD_EBADMSG)
            sv->s.st.malformed++;
        send_err_and_close(sv, c, code);
        return -2;
    }
    return n;
}

static void conn_read(struct server *sv, struct conn *c)
{
    if (c->in_len == c->in_cap) {
        /* A full buffer holds complete frames waiting for their turn. */
        conn_serve(sv, c);
        return;
    }
    ssize_t n;
    if (c->in_fd == c->out_fd) {
        /* Still on the socket: a HELLO may carry the client's pipes. */
        n = recv_fds(sv, c);
        if (n == -2)
            return;
    } else {
        n = read(c->in_fd, c->in + c->in_len, c->in_cap - c->in_len);
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        /* EOF or reset: a client that died mid-request leaves a partial
         * frame, which is simply dropped with the connection. */
        if (c->in_len > 0)
            sv->s.st.malformed++;
        conn_close(sv, c);
        return;
    }
    c->in_len += (size_t)n;
    conn_serve(sv, c);
}

static void do_accept(struct server *sv)
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
        } else if (sv->nconns >= sv->s.o.max_clients) {
            sv->s.st.refused_full++;
            code = COORD_ECONNREFUSED;
        }
        struct conn *c = code ? NULL : calloc(1, sizeof *c);
        if (c)
            c->in = malloc(CONN_BUF0);
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
        timer_arm(sv, c,
                  coord_clock_ns() + (uint64_t)sv->s.o.handshake_ms * 1000000);
        c->in_cap = CONN_BUF0;
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

/* The loop. Returns when the signalfd fires. */
static int serve(int lfd, int sfd, const coord_manager_opts *o)
{
    struct server sv;
    memset(&sv, 0, sizeof sv);
    sv.next_timer = UINT64_MAX;
    coord__mstore_init(&sv.s, o);
    sv.lfd = lfd;
    sv.sfd = sfd;
    sv.ep = epoll_create1(EPOLL_CLOEXEC);
    if (sv.ep < 0)
        return errno_code(errno);
    static char lmark, smark; /* epoll cookies of the two special fds */
    sv.lmark = &lmark;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &lmark};
    epoll_ctl(sv.ep, EPOLL_CTL_ADD, lfd, &ev);
    ev.data.ptr = &smark;
    epoll_ctl(sv.ep, EPOLL_CTL_ADD, sfd, &ev);
    struct epoll_event evs[MAX_EVENTS];
    /* After serving, poll until spin_until before sleeping (spin_ns in
     * manager.h, src/wait.h). The window opens when the serving is done,
     * so a long turn does not use it up, nor pass for a lost CPU. */
    uint64_t spin_ns = o->spin_ns > 0 ? (uint64_t)o->spin_ns : 0;
    uint64_t spin_until = 0;
    struct coord__spinner sp = {0};
    /* Spins of our clients are not load for us, nor ours for them. We
     * serve everyone, so slot 0 is ours: the clients share the others. */
    struct coord__spinset *spins = coord__mspin_serve(lfd);
    coord__spinner_join_as(&sp, spins, COORD__SPIN_LEAD);
    while (!sv.stop) {
        bool spin = false;
        if (!sv.pending_head && spin_ns)
            spin = coord_clock_ns() < spin_until;
        if (!spin && spin_until) {
            coord__spin_end(&sp); /* the window is over */
            spin_until = 0;
        }
        int tmo = timer_wait_ms(&sv, sv.pending_head || spin ? 0 : -1);
        int n = epoll_wait(sv.ep, evs, MAX_EVENTS, tmo);
        if (n < 0 && errno != EINTR)
            break;
        if (n == 0 && spin && !coord__spin_step(&sp)) {
            coord__spin_end(&sp); /* the CPU is wanted: sleep (wait.h) */
            spin_until = 0;
        }
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == &lmark) {
                do_accept(&sv);
            } else if (p == &smark) {
                sv.stop = true;
            } else {
                struct conn *c = p;
                if (c->in_fd < 0)
                    continue;
                /* While armed only the output is watched: EPOLLOUT, or an
                 * error or hang-up (its reader is gone), which the write
                 * then reports (EPIPE: closed). Reading instead would find
                 * nothing and the level-triggered error would spin. */
                if (c->out_armed) {
                    if (conn_flush(&sv, c))
                        conn_serve(&sv, c);
                } else
                    conn_read(&sv, c);
            }
        }
        /* One more turn for each connection that had frames left. */
        struct conn *c = sv.pending_head, *next;
        sv.pending_head = sv.pending_tail = NULL;
        for (; c; c = next) {
            next = c->next_pending;
            c->pending = false;
            if (c->in_fd < 0)
                free(c);
            else
                conn_serve(&sv, c);
        }
        if (n > 0 && spin_ns)
            spin_until =
                coord__spin_begin(&sp, spin_ns) ? sp.start + spin_ns : 0;
    }
    coord__spin_end(&sp);
    coord__mspin_close(spins, true);
    /* Stop: close every connection (clients see EOF: COORD_EPEERDIED). */
    for (struct conn *c = sv.pending_head, *next; c; c = next) {
        next = c->next_pending;
        c->pending = false;
        if (c->in_fd < 0)
            free(c);
    }
    while (sv.all)
        conn_close(&sv, sv.all);
    close(sv.ep);
    coord__mstore_free(&sv.s);
    return 0;
}

/* ---- start / stop / run ------------------------------------------------- */

struct coord_manager {
    struct coord__mpath p;
    coord__child child;
    coord_manager_opts o;
    int lfd;
    pid_t parent;
};

static int server_main(void *arg)
{
    struct coord_manager *m = arg;
    /* The fork copied every descriptor of the creator, among them the
     * pipes of its clients (of other managers): holding a client's request
     * pipe would keep that client's connection open after it closed. Keep
     * only stdio and the listening socket. */
    unsigned lfd = (unsigned)m->lfd;
    if (lfd > 3)
        close_range(3, lfd - 1, 0);
    close_range(lfd + 1, ~0u, 0);
    /* Ctrl-C in the terminal reaches the whole process group: the server
     * keeps serving (its owner decides when to stop, as Python's does). */
    signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0)
        return 3;
    /* Die with the owner, but through SIGTERM so the socket is removed. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != m->parent) {
        path_cleanup(&m->p);
        return 0;
    }
    int r = serve(m->lfd, sfd, &m->o);
    close(m->lfd);
    path_cleanup(&m->p);
    return r ? 4 : 0;
}

int coord_manager_start(coord_manager **out, const char *socket_path,
                        const coord_manager_opts *opts)
{
    if (!out)
        return COORD_EINVAL;
    *out = NULL;
    struct coord_manager *m = calloc(1, sizeof *m);
    if (!m)
        return COORD_ENOMEM;
    int r = coord__mopts_fix(opts, &m->o);
    if (r == 0)
        r = listen_on(&m->p, socket_path, &m->lfd);
    if (r) {
        free(m);
        return r;
    }
    m->parent = getpid();
    r = coord__spawn(&m->child, server_main, m);
    close(m->lfd);
    if (r) {
        unlink(m->p.path);
        path_cleanup(&m->p);
        free(m);
        return r;
    }
    *out = m;
    return 0;
}

const char *coord_manager_path(const coord_manager *m)
{
    return m ? m->p.path : NULL;
}

int coord_manager_pid(const coord_manager *m)
{
    return m ? (int)m->child.pid : 0;
}

int coord_manager_stop(coord_manager *m, int timeout_ms)
{
    if (!m)
        return COORD_EINVAL;
    if (coord__check_timeout(timeout_ms))
        return COORD_EINVAL; /* nothing done: the caller may retry */
    int rc = 0;
    if (m->child.pid > 0) {
        bool already = coord__child_wait(&m->child, 0) == 0;
        if (!already) {
            kill(m->child.pid, SIGTERM);
            if (coord__child_wait(&m->child, timeout_ms) != 0) {
                coord__child_kill(&m->child);
                rc = COORD_ETIMEDOUT;
            }
        }
        /* Reaped elsewhere (SIGCHLD ignored), the status is unknown: after
         * our SIGTERM, take it for the clean stop it almost surely was. */
        int st = m->child.status;
        if (rc == 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0) &&
            !(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM && !already) &&
            !(st == COORD__STATUS_UNKNOWN && !already))
            rc = COORD_EPEERDIED;
    }
    /* The server removes its socket on a clean stop; after a crash or a
     * kill, do it here (only the socket we bound, by inode). */
    path_cleanup(&m->p);
    free(m);
    return rc;
}

int coord_manager_run(const char *socket_path, const coord_manager_opts *opts)
{
    return coord_manager_run_ready(socket_path, opts, NULL, NULL);
}

int coord_manager_run_ready(const char *socket_path,
                            const coord_manager_opts *opts,
                            void (*ready)(void *arg, const char *path),
                            void *arg)
{
    coord_manager_opts o;
    int r = coord__mopts_fix(opts, &o);
    if (r)
        return r;
    if (!socket_path)
        return COORD_EINVAL;
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (pthread_sigmask(SIG_BLOCK, &set, &old) != 0)
        return COORD_EINVAL;
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        r = errno_code(errno);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return r;
    }
    struct sigaction sa_old, sa = {.sa_handler = SIG_IGN};
    sigaction(SIGPIPE, &sa, &sa_old);
    struct coord__mpath p;
    int lfd;
    r = listen_on(&p, socket_path, &lfd);
    if (r == 0) {
        if (ready)
            ready(arg, p.path);
        r = serve(lfd, sfd, &o);
        close(lfd);
        path_cleanup(&p);
    }
    close(sfd);
    /* Drop the signal that stopped us, so restoring the mask does not
     * deliver it again. */
    struct timespec zero = {0, 0};
    while (sigtimedwait(&set, NULL, &zero) > 0) {
    }
    sigaction(SIGPIPE, &sa_old, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return r;
}
