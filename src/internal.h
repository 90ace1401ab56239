/* SPDX-License-Identifier: MIT */
/* internal.h: the platform layer (layer 0) and helpers shared by the components. */
#ifndef COORD_INTERNAL_H
#define COORD_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include "coord.h"
#include "coord_config.h"

/* Every shared atomic coord uses must be lock-free, or it would not work
 * across processes (a lock-based atomic keeps its lock in private memory). */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "32-bit atomics must be lock-free");
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");

#define COORD__CACHE_LINE 64

/* Large files in every build (CMakeLists.txt: _FILE_OFFSET_BITS=64): a
 * 32-bit build's fstat of another process's segment past 2 GiB said
 * EOVERFLOW (an open said COORD_ENOMEM; gc kept a dead one as foreign). */
_Static_assert(sizeof(off_t) == 8 && sizeof(ino_t) == 8, "large-file support");

/* 2^shift bytes as a size_t limit, or SIZE_MAX / 4 where size_t is too
 * narrow for 2^shift (a 32-bit system: (size_t)1 << 40 is 0 there, and every
 * size was "too large"). A quarter of SIZE_MAX, so that a size up to the
 * limit still doubles, or takes a header and a page's rounding, without
 * overflow. */
#define COORD__SIZE_CAP(shift)                                                \
    ((size_t)(((uint64_t)1 << (shift)) < SIZE_MAX / 4 ? ((uint64_t)1 << (shift)) \
                                                     : SIZE_MAX / 4))

/* Invariant violations only: never for bad input or runtime conditions. */
#define COORD__DIE(msg)                                                        \
    do {                                                                       \
        fprintf(stderr, "coord: %s:%d: invariant broken: %s\n", __FILE__,      \
                __LINE__, (msg));                                              \
        abort();                                                               \
    } while (0)

/* ---- prefetch for writing (src/os/prefetch.c) ------------------------ */

/* Whether this CPU has PREFETCHW: 0 not asked yet, 1 yes, -1 no. */
extern _Atomic int coord__prefetchw_ok;
/* Ask the CPU (once; later calls read coord__prefetchw_ok). */
int coord__prefetchw_probe(void);

/* Ask for the cache lines of the `bytes` bytes at `p` (at least the first
 * line) in the state for writing, ahead of writes (or a CAS) that would
 * otherwise stall while each line is taken from another CPU's cache. A
 * hint: it changes timing only, never what memory holds, and it never
 * faults. */
static inline void coord__prefetch_write(const void *p, size_t bytes)
{
    const char *c = p;
#if defined(__x86_64__) || defined(__i386__)
    int ok = atomic_load_explicit(&coord__prefetchw_ok, memory_order_relaxed);
    if (__builtin_expect(ok == 0, 0))
        ok = coord__prefetchw_probe();
    if (ok < 0)
        return;
    size_t off = 0;
    do
        __asm__ __volatile__("prefetchw %0" : : "m"(c[off]));
    while ((off += COORD__CACHE_LINE) < bytes);
#else
    size_t off = 0;
    do
        __builtin_prefetch(c + off, 1, 3);
    while ((off += COORD__CACHE_LINE) < bytes);
#endif
}

/* ---- clock (src/os/clock.c) ------------------------------------------ */

/* Absolute monotonic deadline for `timeout_ms` (UINT64_MAX for forever). */
uint64_t coord__deadline(int timeout_ms);
/* 0 when timeout_ms is -1, 0 or positive; COORD_EINVAL otherwise. */
int coord__check_timeout(int timeout_ms);

/* ---- futex (src/os/futex.c) ------------------------------------------ */

/* Sleep while *word == expected, until woken or `deadline_ns` (absolute
 * monotonic, UINT64_MAX: none). Shared (not private) futex, so it works
 * across processes. Returns 0 (woken, value changed, or spurious: the
 * caller re-checks), COORD_ETIMEDOUT. */
int coord__futex_wait(_Atomic uint32_t *word, uint32_t expected,
                      uint64_t deadline_ns);
/* Wake up to `n` waiters (INT32_MAX: all). Returns how many it woke (0
 * also when the call failed). */
int coord__futex_wake(_Atomic uint32_t *word, int n);

/* ---- robust process-shared mutex (src/os/mutex.c) ---------------------- */

typedef struct coord__mutex {
    pthread_mutex_t m;
} coord__mutex;

int coord__mutex_init(coord__mutex *m);
/* Returns 0 (locked), COORD_RECOVERED (locked; the previous holder died
 * holding it and the mutex was made consistent: the caller decides whether
 * the guarded data is intact), COORD_EAGAIN (timeout 0, busy),
 * COORD_ETIMEDOUT, COORD_EDEADLK (this thread holds it), COORD_EINVAL,
 * COORD_EPROTO (the mutex's words were overwritten in shared memory: its
 * kind word, or a state glibc answers with another error, such as the
 * owner word set to its "not recoverable" mark). */
