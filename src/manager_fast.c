/* SPDX-License-Identifier: MIT */
/* manager_fast.c: the mailbox (manager_fast.h): made by the client, checked and mapped by the server, served by the server's scan. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manager_fast.h"
#include "manager_server.h"

size_t coord__mfast_size(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (page == 0 || page > (1u << 20))
        page = 4096;
    return (sizeof(struct coord__mfast) + page - 1) / page * page;
}

struct coord__mfast *coord__mfast_create(int *fd)
{
    size_t size = coord__mfast_size();
    int m;
    if (coord__memfd_create("coord-mailbox", size, &m) != 0)
        return NULL;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
    if (p == MAP_FAILED) {
        close(m);
        return NULL;
    }
    *fd = m;
    return p; /* a new memfd reads as zeros: state IDLE */
}

struct coord__mfast *coord__mfast_take(int fd, int *code)
{
    struct stat st;
    size_t size = coord__mfast_size();
    /* A file the client could still shrink would fault our reads (SIGBUS):
     * only a sealed memfd of the mailbox's size, open for writing. */
    if (coord__memfd_check(fd, &st) != 0 || st.st_size != (off_t)size ||
        (fcntl(fd, F_GETFL) & O_ACCMODE) != O_RDWR) {
        *code = COORD_EBADMSG;
        return NULL;
    }
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    *code = 0;
    return p == MAP_FAILED ? NULL : p;
}

void coord__mfast_unmap(struct coord__mfast *f)
{
    if (f)
        munmap(f, coord__mfast_size());
}

void coord__mfast_nop(uint8_t *frame)
{
    struct coord__wbuf b = {frame, 0, COORD__WIRE_HDR, false};
    size_t at = coord__wb_frame_begin(&b, COORD__W_NOP, 0, 0);
    coord__wb_frame_end(&b, at, 0);
}

/* ---- the server's side ---------------------------------------------- */

/* Hot: on fast_all, scanned, srv_sleep clear while the loop is awake. */
static void heat(struct coord__msrv *sv, struct coord__mconn *c)
{
    c->fast_hot = true;
    c->fast_epoch = sv->fast_epoch;
    c->fast_prev = NULL;
    c->fast_next = sv->fast_all;
    if (sv->fast_all)
        sv->fast_all->fast_prev = c;
    sv->fast_all = c;
    atomic_store_explicit(&c->fast->srv_sleep, 0, memory_order_relaxed);
}

static void unlink_hot(struct coord__msrv *sv, struct coord__mconn *c)
{
    if (c->fast_prev)
        c->fast_prev->fast_next = c->fast_next;
    else
        sv->fast_all = c->fast_next;
    if (c->fast_next)
        c->fast_next->fast_prev = c->fast_prev;
    c->fast_prev = c->fast_next = NULL;
    c->fast_hot = false;
}

void coord__mfast_attach(struct coord__msrv *sv, struct coord__mconn *c)
{
    if (!c->pend_fast)
        return;
    c->fast = c->pend_fast;
    c->pend_fast = NULL;
    heat(sv, c);
}

void coord__mfast_detach(struct coord__msrv *sv, struct coord__mconn *c)
{
    if (c->fast && c->fast_hot)
        unlink_hot(sv, c);
    coord__mfast_unmap(c->fast);
    coord__mfast_unmap(c->pend_fast);
    c->fast = c->pend_fast = NULL;
    free(c->fbuf);
    c->fbuf = NULL;
    coord__wbuf_free(&c->fout);
}

/* Queue a NOP on the reply pipe (it wakes a client asleep in poll). */
static void ring_client(struct coord__mconn *c)
{
    uint8_t nop[COORD__WIRE_HDR];
    coord__mfast_nop(nop);
    coord__wb_bytes(&c->out, nop, sizeof nop);
}

/* Serve the request waiting in c's mailbox. Returns false when the
 * connection was closed. */
static bool serve_one(struct coord__msrv *sv, struct coord__mconn *c)
{
    struct coord__mfast *f = c->fast;
    uint32_t len = atomic_load_explicit(&f->req_len, memory_order_relaxed);
    if (len < COORD__WIRE_HDR || len > COORD__MF_CAP || !c->fbuf) {
        atomic_store(&f->state, COORD__MF_PIPE);
        sv->s.st.malformed++;
        coord__mconn_fail(sv, c, COORD_EBADMSG);
        return false;
    }
    /* Our own copy: the client may write the mailbox while we parse. */
    memcpy(c->fbuf, coord__mfast_req(f, len), len);
    c->fast_epoch = sv->fast_epoch;
    c->fout.len = 0;
    c->fout.oom = false;
    int r = coord__mstore_exec(&sv->s, c->fbuf, len, &c->fout);
    c->greeted = true;
    if (r == 0 && c->out_off == c->out.len && c->fout.len <= COORD__MF_CAP) {
        memcpy(coord__mfast_rep(f, c->fout.len), c->fout.p, c->fout.len);
        atomic_store_explicit(&f->rep_len, (uint32_t)c->fout.len,
                              memory_order_relaxed);
        uint32_t was = atomic_exchange(&f->state, COORD__MF_REPLIED);
        if (was != COORD__MF_REQ_SLEEP)
            return true;
        ring_client(c); /* it sleeps in poll on the reply pipe */
    } else {
        /* Too big for the mailbox, an ERR (then close), or replies still
         * queued on the pipe: this one follows them there. */
        coord__wb_bytes(&c->out, c->fout.p, c->fout.len);
        if (c->out.oom) {
            atomic_store(&f->state, COORD__MF_PIPE);
            coord__mconn_fail(sv, c, COORD_ENOMEM);
            return false;
        }
        if (r)
            c->closing = true;
        atomic_store(&f->state, COORD__MF_PIPE);
    }
    if (c->fout.cap > 2 * COORD__MF_CAP) /* do not keep a big reply's */
        coord__wbuf_free(&c->fout);
    return coord__mconn_flush(sv, c);
}

