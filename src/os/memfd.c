/* SPDX-License-Identifier: MIT */
/* memfd.c: the sealed memfds that anonymous segments passed by descriptor live in, and the check that a descriptor is one. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

/* The seals of every memfd coord hands out: neither its size nor its seals
 * can change (F_SEAL_SEAL: nobody can add a write seal later either). A
 * memfd made with MFD_NOEXEC_SEAL also has F_SEAL_EXEC, which the checks
 * accept: they ask for these three, not for these alone. */
#define MEMFD_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

#ifdef MFD_NOEXEC_SEAL
_Static_assert(MFD_NOEXEC_SEAL == COORD__MFD_NOEXEC_SEAL, "Linux's value");
#endif
#ifdef F_SEAL_EXEC
_Static_assert(F_SEAL_EXEC == COORD__F_SEAL_EXEC, "Linux's value");
#endif

int coord__memfd_create(const char *label, size_t size, int *fd_out)
{
    /* A memfd is a file too: its ftruncate obeys RLIMIT_FSIZE. */
    int r = coord__fsize_check(size);
    if (r)
        return r;
    int fd = memfd_create(label, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    /* Linux 6.3 to 6.5 with the sysctl vm.memfd_noexec = 2 refuse a memfd
     * made without MFD_NOEXEC_SEAL with EACCES (later kernels add the flag
     * themselves), and a seccomp filter or security module may want it
     * too (EACCES, EINVAL): such a refusal is tried once more with the
     * flag, which coord can always give (it never executes a segment).
     * Not the first time: a kernel older than 6.3 knows no such flag
     * (EINVAL). Where the retry fails too, its errno is answered: the
     * rules below make that COORD_ENOSYS, as the first one's was (a
     * filter that refuses every memfd, a kernel without the flag), but
     * where it ran out of a resource, which is then what stands in the
     * way. */
    if (fd < 0 && (errno == EACCES || errno == EINVAL))
        fd = memfd_create(label, MFD_CLOEXEC | MFD_ALLOW_SEALING |
                                     COORD__MFD_NOEXEC_SEAL);
    /* EMFILE, ENFILE and ENOMEM: this process or the system is out of
     * something, which the caller must hear of. Any other failure is a
     * refusal of memfd_create itself, and our label and flags are valid:
     * ENOSYS (an old kernel), or whatever a seccomp filter or security
     * module answers (EPERM usually; EACCES; EINVAL, which a kernel that
     * knew no MFD_ALLOW_SEALING would give, or one older than 6.3 to the
     * retry; any errno a filter picks). All of them say "no memfd here",
     * on which callers fall back to a plain shared mapping (the Python
     * binding does). */
    if (fd < 0)
        return errno == EMFILE || errno == ENFILE || errno == ENOMEM
                   ? coord__seg_errno(errno)
                   : COORD_ENOSYS;
    /* The caller keeps it (the Python binding, for the object's life):
     * at 1 or 2 a printf would write over the segment's header. */
    fd = coord__fd_above_stdio(fd);
    /* Sealed at its size: a process given the descriptor cannot shrink
     * the file under the others' mappings (they would fault, SIGBUS).
     * Under strict overcommit its blocks are reserved first: a memfd is
     * made "no reserve", its memory committed page by page as it is
     * touched, so where the kernel refuses to commit more (the
     * vm.overcommit_memory = 2 limit reached) a store into a page not yet
     * touched raised SIGBUS (the header's, a queue's slots at its create,
     * or any later store of the user) where this is now COORD_ENOMEM.
     * Under the other modes a fault never fails for want of commit, and a
     * reservation would only take the whole size at once from memory
     * that no file system bounds (a memfd's mount has no size): an
     * anonymous object larger than the memory free would bring the OOM
     * killer down on other processes at its create. */
    int fa = ftruncate(fd, (off_t)size);
    if (fa == 0 && coord__overcommit_strict())
        while ((fa = fallocate(fd, 0, 0, (off_t)size)) != 0 && errno == EINTR)
            ;
    if (fa != 0 || fcntl(fd, F_ADD_SEALS, MEMFD_SEALS) != 0) {
        r = coord__seg_errno(errno);
        close(fd);
        return r;
    }
    *fd_out = fd;
    return 0;
}

bool coord__overcommit_strict(void)
{
    /* 0: not read yet, 1: not strict, 2: strict. */
    static _Atomic int mode;
    int m = atomic_load_explicit(&mode, memory_order_relaxed);
    if (m == 0) {
        m = 1;
        int fd = open("/proc/sys/vm/overcommit_memory", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            char c = 0;
            if (read(fd, &c, 1) == 1 && c == '2')
                m = 2;
            close(fd);
        }
        atomic_store_explicit(&mode, m, memory_order_relaxed);
    }
    return m == 2;
}

int coord__memfd_check(int fd, struct stat *st)
{
    if (fd < 0 || fstat(fd, st) != 0)
        return COORD_EBADF;
    /* F_GET_SEALS fails on anything but a memfd (a pipe, a socket, a file
     * on disk), and a tmpfs file not made by memfd_create reports
     * F_SEAL_SEAL alone. */
    int seals = fcntl(fd, F_GET_SEALS);
    if (!S_ISREG(st->st_mode) || seals < 0 ||
        (seals & MEMFD_SEALS) != MEMFD_SEALS)
        return COORD_EPROTO;
    return 0;
}