int coord__mutex_lock(coord__mutex *m, int timeout_ms);
/* Lock `m`, waiting until `deadline` (ns of coord_clock_ns) at most: the
 * timed wait under coord__mutex_lock and the queue's side locks.
 * pthread_mutex_clocklock on CLOCK_MONOTONIC (in a COORD_TSAN build a
 * timedlock ThreadSanitizer sees, see mutex.c). Returns what that returns:
 * 0, EOWNERDEAD, ETIMEDOUT or another errno value. */
int coord__mutex_lock_until(coord__mutex *m, uint64_t deadline);
/* Returns 0, COORD_EPERM when the caller does not hold the mutex, or
 * COORD_EPROTO (kind word overwritten). */
int coord__mutex_unlock(coord__mutex *m);
/* Take `m` by polling (trylock every millisecond) until it is taken or
 * `end` (ns of coord_clock_ns; 0: no end) passes: for a holder that glibc
 * cannot tell from the caller, a thread of another pid namespace with the
 * caller's number (the lock answers EDEADLK), on which no futex wait
 * works. Returns pthread's code: 0 or EOWNERDEAD (held now), ETIMEDOUT,
 * or another error (a word no lock of ours holds). Blocks up to `end`. */
int coord__mutex_poll_until(coord__mutex *m, uint64_t end);
/* Is the mutex's kind word (glibc's; other C libraries: always true) the
 * one coord__mutex_init writes? The check coord__mutex_lock and _unlock
 * make first, for the queue's side locks, which call pthread directly. */
bool coord__mutex_kind_ok(const coord__mutex *m);

/* The flag's claim mutex (for tests that kill a holder inside it). */
struct coord_flag;
coord__mutex *coord__flag_mutex(struct coord_flag *f);

/* ---- shared segments (src/os/segment.c) -------------------------------- */

/*
 * Every mapping coord creates itself is a segment: a 256-byte header, then
 * the object at offset COORD__SEG_HDR. The header is position independent
 * (no pointers) and stamped with magic, ABI version, kind and size; openers
 * validate all four, and a named segment's file must be a regular file of
 * the caller's euid with no group/other permission bits. A named segment
 * lives in /dev/shm/coord.<name>. The layout is described field by field
 * in docs/segments.md.
 */
#define COORD__SEG_MAGIC 0x474553444f4f43ull /* "COODSEG" */
/* The first COORD_ABI_VERSION with today's segment header (pid-namespace
 * fields, a 256-byte name): gc reads the creator of any segment from it up
 * to COORD_ABI_VERSION; opening one takes COORD_ABI_VERSION only. */
#define COORD__SEG_HDR_SINCE_ABI 2u
/* The header's `abi` word: COORD_ABI_VERSION in its low 16 bits and, above
 * them, the layout of what the segment holds. That layout follows the
 * process's data model: a robust mutex is 40 bytes in a 64-bit glibc
 * process and 24 in an i386 one (32 in x32), so every field after one
 * moves (the queue's tail and head), and glibc's own words sit at other
 * offsets. Yet the sizes of the objects, rounded to cache lines, agree,
 * and a 32-bit process on a 64-bit kernel opened a 64-bit process's queue
 * and misread it (one message taken twice, its head written into the
 * other's mutex). So a build with 4-byte pointers stamps the size of its
 * mutex here, and an opener takes only its own stamp: the other word size
 * gets COORD_EVERSION. 64-bit builds stamp 0 there, as every release did.
 * The header itself has no pointers and the same offsets in both (gc reads
 * it whatever the layout, by the low 16 bits). */
#define COORD__ABI_VERSION_MASK 0xffffu
#define COORD__ABI_LAYOUT                                                     \
    ((uint32_t)(sizeof(void *) == 8 ? 0u : sizeof(pthread_mutex_t)) << 16)
#define COORD__SEG_ABI ((uint32_t)COORD_ABI_VERSION | COORD__ABI_LAYOUT)
#define COORD__SEG_HDR 256
#define COORD__NAME_PREFIX "coord."
#define COORD__NAME_MAX 200

enum coord__kind {
    COORD__KIND_FLAG = 1,
    COORD__KIND_VALUE = 2,
    COORD__KIND_ARRAY = 3,
    COORD__KIND_REGION = 4,
    COORD__KIND_QUEUE = 5,
    COORD__KIND_POOL = 6,
    COORD__KIND_SEARCH = 7,
    COORD__KIND_OTHER = 99
};