static bool posted(const struct coord__mfast *f)
{
    uint32_t s = atomic_load_explicit(&f->state, memory_order_acquire);
    return s == COORD__MF_REQ_SPIN || s == COORD__MF_REQ_SLEEP;
}

bool coord__mfast_serve_posted(struct coord__msrv *sv, struct coord__mconn *c)
{
    /* Not while replies wait on the pipe for the client to read them
     * (out_armed): each served request would add its whole reply to them,
     * and a client that posted a get of a big value and read a little of
     * its pipe each time grew the server by a reply per round (about 1 MB
     * each, without bound). The request stays posted until they drain. */
    if (!c->fast || c->closing || c->out_armed)
        return true;
    if (!c->fast_hot)
        heat(sv, c);
    if (!posted(c->fast))
        return true;
    return serve_one(sv, c);
}

int coord__mfast_serve_all(struct coord__msrv *sv)
{
    int served = 0;
    for (struct coord__mconn *c = sv->fast_all, *next; c; c = next) {
        next = c->fast_next;
        if (c->out_armed || c->closing || !posted(c->fast))
            continue;
        served++;
        serve_one(sv, c);
    }
    return served;
}

bool coord__mfast_sleep(struct coord__msrv *sv)
{
    if (!sv->fast_all)
        return true;
    for (struct coord__mconn *c = sv->fast_all; c; c = c->fast_next)
        atomic_store(&c->fast->srv_sleep, 1);
    /* Against the client's store of state then load of srv_sleep: one of
     * the two sees the other (seq_cst). */
    atomic_thread_fence(memory_order_seq_cst);
    for (struct coord__mconn *c = sv->fast_all; c; c = c->fast_next)
        if (!c->out_armed && posted(c->fast)) {
            coord__mfast_wake(sv);
            return false;
        }
    return true;
}

void coord__mfast_wake(struct coord__msrv *sv)
{
    for (struct coord__mconn *c = sv->fast_all; c; c = c->fast_next)
        atomic_store_explicit(&c->fast->srv_sleep, 0, memory_order_relaxed);
}

/*
 * Idle mailboxes are not scanned. Every scan of the loop (2 µs of polling
 * between epoll_waits, and once per turn) read every mailbox's state line,
 * so the connections a program opens and leaves idle slowed everybody's
 * round trip: one busy client's get took 456 ns alone, 645 ns beside 63
 * idle connections, 1.6 µs beside 255 and 8.9 µs beside 1,000 (a
 * throw-away benchmark, docs/results.md "Idle connections"). So a mailbox
 * its client has not used for a whole sweep period goes cold: off the
 * list, srv_sleep set for good, the server's sleep protocol for that one
 * mailbox (manager_fast.h): the next request rings the bell, and the bell
 * (or any frame on its pipe) makes it hot again (coord__mfast_serve_posted).
 * A client back after more than COOL_NS pays one bell, as it would have if
 * the server had slept meanwhile.
 */
#define COOL_NS 1000000u

int coord__mfast_cool(struct coord__msrv *sv)
{
    if (!sv->fast_all)
        return 0;
    uint64_t now = coord_clock_ns();
    if (now < sv->fast_cool_at)
        return 0;
    sv->fast_cool_at = now + COOL_NS;
    uint32_t e = ++sv->fast_epoch;
    int served = 0;
    for (struct coord__mconn *c = sv->fast_all, *next; c; c = next) {
        next = c->fast_next;
        /* Used in this period or the last one; or busy with its pipe. */
        if (e - c->fast_epoch < 2 || c->out_armed || c->closing)
            continue;
        atomic_store(&c->fast->srv_sleep, 1);
        /* Against the client's store of state then load of srv_sleep
         * (seq_cst): it rings, or we see its request here. */
        atomic_thread_fence(memory_order_seq_cst);
        if (posted(c->fast)) {
            atomic_store_explicit(&c->fast->srv_sleep, 0,
                                  memory_order_relaxed);
            served++;
            serve_one(sv, c); /* it was in use after all: stays hot */
            continue;
        }
        unlink_hot(sv, c);
    }
    return served;
}
