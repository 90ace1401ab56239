/* SPDX-License-Identifier: MIT */
/* segment.c: anonymous, named and descriptor-passed shared mappings with a validated header. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "internal.h"

int coord__name_check(const char *name)
{
    if (!name)
        return COORD_EINVAL;
    size_t n = 0;
    for (const char *p = name; *p; p++, n++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok || n >= COORD__NAME_MAX)
            return COORD_EINVAL;
    }
    /* "." and ".." alone would be odd file names; refuse a leading dot. */
    if (n == 0 || name[0] == '.')
        return COORD_EINVAL;
    return 0;
}

void coord__name_path(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "/%s%s", COORD__NAME_PREFIX, name);
}

coord__seg_hdr *coord__seg_of(void *obj)
{
    return (coord__seg_hdr *)((char *)obj - COORD__SEG_HDR);
}

int coord__seg_errno(int e)
{
    switch (e) {
    case ENOENT:
    case EEXIST:
    case EINVAL:
    case EMFILE:
    case ENOMEM:
    case EACCES:
        return -e;
    case ENAMETOOLONG:
        return COORD_EINVAL;
    case ENFILE:
        return COORD_EMFILE;
    /* Not a file we may use as a segment: a symlink planted at the name
     * (shm_open adds O_NOFOLLOW), a directory, a device, a read-only or
     * sealed file. */
    case EPERM:
    case ELOOP:
    case EISDIR:
    case ENXIO:
    case ENODEV:
    case EROFS:
    case ETXTBSY:
        return COORD_EACCES;
    /* No room: tmpfs full, size limit, mapping limits. */
    case ENOSPC:
    case EFBIG:
    case EOVERFLOW:
    case EAGAIN:
    case EDQUOT:
        return COORD_ENOMEM;
    default:
        return COORD_EIO;
    }
}

/* ---- this process's record of its mappings ------------------------------
 *
 * The shared header says how large a segment is and what its name is, but
 * any process that maps it can rewrite those words. Unmapping, unlinking
 * and bounds checks use this private record instead, made when this
 * process created or opened the segment (and inherited by fork, like the
 * mapping itself). Records are never freed, only reused, so a lock-free
 * reader (coord__seg_limit) never touches freed memory; a thread-local
 * pointer to the last record found makes repeated lookups one compare.
 */
struct seg_rec {
    _Atomic(const void *) obj; /* NULL: free; &reserved: being filled */
    void *base;    /* the mapping; NULL for caller memory (coord__seg_track) */
    size_t total;  /* the mapping's length */
    size_t limit;  /* bytes of the object that may be touched */
    pid_t creator; /* this process when it created a named segment, else 0 */
    dev_t dev;     /* ... and the file it created: only that file is */
    ino_t ino;     /*     unlinked at release, not one made since */
    int fd;        /* coord__seg_create_fd's memfd until publish hands it
                      over, else -1 */
    char name[COORD__NAME_MAX + 1];
    struct seg_rec *next;
};

static _Atomic(struct seg_rec *) recs;
_Atomic uint64_t coord__seg_gen;
static const char reserved;
static _Thread_local struct seg_rec *last_rec;

static struct seg_rec *rec_find(const void *obj)
{
    struct seg_rec *r = last_rec;
    /* Acquire: pairs with the release in rec_add, so the fields written
     * before the record was published are visible. */
    if (r && atomic_load_explicit(&r->obj, memory_order_acquire) == obj)
        return r;
    for (r = atomic_load_explicit(&recs, memory_order_acquire); r;
         r = r->next)
        if (atomic_load_explicit(&r->obj, memory_order_acquire) == obj) {
            last_rec = r;
            return r;
        }
    return NULL;
}

