/* SPDX-License-Identifier: MIT */
/* report-run.c: fork and exec with redirected output, a process group and a deadline. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report-run.h"

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int open_out(const char *path)
{
    return open(path ? path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                0644);
}

/* When this process is a subreaper (report_adopt_orphans), the killed
 * group's processes are reparented here: reap them (they were SIGKILLed,
 * so they go at once; the wait is bounded anyway). Programs run one at a
 * time, so any child left now is an orphan of the one that just ended. */
static void reap_orphans(void)
{
    long long deadline = now_ms() + 2000;
    for (;;) {
        pid_t r = waitpid(-1, NULL, WNOHANG);
        if (r > 0)
            continue;
        if (r < 0 && errno == ECHILD)
            return;
        if (r < 0 && errno != EINTR)
            return;
        if (now_ms() >= deadline)
            return;
        struct timespec ts = {0, 2 * 1000000};
        nanosleep(&ts, NULL);
    }
}

void report_adopt_orphans(void)
{
    prctl(PR_SET_CHILD_SUBREAPER, 1);
}

int report_exec(const char *const *argv, const char *cwd, const char *out,
                const char *err, int timeout_ms, int *status, char *why,
                size_t cap)
{
    int fo = open_out(out), fe = open_out(err);
    if (fo < 0 || fe < 0) {
        int e = errno;
        snprintf(why, cap, "cannot create %s: %s", fo < 0 ? out : err,
                 strerror(e));
        if (fo >= 0)
            close(fo);
        if (fe >= 0)
            close(fe);
        return -e;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fo);
        close(fe);
        snprintf(why, cap, "fork: %s", strerror(e));
        return -e;
    }
    if (pid == 0) {
        /* Own group (so a timeout kills the experiment's workers too), and
         * gone with us if we die. */
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int in = open("/dev/null", O_RDONLY);
        if (in < 0 || dup2(in, 0) < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
            _exit(127);
        if (cwd && chdir(cwd) != 0)
            _exit(127);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    setpgid(pid, pid); /* also here: no race with the kill below */
    close(fo);
    close(fe);
    long long deadline = now_ms() + timeout_ms;
    int st = 0;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            int e = errno;
            snprintf(why, cap, "waitpid: %s", strerror(e));
            return -e;
        }
        if (now_ms() >= deadline) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
            reap_orphans();
            snprintf(why, cap, "killed after %d s (time limit)",
                     timeout_ms / 1000);
            return -ETIMEDOUT;
        }
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL);
    }
    /* Workers the experiment left behind in its group go too. */
    kill(-pid, SIGKILL);
    reap_orphans();
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return 0;
}
