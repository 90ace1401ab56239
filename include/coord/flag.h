/* SPDX-License-Identifier: MIT */
/* flag.h: the shared stop flag with a first-wins claim, epochs and waiting. */
#ifndef COORD_FLAG_H
#define COORD_FLAG_H

#ifndef __cplusplus
#include <stdatomic.h>
#endif

#include "common.h"

COORD_BEGIN_DECLS

/*
 * A coord_flag is one 32-bit word alone on its 64-byte cache line: bit 0 says
 * "set", bits 1..31 count the epoch (round). Reading it is one atomic load;
 * claiming it is one compare-and-swap. A second cache line holds a robust
 * process-shared mutex for the lecture's lock-based claim. The flag is shared
 * with every child forked after it is created; a named flag can also be
 * opened by an unrelated process, and so can one made with
 * coord_flag_create_fd by a process given its descriptor.
 *
 * Epochs: coord_flag_reset() clears the flag and starts a new epoch. A claim
 * made with coord_flag_claim_epoch(f, e) only succeeds while the epoch is
 * still e, so a slow worker of round k can never claim round k+1. Epochs
 * wrap after 2^31 resets.
 */
typedef struct coord_flag coord_flag;

/* How a claim is made (see coord_flag_claim_epoch). */
typedef enum coord_claim_mode {
    COORD_CLAIM_CAS = 0, /* one lock-free compare-and-swap (default) */
    COORD_CLAIM_LOCK = 1 /* lecture: lock, check again, set, unlock */
} coord_claim_mode;

/* Exposed only so that coord_flag_is_set can be inline; do not touch.
 * C++ has no _Atomic before C++23: there the word is a plain uint32_t read
 * with the GCC/Clang builtin __atomic_load_n, the same single acquire load
 * of the same 32-bit word (same size and alignment). */
struct coord__flag_head {
#ifdef __cplusplus
    uint32_t state;
#else
    _Atomic uint32_t state;
#endif
};

/*
 * coord_flag_size: bytes needed to place a flag with coord_flag_init().
 * Concurrency: pure. Returns the size (a multiple of 64).
 */
COORD_EXTERN size_t coord_flag_size(void);

/*
 * coord_flag_init: place a new flag (clear, epoch 0) in caller memory.
 * `mem` must be 64-byte aligned, at least coord_flag_size() bytes, and in
 * memory shared with the processes that will use the flag (MAP_SHARED).
 * Concurrency: nobody may use `mem` during the call. Ownership: the caller
 * keeps `mem`; coord_flag_destroy() on such a flag releases nothing.
 * Returns 0 and *out, COORD_EINVAL (NULL, misaligned, too small) or a
 * mutex initialisation error.
 */
COORD_EXTERN int coord_flag_init(void *mem, size_t size, coord_flag **out);

/*
 * coord_flag_attach: the handle, in this process, of a flag that another
 * process placed with coord_flag_init() in shared memory this process
 * maps at its own address (e.g. an MPI shared-memory window, or a file
 * mapped by unrelated processes). The flag holds no pointers, so it works
 * wherever it is mapped. `mem` must be 64-byte aligned and at least
 * coord_flag_size() bytes. Concurrency: the initialiser must have finished
 * (the caller orders it, e.g. with a barrier); any use afterwards. Ownership:
 * the caller keeps `mem`; coord_flag_destroy() releases nothing.
 * Returns 0 and *out, COORD_EINVAL (NULL, misaligned, too small) or
 * COORD_EPROTO (no flag placed by coord_flag_init there: bad magic).
 */
COORD_EXTERN int coord_flag_attach(void *mem, size_t size, coord_flag **out);

/*
 * coord_flag_create: map a new clear flag in anonymous shared memory.
 * Every child forked after this call shares it.
 * Returns 0 and *out, COORD_EINVAL (out NULL) or COORD_ENOMEM.
 */
COORD_EXTERN int coord_flag_create(coord_flag **out);

/*
 * coord_flag_create_named: like coord_flag_create, but backed by the named
 * shared-memory file /dev/shm/coord.<name> (mode 0600, O_EXCL) so that
 * unrelated processes can coord_flag_open() it. `name` is 1..200 characters
 * of [A-Za-z0-9._-]. Returns 0, COORD_EINVAL (bad name), COORD_EEXIST (name
 * taken, by any kind of file), COORD_EACCES, COORD_ENOENT (no /dev/shm, as
 * in a container without one), COORD_EMFILE (out of file
 * descriptors), COORD_ENOMEM (out of memory or shared-memory space: every
 * named create, of any kind, reserves the whole file's blocks in /dev/shm,
 * so no store into the object can fault later for want of room) or
 * COORD_EIO (any other system error).
 */