static int rec_add(void *obj, void *base, size_t total, size_t limit,
                   const char *name, const struct stat *file, int fd)
{
    struct seg_rec *r;
    for (r = atomic_load_explicit(&recs, memory_order_acquire); r;
         r = r->next) {
        const void *free_slot = NULL;
        /* Claim a free record; the sentinel keeps readers from matching
         * it until it is filled. */
        if (atomic_compare_exchange_strong_explicit(
                &r->obj, &free_slot, (const void *)&reserved,
                memory_order_acquire, memory_order_relaxed))
            break;
    }
    bool fresh = r == NULL;
    if (fresh) {
        r = calloc(1, sizeof *r);
        if (!r)
            return COORD_ENOMEM;
    }
    r->base = base;
    r->total = total;
    r->limit = limit;
    r->creator = name ? getpid() : 0;
    r->dev = file ? file->st_dev : 0;
    r->ino = file ? file->st_ino : 0;
    r->fd = fd;
    snprintf(r->name, sizeof r->name, "%s", name ? name : "");
    atomic_store_explicit(&r->obj, obj, memory_order_release);
    if (fresh) {
        struct seg_rec *head = atomic_load_explicit(&recs, memory_order_relaxed);
        do
            r->next = head;
        while (!atomic_compare_exchange_weak_explicit(
            &recs, &head, r, memory_order_release, memory_order_relaxed));
    }
    return 0;
}

size_t coord__seg_limit(const void *obj)
{
    struct seg_rec *r = obj ? rec_find(obj) : NULL;
    return r ? r->limit : 0;
}

int coord__seg_track(void *obj, size_t size)
{
    struct seg_rec *r = rec_find(obj);
    if (r) {
        /* The caller placed a new object where an old one was: what was
         * validated against the old size is stale. */
        r->limit = size;
        atomic_fetch_add_explicit(&coord__seg_gen, 1, memory_order_release);
        return 0;
    }
    return rec_add(obj, NULL, 0, size, NULL, NULL, -1);
}

static size_t seg_total(size_t obj_size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t total = COORD__SEG_HDR + obj_size;
    return (total + page - 1) / page * page;
}

/* The header a creator stamps: everything but the magic. */
static void fill_header(coord__seg_hdr *h, uint32_t kind, size_t total,
                        const char *name)
{
    memset(h, 0, sizeof *h);
    h->abi = COORD__SEG_ABI;
    h->kind = kind;
    h->size = total;
    h->creator_pid = (int32_t)getpid();
    h->creator_start = coord__proc_start_time(getpid());
    if (coord__pidns_id(&h->pidns_dev, &h->pidns_ino) != 0)
        h->pidns_dev = h->pidns_ino = 0;
    if (name)
        snprintf(h->name, sizeof h->name, "%s", name);
}

/* See internal.h: SIGXFSZ would kill the process and leave a named
 * segment's file behind. */
int coord__fsize_check(size_t total)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (uint64_t)total > (uint64_t)rl.rlim_cur)
        return COORD_ENOMEM;
    return 0;
}

static int create_named(const char *name, size_t total, uint32_t kind,
                        void **base_out, struct stat *file)
{
    char path[COORD__SEG_HDR + 16];
    coord__name_path(path, sizeof path, name);
    int r = coord__fsize_check(total);
    if (r)
        return r;
    /* O_EXCL: never adopt somebody else's file; 0600: only our user. */
    int fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return coord__seg_errno(errno);
    /* 0600 whatever the umask: under a umask that takes the owner's write
     * bit (0277, 0777) the file was made 0400 or 0000, which no process of
     * ours but root could open (COORD_EACCES), against "mode 0600". */
    if (fchmod(fd, 0600) != 0) {
        int r = coord__seg_errno(errno);
        close(fd);
        shm_unlink(path);
        return r;
    }
    /* The header (without the magic) goes in before the file grows: a
     * creator killed from here on leaves a file that names it, which gc
     * can judge. Only a kill between shm_open and this write leaves an
     * anonymous (empty) file, which gc removes after a grace period. */
    coord__seg_hdr h;
    fill_header(&h, kind, total, name);
    if (pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h ||
        ftruncate(fd, (off_t)total) != 0 || fstat(fd, file) != 0)
        r = coord__seg_errno(errno);
    /* The grown file is sparse: a /dev/shm too small for it (Docker's is
     * 64 MiB) raises SIGBUS at the first store past its room, killing the
     * process and leaving the file. A check of the room left is not
     * enough: another sparse file (a second named object of this very
     * process, say) counts as taking none until it is written. So the
     * file's blocks are reserved here: where the file system has no room
     * for all of them this is COORD_ENOMEM (ENOSPC) and no file; where it
     * had, no store into the segment can fault, whoever fills the file
     * system afterwards. A file system that cannot reserve (EOPNOTSUPP)
     * gets the check of the room left, which is not a reservation. */
    int fa = -1;
    while (!r && (fa = fallocate(fd, 0, 0, (off_t)total)) != 0 &&
           errno == EINTR)
        ;
    if (!r && fa != 0 && errno != EOPNOTSUPP && errno != ENOSYS)
        r = coord__seg_errno(errno);
    struct statvfs vfs;
    if (!r && fa != 0 && fstatvfs(fd, &vfs) == 0 && vfs.f_blocks != 0 &&
        (uint64_t)vfs.f_bavail * vfs.f_frsize + (uint64_t)file->st_blocks * 512 <
            (uint64_t)total)
        r = COORD_ENOMEM;
    void *base = MAP_FAILED;
    if (!r) {
        base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (base == MAP_FAILED)
            r = coord__seg_errno(errno);
    }
    close(fd);
    if (r) {
        shm_unlink(path);
        return r;
    }
    *base_out = base;
    return 0;
}

