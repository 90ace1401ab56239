/* SPDX-License-Identifier: MIT */
/* manager_fast.h: a manager connection's shared-memory mailbox: one request and its reply without a system call while both ends are awake. */
#ifndef COORD_MANAGER_FAST_H
#define COORD_MANAGER_FAST_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/*
 * Over the pipes a get costs five system calls on its critical path (the
 * client's write, the server's epoll_wait, read and write, the client's
 * read); at 0.6 µs each on a VM that is most of a round trip
 * (docs/results.md, "Manager mailbox"). So each connection also has a
 * mailbox: a memfd the client creates, sizes, seals against shrinking
 * (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL, so neither end can make the
 * other's mapping fault) and sends with its HELLO beside the two pipes. The
 * server maps it after checking its type, seals and size, and says so in
 * WELCOME (COORD__WELCOME_FAST). Frames in the mailbox are the bytes the
 * pipes would carry; each end copies them out before reading them, so the
 * other end's later writes cannot change what is parsed.
 *
 * One request at a time, with no request of the connection owed on the
 * pipes (a client whose call returned without its reply uses the pipes
 * until a call there completes: the server runs a request left in the
 * mailbox before anything that came on the pipe after it, so by then
 * nothing is owed):
 *
 *   client: copy the frame into req, req_len; state = REQ_SPIN (seq_cst);
 *           if srv_sleep: write a NOP frame to the request pipe (wakes the
 *           server's epoll_wait). Poll state for its spin (src/wait.h);
 *           then CAS REQ_SPIN -> REQ_SLEEP and sleep in poll() on the reply
 *           pipe (whose hang-up also says the server died).
 *   server: sees REQ_SPIN or REQ_SLEEP while scanning its connections,
 *           copies the frame out, runs it. A reply that fits goes into rep,
 *           rep_len, then exchange(state, REPLIED); the previous state
 *           REQ_SLEEP means the client sleeps: write a NOP frame to the
 *           reply pipe. A reply that does not fit (or an ERR) is written to
 *           the reply pipe after exchange(state, PIPE).
 *   client: REPLIED: copy rep out, state = IDLE. PIPE: state = IDLE, read
 *           the reply from the pipe as usual. NOP frames met on a pipe are
 *           skipped by both ends.
 *
 * Before it sleeps the server stores srv_sleep = 1 in every mailbox
 * (seq_cst) and scans them once more: a client that posted before that
 * scan is served, one that posts after it sees srv_sleep and rings (the
 * futex handshake of wait.h, with a pipe as the bell). The server does
 * the same for one mailbox whose client has sent nothing for a while
 * (1-2 ms): it goes cold, is no longer scanned, and its srv_sleep stays
 * set until the bell (or any frame on its pipe) makes it hot again
 * (coord__mfast_cool), so idle connections cost a busy server nothing.
 * Everything in the
 * mailbox is untrusted: a bad length or frame closes the connection, any
 * other value only costs its own client time.
 */
enum {
    COORD__MF_IDLE = 0,
    COORD__MF_REQ_SPIN = 1,  /* a request waits; the client polls state */
    COORD__MF_REQ_SLEEP = 2, /* a request waits; the client sleeps */
    COORD__MF_REPLIED = 3,   /* the reply is in rep */
    COORD__MF_PIPE = 4       /* the reply went to the reply pipe */
};

#define COORD__MF_CAP 8192u /* the largest frame a mailbox carries */
#define COORD__MF_INLINE 48u /* a frame this short sits beside the state */

/*
 * A short frame (a get, an incr, a small value: up to COORD__MF_INLINE
 * bytes) travels in `inl`, in the state word's own cache line: a round trip
 * then moves that one line to the server and back, instead of the state's,
 * the request's and the reply's lines each way. The request and its reply
 * take turns in it (the server copies the request out before it writes the
 * reply). Longer frames use `req` and `rep`.
 */
struct coord__mfast {
    alignas(COORD__CACHE_LINE) _Atomic uint32_t state;
    _Atomic uint32_t req_len;
    _Atomic uint32_t rep_len;
    uint32_t reserved;
    uint8_t inl[COORD__MF_INLINE];
    alignas(COORD__CACHE_LINE) _Atomic uint32_t srv_sleep;
    alignas(COORD__CACHE_LINE) uint8_t req[COORD__MF_CAP];
    alignas(COORD__CACHE_LINE) uint8_t rep[COORD__MF_CAP];
};
_Static_assert(offsetof(struct coord__mfast, inl) + COORD__MF_INLINE ==
                   COORD__CACHE_LINE,
               "the inline frame fills the state's cache line");

/* Where a request (or a reply) of `len` bytes sits in the mailbox. */
static inline uint8_t *coord__mfast_req(struct coord__mfast *f, size_t len)
{
    return len <= COORD__MF_INLINE ? f->inl : f->req;
}
static inline uint8_t *coord__mfast_rep(struct coord__mfast *f, size_t len)
{
    return len <= COORD__MF_INLINE ? f->inl : f->rep;
}

/* The mailbox file's size (the struct, rounded up to whole pages). */
size_t coord__mfast_size(void);

/* The client's: create the sealed memfd and map it. Returns the mapping
 * and *fd (close it once sent), or NULL (no memfd or sealing here: the
 * connection uses the pipes only). */
struct coord__mfast *coord__mfast_create(int *fd);

/* The server's: check that `fd` is a memfd of exactly coord__mfast_size()
 * bytes sealed against shrinking, and map it. Returns the mapping, or NULL
 * with *code COORD_EBADMSG (not such a file) or 0 (it could not be mapped:
 * serve the connection without it). */
struct coord__mfast *coord__mfast_take(int fd, int *code);

/* Unmap (NULL is ignored). */
void coord__mfast_unmap(struct coord__mfast *f);

/* The NOP frame both ends ring with (COORD__WIRE_HDR bytes). */
void coord__mfast_nop(uint8_t *frame);

#endif