COORD_EXTERN int coord_flag_create_named(coord_flag **out, const char *name);

/*
 * coord_flag_open: map the flag another process created with `name`.
 * Every named open (flag, value, array, region, queue) trusts only a file
 * that is ours alone: a regular file owned by the caller's euid with no
 * group or other permission bits; a symlink, directory, FIFO, another
 * user's file or a file with mode bits beyond 0600 is refused with
 * COORD_EACCES (docs/segments.md lists every check).
 * Returns 0, COORD_EINVAL, COORD_ENOENT (no such name), COORD_EACCES,
 * COORD_EPROTO (not a coord flag: bad magic, kind or size), COORD_EVERSION
 * (other ABI version), COORD_EAGAIN (the creator has not finished
 * initialising it: try again; a file left unfinished longer than
 * COORD_GC_GRACE_MS, by a creator killed early or planted as zeros, is
 * COORD_EPROTO, so a retry loop ends), COORD_EMFILE, COORD_ENOMEM or
 * COORD_EIO. The other named objects' opens (value, array, region, queue)
 * answer the same.
 */
COORD_EXTERN int coord_flag_open(coord_flag **out, const char *name);

/*
 * coord_flag_create_fd: like coord_flag_create (forked children share it),
 * backed by a memfd sealed at its size, and *fd gets its descriptor: any
 * process given it (inherited across exec, or sent over a Unix socket with
 * SCM_RIGHTS) opens the flag with coord_flag_open_fd().
 * Ownership: *fd is the caller's (close-on-exec: clear FD_CLOEXEC, or
 * dup it, to pass it across exec); the flag neither keeps nor needs it,
 * so close it once no process needs to be given the flag; the memory
 * lives while any process maps it. No flag keeps a descriptor,
 * so only one made by this call can be passed so: choose at creation, as
 * for a name. Concurrency: any thread. Progress: system calls only, no
 * wait for another process.
 * Returns 0, COORD_EINVAL (out or fd NULL), COORD_EMFILE (out of file
 * descriptors), COORD_ENOMEM, COORD_ENOSYS (memfd_create refused: an old
 * kernel without it, or a seccomp filter or security module, whatever
 * errno it answers but EMFILE, ENFILE and ENOMEM; coord_flag_create works
 * there; a refusal with EACCES or EINVAL is first tried again with
 * MFD_NOEXEC_SEAL, which Linux 6.3 to 6.5 want where vm.memfd_noexec is
 * 2: that memfd is sealed with F_SEAL_EXEC too) or COORD_EIO;
 * the create_fd of value, array, region and queue answer the same.
 */
COORD_EXTERN int coord_flag_create_fd(coord_flag **out, int *fd);

/*
 * coord_flag_open_fd: map the flag behind `fd`, a descriptor that
 * coord_flag_create_fd made (in any process). Untrusted as a named file
 * is: only a memfd with coord's seals is taken (a pipe, a file on disk, an
 * unsealed memfd, a named segment's file: COORD_EPROTO), then its header
 * and the flag are checked as coord_flag_open checks them.
 * Ownership: `fd` is borrowed (close it when you like); the mapping keeps
 * no descriptor and lasts until coord_flag_destroy.
 * Concurrency: any thread, while the creator and other openers use the
 * flag. Progress: system calls only, no wait for another process.
 * Returns 0, COORD_EINVAL (out NULL), COORD_EBADF (not an open
 * descriptor), COORD_EPROTO (no sealed memfd, or no flag: bad magic, kind
 * or size, shorter than a header), COORD_EVERSION (other ABI version),
 * COORD_EACCES (not open for reading and writing, or write-sealed),
 * COORD_ENOMEM or COORD_EIO; the open_fd of value, array, region and
 * queue answer the same.
 */
COORD_EXTERN int coord_flag_open_fd(coord_flag **out, int fd);

/*
 * coord_flag_destroy: release this process's handle. For a flag from
 * coord_flag_create, _create_named, _create_fd, _open or _open_fd this unmaps
 * it (as this process recorded the mapping, whatever the shared words
 * say); the creator process of a named flag also removes its name. Other processes that still map it may
 * keep using it. NULL is ignored. Concurrency: no other thread of this
 * process may use `f` during or after the call.
 */
