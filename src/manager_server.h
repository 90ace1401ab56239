/* SPDX-License-Identifier: MIT */
/* manager_server.h: the manager server's parts, shared by its files: the socket path, a connection, the loop's state. */
#ifndef COORD_MANAGER_SERVER_H
#define COORD_MANAGER_SERVER_H

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "manager_fast.h"
#include "manager_internal.h"

/* ---- the socket and its private directory (manager_sock.c) ------------- */

struct coord__mpath {
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    bool made_dir;
    dev_t dev;
    ino_t ino; /* of the socket we bound: never unlink someone else's */
};

/* The COORD_E* code for an errno value of a socket or file call. */
int coord__merrno(int e);
/* Prepare the private directory of `path` (NULL: a new one under $TMPDIR),
 * clear a stale socket left by a crash, bind and listen (mode 0600). Fills
 * *p and *fd_out. Returns 0, or a COORD_E* code (then nothing is left to
 * clean up). */
int coord__mpath_listen(struct coord__mpath *p, const char *path,
                        int *fd_out);
/* Remove the socket we bound (by inode), the spinset named after it, and
 * the directory we made. */
void coord__mpath_cleanup(struct coord__mpath *p);

/* Tests only: called, when set, where coord_manager_start is most easily
 * cut short: COORD__MSTART_MADE in the starting process, the directory
 * and socket made and the server not yet forked; COORD__MSTART_SERVER in
 * the server, first thing, before it sets up its signals. */
#define COORD__MSTART_MADE 0
#define COORD__MSTART_SERVER 1
extern void (*coord__mstart_hook)(int point);

/* ---- connections (manager_conn.c) and their handshake (manager_hello.c) */

#define COORD__MCONN_BUF0 16384 /* initial input buffer of a connection */

struct coord__mconn {
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
    uint64_t in_done;  /* bytes of complete frames consumed so far */
    uint64_t stall_at; /* in_done + 1 when the partial frame starting there
                          got its deadline (0: none armed) */
    struct coord__mconn *next_pending;
    struct coord__mconn *prev, *next; /* all live connections */
    /* The mailbox (manager_fast.h): taken with HELLO (pend_fast), in use
     * from the move to the pipes (fast, on the list fast_all). */
    struct coord__mfast *fast, *pend_fast;
    uint8_t *fbuf;           /* our copy of a mailbox request */
    struct coord__wbuf fout; /* the reply being built for the mailbox */
    /* On fast_all (scanned) while hot: from its attach, and from a bell
     * until a sweep finds it unused for a whole period (then cold: its
     * srv_sleep stays set, so its client rings; manager_fast.h). */
    bool fast_hot;
    uint32_t fast_epoch; /* the sweep period of its last mailbox request */
    struct coord__mconn *fast_prev, *fast_next;
};

struct coord__msrv {
    struct coord__mstore s;
    int ep, lfd, sfd;
    size_t nconns;
    struct coord__mconn *pending_head, *pending_tail;
    struct coord__mconn *all;
    void *lmark;        /* epoll cookie of the listening socket */
    bool listen_paused; /* out of descriptors: not accepting for now */
    uint64_t listen_retry_at; /* while paused: when to listen again anyway */
    uint64_t next_timer; /* earliest connection deadline, or UINT64_MAX */
    bool stop;
    struct coord__mconn *fast_all; /* the connections with a hot mailbox */
    uint32_t fast_epoch;  /* sweep periods so far */
    uint64_t fast_cool_at; /* the next sweep (coord__mfast_cool) */
};

/* Close the connection (freed now, or when the pending list reaches it). */
void coord__mconn_close(struct coord__msrv *sv, struct coord__mconn *c);
/* Write what we can of its replies. Returns false when it was closed. */
bool coord__mconn_flush(struct coord__msrv *sv, struct coord__mconn *c);
/* Send an ERR frame carrying `code`, then close. */
void coord__mconn_fail(struct coord__msrv *sv, struct coord__mconn *c,
                       int code);
/* Serve its complete frames (one turn). Returns false when it was closed. */
bool coord__mconn_serve(struct coord__msrv *sv, struct coord__mconn *c);
/* Read what arrived and serve it (EPOLLIN). */
void coord__mconn_read(struct coord__msrv *sv, struct coord__mconn *c);
/* Set the connection's deadline (handshake or stalled frame). */
void coord__mtimer_arm(struct coord__msrv *sv, struct coord__mconn *c,
                       uint64_t deadline);
/* The loop's epoll_wait timeout: `tmo` (0 or -1), shortened to reach the
 * next deadline; closes the connections whose deadline passed. */
int coord__mtimer_wait_ms(struct coord__msrv *sv, int tmo);

/* Accept every waiting connection of our own user (manager_hello.c). */
void coord__maccept(struct coord__msrv *sv);
/* Listen again after a pause (a connection closed, or the retry is due). */
void coord__mlisten_resume(struct coord__msrv *sv);
/* The loop's epoll_wait timeout `tmo`, shortened to reach the listener's
 * retry while it is paused (resumed here when that is due): a pause with
 * no connection left to close would otherwise last forever. */
int coord__mlisten_wait_ms(struct coord__msrv *sv, int tmo);
/* recvmsg on the socket, taking the two pipes a HELLO carries. Returns the
 * byte count (0: end of file, -1: errno), or -2 when it closed the
 * connection. */
ssize_t coord__mconn_recv_hello(struct coord__msrv *sv,
                                struct coord__mconn *c);
/* Move the connection to its pipes once WELCOME is sent. Returns false
 * when it was closed. */
bool coord__mconn_upgrade(struct coord__msrv *sv, struct coord__mconn *c,
                          size_t left);

/* ---- the mailboxes (manager_fast.c) ------------------------------------ */

/* At the move to the pipes: the mailbox taken with HELLO (pend_fast), if
 * any, is in use from now on (c joins fast_all, hot). */
void coord__mfast_attach(struct coord__msrv *sv, struct coord__mconn *c);
/* At close: leave fast_all, unmap the mailbox (in use or only taken) and
 * free its buffers. */
void coord__mfast_detach(struct coord__msrv *sv, struct coord__mconn *c);
/* Serve the request waiting in c's mailbox, if one is: before any frame
 * that came on its pipe afterwards (a client that timed out on its
 * mailbox request sends the next on the pipe, and the two must run in the
 * order sent). A cold mailbox becomes hot first: its client rang, or
 * sent a frame, so it is in use again. Returns false when the connection
 * was closed. */
bool coord__mfast_serve_posted(struct coord__msrv *sv, struct coord__mconn *c);
/* Serve every request waiting in a hot mailbox. Returns how many. */
int coord__mfast_serve_all(struct coord__msrv *sv);
/* Before the loop sleeps: tell every hot mailbox (srv_sleep; the cold
 * ones are told already), then look once more. Returns true when it may
 * sleep; false (flags cleared again) when a request came meanwhile. */
bool coord__mfast_sleep(struct coord__msrv *sv);
/* After a sleep: clear srv_sleep in every hot mailbox. */
void coord__mfast_wake(struct coord__msrv *sv);
/* At most once per sweep period: make cold every hot mailbox whose client
 * sent it nothing for a whole period (a request found while doing so is
 * served). Returns how many were served. */
int coord__mfast_cool(struct coord__msrv *sv);

#endif