typedef struct coord__seg_hdr {
    _Atomic uint64_t magic; /* written last, with release, by the creator */
    uint32_t abi;
    uint32_t kind;
    uint64_t size;          /* whole mapping, header included */
    uint64_t creator_start; /* creator's start time (clock ticks since boot;
                               0: unknown) */
    uint64_t pidns_dev;     /* creator's pid namespace: st_dev and st_ino */
    uint64_t pidns_ino;     /* of /proc/self/ns/pid (both 0: unknown) */
    int32_t creator_pid;    /* as the creator's pid namespace counts it */
    char name[COORD__SEG_HDR - 52]; /* the user's name, NUL-terminated;
                                       empty for an anonymous segment */
} coord__seg_hdr;
_Static_assert(sizeof(coord__seg_hdr) == COORD__SEG_HDR, "segment header");
_Static_assert(COORD__SEG_HDR - 52 > COORD__NAME_MAX, "name fits the header");

/* Validate a user-visible name (1..COORD__NAME_MAX of [A-Za-z0-9._-]). */
int coord__name_check(const char *name);
/* "/coord.<name>" for shm_open into buf (>= COORD__SEG_HDR + 16 bytes). */
void coord__name_path(char *buf, size_t cap, const char *name);

/* Create a segment for an object of `obj_size` bytes, zero-filled. `name`
 * NULL: anonymous shared mapping. The magic is not yet published: call
 * coord__seg_publish(obj) once the object is initialised. Returns 0,
 * COORD_EINVAL, COORD_EEXIST, COORD_EACCES, COORD_EMFILE, COORD_ENOMEM,
 * COORD_EIO (any other system error). */
int coord__seg_create(const char *name, uint32_t kind, size_t obj_size,
                      void **obj_out);
/* coord__seg_create for an anonymous segment in a sealed memfd
 * (coord__memfd_create), so that other processes can open it from its
 * descriptor (coord__seg_open_fd). The process's record of the mapping
 * holds the descriptor until coord__seg_publish hands it to the caller
 * (coord__seg_release closes it when the object fails before that).
 * Returns 0, COORD_EINVAL, COORD_EMFILE, COORD_ENOMEM, COORD_ENOSYS (no
 * memfd_create), COORD_EIO. */
int coord__seg_create_fd(uint32_t kind, size_t obj_size, void **obj_out);
/* Publish the magic (the object is initialised). Returns the descriptor of
 * a segment from coord__seg_create_fd, which the caller owns from then
 * on; -1 for every other segment. */
int coord__seg_publish(void *obj);
/* Open and validate a named segment of `kind`; *obj_size gets the object's
 * size. COORD_EAGAIN while its creator may still be initialising it (no
 * magic yet, the file younger than COORD_GC_GRACE_MS); older than that it
 * never will be: COORD_EPROTO (a creator killed early, or a file of zeros
 * planted there; coord gc removes it).
 * Returns 0, COORD_ENOENT, COORD_EPROTO, COORD_EVERSION, COORD_EAGAIN,
 * COORD_EACCES (not a regular file owned by our euid with mode 0600 or
 * less: another user's file, group/other bits, a symlink or a directory),
 * COORD_EINVAL, COORD_EMFILE, COORD_ENOMEM, COORD_EIO. */
int coord__seg_open(const char *name, uint32_t kind, void **obj_out,
                    size_t *obj_size);
/* Open and validate the segment behind descriptor `fd`, of `kind`: the
 * descriptor must pass coord__memfd_check, then the header is checked as
 * coord__seg_open checks it (no magic: COORD_EPROTO, since a descriptor is
 * handed out only after publish). `fd` stays the caller's; the mapping
 * does not keep it. Returns 0, COORD_EINVAL, COORD_EBADF, COORD_EPROTO,
 * COORD_EVERSION, COORD_EACCES (a read-only or write-sealed descriptor),
 * COORD_ENOMEM, COORD_EIO. */
int coord__seg_open_fd(int fd, uint32_t kind, void **obj_out,
                       size_t *obj_size);
/* A memfd (close-on-exec) of `size` bytes sealed against shrinking,
 * growing and further seals (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL):
 * whoever it is passed to can neither fault the others' mappings by
 * shrinking it nor make it read-only. `label` names it in /proc/PID/fd.
 * memfd_create refused with EACCES or EINVAL is tried once more with
 * MFD_NOEXEC_SEAL (Linux 6.3 to 6.5 with vm.memfd_noexec = 2 want it).
 * Returns 0 and *fd_out, COORD_EMFILE (EMFILE, ENFILE), COORD_ENOMEM,
 * COORD_ENOSYS (memfd_create refused with any other errno: an old kernel,
 * a seccomp filter or security module, whatever it answers), COORD_EIO. */
int coord__memfd_create(const char *label, size_t size, int *fd_out);
/* A file of `total` bytes beyond the caller's RLIMIT_FSIZE (ulimit -f):
 * the write, ftruncate or fallocate that reached past it would fail with
 * EFBIG and also raise SIGXFSZ, whose default action kills the process
 * (with a core) and leaves a named segment's file behind. So such a size
 * is refused before any file is made (named segments, memfds): returns
 * COORD_ENOMEM, as for EFBIG, or 0. The kernel allows a file of exactly
 * the limit. */
