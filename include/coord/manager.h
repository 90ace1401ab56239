/* SPDX-License-Identifier: MIT */
/* manager.h: a server process holding named dicts and lists, and its clients. */
#ifndef COORD_MANAGER_H
#define COORD_MANAGER_H

#include <string.h>

#include "common.h"

COORD_BEGIN_DECLS

/*
 * The manager is the flexible, slow end of the shared-state spectrum
 * (multiprocessing.Manager): a server process owns named dictionaries
 * (string key -> typed value) and named lists, and clients reach them over
 * a Unix stream socket, one round trip per call. coord_mclient_batch sends
 * many operations in one round trip, which is the cure for the cost.
 *
 * Security: the socket lives in a private directory (mode 0700, owned by
 * the server's user) and is itself mode 0600; the server also checks every
 * peer's uid with SO_PEERCRED and refuses other users (COORD_EACCES).
 *
 * Containers appear on first write (set, incr, cas, append) and disappear
 * when their last entry is removed. The server's memory follows what is
 * stored: once three quarters of a peak of at least 8 MiB has been
 * deleted, it hands its free heap back to the system (with glibc; other C
 * libraries keep it for reuse). That is malloc_trim, which walks every
 * arena of the process: a server run by coord_manager_run beside other
 * threads (an application's) leaves the heap alone; it counts the threads
 * when a trim is due, so those started after it began (by its ready
 * callback, say) count too. A name is either a dict or a list; the
 * other kind of operation on it gives COORD_EINVAL. The protocol is
 * documented in docs/spectrum.md (length-prefixed binary frames with a
 * version byte); every frame is validated by the server.
 */
typedef struct coord_manager coord_manager;
typedef struct coord_mclient coord_mclient;

/* The type of a stored value. COORD_MNONE means "absent" (cas). */
typedef enum coord_mtype {
    COORD_MNONE = 0,
    COORD_MI64 = 1,
    COORD_MF64 = 2,
    COORD_MBYTES = 3,
    COORD_MSTR = 4
} coord_mtype;

/*
 * A typed value. `i` for COORD_MI64, `f` for COORD_MF64, `data`/`len` for
 * COORD_MBYTES and COORD_MSTR. Values returned by a client call point into
 * the client's receive buffer: they are NUL-terminated (data[len] == 0) and
 * stay valid until the next call on the same client. A string must not
 * contain NUL bytes (COORD_EINVAL); bytes may.
 */
typedef struct coord_mval {
    coord_mtype type;
    int64_t i;
    double f;
    const void *data;
    size_t len;
} coord_mval;

/*
 * coord_mval_i64, coord_mval_f64, coord_mval_bytes, coord_mval_str,
 * coord_mval_none: a coord_mval of that type, to pass to coord_mclient_set,
 * coord_mclient_cas, coord_mclient_list_append or a batch operation.
 * coord_mval_none is the absent value (coord_mclient_cas's "key absent";
 * a set refuses it). Ownership: bytes and str keep the pointer, not a copy:
 * `p` / `s` must stay valid until the call the value is given to returns,
 * which copies them. coord_mval_str takes strlen(s) (NULL: the empty
 * string); coord_mval_bytes(NULL, len > 0) is refused by that call
 * (COORD_EINVAL). Concurrency: pure. Never fail.
 */
static inline coord_mval coord_mval_i64(int64_t i)
{
    coord_mval v = {COORD_MI64, i, 0.0, NULL, 0};
    return v;
}
static inline coord_mval coord_mval_f64(double f)
{
    coord_mval v = {COORD_MF64, 0, f, NULL, 0};
    return v;
}
static inline coord_mval coord_mval_bytes(const void *p, size_t len)
{
    coord_mval v = {COORD_MBYTES, 0, 0.0, p, len};
    return v;
}
static inline coord_mval coord_mval_str(const char *s)
{
    coord_mval v = {COORD_MSTR, 0, 0.0, s, s ? strlen(s) : 0};
    return v;
}
static inline coord_mval coord_mval_none(void)
{
    coord_mval v = {COORD_MNONE, 0, 0.0, NULL, 0};
    return v;
}