/* A sealed memfd of `total` bytes, mapped: an anonymous segment that can
 * be passed on by its descriptor (*fd_out). */
static int create_memfd(size_t total, void **base_out, int *fd_out)
{
    int fd;
    int r = coord__memfd_create("coord", total, &fd);
    if (r)
        return r;
    void *base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        r = coord__seg_errno(errno);
        close(fd);
        return r;
    }
    *base_out = base;
    *fd_out = fd;
    return 0;
}

/* A new segment: named (`name`), a memfd (`with_fd`) or an anonymous
 * shared mapping. */
static int seg_create(const char *name, bool with_fd, uint32_t kind,
                      size_t obj_size, void **obj_out)
{
    if (!obj_out || obj_size == 0)
        return COORD_EINVAL;
    if (obj_size > COORD__SIZE_CAP(46))
        return COORD_ENOMEM; /* within the object's own limits, beyond memory */
    size_t total = seg_total(obj_size);
    void *base = NULL;
    struct stat file;
    int fd = -1, r = 0;
    if (name) {
        r = coord__name_check(name);
        if (!r)
            r = create_named(name, total, kind, &base, &file);
    } else if (with_fd) {
        r = create_memfd(total, &base, &fd);
    } else {
        base = mmap(NULL, total, PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (base == MAP_FAILED)
            r = COORD_ENOMEM;
    }
    if (r)
        return r;
    if (!name)
        fill_header(base, kind, total, NULL);
    void *obj = (char *)base + COORD__SEG_HDR;
    if (rec_add(obj, base, total, total - COORD__SEG_HDR, name,
                name ? &file : NULL, fd) != 0) {
        munmap(base, total);
        if (name) {
            char path[COORD__SEG_HDR + 16];
            coord__name_path(path, sizeof path, name);
            shm_unlink(path);
        }
        if (fd >= 0)
            close(fd);
        return COORD_ENOMEM;
    }
    *obj_out = obj;
    return 0;
}

int coord__seg_create(const char *name, uint32_t kind, size_t obj_size,
                      void **obj_out)
{
    return seg_create(name, false, kind, obj_size, obj_out);
}

int coord__seg_create_fd(uint32_t kind, size_t obj_size, void **obj_out)
{
    return seg_create(NULL, true, kind, obj_size, obj_out);
}

int coord__seg_publish(void *obj)
{
    /* Release: an opener that sees the magic also sees the initialised
     * object behind it. */
    atomic_store_explicit(&coord__seg_of(obj)->magic, COORD__SEG_MAGIC,
                          memory_order_release);
    /* The creator's thread alone knows the object yet: a plain hand-over. */
    struct seg_rec *r = rec_find(obj);
    int fd = r ? r->fd : -1;
    if (r)
        r->fd = -1;
    return fd;
}

/* The file behind a name must be ours alone: a regular file of our euid
 * with no group or other permission bits. Anything else could have been
 * planted (or be read) by another user. */
static int check_file(int fd, struct stat *st)
{
    if (fstat(fd, st) != 0)
        return coord__seg_errno(errno);
    if (!S_ISREG(st->st_mode) || st->st_uid != geteuid() ||
        (st->st_mode & 077) != 0)
        return COORD_EACCES;
    return 0;
}

void (*coord__remove_hook)(int step, int dfd, const char *file);
void (*coord__open_hook)(int fd);

pid_t coord__aside_pid(const char *file)
{
    size_t n = strlen(COORD__ASIDE_PREFIX);
    if (strncmp(file, COORD__ASIDE_PREFIX, n) != 0)
        return 0;
    const char *p = file + n;
    long long pid = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++) {
        if (digits == 10)
            return 0;
        pid = pid * 10 + (*p - '0');
    }
    if (digits == 0 || pid <= 0 || pid > INT_MAX || *p++ != '-')
        return 0;
    for (digits = 0; *p >= '0' && *p <= '9'; p++, digits++)
        if (digits == 10)
            return 0;
    return digits > 0 && *p == '\0' ? (pid_t)pid : 0;
}

