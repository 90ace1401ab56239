/* SPDX-License-Identifier: MIT */
/* manager-raw.h: helpers of the manager tests: connect and stop, raw frames and handshakes on the socket. */
#ifndef COORD_TEST_MANAGER_RAW_H
#define COORD_TEST_MANAGER_RAW_H

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>

#include "harness.h"
#include "wire.h"

#define T 10000 /* ms: generous per-call timeout on a loaded machine */

static inline bool path_exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

/* A memory figure of process `pid` from /proc/PID/status, in KiB: field
 * "VmRSS" (resident now) or "VmHWM" (its peak). */
static inline long status_kib(pid_t pid, const char *field)
{
    char path[64], line[256], fmt[32];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    snprintf(fmt, sizeof fmt, "%s: %%ld kB", field);
    FILE *f = fopen(path, "r");
    ASSERT_TRUE(f != NULL);
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, fmt, &kib) == 1)
            break;
    fclose(f);
    ASSERT_GE(kib, 0);
    return kib;
}

static inline coord_mclient *connect_ok(coord_manager *m)
{
    coord_mclient *c = NULL;
    ASSERT_OK(coord_mclient_connect(&c, coord_manager_path(m), T));
    return c;
}

static inline void stop_ok(coord_manager *m)
{
    char path[128], dir[128];
    snprintf(path, sizeof path, "%s", coord_manager_path(m));
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    ASSERT_OK(coord_manager_stop(m, T));
    ASSERT_FALSE(path_exists(path));
    ASSERT_FALSE(path_exists(dir));
}

static inline int raw_connect(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        test__fail(__FILE__, __LINE__, "connect %s: %s", path,
                   strerror(errno));
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

static inline void raw_send(int fd, const void *p, size_t n)
{
    ASSERT_EQ(send(fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Read one ERR frame and then the close; returns the code. */
static inline int raw_expect_err(int fd)
{
    uint8_t b[64];
    size_t got = 0;
    for (;;) {
        ssize_t n = recv(fd, b + got, sizeof b - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got != 16)
        test__fail(__FILE__, __LINE__, "expected a 16-byte ERR frame, got %zu",
                   got);
    ASSERT_EQ(b[4], COORD__WIRE_VERSION);
    ASSERT_EQ(b[5], COORD__W_ERR);
    int32_t code = (int32_t)(b[12] | b[13] << 8 | b[14] << 16 |
                             (uint32_t)b[15] << 24);
    close(fd);
    return code;
}

static inline size_t frame(uint8_t *b, uint8_t version, uint8_t kind, uint16_t count,
                    const void *payload, size_t n)
{
    uint32_t len = (uint32_t)(8 + n);
    memcpy(b, &len, 4); /* little-endian host (x86-64, aarch64) */
    b[4] = version;
    b[5] = kind;
    memcpy(b + 6, &count, 2);
    memset(b + 8, 0, 4);
    b[8] = 7;
    if (n)
        memcpy(b + 12, payload, n);
    return 12 + n;
}

static inline void assert_healthy(coord_manager *m)
{
    coord_mclient *c = connect_ok(m);
    coord_mval v;
    ASSERT_OK(coord_mclient_incr(c, "health", "n", 1, NULL, T));
    ASSERT_OK(coord_mclient_get(c, "health", "n", &v, T));
    ASSERT_GE(v.i, 1);
    coord_mclient_close(c);
}

static inline int hello_with_fds(const char *path, const int *fds, int n,
                          const void *extra, size_t extra_len)
{
    int s = raw_connect(path);
    uint8_t b[64];
    size_t len = frame(b, 1, COORD__W_HELLO, 0, NULL, 0);
    if (extra_len)
        memcpy(b + len, extra, extra_len);
    len += extra_len;
    struct iovec iov = {b, len};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(4 * sizeof(int))];
    } cm;
    memset(&cm, 0, sizeof cm);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (n > 0) {
        msg.msg_control = cm.buf;
        msg.msg_controllen = CMSG_SPACE((size_t)n * sizeof(int));
        struct cmsghdr *h = CMSG_FIRSTHDR(&msg);
        h->cmsg_level = SOL_SOCKET;
        h->cmsg_type = SCM_RIGHTS;
        h->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
        memcpy(CMSG_DATA(h), fds, (size_t)n * sizeof(int));
    }
    ASSERT_EQ(sendmsg(s, &msg, MSG_NOSIGNAL), (ssize_t)len);
    return s;
}

static inline void read_exact(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        struct pollfd p = {fd, POLLIN, 0};
        ASSERT_EQ(poll(&p, 1, T), 1);
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r <= 0)
            test__fail(__FILE__, __LINE__, "read: %zd after %zu of %zu", r,
                       got, n);
        got += (size_t)r;
    }
}

#endif
