/* SPDX-License-Identifier: MIT */
/* manager_client.c: a manager client's requests: one blocking round trip per call or batch (pipes or the mailbox), with deadlines and the polite spin. */
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

static void close_fds(coord_mclient *c)
{
    int fds[4] = {c->fd, c->in_fd, c->out_fd, c->keep_fd};
    for (int i = 0; i < 4; i++) {
        bool dup = false;
        for (int j = 0; j < i; j++)
            dup |= fds[j] == fds[i];
        if (fds[i] >= 0 && !dup)
            close(fds[i]);
    }
    c->fd = c->in_fd = c->out_fd = c->keep_fd = -1;
}

void coord__mcli_broken(coord_mclient *c)
{
    c->broken = true;
    close_fds(c);
}

int coord__mcli_remaining_ms(uint64_t deadline)
{
    uint64_t now = coord_clock_ns();
    if (now >= deadline)
        return 0;
    uint64_t ms = (deadline - now + 999999u) / 1000000u;
    return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

/* One non-blocking read into the stream buffer (the reply pipe is
 * non-blocking; the socket is read with MSG_DONTWAIT). */
static ssize_t read_nb(coord_mclient *c)
{
    void *p = c->in + c->in_len;
    size_t n = c->in_cap - c->in_len;
    if (c->in_fd == c->fd)
        return recv(c->in_fd, p, n, MSG_DONTWAIT);
    return read(c->in_fd, p, n);
}

/* The first wait of a call: read again and again for up to spin_ns, or
 * to the call's deadline, politely (src/wait.h). A reply from a server
 * that is awake comes back in a microsecond or two, while waking a
 * sleeping process costs tens of them on an idle VM. Reading, rather than
 * polling then reading, keeps the pick-up to one system call. Returns the
 * last read's result; -1 with errno EAGAIN when nothing came (sleep). */
static ssize_t spin_read(coord_mclient *c, int timeout_ms, uint64_t deadline)
{
    if (!coord__spin_begin(&c->sp, c->spin_ns)) {
        errno = EAGAIN;
        return -1;
    }
    uint64_t end = c->sp.start + c->spin_ns;
    if (timeout_ms > 0 && end > deadline)
        end = deadline;
    ssize_t n;
    do {
        /* Past the window, or the CPU is wanted: sleep (wait.h). */
        if (coord_clock_ns() >= end || !coord__spin_step(&c->sp)) {
            coord__spin_end(&c->sp);
            errno = EAGAIN;
            return -1;
        }
        n = read_nb(c);
    } while (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
    int e = errno;
    coord__spin_end(&c->sp);
    errno = e;
    return n;
}

/* Sleep until the reply path is readable, or the deadline. Returns 0
 * (read again), COORD_ETIMEDOUT, COORD_EINTR (the interrupt function
 * ended the call) or COORD_ENOMEM (poll could not allocate). */
static int wait_in(coord_mclient *c, int timeout_ms, uint64_t deadline)
{
    struct pollfd p = {c->in_fd, POLLIN, 0};
    for (;;) {
        int ms = timeout_ms < 0 ? -1 : coord__mcli_remaining_ms(deadline);
        if (ms == 0)
            return COORD_ETIMEDOUT;
        int pr = poll(&p, 1, coord__mcli_sleep_ms(c, ms));
        if (pr > 0)
            return 0;
        if (pr < 0 && errno == ENOMEM)
            return COORD_ENOMEM;
        if (coord__mcli_interrupted(c))
            return COORD_EINTR;
        /* 0: poll rounds up, so the deadline may not have passed yet;
         * EINTR: wait again for what is left. */
    }
}

bool coord__mcli_code_ok(int code)
{
    switch (code) {
#define COORD__ERRNO_CASE(name, value, text) case (value):
        COORD_ERRNO_MAP(COORD__ERRNO_CASE)
#undef COORD__ERRNO_CASE
        return true;
    default:
        return false;
    }
}

/* The code an ERR frame of `total` bytes carries (a negative COORD_E*),
 * or COORD_EPROTO when it carries none (or one coord_strerror does not
 * know: no call may return an undocumented code). */
static int err_code(const uint8_t *frame, size_t total)
{
    struct coord__rd rd = {frame + COORD__WIRE_HDR, frame + total, false};
    int code = (int32_t)coord__rd_u32(&rd);
    return !rd.bad && coord__mcli_code_ok(code) ? code : COORD_EPROTO;
}

/* Is a complete ERR frame waiting? Returns its code, or 0. Used when a
 * send fails: the server may have said why it closed. */
int coord__mcli_pending_err(coord_mclient *c)
{
    while (c->in_len < c->in_cap) {
        ssize_t n = read_nb(c);
        if (n <= 0)
            break;
        c->in_len += (size_t)n;
    }
    struct coord__whdr h;
    if (coord__wire_header(c->in, c->in_len, c->max_frame, &h) == 0 &&
        h.kind == COORD__W_ERR && c->in_len >= COORD__WIRE_HDR + 4)
        return err_code(c->in, c->in_len);
    return 0;
}

/* Drop the frames before in[*at] (the ones next_frame passed over). */
static void compact(coord_mclient *c, size_t *at)
{
    if (*at) {
        memmove(c->in, c->in + *at, c->in_len - *at);
        c->in_len -= *at;
        *at = 0;
    }
}

/* The frame at in[*at] (the frames before it are dropped ones, moved out
 * in one go: one move per frame of a stream of 12-byte bells behind a
 * large buffer took seconds): 1 when it is the whole reply to `seq` (*h
 * filled, moved to the front, c->consumed set; never while `sending`: no
 * reply to a request can come before all of it is sent), 0 when it is a
 * late reply (to a call that returned without it) or a bell, passed over
 * (look again), 2 when more bytes are needed (the dropped frames moved
 * out, room made), or the code that ends the call: the client is then
 * broken, but for COORD_ENOMEM, which leaves the stream intact (retry
 * later). A reply to a later request, or a frame no reply is, is garbage
 * (COORD_EPROTO). */
static int next_frame(coord_mclient *c, uint32_t seq, bool sending,
                      struct coord__whdr *h, size_t *at)
{
    const uint8_t *f = c->in + *at;
    size_t have = c->in_len - *at;
    int r = coord__wire_header(f, have, c->max_frame, h);
    if (r && r != COORD_EAGAIN) {
        coord__mcli_broken(c);
        /* A server of another protocol version is not garbage. */
        return r == COORD_EVERSION ? COORD_EVERSION : COORD_EPROTO;
    }
    size_t total = r == 0 ? (size_t)h->len + 4 : 0;
    if (r == 0 && have >= total) {
        if (h->kind == COORD__W_ERR) {
            int code = err_code(f, total);
            coord__mcli_broken(c);
            return code;
        }
        if (h->kind != COORD__W_NOP) { /* not a stale bell */
            if (h->seq == seq && !sending) {
                compact(c, at);
                c->consumed = total;
                return 1;
            }
            if (h->seq == seq || (int32_t)(h->seq - seq) > 0 ||
                (h->kind != COORD__W_REP && h->kind != COORD__W_WELCOME)) {
                coord__mcli_broken(c);
                return COORD_EPROTO;
            }
        }
        *at += total;
        return 0;
    }
    compact(c, at);
    size_t want = total > COORD__WIRE_HDR ? total : COORD__WIRE_HDR;
    if (want > c->in_cap) {
        uint8_t *p = realloc(c->in, want);
        if (!p)
            return COORD_ENOMEM;
        c->in = p;
        c->in_cap = want;
    }
    return 2;
}

/* While a request waits for room: take in what the server sends, and drop
 * the late replies (to calls that returned without them) and bells at the
 * front. The server reads no request of a client whose replies it cannot
 * write (backpressure), so a late reply larger than the pipe, left unread
 * while a request larger than the pipe is written, held both sides until
 * the call's deadline (for ever with -1), and the half-sent request then
 * broke the connection. No reply to the request being sent can come yet.
 * Returns 0, or the code that ends the call. */
static int absorb_late(coord_mclient *c, int timeout_ms, uint64_t deadline)
{
    size_t at = 0;
    for (;;) {
        struct coord__whdr h;
        int r = next_frame(c, c->seq, true, &h, &at);
        if (r == 0)
            continue;
        if (r != 2)
            return r;
        /* A server that never stops sending (bells, late replies) never
         * lets a read say EAGAIN: the deadline is checked between reads
         * (send_all then ends the call). */
        if (timeout_ms > 0 && coord_clock_ns() >= deadline)
            return 0;
        ssize_t n = read_nb(c);
        if (n > 0) {
            c->in_len += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        coord__mcli_broken(c);
        return COORD_EPEERDIED;
    }
}

/* Write the whole request (the data path is non-blocking: a full pipe or
 * socket is waited for in poll, up to the deadline, reading meanwhile what
 * the server sends: absorb_late). A pipe never raises SIGPIPE here: we keep
 * a read end of the request pipe open ourselves, and a dead server shows as
 * end-of-file on the reply path instead. */
static int send_all(coord_mclient *c, int timeout_ms, uint64_t deadline)
{
    size_t off = 0;
    bool sock = c->out_fd == c->fd;
    while (off < c->out.len) {
        ssize_t n = sock ? send(c->out_fd, c->out.p + off, c->out.len - off,
                                MSG_NOSIGNAL | MSG_DONTWAIT)
                         : write(c->out_fd, c->out.p + off, c->out.len - off);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int ms = timeout_ms < 0 ? -1 : coord__mcli_remaining_ms(deadline);
            /* Watch the reply path too: since we hold a reader of our own
             * request pipe, a dead server never makes it writable again,
             * but its end of the reply pipe closes (POLLHUP). */
            struct pollfd p[2] = {{c->out_fd, sock ? POLLOUT | POLLIN : POLLOUT, 0},
                                  {c->in_fd, POLLIN, 0}};
            int pr = ms == 0 ? 0
                             : poll(p, sock ? 1 : 2, coord__mcli_sleep_ms(c, ms));
            short in = sock ? p[0].revents : p[1].revents;
            if (pr > 0 && (in & (POLLIN | POLLHUP | POLLERR))) {
                /* A dead server: its end of file is read there. */
                int r = absorb_late(c, timeout_ms, deadline);
                if (r) {
                    if (off > 0 || c->broken)
                        coord__mcli_broken(c);
                    return r;
                }
            }
            if (pr > 0)
                continue;
            int e = errno;
            bool stop = ms != 0 && coord__mcli_interrupted(c);
            /* EINTR, or a sleep cut short for the interrupt function: wait
             * again for what is left. */
            if (!stop && ((pr < 0 && e == EINTR) ||
                          (pr == 0 && ms != coord__mcli_sleep_ms(c, ms))))
                continue;
            int code = stop ? COORD_EINTR
                            : timeout_ms == 0 ? COORD_EAGAIN : COORD_ETIMEDOUT;
            /* Half a frame on the wire cannot be taken back. */
            if (off > 0)
                coord__mcli_broken(c);
            return code;
        }
        int code = coord__mcli_pending_err(c);
        coord__mcli_broken(c);
        return code ? code : COORD_EPEERDIED;
    }
    return 0;
}

/* Read until in[0..] holds the complete reply to `seq`. Late replies to
 * earlier requests (after a timeout) are skipped. */
int coord__mcli_recv_reply(coord_mclient *c, uint32_t seq, int timeout_ms,
                           uint64_t deadline, struct coord__whdr *h)
{
    bool spun = false;
    uint64_t got = 0; /* bytes read by this call */
    size_t at = 0;
    for (;;) {
        int r = next_frame(c, seq, false, h, &at);
        if (r == 1)
            return 0;
        if (r == 0)
            continue;
        if (r != 2)
            return r;
        /* A server that never stops sending (bells, late replies) never
         * lets a read say EAGAIN: the deadline is checked here too. A call
         * that may not wait (timeout 0) reads at most two of the largest
         * frames (a late reply and its own) of such a stream, then says
         * EAGAIN as if its reply had not come yet. */
        if (timeout_ms > 0 && coord_clock_ns() >= deadline)
            return COORD_ETIMEDOUT;
        if (timeout_ms == 0 && got >= 2 * (uint64_t)c->max_frame)
            return COORD_EAGAIN;
        /* Read what is there; when nothing is, wait (spin, then sleep)
         * for what is left of the call's deadline (sending may have used
         * part of it). */
        ssize_t n = read_nb(c);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !spun &&
            timeout_ms != 0) {
            spun = true;
            n = spin_read(c, timeout_ms, deadline);
        }
        if (n > 0) {
            c->in_len += (size_t)n;
            got += (uint64_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (timeout_ms == 0)
                return COORD_EAGAIN;
            int w = wait_in(c, timeout_ms, deadline);
            if (w)
                return w;
            continue;
        }
        coord__mcli_broken(c);
        return COORD_EPEERDIED;
    }
}

/* Drop the reply handed out by the previous call (its bytes stayed valid
 * until now). */
void coord__mcli_release(coord_mclient *c)
{
    if (c->consumed) {
        memmove(c->in, c->in + c->consumed, c->in_len - c->consumed);
        c->in_len -= c->consumed;
        c->consumed = 0;
    }
}

/* ---- the mailbox (manager_fast.h) ---------------------------------- */

static bool fast_ready(const void *ctx)
{
    const struct coord__mfast *f = ctx;
    uint32_t s = atomic_load_explicit(&f->state, memory_order_acquire);
    return s == COORD__MF_REPLIED || s == COORD__MF_PIPE;
}

/* While asleep on the reply pipe during a mailbox request: read what came
 * (bells, or the server's ERR before it closed) and drop the bells at the
 * front. Returns 0, or the code that ends the call (the connection is then
 * broken). */
static int drain_bells(coord_mclient *c)
{
    /* One read per wake-up, into the room there is: read until EAGAIN,
     * doubling the buffer, a server that kept writing grew the client
     * without bound (2 GB in 4 s) and held it past its deadline. Only
     * bells and an ERR may come here (nothing is owed on the pipe while
     * the mailbox is in use): the caller's loop checks the deadline. */
    if (c->in_len < c->in_cap) {
        ssize_t n;
        do {
            n = read_nb(c);
        } while (n < 0 && errno == EINTR);
        if (n > 0) {
            c->in_len += (size_t)n;
        } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
            coord__mcli_broken(c); /* end of file: the server is gone */
            return COORD_EPEERDIED;
        }
    }
    struct coord__whdr h;
    for (;;) {
        int r = coord__wire_header(c->in, c->in_len, c->max_frame, &h);
        if (r == COORD_EAGAIN)
            break;
        if (r) {
            coord__mcli_broken(c);
            return r == COORD_EVERSION ? COORD_EVERSION : COORD_EPROTO;
        }
        size_t total = (size_t)h.len + 4;
        if (c->in_len < total) {
            /* A bell or an ERR longer than the buffer: room for it, or
             * the next wake-up would find the pipe readable and no room
             * to read into, for ever (a reply waits for recv_reply). */
            if (total > c->in_cap &&
                (h.kind == COORD__W_NOP || h.kind == COORD__W_ERR)) {
                uint8_t *p = realloc(c->in, total);
                if (!p)
                    return COORD_ENOMEM;
                c->in = p;
                c->in_cap = total;
            }
            break;
        }
        if (h.kind == COORD__W_ERR) {
            int code = err_code(c->in, total);
            coord__mcli_broken(c);
            return code;
        }
        if (h.kind != COORD__W_NOP)
            break; /* a reply on the pipe: state says PIPE by now */
        memmove(c->in, c->in + total, c->in_len - total);
        c->in_len -= total;
    }
    return 0;
}

/* Sleep until the server answers the mailbox request (state REPLIED or
 * PIPE), the deadline, or the server's death. Returns 0 or a code. */
static int fast_sleep(coord_mclient *c, int timeout_ms, uint64_t deadline)
{
    struct coord__mfast *f = c->fast;
    uint32_t want = COORD__MF_REQ_SPIN;
    if (!atomic_compare_exchange_strong(&f->state, &want,
                                        COORD__MF_REQ_SLEEP))
        return 0; /* answered meanwhile */
    for (;;) {
        if (fast_ready(f))
            return 0;
        int ms = timeout_ms < 0 ? -1 : coord__mcli_remaining_ms(deadline);
        if (ms == 0)
            return COORD_ETIMEDOUT;
        struct pollfd p = {c->in_fd, POLLIN, 0};
        int pr = poll(&p, 1, coord__mcli_sleep_ms(c, ms));
        if (pr < 0 && errno == ENOMEM)
            return COORD_ENOMEM;
        if (pr <= 0 && !fast_ready(f) && coord__mcli_interrupted(c))
            return COORD_EINTR;
        /* Take the bell now (it would wake the next call's poll), or the
         * server's ERR, or its end of file. */
        if (pr > 0) {
            int r = drain_bells(c);
            if (r)
                return r;
        }
    }
}

/* One round trip through the mailbox: the request in c->out (at most
 * COORD__MF_CAP bytes), the reply left at c->in[0] (c->consumed bytes). */
static int fast_roundtrip(coord_mclient *c, int timeout_ms, uint64_t deadline,
                          struct coord__whdr *h)
{
    struct coord__mfast *f = c->fast;
    memcpy(coord__mfast_req(f, c->out.len), c->out.p, c->out.len);
    atomic_store_explicit(&f->req_len, (uint32_t)c->out.len,
                          memory_order_relaxed);
    atomic_store(&f->state, COORD__MF_REQ_SPIN); /* seq_cst: then look */
    if (atomic_load(&f->srv_sleep)) {
        /* The server sleeps in epoll_wait: ring. A full pipe (EAGAIN)
         * wakes it anyway; a dead server shows on the reply pipe. */
        uint8_t nop[COORD__WIRE_HDR];
        coord__mfast_nop(nop);
        ssize_t n;
        do {
            n = write(c->out_fd, nop, sizeof nop);
        } while (n < 0 && errno == EINTR);
    }
    /* The spin never outlasts the call's deadline. */
    uint64_t spin = c->spin_ns, now = coord_clock_ns();
    if (timeout_ms > 0)
        spin = now >= deadline ? 0 : spin < deadline - now ? spin
                                                           : deadline - now;
    int r = 0;
    if (!coord__spin_member(&c->sp, spin, fast_ready, f,
                            timeout_ms > 0 ? deadline : UINT64_MAX)) {
        r = fast_sleep(c, timeout_ms, deadline);
        coord__spin_woke(&c->sp);
    }
    if (r) {
        /* The reply may still come, to the mailbox or the pipe: from now
         * on this connection uses the pipes, which skip a late reply. */
        c->fast_off = true;
        return r;
    }
    uint32_t s = atomic_load_explicit(&f->state, memory_order_acquire);
    if (s == COORD__MF_PIPE) {
        atomic_store_explicit(&f->state, COORD__MF_IDLE, memory_order_relaxed);
        r = coord__mcli_recv_reply(c, c->seq, timeout_ms, deadline, h);
        if (r)
            c->fast_off = true;
        return r;
    }
    /* REPLIED: copy the reply out (the mailbox is untrusted: check it) and
     * put it in front of whatever the pipe brought meanwhile (bells). */
    uint32_t len = atomic_load_explicit(&f->rep_len, memory_order_relaxed);
    if (len < COORD__WIRE_HDR || len > COORD__MF_CAP) {
        coord__mcli_broken(c);
        return COORD_EPROTO;
    }
    if (c->in_cap - c->in_len < len) {
        uint8_t *p = realloc(c->in, c->in_len + len);
        if (!p) {
            c->fast_off = true; /* the reply is lost with the call */
            return COORD_ENOMEM;
        }
        c->in = p;
        c->in_cap = c->in_len + len;
    }
    memmove(c->in + len, c->in, c->in_len);
    memcpy(c->in, coord__mfast_rep(f, len), len);
    c->in_len += len;
    atomic_store_explicit(&f->state, COORD__MF_IDLE, memory_order_release);
    r = coord__wire_header(c->in, len, c->max_frame, h);
    if (r || (size_t)h->len + 4 != len || h->kind != COORD__W_REP ||
        h->seq != c->seq) {
        coord__mcli_broken(c);
        return r == COORD_EVERSION ? COORD_EVERSION : COORD_EPROTO;
    }
    c->consumed = len;
    return 0;
}

int coord__mcli_roundtrip(coord_mclient *c, int timeout_ms,
                          struct coord__whdr *h)
{
    uint64_t deadline = timeout_ms > 0 ? coord__deadline(timeout_ms) : 0;
    /* The mailbox carries one request at a time and none while the pipes
     * may owe a reply (fast_off, from a call that returned without its
     * reply until one over the pipes completes); a call that must not
     * wait (timeout 0) uses them. */
    if (c->fast && !c->fast_off && timeout_ms != 0 &&
        c->out.len <= COORD__MF_CAP)
        return fast_roundtrip(c, timeout_ms, deadline, h);
    int r = send_all(c, timeout_ms, deadline);
    if (r == 0)
        r = coord__mcli_recv_reply(c, c->seq, timeout_ms, deadline, h);
    if (r) {
        c->fast_off = true;
        return r;
    }
    /* This reply came after every earlier one on the pipe (late replies
     * were skipped), and the server runs a request left in the mailbox
     * before what comes on the pipe after it: unless the mailbox still
     * shows a request (a server breaking that order), nothing is owed any
     * more, and the mailbox is ours again. */
    if (c->fast && c->fast_off) {
        uint32_t s = atomic_load_explicit(&c->fast->state,
                                          memory_order_acquire);
        if (s != COORD__MF_REQ_SPIN && s != COORD__MF_REQ_SLEEP) {
            atomic_store_explicit(&c->fast->state, COORD__MF_IDLE,
                                  memory_order_relaxed);
            c->fast_off = false;
        }
    }
    return 0;
}