/* Rename `from` to a fresh private name of this process (into `aside`),
 * never over a file: a name taken already (left by a killed process that
 * had our pid) is skipped for the next. With dfd AT_FDCWD (no descriptor
 * of the directory: `from` is a full path) the private name is a full
 * path in COORD__SHM_DIR too. Returns 0 or the errno. */
static int move_aside(int dfd, const char *from, char *aside, size_t cap)
{
    static _Atomic unsigned seq;
    const char *dir = dfd == AT_FDCWD ? COORD__SHM_DIR "/" : "";
    for (int tries = 0;; tries++) {
        snprintf(aside, cap, "%s" COORD__ASIDE_PREFIX "%d-%u", dir,
                 (int)getpid(), atomic_fetch_add(&seq, 1));
        if (renameat2(dfd, from, dfd, aside, RENAME_NOREPLACE) == 0)
            return 0;
        /* A bound: each try costs a system call, and more than a few
         * leftovers under one pid means something else is at work. */
        if (errno != EEXIST || tries == 15)
            return errno;
    }
}

/* Is the file at `name` the file (dev, ino)? */
static bool same_file(int dfd, const char *name, dev_t dev, ino_t ino)
{
    struct stat now;
    return fstatat(dfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
           now.st_dev == dev && now.st_ino == ino;
}

/* Put the file this call moved to `aside` back under `name` without
 * replacing anything; when that fails it stays aside, named in `left`.
 * Returns whether it went back. */
static bool put_back(int dfd, const char *aside, const char *name,
                     char *left, size_t cap)
{
    if (renameat2(dfd, aside, dfd, name, RENAME_NOREPLACE) == 0)
        return true;
    if (left)
        snprintf(left, cap, "%s", aside);
    return false;
}

coord_gc_outcome coord__shm_remove_same(int dfd, const char *file, dev_t dev,
                                        ino_t ino, char *left, size_t cap)
{
    char aside[64];
    if (left && cap)
        left[0] = '\0';
    if (coord__remove_hook)
        coord__remove_hook(0, dfd, file);
    int e = move_aside(dfd, file, aside, sizeof aside);
    if (e)
        return e == ENOENT ? COORD_GC_GONE : COORD_GC_FAILED;
    if (coord__remove_hook)
        coord__remove_hook(1, dfd, file);
    if (same_file(dfd, aside, dev, ino)) {
        if (unlinkat(dfd, aside, 0) == 0)
            return COORD_GC_REMOVED;
        /* Not unlinked (EIO, EBUSY): back under its name if it can be,
         * rather than left hidden. */
        put_back(dfd, aside, file, left, cap);
        return COORD_GC_FAILED;
    }
    /* Somebody's file: back under its name (unless the name was taken once
     * more meanwhile; then it keeps the private name rather than be lost). */
    return put_back(dfd, aside, file, left, cap) ? COORD_GC_RECREATED
                                                 : COORD_GC_STRANDED;
}

coord_gc_outcome coord__shm_restore_same(int dfd, const char *hidden,
                                         dev_t dev, ino_t ino,
                                         const char *file, char *left,
                                         size_t cap)
{
    char aside[64];
    if (left && cap)
        left[0] = '\0';
    /* Claim it: from here no other gc acts on it (the private name is of
     * a live process), and what is checked is what was moved. */
    int e = move_aside(dfd, hidden, aside, sizeof aside);
    if (e)
        return e == ENOENT ? COORD_GC_GONE : COORD_GC_FAILED;
    if (!same_file(dfd, aside, dev, ino))
        return put_back(dfd, aside, hidden, left, cap) ? COORD_GC_RECREATED
                                                       : COORD_GC_STRANDED;
    if (renameat2(dfd, aside, dfd, file, RENAME_NOREPLACE) == 0)
        return COORD_GC_RESTORED;
    e = errno;
    /* Not under its name: where it was found, for a later gc to try
     * again (or ours, should that name have been taken meanwhile). */
    put_back(dfd, aside, hidden, left, cap);
    return e == EEXIST ? COORD_GC_NAME_TAKEN : COORD_GC_FAILED;
}

/* now - t in ns, for a file time t, saturated at INT64_MIN / INT64_MAX: a
 * file time may be anything a filesystem stores (touch -d 2400-01-01), and
 * 292 years or more away the product overflowed (undefined; it wrapped to
 * a large positive age, so a planted future mtime made a file ABANDONED
 * at once instead of BUSY for one grace period). */
static int64_t since_ns(const struct timespec *now, const struct timespec *t)
{
    int64_t secs, ns;
    if (__builtin_sub_overflow((int64_t)now->tv_sec, (int64_t)t->tv_sec, &secs))
        return (int64_t)t->tv_sec > 0 ? INT64_MIN : INT64_MAX;
    if (__builtin_mul_overflow(secs, (int64_t)1000000000, &ns) ||
        __builtin_add_overflow(ns, (int64_t)now->tv_nsec - (int64_t)t->tv_nsec,
                               &ns))
        return secs < 0 ? INT64_MIN : INT64_MAX;
    return ns;
}

int64_t coord__change_age_ns(const struct stat *st, uint64_t slack_ns)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t slack = slack_ns > INT64_MAX ? INT64_MAX : (int64_t)slack_ns;
    int64_t age = since_ns(&now, &st->st_mtim);
    /* An mtime far ahead proves nothing about when the file last changed
     * (anyone who may write the file may set it): the ctime, set by the
     * kernel at every change (that utimensat's included), is never later
     * than the last real change by the clock of the moment. */
    if (age < -slack)
        age = since_ns(&now, &st->st_ctim);
    if (age < -slack)
        return -1;
    return age < 0 ? 0 : age;
}

