/* SPDX-License-Identifier: MIT */
/* reapshim.c: LD_PRELOAD'ed into coord_bench by test-bench and into a
 * helper of test-launch: a kill() of a child that this process has already
 * reaped (its pid is free for any new process of the system by then), or
 * of the process group that child led (kill(-pid): its number is free too
 * once no member is left), is refused and reported on stderr instead of
 * sent; so is a kill(-1, ...). waitpid and waitid reap (waitid with
 * WNOWAIT does not). A pid a later fork returns again is a child again. */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAXREAPED 256
static pid_t reaped[MAXREAPED];
static unsigned nreaped;

static void note(pid_t pid, int add)
{
    for (unsigned i = 0; i < nreaped; i++)
        if (reaped[i] == pid) {
            if (!add)
                reaped[i] = 0;
            return;
        }
    if (add && nreaped < MAXREAPED)
        reaped[nreaped++] = pid;
}

pid_t fork(void)
{
    pid_t (*real)(void) = (pid_t (*)(void))dlsym(RTLD_NEXT, "fork");
    pid_t r = real ? real() : (errno = ENOSYS, -1);
    if (r > 0)
        note(r, 0);
    return r;
}

int waitid(idtype_t type, id_t id, siginfo_t *si, int flags)
{
    int (*real)(idtype_t, id_t, siginfo_t *, int) =
        (int (*)(idtype_t, id_t, siginfo_t *, int))dlsym(RTLD_NEXT, "waitid");
    int r = real ? real(type, id, si, flags) : (errno = ENOSYS, -1);
    if (r == 0 && si && si->si_pid > 0 && !(flags & WNOWAIT))
        note(si->si_pid, 1);
    return r;
}

pid_t waitpid(pid_t pid, int *st, int flags)
{
    pid_t (*real)(pid_t, int *, int) =
        (pid_t (*)(pid_t, int *, int))dlsym(RTLD_NEXT, "waitpid");
    pid_t r = real ? real(pid, st, flags) : (errno = ENOSYS, -1);
    if (r > 0)
        note(r, 1);
    return r;
}

int kill(pid_t pid, int sig)
{
    int bad = pid == -1;
    pid_t who = pid < -1 ? -pid : pid; /* a group: its leader's pid */
    for (unsigned i = 0; !bad && who > 0 && i < nreaped; i++)
        bad = reaped[i] == who;
    if (bad) {
        char m[96];
        int n = snprintf(m, sizeof m, "reapshim: kill(%d, %d) of a reaped "
                         "child refused\n", (int)pid, sig);
        ssize_t w = write(2, m, (size_t)n);
        (void)w;
        errno = ESRCH;
        return -1;
    }
    int (*real)(pid_t, int) = (int (*)(pid_t, int))dlsym(RTLD_NEXT, "kill");
    return real ? real(pid, sig) : (errno = ENOSYS, -1);
}
