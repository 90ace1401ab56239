/* SPDX-License-Identifier: MIT */
/* manager_conn.c: the manager's connections: frames served in turns, replies flushed under backpressure, deadlines. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "manager_server.h"

#define FRAMES_PER_TURN 8 /* frames served per connection before the next */
#define OUT_FLUSH_AT (1u << 20) /* unsent reply bytes that are written at once */

static void close_pending_fds(struct coord__mconn *c)
{
    if (c->pend_in >= 0)
        close(c->pend_in);
    if (c->pend_out >= 0)
        close(c->pend_out);
    c->pend_in = c->pend_out = -1;
}

void coord__mconn_close(struct coord__msrv *sv, struct coord__mconn *c)
{
    epoll_ctl(sv->ep, EPOLL_CTL_DEL, c->in_fd, NULL);
    close(c->in_fd);
    if (c->out_fd != c->in_fd) {
        epoll_ctl(sv->ep, EPOLL_CTL_DEL, c->out_fd, NULL);
        close(c->out_fd);
    }
    c->in_fd = c->out_fd = -1;
    close_pending_fds(c);
    coord__mfast_detach(sv, c);
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
    coord__mlisten_resume(sv);
    /* A pending connection is freed when the pending list reaches it. */
    if (!c->pending)
        free(c);
}

/* Returns false when the connection was closed: one that epoll could not
 * watch (ENOMEM; ENOSPC at fs.epoll.max_user_watches) would be watched on
 * neither descriptor, its client waiting for a reply or a read that never
 * comes until its timeout, and its slot held for ever. */
static bool conn_arm(struct coord__msrv *sv, struct coord__mconn *c,
                     bool out)
{
    if (c->out_armed == out)
        return true;
    /* Backpressure: while a reply waits for room in the socket or pipe,
     * stop reading this client's requests (memory stays bounded). */
    struct epoll_event ev = {.events = out ? EPOLLOUT : EPOLLIN,
                             .data.ptr = c};
    int r;
    if (c->in_fd == c->out_fd) {
        r = epoll_ctl(sv->ep, EPOLL_CTL_MOD, c->in_fd, &ev);
    } else if (out) {
        epoll_ctl(sv->ep, EPOLL_CTL_DEL, c->in_fd, NULL);
        r = epoll_ctl(sv->ep, EPOLL_CTL_ADD, c->out_fd, &ev);
    } else {
        epoll_ctl(sv->ep, EPOLL_CTL_DEL, c->out_fd, NULL);
        r = epoll_ctl(sv->ep, EPOLL_CTL_ADD, c->in_fd, &ev);
    }
    if (r != 0) {
        coord__mconn_close(sv, c);
        return false;
    }
    c->out_armed = out;
    return true;
}

/* Write what we can. Returns false when the connection was closed. */
bool coord__mconn_flush(struct coord__msrv *sv, struct coord__mconn *c)
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
                coord__mconn_close(sv, c);
                return false;
            }
            return conn_arm(sv, c, true);
        }
        coord__mconn_close(sv, c); /* EPIPE, ECONNRESET: the client is gone */
        return false;
    }
    c->out.len = c->out_off = 0;
    if (c->out.cap > (1u << 20)) { /* do not keep a big reply's buffer */
        coord__wbuf_free(&c->out);
    }
    if (c->closing) {
        coord__mconn_close(sv, c);
        return false;
    }
    return conn_arm(sv, c, false);
}

static void pending_push(struct coord__msrv *sv,
                         struct coord__mconn *c)
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

void coord__mconn_fail(struct coord__msrv *sv, struct coord__mconn *c,
                       int code)
{
    size_t f = coord__wb_frame_begin(&c->out, COORD__W_ERR, 0, 0);
    coord__wb_u32(&c->out, (uint32_t)code);
    coord__wb_frame_end(&c->out, f, 0);
    c->closing = true;
    coord__mconn_flush(sv, c);
}

/* ---- deadlines ----------------------------------------------------------
 * A connection holds a slot (max_clients) and descriptors, so one that
 * does not speak must not hold them for long: until its first frame is
 * served it lives at most handshake_ms from its accept, and afterwards a
 * partial frame not whole within stall_ms of its first byte closes it. Replies the
 * client does not read (out_armed) and complete frames waiting for their
 * turn (pending) are the server's wait, not the client's, and never time
 * out. Each connection keeps its own deadline; next_timer is a lower bound
 * of them, so the loop costs nothing while no deadline is set, and a sweep
 * (every connection, O(max_clients)) runs only when next_timer is due. */

void coord__mtimer_arm(struct coord__msrv *sv, struct coord__mconn *c,
                       uint64_t deadline)
{
    c->deadline = deadline;
    if (deadline < sv->next_timer)
        sv->next_timer = deadline;
}

