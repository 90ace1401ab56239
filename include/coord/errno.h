/* SPDX-License-Identifier: MIT */
/* errno.h: the error codes every coord function returns, and their names. */
#ifndef COORD_ERRNO_H
#define COORD_ERRNO_H

#include <errno.h>

#include "common.h"

COORD_BEGIN_DECLS

/*
 * Every coord function that can fail returns int: 0 (or a count >= 0) on
 * success and a negative code on failure. System errors are negated errno
 * values; project codes live in a reserved range below -4000 that no errno
 * reaches. This one table generates the enum, coord_strerror() and
 * coord_err_name().
 */
#define COORD_ERRNO_MAP(X)                                                     \
    X(EPERM, -EPERM, "operation not permitted")                                \
    X(ENOENT, -ENOENT, "no such object")                                       \
    X(ESRCH, -ESRCH, "no such process")                                        \
    X(EINTR, -EINTR, "interrupted")                                            \
    X(EIO, -EIO, "input/output error")                                         \
    X(E2BIG, -E2BIG, "argument list too long")                                 \
    X(EBADF, -EBADF, "bad file descriptor")                                    \
    X(ECHILD, -ECHILD, "no child process")                                     \
    X(EAGAIN, -EAGAIN, "try again (would block, or fork failed)")              \
    X(ENOMEM, -ENOMEM, "out of memory")                                        \
    X(EACCES, -EACCES, "permission denied")                                    \
    X(EBUSY, -EBUSY, "resource busy")                                          \
    X(EEXIST, -EEXIST, "object already exists")                                \
    X(ENOTDIR, -ENOTDIR, "not a directory")                                    \
    X(EINVAL, -EINVAL, "invalid argument")                                     \
    X(EMFILE, -EMFILE, "too many open files")                                  \
    X(ENOSPC, -ENOSPC, "no space left")                                        \
    X(EPIPE, -EPIPE, "broken pipe")                                            \
    X(ERANGE, -ERANGE, "result out of range")                                  \
    X(EDEADLK, -EDEADLK, "deadlock avoided: caller already holds the lock")    \
    X(ENAMETOOLONG, -ENAMETOOLONG, "name too long")                            \
    X(ENOSYS, -ENOSYS, "not supported on this system")                         \
    X(ENODATA, -ENODATA, "no data")                                            \
    X(EPROTO, -EPROTO, "protocol or layout error (bad magic or malformed)")    \
    X(EBADMSG, -EBADMSG, "malformed message")                                  \
    X(EOVERFLOW, -EOVERFLOW, "value too large")                                \
    X(EMSGSIZE, -EMSGSIZE, "message too long")                                 \
    X(ENOBUFS, -ENOBUFS, "buffer too small")                                   \
    X(ECONNREFUSED, -ECONNREFUSED, "connection refused")                       \
    X(ECONNRESET, -ECONNRESET, "connection reset by peer")                     \
    X(ENOTCONN, -ENOTCONN, "not connected")                                    \
    X(ETIMEDOUT, -ETIMEDOUT, "timed out")                                      \
    X(EOWNERDEAD, -EOWNERDEAD, "previous lock owner died")                     \
    X(ENOTRECOVERABLE, -ENOTRECOVERABLE, "state not recoverable")              \
    X(ECLOSED, -4001, "object is closed")                                      \
    X(EPEERDIED, -4002, "a peer process died")                                 \
    X(EBROKEN, -4003, "object is broken (a process died while changing it)")   \
    X(ESTOPPED, -4004, "stopped")                                              \
    X(EVERSION, -4005, "ABI version mismatch")                                 \
    X(ENOTFOUND, -4006, "not found")

typedef enum coord_errno {
#define COORD__ERRNO_ENUM(name, value, text) COORD_##name = (value),
    COORD_ERRNO_MAP(COORD__ERRNO_ENUM)
#undef COORD__ERRNO_ENUM
} coord_errno;

/*
 * Positive informational results (not errors).
 *   COORD_PILL: coord_queue_get received a poison pill.
 *   COORD_RECOVERED: a lock call acquired the lock, but its previous holder
 *     died while holding it; the lock is consistent again and the caller now
 *     holds it, and should check the data it guards.
 */
#define COORD_PILL 1
#define COORD_RECOVERED 2

/*
 * coord_strerror: a one-line English description of `err`.
 * Concurrency: any thread, any time. Never NULL; the string is static.
 * Unknown codes give "unknown error"; 0 gives "success"; COORD_PILL and
 * COORD_RECOVERED give their own description.
 */
COORD_EXTERN const char *coord_strerror(int err);

/*
 * coord_err_name: the symbolic name of `err` ("COORD_EINVAL", ...).
 * Concurrency: any thread. Never NULL; unknown codes give "COORD_EUNKNOWN".
 */
COORD_EXTERN const char *coord_err_name(int err);

COORD_END_DECLS

#endif