int coord__fsize_check(size_t total);
/* Does the kernel refuse to commit memory past a limit
 * (/proc/sys/vm/overcommit_memory reads 2)? Then coord__memfd_create
 * reserves a memfd's blocks at create (a first store into a page the
 * kernel will not commit is SIGBUS, the create is COORD_ENOMEM instead);
 * otherwise a memfd stays sparse, committed as it is touched, as a page
 * fault under the other modes never fails (the OOM killer acts instead,
 * as for any memory). Read once per process. */
bool coord__overcommit_strict(void);
/* Linux 6.3's memfd_create flag MFD_NOEXEC_SEAL (not executable, and
 * sealed so), and that seal, F_SEAL_EXEC, by value: older C library
 * headers lack them. coord__memfd_create's memfd has the seal where the
 * kernel wanted the flag (vm.memfd_noexec = 2) or adds it by itself. */
#define COORD__MFD_NOEXEC_SEAL 0x0008U
#define COORD__F_SEAL_EXEC 0x0020
/* Is `fd` what coord__memfd_create makes: a memfd with all three seals
 * (and maybe F_SEAL_EXEC)?
 * *st gets its fstat. Returns 0, COORD_EBADF (not an open descriptor) or
 * COORD_EPROTO (any other file: a pipe, a socket, a file on disk, an
 * unsealed memfd). Its size and contents are the caller's to check. */
struct stat;
int coord__memfd_check(int fd, struct stat *st);
/* Unmap the segment holding `obj`; the creator of a named segment also
 * unlinks the name (when `unlink_name` is true). Uses this process's own
 * record of the mapping (see coord__seg_limit), never the shared header:
 * a pointer this process did not map through coord__seg_create/open is
 * left alone (one recorded by coord__seg_track is only forgotten). */
void coord__seg_release(void *obj, bool unlink_name);
/* Where named segments live (shm_open's directory on Linux). */
#define COORD__SHM_DIR "/dev/shm"
/* The private names a removal moves a file aside to:
 * ".coord-gc-<mover's pid>-<n>". A leading dot, so no gc takes one for a
 * segment; the pid tells a later gc whether the mover still runs (gc.c
 * recovers the files of a mover that was killed before it finished). */
#define COORD__ASIDE_PREFIX ".coord-gc-"
/* The mover's pid in a private name, or 0 when `file` is not exactly
 * COORD__ASIDE_PREFIX, 1 to 10 digits (a pid from 1 to INT_MAX), '-' and
 * 1 to 10 digits (so it is at most 31 bytes long). */
pid_t coord__aside_pid(const char *file);
/* Remove `file` (in directory dfd) only if it is the file (dev, ino): it is
 * renamed aside under a private name first (atomic: what is moved is what
 * is checked), unlinked when it is that file, and put back under its name
 * otherwise. A look at the name and an unlink by name left a window in
 * which a live file renamed over the judged one was removed. A private
 * name already taken (left by a killed process whose pid this one now
 * has) is skipped for the next. Returns what happened: COORD_GC_REMOVED,
 * COORD_GC_RECREATED (another file was at the name: put back),
 * COORD_GC_GONE (nothing at the name), COORD_GC_STRANDED (another file,
 * and the name taken again before it could go back: it keeps the private
 * name) or COORD_GC_FAILED. `left` (cap bytes, may be NULL) gets the
 * private name under which a file this call moved stays (STRANDED, or
 * FAILED when neither the unlink nor the way back worked), "" otherwise.
 * `dfd` may be AT_FDCWD with `file` a full path in COORD__SHM_DIR (a
 * process with no descriptor free); the private name is then one too. */
coord_gc_outcome coord__shm_remove_same(int dfd, const char *file, dev_t dev,
                                        ino_t ino, char *left, size_t cap);
/* Put `hidden`, a file found under another process's private name, back
 * under `file` when it is the file (dev, ino) and `file` is free: claimed
 * first by a rename to a private name of this process (two gcs never both
 * act on it, and what is moved is what is checked), then renamed to
 * `file` without replacing anything. Returns COORD_GC_RESTORED,
 * COORD_GC_NAME_TAKEN (`file` holds another file: it went back under
 * `hidden`), COORD_GC_GONE (nothing at `hidden`), COORD_GC_RECREATED
 * (`hidden` held another file: put back there), COORD_GC_STRANDED (that
 * file could not go back) or COORD_GC_FAILED (a rename failed otherwise;
 * the file is back under `hidden`). `left` as coord__shm_remove_same's. */
coord_gc_outcome coord__shm_restore_same(int dfd, const char *hidden,
                                         dev_t dev, ino_t ino,
                                         const char *file, char *left,
                                         size_t cap);
