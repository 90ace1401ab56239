/* SPDX-License-Identifier: MIT */
/* epollshim.c: LD_PRELOAD'ed by test-manager into helpers of its own: the
 * Nth EPOLL_CTL_ADD of the process (N = $COORD_TEST_EPOLL_ADD_FAIL,
 * counted from 1; a fork carries the count on) fails with ENOSPC, as it
 * does for a user at fs.epoll.max_user_watches (ENOMEM would do the same
 * to the code). Without that variable, epoll_ctl passes through. */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>

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
    if (n && op == EPOLL_CTL_ADD && ++adds == atoi(n)) {
        errno = ENOSPC;
        return -1;
    }
    return real(ep, op, fd, ev);
}