static bool conn_timed(const struct coord__mconn *c)
{
    return !c->greeted || (c->in_len > 0 && !c->out_armed && !c->pending);
}

/* Close the connections whose deadline passed; recompute next_timer. */
static void timer_sweep(struct coord__msrv *sv, uint64_t now)
{
    uint64_t next = UINT64_MAX;
    for (struct coord__mconn *c = sv->all, *nx; c; c = nx) {
        nx = c->next;
        if (!conn_timed(c))
            continue;
        if (now >= c->deadline) {
            if (c->in_len > 0)
                sv->s.st.malformed++; /* a half frame is dropped */
            coord__mconn_close(sv, c);
        } else if (c->deadline < next) {
            next = c->deadline;
        }
    }
    sv->next_timer = next;
}

/* The epoll_wait timeout: `tmo` (0 or -1, the loop's own choice), shortened
 * to reach the next connection deadline; sweeps first when it is due. */
int coord__mtimer_wait_ms(struct coord__msrv *sv, int tmo)
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
bool coord__mconn_serve(struct coord__msrv *sv, struct coord__mconn *c)
{
    if (!coord__mfast_serve_posted(sv, c))
        return false;
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
            coord__mconn_fail(sv, c, r);
            return false;
        }
        size_t total = (size_t)h.len + 4;
        if (c->in_len - off < total) {
            /* Incomplete: make room for the whole frame (bounded by
             * max_frame, checked above). */
            if (off == 0 && total > c->in_cap) {
                uint8_t *p = realloc(c->in, total);
                if (!p) {
                    coord__mconn_fail(sv, c, COORD_ENOMEM);
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
        if (h.kind == COORD__W_NOP) { /* a mailbox's bell: nothing to do */
            off += total;
            continue;
        }
        bool upgrade = h.kind == COORD__W_HELLO && c->pend_in >= 0;
        sv->s.welcome_flags =
            !upgrade ? 0
            : c->pend_fast ? COORD__WELCOME_PIPES | COORD__WELCOME_FAST
                           : COORD__WELCOME_PIPES;
        r = coord__mstore_exec(&sv->s, c->in + off, total, &c->out);
        sv->s.welcome_flags = 0;
        off += total;
        served++;
        c->greeted = true; /* it spoke: the handshake deadline is over */
        if (r) {
            c->closing = true;
        } else if (upgrade) {
            if (!coord__mconn_upgrade(sv, c, c->in_len - off))
                return false;
        } else if (c->out.len - c->out_off >= OUT_FLUSH_AT) {
            /* Send a big reply before building the next: if the client
             * does not take it, out_armed stops the loop, so replies held
             * here stay below OUT_FLUSH_AT plus one frame. */
            if (!coord__mconn_flush(sv, c))
                return false;
        }
    }
    if (off) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
        c->in_done += off;
    }
    if (c->in_len == 0 && c->in_cap > (1u << 20)) {
        uint8_t *p = realloc(c->in, COORD__MCONN_BUF0);
        if (p) {
            c->in = p;
            c->in_cap = COORD__MCONN_BUF0;
        }
    }
    if (c->out.len > c->out_off || c->closing) {
        if (!coord__mconn_flush(sv, c))
            return false;
    }
    if (more && !c->out_armed)
        pending_push(sv, c);
    /* A partial frame left: it must be whole within stall_ms of its first
     * byte (or of the end of a wait that was ours: backpressure or a
     * pending turn). Re-armed at every new byte, the deadline let a client
     * sending one byte every few seconds hold its slot, and a frame buffer
     * of max_frame, for ever (five such held every slot of a server). */
    if (c->greeted && conn_timed(c)) {
        if (c->stall_at != c->in_done + 1) {
            c->stall_at = c->in_done + 1;
            coord__mtimer_arm(sv, c,
                      coord_clock_ns() + (uint64_t)sv->s.o.stall_ms * 1000000);
        }
    } else {
        c->stall_at = 0;
    }
    return true;
}

void coord__mconn_read(struct coord__msrv *sv, struct coord__mconn *c)
{
    if (c->in_len == c->in_cap) {
        /* A full buffer holds complete frames waiting for their turn. */
        coord__mconn_serve(sv, c);
        return;
    }
    ssize_t n;
    if (c->in_fd == c->out_fd) {
        /* Still on the socket: a HELLO may carry the client's pipes. */
        n = coord__mconn_recv_hello(sv, c);
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
        coord__mconn_close(sv, c);
        return;
    }
    c->in_len += (size_t)n;
    coord__mconn_serve(sv, c);
}