/* Tests only (NULL otherwise): called by coord__shm_remove_same with step 0
 * before it renames `file` aside and with step 1 right after, so that a
 * test can re-create the name exactly inside those windows (or kill the
 * remover there). */
extern void (*coord__remove_hook)(int step, int dfd, const char *file);
/* Tests only (NULL otherwise): called by coord__seg_open with the opened
 * descriptor between its fstat and its mapping, so that a test can finish
 * a creation exactly inside that window. */
extern void (*coord__open_hook)(int fd);
/* gc's second half (gc_mgr.c): the directories coord_manager_start makes
 * (coord-mgr-XXXXXX under $TMPDIR and /tmp) whose servers are gone, each
 * reported to fn as a "manager-dir" entry (its name the directory's
 * path) and, with `remove`, removed when DEAD or ABANDONED; *removable
 * counts those. Returns fn's non-zero return, or 0. */
int coord__gc_mgr_dirs(uint64_t grace_ns, bool remove, coord_gc_fn fn,
                       void *arg, int *removable);
/* The shared parent gc looks in beside $TMPDIR: "/tmp"; tests point it at
 * a private directory. */
extern const char *coord__gc_mgr_tmp;
/* How long ago a file without a header last changed by the wall clock, in
 * ns: now - mtime, counting an mtime up to `slack_ns` in the future as
 * now (0). An mtime further in the future was set by hand (utimensat) or
 * the clock went back since: then the ctime decides, by the same rule (no
 * call sets it; the utimensat that planted the mtime set it to its own
 * time); -1 when it too lies further than `slack_ns` ahead (the clock went
 * back since the file last changed: its age cannot be told). */
struct stat;
int64_t coord__change_age_ns(const struct stat *st, uint64_t slack_ns);
/* gc's verdict on something with no header to ask, only an age (gc.c): BUSY
 * while its last change is younger than grace_ns (a creator may still be
 * at work), ABANDONED once older, UNKNOWN when the age cannot be told
 * (coord__change_age_ns -1). */
coord_gc_state coord__gc_by_age(const struct stat *st, uint64_t grace_ns);
/* The header of the segment that holds `obj`. */
coord__seg_hdr *coord__seg_of(void *obj);
/* The object size (bytes after the header) this process mapped for `obj`,
 * from its private record: what a bounds check may trust, since the shared
 * header can be rewritten by any process that maps it. 0 when `obj` is not
 * a segment this process created or opened. Lock-free. */
size_t coord__seg_limit(const void *obj);
/* Bumped whenever a record is freed or its limit changes: a check that
 * caches "this object was valid against its record" (per thread) must
 * match the generation it was made in. */
extern _Atomic uint64_t coord__seg_gen;
/* Record an object placed in caller memory (`size` bytes at `obj`), so
 * that coord__seg_limit knows its bound; coord__seg_release forgets it
 * (and unmaps nothing). Returns 0 or COORD_ENOMEM. */
int coord__seg_track(void *obj, size_t size);
/* Map a coord errno from a system call on a segment to a documented code. */
int coord__seg_errno(int e);

/* ---- processes (src/os/proc.c) ----------------------------------------- */

/* This process's id, cached (getpid() is a system call) and forgotten in
 * the child of every fork (an atfork handler), so a forked child never
 * acts under its parent's pid: claim records (the queue), and the owner
 * checks of handles a fork inherits (the pool). */
extern __attribute__((visibility("hidden"))) _Atomic uint32_t coord__pid_cache;
uint32_t coord__self_pid_slow(void);
static inline uint32_t coord__self_pid(void)
{
    uint32_t p = atomic_load_explicit(&coord__pid_cache, memory_order_relaxed);
    return __builtin_expect(p != 0, 1) ? p : coord__self_pid_slow();
}

/* Is this process still the one whose coord__self_pid() was `self`? For
 * hot loops (the pool worker asks after every task): while the cache holds
 * `self` it is one load and one compare; a forgotten cache (0, in a fork's
 * child) or another pid takes the slow path. */
static inline bool coord__self_pid_is(uint32_t self)
{
    uint32_t p = atomic_load_explicit(&coord__pid_cache, memory_order_relaxed);
    return __builtin_expect(p == self, 1) || coord__self_pid() == self;
}

/* Start time of `pid` in clock ticks since boot (field 22 of /proc/PID/stat),
 * or 0 when unknown (no such process, /proc unreadable, or a /proc that
 * belongs to another pid namespace). */
uint64_t coord__proc_start_time(pid_t pid);
/* The identity (st_dev, st_ino of /proc/self/ns/pid) of the caller's pid
 * namespace. Returns 0, or COORD_ENOENT when it cannot be read. */
int coord__pidns_id(uint64_t *dev, uint64_t *ino);