/*
 * Server limits. Every request beyond one of them fails with a clear code
 * and leaves the server healthy: a key or container name longer than
 * max_key gives COORD_ENAMETOOLONG, a bytes/string value longer than
 * max_value COORD_EMSGSIZE, more than max_entries entries (dict entries
 * plus list items, over all containers) or more than max_bytes of stored
 * keys and values COORD_ENOSPC, a frame longer than max_frame
 * COORD_EMSGSIZE (and the connection is closed), more than max_batch
 * operations in one frame COORD_E2BIG, more than max_clients connections
 * COORD_ECONNREFUSED at connect (a connection whose client closed it
 * before its first byte, such as coord gc's probe, holds no slot).
 *
 * Connections cannot hold their slot without speaking: a connection whose
 * first frame (the HELLO of coord_mclient_connect) is not complete within
 * handshake_ms of its accept is closed, so connections that never speak
 * lock new clients out for at most handshake_ms; and a connection whose
 * partial frame is not whole within stall_ms of its first byte is closed
 * (the half frame is dropped and counted as malformed; a byte now and then
 * does not keep it: slow clients cannot hold every slot). An idle client
 * between requests, and one whose replies wait for it to read them, keep
 * their connection. A HELLO whose first two descriptors are not the read
 * end of one pipe and the write end of another (a file, a socket, the
 * wrong ends, or both ends of one pipe), or whose third (the mailbox, see
 * coord_mclient_connect) is not a memfd of the mailbox's size sealed
 * against shrinking and growing, is refused with an ERR frame of
 * COORD_EBADMSG and the connection is closed. What a client writes into
 * its mailbox is checked like any frame: a bad length or frame closes that
 * connection only.
 *
 * spin_ns is not a limit but the server's wait policy: after it has served
 * something, it keeps polling its connections (the mailboxes in memory,
 * the descriptors with epoll_wait every 2 µs) for spin_ns before it sleeps
 * in epoll_wait. A client that sends its next request within that window
 * is served without the cost of waking a sleeping process, which dominates
 * a round trip when the CPUs are idle (about 45 µs on the VM of
 * docs/results.md, against 1-2 µs awake). The spin is polite: it yields
 * the CPU once after 10 µs, starts only while some CPU is free (more
 * runnable tasks than the CPUs this process may run on, per /proc/loadavg
 * and its affinity: it sleeps at once; without /proc it cannot tell and
 * spins; confined to one CPU, the server spins only for clients spinning
 * on other CPUs and a client never spins), and backs off for 64
 * to 1024 waits after it lost its CPU to another process (src/wait.h). The
 * server and its clients do not count each other's spins as load, but at
 * most one of them per CPU spins at a time: the server always may, and a
 * client only while fewer than (CPUs - 1) other clients spin (under a
 * cgroup CPU quota, Docker's --cpus or a Kubernetes limit, CPUs counts at
 * most the quota's whole CPUs here, never fewer than 2). When more
 * clients than that call back to back, they take turns: one keeps its
 * place for a turn of 600 µs of calls, the others sleep until it hands
 * the place on (one wake-up per turn instead of one per call; a call may
 * then wait for the turns ahead of it, about 600 µs for each client in
 * line). While clients wait for a turn the server spins whatever the
 * load (the client on its turn waits for it), and a client that finds
 * itself on the server's CPU while spinning or when its turn starts
 * moves off it, at most once a millisecond: while the load leaves the
 * server and it a CPU each, its calling thread narrows its own affinity
 * mask to the other CPUs it may use and at once sets the mask back (a
 * mask set on that thread from elsewhere in those few µs is undone);
 * otherwise it naps once (~60 µs). A client
 * that calls now and then sleeps at once instead. The
 * price is up to spin_ns of CPU time after each burst of requests; a
 * negative value makes the server sleep at once.
 */
typedef struct coord_manager_opts {
    size_t max_key;     /* default 256, at most 65535 */
    size_t max_value;   /* default 1 MiB; at most 2^31 - 1 */
    size_t max_entries; /* default 1,000,000; at most 2^31 - 3 */
    size_t max_bytes;   /* default 256 MiB */
    size_t max_frame;   /* default 16 MiB; at least 4096,
                         * >= max_value + 2 * max_key + 64 and
                         * >= 5 * max_batch + 64, at most 2^31 - 1 */
    size_t max_batch;   /* default 4096 operations per frame; at most
                         * 65535 */
    size_t max_clients; /* default 64; at most 100,000 */
    int64_t spin_ns;    /* default 50 µs (0); negative: never; <= 1 s */
    int handshake_ms;   /* default 2000; 1 .. 3600000 (one hour) */
    int stall_ms;       /* default 10000; 1 .. 3600000 */
} coord_manager_opts;

