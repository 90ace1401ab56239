/* SPDX-License-Identifier: MIT */
/* epollshim.c: LD_PRELOAD'ed by test-manager into helpers of its own:
 * EPOLL_CTL_ADDs fail with ENOSPC, as they do for a user at
 * fs.epoll.max_user_watches (ENOMEM would do the same to the code). Which
 * ones, by $COORD_TEST_EPOLL_ADD_FAIL: a number N, the Nth ADD of the
 * process (counted from 1; a fork carries the count on); "w", every ADD
 * of the write end of a pipe (the manager's reply pipe, watched only while
 * a reply waits for room). Without that variable, epoll_ctl passes
 * through. */
#include <dlfcn.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>

static int adds;

int epoll_ctl(int ep, int op, int fd, struct epoll_event *ev)
{
    int (*real)(int, int, int, struct epoll_event *) =
        (int (*)(int, int, int, struct epoll_event *))dlsym(RTLD_NEXT,
                                                            "epoll_ctl");
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    const char *n = getenv("COORD_TEST_EPOLL_ADD_FAIL");
    if (n && op == EPOLL_CTL_ADD) {
        struct stat st;
        bool fail = strcmp(n, "w") == 0
                        ? fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
                              (fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY
                        : ++adds == atoi(n);
        if (fail) {
            errno = ENOSPC;
            return -1;
        }
    }
    return real(ep, op, fd, ev);
}
