/* SPDX-License-Identifier: MIT */
/* forkshim.c: LD_PRELOAD'ed into the coord tool by test-cli and into
 * coord_bench by test-bench: the first $COORD_FORKS_OK forks (0 when
 * unset: every one) succeed, every later one fails with EAGAIN (a user's
 * process limit, a cgroup's pids.max, reached part of the way through), and
 * a kill(-1, ...) (every process of the user, the result of using a failed
 * fork's -1 as a pid) is refused and reported on stderr instead of sent.
 * With $COORD_FORK_FAIL_NTH = N instead (python.pool_retire, into a
 * python3 of its own), only the process's Nth fork fails (a limit reached
 * for a moment), every other succeeds. */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

static long forks;

pid_t fork(void)
{
    const char *nth = getenv("COORD_FORK_FAIL_NTH");
    const char *ok = getenv("COORD_FORKS_OK");
    forks++;
    if (nth ? forks == atol(nth) : forks > (ok ? atol(ok) : 0)) {
        errno = EAGAIN;
        return -1;
    }
    pid_t (*real)(void) = (pid_t (*)(void))dlsym(RTLD_NEXT, "fork");
    return real ? real() : (errno = ENOSYS, -1);
}

int kill(pid_t pid, int sig)
{
    if (pid == -1) {
        static const char m[] = "forkshim: kill(-1) refused\n";
        ssize_t w = write(2, m, sizeof m - 1);
        (void)w;
        errno = EPERM;
        return -1;
    }
    int (*real)(pid_t, int) = (int (*)(pid_t, int))dlsym(RTLD_NEXT, "kill");
    return real ? real(pid, sig) : (errno = ENOSYS, -1);
}
