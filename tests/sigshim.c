/* SPDX-License-Identifier: MIT */
/* sigshim.c: LD_PRELOAD'ed into the coord tool by test-cli: a SIGALRM
 * handler installed without SA_RESTART and an interval timer firing it every
 * 100 µs (COORD_TEST_SIGSHIM_USEC), as a profiler or an application's timer
 * does, so every blocking system call of the tool can fail with EINTR. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static void on_alarm(int sig)
{
    (void)sig;
}

__attribute__((constructor)) static void sigshim_start(void)
{
    const char *u = getenv("COORD_TEST_SIGSHIM_USEC");
    long usec = u ? atol(u) : 100;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm; /* no SA_RESTART */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, usec}, {0, usec}};
    setitimer(ITIMER_REAL, &it, NULL);
}