enum coord__proc_fate {
    COORD__PROC_ALIVE = 0,  /* runs, and is the process that started at
                               `start` (or no start was recorded) */
    COORD__PROC_GONE = 1,   /* provably gone: no such pid (ESRCH), another
                               process under its pid, or a finished zombie */
    COORD__PROC_UNKNOWN = 2 /* cannot be told (no usable /proc) */
};
/* The fate of process `pid` (counted in the caller's pid namespace: the
 * caller must have checked it is the recorded one) that started at
 * `start`. Returns an enum coord__proc_fate. */
int coord__proc_fate(pid_t pid, uint64_t start);

/* ---- CPU load (src/os/cpuload.c) --------------------------------------- */

/* The number of tasks runnable right now on the machine (the caller
 * included), from /proc/loadavg; -1 when unknown (no /proc). An open, a
 * read and a close (about 4 µs here): sample it (coord__load_sample in
 * src/wait.c), do not poll it. */
int coord__cpus_load(void);
/* The CPUs the calling thread may run on, what the wait policy's load gate
 * counts: its affinity, at most the online ones, at least 1 (sysconf and
 * sched_getaffinity; they change rarely, so sample them less often than
 * the load: coord__cpus_now in src/wait.c). */
int coord__cpus_usable(void);
/* The member slots' CPU count (src/wait.h, 2. and 5.) for `cpus` usable
 * CPUs: at most the whole CPUs of the cgroup's CPU quota `q` (NULL: none),
 * never below 2 nor above `cpus` (cpuload.c says why). Pure. */
struct coord__cpuquota;
int coord__cpus_spin_cap(int cpus, const struct coord__cpuquota *q);
/* The same with this process's quota (coord__cpuquota_self: a few small
 * reads, none when cpus <= 2); sampled with the CPUs in src/wait.c. */
int coord__cpus_slots(int cpus);
/* The default worker count of the engines (coord_search_opts_init,
 * coord_rounds_opts_init, the Python Pool's through
 * coord_search_opts_init): the affinity, at most the online CPUs, the
 * quota rounded up (2 workers under 1.5 CPUs of quota use it all) and
 * `max`; at least 1. */
uint32_t coord__cpus_workers(uint32_t max);

/* ---- CPU quota (src/os/cpuquota.c) ------------------------------------ */

/* A CPU quota in whole CPUs, both ways: `floor` it runs continuously (0:
 * under one CPU), `ceil` it reaches into (at least 1). */
struct coord__cpuquota {
    uint64_t floor, ceil;
};
enum {
    COORD__QUOTA_BAD = -1, /* malformed: no quota known */
    COORD__QUOTA_NONE = 0, /* no quota ("max", -1), or none found */
    COORD__QUOTA_SET = 1   /* a quota, in the struct */
};
/* Hierarchies, as coord__cgroup_line tells them. */
enum { COORD__CGROUP_V1 = 1, COORD__CGROUP_V2 = 2 };
/* The longest cgroup directory path looked at (longer: no quota known). */
#define COORD__CGROUP_PATH_MAX 1024

/* The quota of this process's cgroup and its ancestors up to the
 * hierarchy's mount point (the least of them): cgroup v2 cpu.max, or v1
 * cpu.cfs_quota_us / cpu.cfs_period_us where a v1 hierarchy holds the cpu
 * controller, located through /proc/self/cgroup and /proc/self/mountinfo
 * (cpuquota.c says how, and what it costs). Returns COORD__QUOTA_SET and
 * *q, or COORD__QUOTA_NONE (no quota, or none could be read: anything
 * missing or malformed). Any thread; reads files, never blocks long. */
int coord__cpuquota_self(struct coord__cpuquota *q);
/* The same from the files at `cgroup` and `mountinfo` (tests give their
 * own). */
int coord__cpuquota_find(const char *cgroup, const char *mountinfo,
                         struct coord__cpuquota *q);
/* The least quota set in directory `dir` and each directory above it up
 * to `top` (included): `kind` says which files (COORD__CGROUP_V2: cpu.max;
 * _V1: cpu.cfs_quota_us and cpu.cfs_period_us). A level whose file is
 * missing or malformed adds nothing. COORD__QUOTA_NONE when `dir` does not
 * exist or is not `top` or below it. Returns COORD__QUOTA_SET or _NONE. */
int coord__cpuquota_walk(const char *top, const char *dir, int kind,
                         struct coord__cpuquota *q);

/* The pure parts, for tests. cgroup v2's cpu.max text ("max 100000",
 * "150000 100000"), or v1's cpu.cfs_quota_us text ("-1": none) with
 * cpu.cfs_period_us's (only read for a quota: NULL gives
 * COORD__QUOTA_BAD for one): COORD__QUOTA_SET and *q, _NONE, or _BAD
 * (anything else: negative, zero, out of int64_t, trailing words). */
int coord__cpuquota_parse_max(const char *text, struct coord__cpuquota *q);
int coord__cpuquota_parse_cfs(const char *quota, const char *period,
                              struct coord__cpuquota *q);
