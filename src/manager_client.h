/* SPDX-License-Identifier: MIT */
/* manager_client.h: a manager client's state, shared by its connection (manager_client.c) and its operations (manager_ops.c). */
#ifndef COORD_MANAGER_CLIENT_H
#define COORD_MANAGER_CLIENT_H

#include "internal.h"
#include "wait.h"
#include "wire.h"

struct coord_mclient {
    int fd;                /* the socket */
    int in_fd, out_fd;     /* data path: the socket, or the two pipes */
    int keep_fd;           /* our copy of the request pipe's read end */
    uint32_t seq;          /* of the request in flight or last sent */
    struct coord__wbuf out;
    uint8_t *in;           /* stream buffer: the current reply is at in[0] */
    size_t in_len, in_cap;
    size_t consumed;       /* bytes of the reply handed out last time */
    uint32_t max_key, max_value, max_frame, max_batch;
    uint64_t spin_ns;      /* poll this long for a reply before sleeping */
    struct coord__spinner sp;
    struct coord__spinset *spins; /* the manager's (manager_spin.h) */
    bool broken;
    struct coord__mfast *fast; /* the mailbox (manager_fast.h), or NULL */
    bool fast_off; /* a reply may still be owed: use the pipes until one
                      completes there */
    coord_mval *keys;
    size_t keys_cap;
    int (*interrupt)(void *arg); /* coord_mclient_set_interrupt, or NULL */
    void *interrupt_arg;
    /* A call is under way (manager_ops.c): another call made meanwhile,
     * from another thread or from the interrupt function, is refused. */
    _Atomic bool busy;
};

/* The longest sleep of a call between two runs of its interrupt function. */
#define COORD__MCLI_INTERRUPT_MS 100
/* A sleep of a call that may wait `ms` (-1: for ever): at most
 * COORD__MCLI_INTERRUPT_MS when c has an interrupt function. */
static inline int coord__mcli_sleep_ms(const coord_mclient *c, int ms)
{
    if (c->interrupt && (ms < 0 || ms > COORD__MCLI_INTERRUPT_MS))
        return COORD__MCLI_INTERRUPT_MS;
    return ms;
}
/* After a sleep that ended without what it waited for (poll said 0 or
 * EINTR): does the interrupt function end the call? */
static inline bool coord__mcli_interrupted(const coord_mclient *c)
{
    return c->interrupt && c->interrupt(c->interrupt_arg) != 0;
}

/* The connection is unusable (protocol error, dead server): close its
 * descriptors; every later call returns COORD_ENOTCONN. */
void coord__mcli_broken(coord_mclient *c);
/* Drop the reply handed out by the previous call (its bytes stayed valid
 * until now). */
void coord__mcli_release(coord_mclient *c);
/* Is `code` a negative code coord_strerror knows (one a server's status
 * or ERR frame may carry)? Anything else from the server is garbage. */
bool coord__mcli_code_ok(int code);
/* Send the request built in c->out and read the reply to c->seq into
 * c->in (c->consumed bytes), within timeout_ms (0: only what is ready,
 * at most 2 * max_frame bytes of it, then COORD_EAGAIN; negative: no
 * deadline). Returns 0 with *h its header,
 * or the transport's code (COORD_ETIMEDOUT, COORD_EAGAIN, COORD_EPEERDIED,
 * COORD_EPROTO, COORD_EVERSION, COORD_ENOMEM, or the server's ERR code). */
int coord__mcli_roundtrip(coord_mclient *c, int timeout_ms,
                          struct coord__whdr *h);
/* What is left of `deadline` in ms, rounded up (0 when past). */
int coord__mcli_remaining_ms(uint64_t deadline);
/* The code of an ERR frame the server left before it closed, or 0. */
int coord__mcli_pending_err(coord_mclient *c);
/* Read until c->in holds the whole reply to `seq` (late replies and bells
 * dropped); within timeout_ms as coord__mcli_roundtrip says, `deadline`
 * its end. Returns 0 with *h, or the transport's code. */
int coord__mcli_recv_reply(coord_mclient *c, uint32_t seq, int timeout_ms,
                           uint64_t deadline, struct coord__whdr *h);

#endif