/* coord_manager_opts_init: fill `o` with the defaults above. Pure.
 * A zeroed coord_manager_opts means the same defaults (every 0 field takes
 * its default); a field out of its range makes coord_manager_start and
 * coord_manager_run return COORD_EINVAL. */
COORD_EXTERN void coord_manager_opts_init(coord_manager_opts *o);

/*
 * coord_manager_start: fork a server process serving `socket_path`.
 * socket_path NULL: a fresh private directory is made under $TMPDIR (or
 * /tmp where TMPDIR is unset, empty, not an absolute path, longer than
 * 77 bytes (the socket path under it would not fit a socket address), or
 * names no directory this process can make a directory in), see
 * coord_manager_path(). Otherwise the socket's directory must be
 * owned by this user and closed to others (no group/other permission bits),
 * or not exist yet (it is then created with mode 0700). The socket is bound
 * before this call returns, so clients may connect at once: it is bound
 * and listening under a private name beside the path
 * (".coord-<pid>-<n>.sock") and then linked at the path, so a socket at
 * the path always listens, and of two starts at one path exactly one
 * serves (the other COORD_EEXIST); a process killed between the bind and
 * the link leaves that private name behind until the next start in that
 * directory, which removes every such name whose process is gone and
 * that nobody listens on (and the spinset of its socket, as for a stale
 * socket at the path). Where
 * the private name would not fit a socket address, or the file system
 * cannot link a socket, the socket is bound at the path itself. opts NULL: the
 * defaults. The server dies with its creator (it cleans up on SIGTERM,
 * which it also receives when the creator process dies or execs, and not
 * when the thread that started it exits: docs/queue.md, "Worker
 * lifetime").
 * Signals: the server ignores SIGINT (Ctrl-C reaches the whole process
 * group; its owner decides when to stop it) and stops cleanly on SIGTERM,
 * and on SIGHUP and SIGQUIT where they would have ended its creator (at
 * their default, not blocked): one its creator ignores or blocks stays
 * so, one it handles is ignored (the owner lives through it, and its
 * server with it).
 * The calling thread has SIGHUP, SIGINT, SIGQUIT and SIGTERM blocked
 * from before the directory is made until the server is forked (a few
 * system calls; one that comes meanwhile is delivered then), and the
 * server starts with them blocked (stdio is flushed before they are
 * blocked: a flush into a pipe nobody reads waits with them at the
 * caller's settings), so that the directory is removed
 * however either process is ended from then on: by the server, on every
 * way out, the owner's death included; by this call, when it fails. What
 * is left: a creator SIGKILLed (or killed by a signal that another of
 * its threads takes) before the fork, or a server SIGKILLed, leaves the
 * directory and its socket (coord_manager_stop removes them when it had
 * to kill the server; once the owner is gone too, `coord gc --remove`,
 * coord_gc with remove, removes the directory when nobody listens on its
 * sockets: gc.h).
 * Concurrency: any thread; the handle is owned by the caller.
 * Returns 0 and *out, COORD_EINVAL (bad options, or a path that is empty
 * or ends in '/'), COORD_EACCES
 * (directory not private; or in a directory every user may write without
 * the sticky bit, where it could be swapped for a link before the bind;
 * or one made here and swapped so before its mode was set; a TMPDIR of
 * that kind is passed over for /tmp), COORD_ENAMETOOLONG (path longer than a socket
 * address), COORD_EEXIST (something already at socket_path: a file, or
 * a socket a server listens on; a socket nobody listens on, a crashed
 * server's, is removed and reused), COORD_ENOENT
 * (the directory's parent is missing), COORD_ENOTDIR (a path component is
 * not a directory, or the socket's directory itself is a symbolic link:
 * it is not followed, even to a private directory), COORD_EMFILE, COORD_ENOMEM (here or in the server's
 * own setup: the call returns once the server has said it serves, and
 * reaps a server that could not), COORD_EIO (another system error, or a
 * server that died or was stopped before it said so within 10 s),
 * COORD_EAGAIN (fork failed).
 */