/* A segment without its magic yet: EAGAIN while a creator may still be
 * writing it, EPROTO once that is older than gc's grace period. */
static int unfinished(const struct stat *st)
{
    /* An age that cannot be told (the clock went back since): EAGAIN, as
     * for a young file; the clock catches up with the file in time. */
    const uint64_t grace = (uint64_t)COORD_GC_GRACE_MS * 1000000;
    int64_t age = coord__change_age_ns(st, grace);
    return age >= 0 && (uint64_t)age >= grace ? COORD_EPROTO : COORD_EAGAIN;
}

/* Map the segment in the file `fd` (st: its fstat) and check its header:
 * magic, ABI version, kind and size. `named`: a file at a name, which a
 * creator may still be writing (no header or no magic yet: COORD_EAGAIN
 * while that is young); a descriptor is handed out only once its segment
 * is published, so there a missing magic is no segment (COORD_EPROTO). */
static int seg_map(int fd, const struct stat *st, bool named, uint32_t kind,
                   void **obj_out, size_t *obj_size)
{
    if ((size_t)st->st_size < COORD__SEG_HDR)
        /* An empty named file may be a creator between shm_open and its
         * first write; a short non-empty one is not a segment. */
        return named && st->st_size == 0 ? unfinished(st) : COORD_EPROTO;
    size_t total = (size_t)st->st_size;
    void *base =
        mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED)
        return coord__seg_errno(errno);
    coord__seg_hdr *h = base;
    uint64_t magic = atomic_load_explicit(&h->magic, memory_order_acquire);
    int r = 0;
    if (magic == 0)
        r = named ? unfinished(st) : COORD_EPROTO;
    else if (magic != COORD__SEG_MAGIC)
        r = COORD_EPROTO;
    else if (h->abi != COORD__SEG_ABI)
        r = COORD_EVERSION;
    else if (h->kind != kind || h->size != total)
        r = COORD_EPROTO;
    else if (rec_add((char *)base + COORD__SEG_HDR, base, total,
                     total - COORD__SEG_HDR, NULL, NULL, -1) != 0)
        r = COORD_ENOMEM;
    if (r) {
        munmap(base, total);
        return r;
    }
    *obj_out = (char *)base + COORD__SEG_HDR;
    if (obj_size)
        *obj_size = total - COORD__SEG_HDR;
    return 0;
}

