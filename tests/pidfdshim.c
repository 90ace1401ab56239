/* SPDX-License-Identifier: MIT */
/* pidfdshim.c: LD_PRELOAD'ed by test-spawn into a helper of its own: a
 * pidfd_open(pid) waits until `pid` is gone (at most 5 s), as when a child
 * that SIGCHLD's SIG_IGN lets the kernel reap at once ends before its
 * parent asks for its pidfd; with $COORD_TEST_PIDFD_OPEN_AS set, it then
 * opens that pid instead (the freed pid taken by another process). Other
 * system calls pass through. */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

long syscall(long number, ...)
{
    va_list ap;
    va_start(ap, number);
    long a[6];
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    long (*real)(long, ...) = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
#ifdef SYS_pidfd_open
    if (number == SYS_pidfd_open) {
        struct timespec tick = {0, 1000000};
        for (int i = 0; i < 5000 && !(kill((pid_t)a[0], 0) != 0 &&
                                      errno == ESRCH); i++)
            nanosleep(&tick, NULL);
        const char *as = getenv("COORD_TEST_PIDFD_OPEN_AS");
        if (as)
            a[0] = atol(as);
    }
#endif
    return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