COORD_EXTERN int coord_manager_start(coord_manager **out,
                                     const char *socket_path,
                                     const coord_manager_opts *opts);

/* coord_manager_path: the socket path clients connect to (owned by `m`). */
COORD_EXTERN const char *coord_manager_path(const coord_manager *m);

/* coord_manager_pid: the server process id (0 once stopped). */
COORD_EXTERN int coord_manager_pid(const coord_manager *m);

/*
 * coord_manager_stop: stop the server (SIGTERM: it closes every connection,
 * removes its socket and, if it made it, the private directory), wait for
 * it at most timeout_ms (then SIGKILL it and clean up here), and free `m`.
 * Concurrency: once, by the owner. Clients still connected see
 * COORD_EPEERDIED on their next call. In a process forked from the owner
 * (which inherited the handle) it frees that process's copy only: the
 * server keeps running and its socket stays (COORD_ECHILD).
 * Returns 0 (clean exit: after this call's SIGTERM, or earlier of its own
 * accord, when a SIGTERM from elsewhere or a SIGHUP/SIGQUIT that would
 * have ended the owner stopped it cleanly), COORD_ETIMEDOUT (had to be
 * killed), COORD_EPEERDIED (the server had died already: a crash, a
 * signal that killed it, a non-zero exit), COORD_ECHILD (called in
 * a fork of the owner: only the copy was freed), COORD_EINVAL (m NULL or
 * timeout_ms < -1: nothing was done, m is still valid).
 */
COORD_EXTERN int coord_manager_stop(coord_manager *m, int timeout_ms);

/*
 * coord_manager_run: serve `socket_path` in the calling process until
 * SIGINT or SIGTERM (`coord manager --socket PATH`). The signals are
 * blocked in the calling thread and taken through a signalfd; SIGPIPE is
 * blocked there too (a write to a client that has gone raises none; the
 * process's dispositions are left alone), and the SIGPIPEs so raised are
 * dropped; the mask is restored on return. Same path rules as
 * coord_manager_start, but for NULL: socket_path is required here (NULL
 * is COORD_EINVAL); the socket is removed on return.
 * Concurrency: any thread; threads may each run a server on a path of its
 * own at once. A SIGINT or SIGTERM sent to the process goes to a thread
 * that does not block it (its default action ends the process, the socket
 * left behind): in a process with other threads, block both in those
 * threads too, or send them to the serving thread (pthread_kill, tgkill).
 * Returns 0 after a signal, or the codes of coord_manager_start.
 */
COORD_EXTERN int coord_manager_run(const char *socket_path,
                                   const coord_manager_opts *opts);

/*
 * coord_manager_run_ready: coord_manager_run that calls ready(arg, path)
 * once, after the socket listens and the server is set up (its epoll
 * made and watching the socket and the signals), before any client is
 * served (the CLI prints "serving" there, so it never announces a server
 * that failed to start, out of descriptors or epoll watches included).
 * ready NULL: the same as coord_manager_run. ready runs in the calling
 * thread with SIGINT, SIGTERM and SIGPIPE blocked; clients wait in the
 * backlog while it runs, so it should return soon.
 * Returns the codes of coord_manager_run. When it fails before listening
 * (COORD_EINVAL for bad options or a NULL or empty path, and the path
 * codes of coord_manager_start), ready is not called.
 */
COORD_EXTERN int coord_manager_run_ready(const char *socket_path,
                                         const coord_manager_opts *opts,
                                         void (*ready)(void *arg,
                                                       const char *path),
                                         void *arg);