/* One line of /proc/self/cgroup: COORD__CGROUP_V2 for "0::PATH",
 * COORD__CGROUP_V1 for a v1 hierarchy whose controllers include "cpu"
 * ("4:cpu,cpuacct:PATH"), with *path pointing at PATH in `line`; 0 for
 * any other line (cpuset, cpuacct alone, name=systemd, malformed). */
int coord__cgroup_line(const char *line, const char **path);
/* One line of /proc/self/mountinfo, parsed in place (`line` is changed):
 * true when it mounts the hierarchy of `kind` (cgroup2; cgroup with "cpu"
 * among its super options), with *root (the cgroup shown at the mount
 * point) and *point unescaped, pointing into `line`. */
bool coord__cgroup_mount(char *line, int kind, char **root, char **point);
/* The directory of cgroup `path` under a mount at `point` showing `root`:
 * the mount root stripped from the path. Returns its length, written into
 * out (cap bytes), or -1 when the path is not below the root, climbs with
 * "..", or does not fit. */
int coord__cgroup_dir(const char *point, const char *root, const char *path,
                      char *out, size_t cap);

/* ---- child processes (src/os/spawn.c) --------------------------------- */

/*
 * A forked child with a pidfd (when the kernel has pidfd_open; else -1 and
 * waitpid polling). Children hold the parent's lifeline (below), so a
 * parent process that dies takes its workers with it (SIGKILL), whatever
 * they are doing: no orphans spinning forever. A thread of the parent
 * that exits, the one that forked included, kills none: any thread may
 * spawn (a pool replaces a dead worker in whichever thread's call saw the
 * death).
 */
typedef struct coord__child {
    pid_t pid;     /* 0 once reaped */
    int pidfd;     /* -1 when unavailable or closed */
    int status;    /* wait status once reaped */
    pid_t parent;  /* the process that forked it */
    bool lifeline; /* counted by the lifeline until reaped */
    bool gone;     /* ended and reaped behind our back before its pidfd
                      was had: its pid is not to be signalled or waited for */
} coord__child;
/* Only the parent waits for, reaps or kills a child. A copy of the record
 * in another process (a fork of the parent, which inherits the handle that
 * holds it) is not its parent: there the calls below count the child as
 * not alive (COORD_ECHILD when none is), and coord__child_kill only
 * forgets it (closes that process's copy of the pidfd). Otherwise a forked
 * child that frees its copy of a pool would SIGKILL the parent's workers
 * (the pidfd and the pid reach them from a sibling too). */

/* Fork a child that runs fn(arg) and _exit()s with its return value (a
 * return above 255 is truncated by the kernel: keep it small). The child
 * never returns into the caller; it holds the lifeline (SIGKILL when this
 * process dies or execs). Any thread may call it. Returns 0, COORD_EAGAIN,
 * COORD_ENOMEM. */
int coord__spawn(coord__child *c, int (*fn)(void *arg), void *arg);
/* coord__spawn, but the parent's death sends the child `sig` instead of
 * SIGKILL, from the fork on: the caller blocks `sig` in its thread across
 * the call, so that the child starts with it blocked (and takes it with a
 * signalfd, say, to clean up what it owns). A child whose parent is gone
 * before it held the lifeline runs fn all the same, with `sig` raised (so
 * pending): it has to clean up too. coord__spawn is (SIGKILL): that child
 * leaves at once (_exit(127)). */
int coord__spawn_sig(coord__child *c, int (*fn)(void *arg), void *arg,
                     int sig);

/* A descriptor coord keeps beyond the call that opened it (a lifeline end,
 * a pidfd, a manager client's socket and pipes, a memfd) must not sit at
 * 0, 1 or 2 when the program started with those closed: its next printf
 * or fprintf(stderr) would write into it (into the lifeline: SIGKILL for
 * every child; into a manager's request pipe: a garbled request; into a
 * memfd: over a shared segment's header). Moves `fd` to the lowest free
 * descriptor from 3 up (close-on-exec) and closes the old one; returns the
 * descriptor to use (`fd` itself when it is not 0-2, negative, or no
 * descriptor above 2 is free). (src/os/fd.c) */
int coord__fd_above_stdio(int fd);

/* ---- the parent's lifeline (src/os/lifeline.c) -------------------------
 *
 * A pipe whose write end only this process holds; each child of
 * coord__spawn has a read end of its own in signal-driven mode, so the
 * kernel sends the child SIGKILL when the write end closes: when this
 * process dies or execs, never when one of its threads exits (which is
 * when PR_SET_PDEATHSIG fires). The write end is closed in the child of
 * every fork() (an atfork handler) and at exec (O_CLOEXEC), and while no
 * child holds it (it is made again for the next). A program that closes
 * it under coord (close_range over descriptors it did not open) kills the
 * children, as its own death would. A process made by a bare clone() or
 * vfork() that does not exec keeps it, and with it the children, alive.
 * Where /proc is not mounted, or no descriptor is free, a child falls
 * back to PR_SET_PDEATHSIG(SIGKILL), which follows the forking thread.
 * See lifeline.c for why this design.
 */