int coord__seg_open(const char *name, uint32_t kind, void **obj_out,
                    size_t *obj_size)
{
    if (!obj_out)
        return COORD_EINVAL;
    int r = coord__name_check(name);
    if (r)
        return r;
    char path[COORD__SEG_HDR + 16];
    coord__name_path(path, sizeof path, name);
    /* A creator under a umask that takes the owner's bits (0277, 0777)
     * has its file made 0400 or 0000 and fixes the mode (fchmod) before
     * it writes anything: until then its empty file refuses our open
     * (EACCES). An empty file of ours is a creator at work, whatever its
     * owner bits (COORD_EAGAIN while young, as below), not a file we may
     * not use; one fixed or removed since the refusal is opened again. */
    char full[sizeof COORD__SHM_DIR + sizeof path];
    snprintf(full, sizeof full, COORD__SHM_DIR "%s", path);
    struct stat st;
    int fd, e = 0;
    for (int tries = 0;; tries++) {
        /* O_NOFOLLOW: a symlink at the name is refused, not followed;
         * O_NONBLOCK: a FIFO planted there cannot block the open. */
        fd = shm_open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0);
        e = errno;
        if (fd >= 0 || e != EACCES || tries == 3)
            break;
        if (lstat(full, &st) != 0)
            continue; /* gone since: the next open says so */
        if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
            (st.st_mode & 077) != 0)
            break;
        if ((st.st_mode & 0600) == 0600)
            continue; /* its creator's fchmod came since */
        if (st.st_size == 0)
            return unfinished(&st);
        break;
    }
    if (fd < 0)
        /* The name is valid (checked above): glibc reports a directory
         * at it as EINVAL. */
        return e == EINVAL ? COORD_EACCES : coord__seg_errno(e);
    r = check_file(fd, &st);
    if (!r && coord__open_hook)
        coord__open_hook(fd);
    /* A creator writes its header, then grows the file and publishes: an
     * opener that saw the header-sized file and reads the magic after the
     * publication finds a header whose size is not the one it saw. The
     * file grew meanwhile (a creator grows it once, before publishing):
     * map it again at its size, rather than call a healthy segment
     * malformed (COORD_EPROTO, which a caller retrying on COORD_EAGAIN
     * takes for final). */
    for (int tries = 0; !r; tries++) {
        r = seg_map(fd, &st, true, kind, obj_out, obj_size);
        struct stat now;
        if (r != COORD_EPROTO || tries == 2 || check_file(fd, &now) != 0 ||
            now.st_size == st.st_size)
            break;
        st = now;
        r = 0;
    }
    close(fd);
    return r;
}

int coord__seg_open_fd(int fd, uint32_t kind, void **obj_out,
                       size_t *obj_size)
{
    if (!obj_out)
        return COORD_EINVAL;
    struct stat st;
    int r = coord__memfd_check(fd, &st);
    return r ? r : seg_map(fd, &st, false, kind, obj_out, obj_size);
}

void coord__seg_release(void *obj, bool unlink_name)
{
    struct seg_rec *r = obj ? rec_find(obj) : NULL;
    if (!r)
        return; /* not a mapping this process made: not ours to unmap */
    void *base = r->base; /* NULL: caller memory, only forgotten */
    size_t total = r->total;
    if (unlink_name && r->creator != 0 && r->creator == getpid()) {
        /* Only the file we created: if the name was removed (coord gc,
         * rm) and taken by a new object since, that one is not ours. */
        char file[COORD__NAME_MAX + 16];
        snprintf(file, sizeof file, COORD__NAME_PREFIX "%s", r->name);
        int dfd = open(COORD__SHM_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            coord__shm_remove_same(dfd, file, r->dev, r->ino, NULL, 0);
            close(dfd);
        } else {
            /* No descriptor free (EMFILE): the same steps by full paths,
             * rather than leave the name for coord gc. */
            char full[sizeof COORD__SHM_DIR + sizeof file];
            snprintf(full, sizeof full, COORD__SHM_DIR "/%s", file);
            coord__shm_remove_same(AT_FDCWD, full, r->dev, r->ino, NULL, 0);
        }
    }
    if (r->fd >= 0) {
        /* A create_fd whose object failed before publish: nobody has it. */
        close(r->fd);
        r->fd = -1;
    }
    if (last_rec == r)
        last_rec = NULL;
    /* Release: the record's fields are read before it becomes free. */
    atomic_store_explicit(&r->obj, NULL, memory_order_release);
    /* Whatever was validated against this record is stale. */
    atomic_fetch_add_explicit(&coord__seg_gen, 1, memory_order_release);
    if (base)
        munmap(base, total);
}