/*
 * coord_mclient_connect: connect to the manager at `path`, exchange the
 * protocol version and learn the server's limits. The socket carries the
 * handshake; with it go a pair of pipes and a mailbox (SCM_RIGHTS), a
 * sealed memfd of 20 KiB shared with the server. A request and reply
 * of up to 8 KiB each travel through the mailbox: while both ends are
 * awake a get then costs no system call (0.47 µs against 4.4 µs over the
 * pipes on the 2-CPU VM of docs/results.md, "Manager mailbox"); a sleeping
 * end is woken through its pipe. A client idle for a millisecond or two
 * rings its server's pipe with its next request (the server stops polling
 * idle mailboxes, so open but silent connections cost the busy ones
 * nothing: a get beside 1,024 of them 0.45 µs, against 9 µs when every
 * mailbox was polled). Larger frames travel over the pipes, and
 * so does every request after a call that returned without its reply (a
 * timeout), until one of them completes. Where memfd or
 * sealing is missing the connection uses the pipes only.
 * Concurrency: a client is for one thread at a time; open one per process
 * (a client must not be used from both sides of a fork).
 * Returns 0 and *out, COORD_ENOENT (no socket), COORD_EACCES (not allowed:
 * file permissions or another user; or the server itself runs as another
 * user, checked with SO_PEERCRED before anything is sent), COORD_ECONNREFUSED (no server, or it
 * is full), COORD_EMFILE (we or the server are out of file descriptors),
 * COORD_EVERSION, COORD_ETIMEDOUT, COORD_EAGAIN (timeout 0),
 * COORD_EINVAL, COORD_ENAMETOOLONG, COORD_ENOTDIR, COORD_ENOMEM,
 * COORD_EPEERDIED (the server closed without a reason), COORD_EPROTO (it
 * answered garbage, or `path` is not a socket: a file, directory, FIFO or
 * symlink to one), COORD_EBADMSG (the server refused the mailbox it was
 * handed: not a sealed memfd of the mailbox's size as far as it could
 * tell; our own client always sends one, so this is a server that could
 * not examine it, its fstat failing).
 */
COORD_EXTERN int coord_mclient_connect(coord_mclient **out, const char *path,
                                       int timeout_ms);

/*
 * coord_mclient_set_spin: how long each call polls for its reply (in its
 * mailbox, or on its reply pipe) before it sleeps in poll on the reply
 * pipe (the client side of the server's spin_ns, see
 * coord_manager_opts): 0 restores the default of 50 µs, a negative value
 * sleeps at once. The polling is polite in the same ways as the server's
 * (and capped with it at one spinner per CPU, with turns when clients
 * outnumber the CPUs, see coord_manager_opts), and neither it nor a wait
 * for a turn outlasts the call's deadline. Set both sides to a negative
 * value for the purely
 * blocking round trip (the spectrum's manager_get_block row).
 * Concurrency: like every call on `c`, one thread at a time. Never blocks.
 * Returns 0, or COORD_EINVAL (c NULL, or spin_ns above one second).
 */
COORD_EXTERN int coord_mclient_set_spin(coord_mclient *c, int64_t spin_ns);

/*
 * coord_mclient_set_interrupt: a function every later call of `c` runs
 * while it sleeps for its reply (or for room to send its request): when a
 * signal interrupted the sleep, and at least every 100 ms. When fn returns
 * nonzero the call ends with COORD_EINTR, as a call past its deadline ends
 * (the request may or may not have been applied; the late reply is
 * discarded by the next call; a request only partly sent closes the
 * connection: COORD_ENOTCONN next). fn runs in the calling thread; it must
 * not use `c` (an operation there returns COORD_EBUSY). The Python binding checks for signals there, so Ctrl-C
 * interrupts a manager call whose server does not answer. fn NULL: none
 * (the default: signals only make the sleep start again).
 * Concurrency: like every call on `c`, one thread at a time. Never blocks.
 * Returns 0, or COORD_EINVAL (c NULL).
 */
COORD_EXTERN int coord_mclient_set_interrupt(coord_mclient *c,
                                             int (*fn)(void *arg), void *arg);

/* coord_mclient_close: close the connection and free `c` (NULL: no-op). */
COORD_EXTERN void coord_mclient_close(coord_mclient *c);