/* Parent, before a fork: a read end of the lifeline for the child to hold
 * (O_NONBLOCK | O_CLOEXEC), counted as one child more; or -1 (none can be
 * had: the child falls back to PR_SET_PDEATHSIG). Any thread; a short
 * critical section. */
int coord__lifeline_take(void);
/* Parent, after the fork: close `rfd` (-1: nothing to do), and uncount it
 * if the fork failed. */
void coord__lifeline_forked(int rfd, bool forked);
/* Parent: a counted child has been reaped; the last one closes the write
 * end. */
void coord__lifeline_drop(void);
/* Child, first thing after the fork: hold `rfd` (take's; -1: tie by
 * PR_SET_PDEATHSIG instead) with `sig` as the signal (SIGKILL, or one the
 * child has blocked and takes through a signalfd: the manager's server,
 * SIGTERM, so that it cleans up). Returns false when the parent process
 * `parent` is gone already (the child should leave, or clean up). */
bool coord__lifeline_hold(int rfd, pid_t parent, int sig);
/* Child: the descriptor it holds the lifeline by (-1 if none), for code
 * that closes descriptors it did not open: keep this one open. */
int coord__lifeline_fd(void);

/* Reap `c` if it has ended, waiting at most timeout_ms (0: poll once,
 * -1: forever). Returns 0 (reaped, or found reaped elsewhere; c->status
 * set, COORD__STATUS_UNKNOWN in the second case), COORD_ETIMEDOUT (still
 * running; also for timeout 0), COORD_ECHILD (c was never spawned or is
 * reaped already). */
int coord__child_wait(coord__child *c, int timeout_ms);

/* The status of a child that someone else reaped (SIGCHLD set to SIG_IGN,
 * or a waitpid(-1) elsewhere): it has ended, how is unknown. Matches none
 * of WIFEXITED, WIFSIGNALED, WIFSTOPPED. */
#define COORD__STATUS_UNKNOWN (-1)

/* Wait until any of the `n` live children in `c` ends, at most timeout_ms;
 * reaps it and sets *which. A child reaped elsewhere counts as ended, with
 * status COORD__STATUS_UNKNOWN. Returns 0, COORD_ETIMEDOUT, COORD_ECHILD
 * (none left alive). Blocks in poll() on the pidfds (or polls waitpid). */
int coord__child_wait_any(coord__child *c, size_t n, int timeout_ms,
                          size_t *which);

/* One poll() over the pidfds of the live children in c[0..n), waiting at
 * most timeout_ms (0: look once; a child without a pidfd is looked at by
 * waitpid(WNOHANG) every millisecond instead). Reaps every child that has
 * ended (status as coord__child_wait) and writes its index to ended[];
 * `pfd` and `ended` are the caller's scratch, room for n each, so the call
 * allocates nothing. Returns how many ended (0: none within the time),
 * COORD_ECHILD (none alive), COORD_EINVAL. */
struct pollfd;
int coord__child_poll(coord__child *c, size_t n, struct pollfd *pfd,
                      size_t *ended, int timeout_ms);

/* Send `sig` to the live child `c` (SIGTERM: ask the manager's server to
 * stop), through its pidfd where there is one, by its pid otherwise.
 * Returns 0 (sent), COORD_ECHILD (c has ended and been reaped, by us or
 * behind our back, or is not this process's child: nothing sent, as its
 * pid may be another process's now). Never blocks. */
int coord__child_signal(coord__child *c, int sig);

/* SIGKILL `c` and reap it (no zombie). Safe on a reaped child. The signal
 * goes through the pidfd where there is one: a child reaped behind our
 * back (SIGCHLD ignored) is then forgotten (status unknown), not looked
 * for by a pid another process may have taken. */
void coord__child_kill(coord__child *c);

/* Human-readable cause: "exit 3", "signal 9 (Killed)" into buf. */
const char *coord__status_text(int status, char *buf, size_t cap);

/* ---- scalars (src/scalar.c) ------------------------------------------- */

/* Wrap `v` to `type` (e.g. i8 keeps the low 8 bits, sign-extended). */
coord_scalar coord__scalar_norm(coord_type type, coord_scalar v);
/* v + d in `type`, wrapped. */
coord_scalar coord__scalar_add(coord_type type, coord_scalar v, coord_scalar d);
bool coord__scalar_eq(coord_type type, coord_scalar a, coord_scalar b);
bool coord__type_valid(coord_type type);
/* The last coord_type: the valid ones are COORD_I8 .. COORD__TYPE_LAST. */
#define COORD__TYPE_LAST COORD_CHAR

#endif