COORD_EXTERN void coord_flag_destroy(coord_flag *f);

/*
 * coord_flag_is_set: is the flag set in its current epoch?
 * `f` must be a valid flag (from coord_flag_create, _create_named,
 * _create_fd, _open, _open_fd or _init, not yet destroyed): there is no NULL check, so that the check in a
 * hot loop is one load and one test (on x86-64 a mov and a fused and+jump;
 * a NULL test here would add a test and a branch to every check). NULL or
 * a destroyed flag is undefined behaviour (in practice a crash).
 * Concurrency: any thread or process, any time. Progress: wait-free, one
 * atomic load, no lock, no system call (it belongs in hot loops).
 * Memory ordering: acquire; when it returns true, everything the setter
 * wrote before coord_flag_set/claim is visible.
 */
static inline bool coord_flag_is_set(const coord_flag *f)
{
    const struct coord__flag_head *h = (const struct coord__flag_head *)f;
#ifdef __cplusplus
    return (__atomic_load_n(&h->state, __ATOMIC_ACQUIRE) & 1u) != 0;
#else
    return (atomic_load_explicit(&h->state, memory_order_acquire) & 1u) != 0;
#endif
}

/*
 * coord_flag_set: set the flag in the current epoch and wake its waiters.
 * Concurrency: any thread or process. Progress: lock-free (one atomic OR; a
 * futex wake only when someone sleeps in coord_flag_wait). Memory ordering:
 * release. Setting a set flag does nothing. NULL is ignored.
 */
COORD_EXTERN void coord_flag_set(coord_flag *f);

/*
 * coord_flag_claim: set the flag, returning true for exactly one caller per
 * epoch (the first); everyone else, and every later caller, gets false.
 * Concurrency: any thread or process. Progress: lock-free, one
 * compare-and-swap. Memory ordering: acq_rel. NULL gives false.
 */
COORD_EXTERN bool coord_flag_claim(coord_flag *f);

/*
 * coord_flag_claim_locked: the lecture's protocol (slide 5): a cheap check,
 * then lock, check again, set, unlock. True for exactly one caller per
 * epoch. Progress: blocking (robust mutex; a holder that dies is recovered).
 * NULL gives false.
 */
COORD_EXTERN bool coord_flag_claim_locked(coord_flag *f);

/*
 * coord_flag_claim_epoch: claim the flag for epoch `epoch` only, in `mode`.
 * Returns 1 when this caller won epoch `epoch`, 0 when the flag is already
 * set or the epoch has moved on, COORD_EINVAL (NULL, unknown mode, or an
 * epoch above 2^31 - 1, which no flag reaches: epochs count modulo 2^31);
 * in COORD_CLAIM_LOCK mode also COORD_EDEADLK (this thread holds the lock) or
 * COORD_EPROTO (the lock's memory was overwritten by another process).
 * Concurrency and progress: as coord_flag_claim / coord_flag_claim_locked.
 */
COORD_EXTERN int coord_flag_claim_epoch(coord_flag *f, uint32_t epoch,
                                        coord_claim_mode mode);

/*
 * coord_flag_epoch: the current epoch (0 after create, +1 per reset, modulo
 * 2^31). Concurrency: any; wait-free. NULL gives 0.
 */
COORD_EXTERN uint32_t coord_flag_epoch(const coord_flag *f);

/*
 * coord_flag_reset: clear the flag and start a new epoch; wakes waiters.
 * Concurrency: any process, but the caller must know the round is over (a
 * claim racing with a reset either lands in the old epoch and is discarded
 * by the reset, or fails). Returns the new epoch (0 .. 2^31-1), or
 * COORD_EINVAL for NULL.
 */
COORD_EXTERN int coord_flag_reset(coord_flag *f);

/*
 * coord_flag_wait: sleep until the flag is set or its epoch changes.
 * Concurrency: any number of waiters in any processes. Progress: blocking
 * (futex), bounded by `timeout_ms` (see common.h); the waiter looks at the
 * flag at least every 100 ms, so a set whose wake-up was lost (the shared
 * count of waiters rewritten by another process) is seen within that.
 * Returns 0 when set (or the epoch moved on), COORD_ETIMEDOUT,
 * COORD_EAGAIN (timeout 0 and not set), COORD_EINVAL.
 */
COORD_EXTERN int coord_flag_wait(coord_flag *f, int timeout_ms);

COORD_END_DECLS

#endif