/*
 * Operations: every call is one round trip (blocking, with a deadline).
 * Concurrency: one thread at a time per client; any number of clients in
 * any number of processes at once. A call made while another call on the
 * same client is under way (another thread's, or one from the interrupt
 * function) returns COORD_EBUSY at once, sending nothing and leaving the
 * call under way unharmed; what a call hands out (bytes, key lists) is
 * still the client's, overwritten by the next call of any thread. The
 * server runs one operation at a
 * time, so each is atomic (incr and cas included) and a batch runs without
 * other clients' operations in between.
 * Progress: blocking, bounded by timeout_ms; timeout 0 sends and takes
 * only a reply already there (of a server that keeps sending, late replies
 * or bells, it reads at most twice the server's max_frame, then says
 * COORD_EAGAIN).
 * Ownership: names, keys and values are copied into the request; returned
 * bytes and key lists belong to the client until its next call.
 * Codes common to all of them: COORD_EINVAL (NULL or bad argument, or the
 * name holds the other kind of container, or incr on a non-integer),
 * COORD_ENAMETOOLONG, COORD_EMSGSIZE, COORD_ENOSPC (server limits),
 * COORD_ENOMEM (server out of memory), COORD_ETIMEDOUT / COORD_EAGAIN
 * (timeout 0): the request may or may not have been applied, the late
 * reply is discarded by the next call; COORD_EPEERDIED (the server died or
 * closed the connection), COORD_ENOTCONN (the connection was lost before:
 * reconnect), COORD_EPROTO (the server sent garbage; the connection is
 * closed), COORD_EVERSION (a frame of another protocol version; the
 * connection is closed), COORD_EINTR (the client's interrupt function,
 * coord_mclient_set_interrupt, ended the wait: as COORD_ETIMEDOUT, the
 * request may or may not have been applied), COORD_EBUSY (another call on
 * the client is under way: nothing was sent).
 */

/* coord_mclient_get: copy-free read of dict[key] into *out (see coord_mval
 * for the lifetime of bytes). Returns 0, COORD_ENOTFOUND (no such key or
 * dict) or a common code. */
COORD_EXTERN int coord_mclient_get(coord_mclient *c, const char *dict,
                                   const char *key, coord_mval *out,
                                   int timeout_ms);

/* coord_mclient_set: dict[key] = *v (copied; type must not be NONE).
 * Returns 0 or a common code. */
COORD_EXTERN int coord_mclient_set(coord_mclient *c, const char *dict,
                                   const char *key, const coord_mval *v,
                                   int timeout_ms);

/* coord_mclient_delete: remove dict[key]. Returns 0, COORD_ENOTFOUND. */
COORD_EXTERN int coord_mclient_delete(coord_mclient *c, const char *dict,
                                      const char *key, int timeout_ms);

/* coord_mclient_incr: dict[key] += delta, atomically on the server (a
 * missing key counts as 0); *out_new (may be NULL) gets the new value.
 * Returns 0, COORD_EOVERFLOW (would leave int64; unchanged), COORD_EINVAL
 * (the value is not an i64) or a common code. */
COORD_EXTERN int coord_mclient_incr(coord_mclient *c, const char *dict,
                                    const char *key, int64_t delta,
                                    int64_t *out_new, int timeout_ms);

/* coord_mclient_cas: if dict[key] equals *expected (same type and value;
 * COORD_MNONE: key absent), set it to *desired. *actual (may be NULL) gets
 * the value found (NONE if absent). Returns 1 (swapped), 0 (not swapped)
 * or a common code. */
COORD_EXTERN int coord_mclient_cas(coord_mclient *c, const char *dict,
                                   const char *key, const coord_mval *expected,
                                   const coord_mval *desired,
                                   coord_mval *actual, int timeout_ms);

/* coord_mclient_dict_len: number of keys in `dict` (0 if it does not
 * exist). Returns the count (>= 0) or a common code. */
COORD_EXTERN int coord_mclient_dict_len(coord_mclient *c, const char *dict,
                                        int timeout_ms);

/* coord_mclient_dict_keys: the keys of `dict`, sorted bytewise, as an array
 * of COORD_MSTR values owned by the client until its next call. Returns
 * the count (>= 0), COORD_EMSGSIZE (the keys do not fit in one frame) or a
 * common code. */
COORD_EXTERN int coord_mclient_dict_keys(coord_mclient *c, const char *dict,
                                         const coord_mval **keys,
                                         int timeout_ms);

/* coord_mclient_list_append: append a copy of *v to `list`. Returns the
 * new length (>= 1) or a common code. */
COORD_EXTERN int coord_mclient_list_append(coord_mclient *c, const char *list,
                                           const coord_mval *v,
                                           int timeout_ms);

/* coord_mclient_list_get: list[index] (negative: from the end, -1 is the
 * last). Returns 0, COORD_ERANGE (no such index; also a missing list). */
COORD_EXTERN int coord_mclient_list_get(coord_mclient *c, const char *list,
                                        int64_t index, coord_mval *out,
                                        int timeout_ms);

/* coord_mclient_list_len: length of `list` (0 if it does not exist). */
COORD_EXTERN int coord_mclient_list_len(coord_mclient *c, const char *list,
                                        int timeout_ms);

/* coord_mclient_list_pop: remove list[index] (0: first, -1: last) into
 * *out. Returns 0, COORD_ENODATA (empty or missing list), COORD_ERANGE. */
COORD_EXTERN int coord_mclient_list_pop(coord_mclient *c, const char *list,
                                        int64_t index, coord_mval *out,
                                        int timeout_ms);

/* One operation of a batch (coord_mclient_batch). */
typedef enum coord_mop {
    COORD_MOP_GET = 1,
    COORD_MOP_SET = 2,
    COORD_MOP_DELETE = 3,
    COORD_MOP_INCR = 4,
    COORD_MOP_CAS = 5,
    COORD_MOP_DICT_LEN = 6,
    COORD_MOP_LIST_APPEND = 7,
    COORD_MOP_LIST_GET = 8,
    COORD_MOP_LIST_LEN = 9,
    COORD_MOP_LIST_POP = 10
} coord_mop;

typedef struct coord_mreq {
    coord_mop op;
    const char *name;    /* the dict or list */
    const char *key;     /* dict operations on one key; else ignored */
    coord_mval value;    /* SET, LIST_APPEND, CAS (desired) */
    coord_mval expected; /* CAS */
    int64_t arg;         /* INCR delta, LIST_GET / LIST_POP index */
    /* Filled by coord_mclient_batch: */
    int status;        /* what the single call would return */
    coord_mval result; /* GET, LIST_GET, LIST_POP, CAS (actual); INCR (new,
                          in result.i); lengths are in status */
} coord_mreq;

/*
 * coord_mclient_batch: run `n` operations in one round trip, in order,
 * each as the single call would (the server runs the whole batch without
 * interleaving other clients' operations). Each reqs[i].status and
 * .result are set. Bytes results live until the next call on `c`.
 * Returns 0 when the round trip worked (look at each status), COORD_E2BIG
 * (more than max_batch operations), COORD_EMSGSIZE (the frame would exceed
 * max_frame), the code of the first malformed request, which is also its
 * status (COORD_EINVAL; COORD_ENAMETOOLONG for a name or key over 65535
 * bytes; COORD_EMSGSIZE for a value over 2 GiB), nothing being sent,
 * COORD_EINVAL (c NULL, reqs NULL with n > 0, timeout_ms below -1), or
 * a transport code (COORD_ETIMEDOUT, COORD_EAGAIN, COORD_EPEERDIED,
 * COORD_ENOTCONN, COORD_EPROTO, COORD_EVERSION, COORD_ENOMEM, and
 * COORD_EINTR when the interrupt function of coord_mclient_set_interrupt
 * ended the wait), with the meanings the common codes above give them.
 */
COORD_EXTERN int coord_mclient_batch(coord_mclient *c, coord_mreq *reqs,
                                     size_t n, int timeout_ms);

/* Server counters (coord_mclient_stats). */
typedef struct coord_manager_stats {
    uint64_t clients;        /* connected now */
    uint64_t accepted;       /* connections accepted so far */
    uint64_t refused_uid;    /* peers of another user refused */
    uint64_t refused_full;   /* refused for max_clients */
    uint64_t frames;         /* request frames served */
    uint64_t ops;            /* operations served */
    uint64_t malformed;      /* malformed, oversized or truncated frames */
    uint64_t limit_errors;   /* operations refused by a limit */
    uint64_t entries;        /* dict entries + list items stored */
    uint64_t bytes;          /* bytes of keys and values stored */
    uint64_t containers;     /* dicts and lists */
} coord_manager_stats;

/* coord_mclient_stats: the server's counters. Returns 0 or a common code. */
COORD_EXTERN int coord_mclient_stats(coord_mclient *c,
                                     coord_manager_stats *out, int timeout_ms);

COORD_END_DECLS

#endif
