/* SPDX-License-Identifier: MIT */
/* test-fd.c: objects passed by descriptor (create_fd/open_fd): between processes, refusals, kills. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "harness.h"
#include "internal.h"
#include "manager_fast.h"

/* A one-byte message with room for 8 descriptors (SCM_RIGHTS). */
/* c comes last: clang takes CMSG_SPACE() for a variable size, and such a
 * member anywhere else is a GNU extension it warns about (-Werror). */
struct fd_msg {
    char byte;
    struct iovec io;
    struct msghdr m;
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int) * 8)];
    } c;
};

static struct msghdr *fd_msg_init(struct fd_msg *f)
{
    memset(f, 0, sizeof *f);
    f->byte = 'f';
    f->io = (struct iovec){&f->byte, 1};
    f->m.msg_iov = &f->io;
    f->m.msg_iovlen = 1;
    f->m.msg_control = f->c.buf;
    f->m.msg_controllen = sizeof f->c.buf;
    return &f->m;
}

/* Send `n` (at most 8) descriptors over the Unix socket `s`. */
static void send_fds(int s, const int *fds, int n)
{
    struct fd_msg f;
    struct msghdr *m = fd_msg_init(&f);
    m->msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
    struct cmsghdr *h = CMSG_FIRSTHDR(m);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
    memcpy(CMSG_DATA(h), fds, sizeof(int) * (size_t)n);
    ASSERT_EQ(sendmsg(s, m, 0), 1);
}

/* Receive `n` descriptors sent by send_fds; returns 0, or -1. */
static int recv_fds(int s, int *fds, int n)
{
    struct fd_msg f;
    struct msghdr *m = fd_msg_init(&f);
    if (recvmsg(s, m, MSG_CMSG_CLOEXEC) != 1)
        return -1;
    struct cmsghdr *h = CMSG_FIRSTHDR(m);
    if (!h || h->cmsg_type != SCM_RIGHTS ||
        h->cmsg_len != CMSG_LEN(sizeof(int) * (size_t)n))
        return -1;
    memcpy(fds, CMSG_DATA(h), sizeof(int) * (size_t)n);
    return 0;
}

/* Take the next message of `q` (waiting at most 20 s): `want` and its NUL. */
static void expect_msg(coord_queue *q, const char *want)
{
    char buf[32];
    size_t len = 0;
    ASSERT_OK(coord_queue_get(q, buf, sizeof buf, &len, 20000));
    ASSERT_EQ(len, strlen(want) + 1);
    ASSERT_STR_EQ(buf, want);
}

/* `v` holds `want` now. */
static void expect_i64(coord_value *v, int64_t want)
{
    int64_t x = 0;
    ASSERT_OK(coord_value_get_i64(v, &x));
    ASSERT_EQ(x, want);
}

/* Helper, an unrelated program (exec): argv holds the descriptors of a
 * flag, a value, an array, a region and a queue it inherited. It opens
 * each, answers through every one (value += 5, array[3] = 7, region
 * "from child", a queue message "up"), then waits for the flag, takes the
 * parent's "down" from the queue and stores 100. */
HELPER(fd_peer)
{
    if (argc < 5)
        return 2;
    int fd[5];
    for (int i = 0; i < 5; i++)
        fd[i] = atoi(argv[i]);
    coord_flag *f;
    coord_value *v;
    coord_array *a;
    coord_region *r;
    coord_queue *q;
    if (coord_flag_open_fd(&f, fd[0]) || coord_value_open_fd(&v, fd[1]) ||
        coord_array_open_fd(&a, fd[2]) || coord_region_open_fd(&r, fd[3]) ||
        coord_queue_open_fd(&q, fd[4]))
        return 3;
    for (int i = 0; i < 5; i++)
        close(fd[i]); /* borrowed: the mappings do not need them */
    if (coord_array_set(a, 3, (coord_scalar){.i = 7}) ||
        coord_queue_put(q, "up", 3, 20000))
        return 4;
    memcpy(coord_region_data(r), "from child", 11);
    if (coord_value_add_i64(v, 5, NULL))
        return 5;
    if (coord_flag_wait(f, 20000) != 0)
        return 6;
    char buf[16];
    size_t len = 0;
    if (coord_queue_get(q, buf, sizeof buf, &len, 20000) != 0 || len != 5 ||
        memcmp(buf, "down", 5) != 0)
        return 7;
    if (coord_value_set_i64(v, 100))
        return 8;
    coord_queue_destroy(q);
    coord_region_destroy(r);
    coord_array_destroy(a);
    coord_value_destroy(v);
    coord_flag_destroy(f);
    return 0;
}

/* One object of each kind made by its create_fd, sealed with coord's
 * three seals, maybe F_SEAL_EXEC (which Linux 6.3 and later add where
 * vm.memfd_noexec asks) and the seals of `must`, passed to an unrelated
 * program (fd_peer, exec'd) by descriptor, and used by both. */
static void every_kind_with_an_unrelated_process(int must)
{
    coord_flag *f;
    coord_value *v;
    coord_array *a;
    coord_region *r;
    coord_queue *q;
    int fd[5];
    ASSERT_OK(coord_flag_create_fd(&f, &fd[0]));
    ASSERT_OK(coord_value_create_fd(&v, COORD_I64, &fd[1]));
    ASSERT_OK(coord_array_create_fd(&a, COORD_I32, 10, &fd[2]));
    ASSERT_OK(coord_region_create_fd(&r, 100, &fd[3]));
    ASSERT_OK(coord_queue_create_fd(&q, 4, 16, &fd[4]));
    /* Close-on-exec as made: the exec'd peer gets copies without it. */
    char args[5][16];
    const char *argv[6];
    int pass[5];
    for (int i = 0; i < 5; i++) {
        int seals = fcntl(fd[i], F_GET_SEALS);
        ASSERT_EQ(seals & ~COORD__F_SEAL_EXEC,
                  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
        ASSERT_EQ(seals & must, must);
        ASSERT_EQ(fcntl(fd[i], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
        pass[i] = fcntl(fd[i], F_DUPFD, 0);
        ASSERT_TRUE(pass[i] >= 0);
        snprintf(args[i], sizeof args[i], "%d", pass[i]);
        argv[i] = args[i];
    }
    argv[5] = NULL;
    ASSERT_OK(coord_value_set_i64(v, 10));
    pid_t p = test_spawn_helper("fd_peer", argv);
    for (int i = 0; i < 5; i++) {
        close(pass[i]);
        close(fd[i]); /* the objects here do not need them either */
    }
    int64_t x = 0;
    WAIT_FOR(coord_value_get_i64(v, &x) == 0 && x == 15, 20000);
    coord_scalar e;
    ASSERT_OK(coord_array_get(a, 3, &e));
    ASSERT_EQ(e.i, 7);
    ASSERT_STR_EQ(coord_region_data(r), "from child");
    expect_msg(q, "up");
    ASSERT_OK(coord_queue_put(q, "down", 5, 20000));
    coord_flag_set(f);
    test_join_ok(p, 20000);
    expect_i64(v, 100);
    coord_queue_destroy(q);
    coord_region_destroy(r);
    coord_array_destroy(a);
    coord_value_destroy(v);
    coord_flag_destroy(f);
}

TEST(fd_every_kind_between_unrelated_processes)
{
    every_kind_with_an_unrelated_process(0);
}

struct sock_child {
    int sock;
    coord_flag *inherited; /* made with create_fd before the fork */
};

/* Forked before the objects it is sent existed: receives a value's and a
 * queue's descriptors, adds 1 and puts "hi"; sets the flag it inherited. */
static int receive_and_answer(void *arg)
{
    struct sock_child *c = arg;
    int fds[2];
    if (recv_fds(c->sock, fds, 2) != 0)
        return 3;
    coord_value *v;
    coord_queue *q;
    if (coord_value_open_fd(&v, fds[0]) || coord_queue_open_fd(&q, fds[1]))
        return 4;
    close(fds[0]);
    close(fds[1]);
    if (coord_value_add_i64(v, 1, NULL) || coord_queue_put(q, "hi", 3, 20000))
        return 5;
    coord_flag_set(c->inherited);
    coord_queue_destroy(q);
    coord_value_destroy(v);
    return 0;
}

TEST(fd_sent_over_a_socket_and_inherited_by_fork)
{
    int sv[2];
    ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
    coord_flag *f;
    int ffd;
    ASSERT_OK(coord_flag_create_fd(&f, &ffd));
    close(ffd); /* fork shares the flag without it */
    struct sock_child c = {sv[1], f};
    pid_t p = test_fork(receive_and_answer, &c);
    coord_value *v;
    coord_queue *q;
    int fds[2];
    ASSERT_OK(coord_value_create_fd(&v, COORD_I64, &fds[0]));
    ASSERT_OK(coord_queue_create_fd(&q, 2, 8, &fds[1]));
    ASSERT_OK(coord_value_set_i64(v, 41));
    send_fds(sv[0], fds, 2);
    close(fds[0]);
    close(fds[1]);
    ASSERT_OK(coord_flag_wait(f, 20000));
    test_join_ok(p, 20000);
    expect_i64(v, 42);
    expect_msg(q, "hi");
    coord_queue_destroy(q);
    coord_value_destroy(v);
    coord_flag_destroy(f);
    close(sv[0]);
    close(sv[1]);
}

/* A memfd holding `len` bytes of `bytes` (zeros when NULL), with `seals`. */
static int forged(const void *bytes, size_t len, unsigned seals)
{
    int fd = memfd_create("forged", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    ASSERT_TRUE(fd >= 0);
    ASSERT_OK(ftruncate(fd, (off_t)len));
    if (bytes)
        ASSERT_EQ(pwrite(fd, bytes, len, 0), (int64_t)len);
    if (seals)
        ASSERT_OK(fcntl(fd, F_ADD_SEALS, seals));
    return fd;
}

#define SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

/* Open `fd` as every kind and expect `want` from each. */
static void open_fd_all_kinds(int fd, int want)
{
    coord_flag *f;
    coord_value *v;
    coord_array *a;
    coord_region *r;
    coord_queue *q;
    ASSERT_CODE(coord_flag_open_fd(&f, fd), want);
    ASSERT_CODE(coord_value_open_fd(&v, fd), want);
    ASSERT_CODE(coord_array_open_fd(&a, fd), want);
    ASSERT_CODE(coord_region_open_fd(&r, fd), want);
    ASSERT_CODE(coord_queue_open_fd(&q, fd), want);
}

/* Every descriptor that is not a published segment of the asked kind is
 * refused with its code, with nothing mapped or kept afterwards. */
TEST(fd_wrong_garbage_or_truncated_descriptors_refused)
{
    coord_flag *f, *g;
    coord_value *v;
    coord_array *a;
    coord_region *r;
    coord_queue *q;
    int ffd;
    ASSERT_OK(coord_flag_create_fd(&f, &ffd));
    struct stat st;
    ASSERT_OK(fstat(ffd, &st));
    size_t total = (size_t)st.st_size;
    unsigned char *seg = malloc(total);
    ASSERT_TRUE(seg != NULL);
    ASSERT_EQ(pread(ffd, seg, total, 0), (int64_t)total);
    int fds0 = test_fd_count(), maps0 = test_map_count();

    /* Not descriptors. */
    open_fd_all_kinds(-1, COORD_EBADF);
    int gone = dup(ffd);
    close(gone);
    open_fd_all_kinds(gone, COORD_EBADF);
    /* Descriptors of other things. */
    int pipefd[2];
    ASSERT_OK(pipe(pipefd));
    open_fd_all_kinds(pipefd[0], COORD_EPROTO);
    open_fd_all_kinds(pipefd[1], COORD_EPROTO);
    close(pipefd[0]);
    close(pipefd[1]);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    open_fd_all_kinds(null, COORD_EPROTO);
    close(null);
    /* The flag's very bytes in a file on disk, and in an unsealed or
     * half-sealed memfd (it could be shrunk under the mapping). */
    char path[128];
    snprintf(path, sizeof path, "%s/copy", test_tmpdir());
    int disk = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    ASSERT_EQ(pwrite(disk, seg, total, 0), (int64_t)total);
    open_fd_all_kinds(disk, COORD_EPROTO);
    close(disk);
    int m = forged(seg, total, 0);
    open_fd_all_kinds(m, COORD_EPROTO);
    close(m);
    m = forged(seg, total, F_SEAL_SHRINK | F_SEAL_GROW);
    open_fd_all_kinds(m, COORD_EPROTO);
    close(m);
    /* A named segment's file is no descriptor coord hands out. */
    char name[64], shm[128];
    test_shm_name(name, sizeof name, "named");
    ASSERT_OK(coord_flag_create_named(&g, name));
    snprintf(shm, sizeof shm, "/coord.%s", name);
    int nfd = shm_open(shm, O_RDWR | O_CLOEXEC, 0);
    ASSERT_TRUE(nfd >= 0);
    open_fd_all_kinds(nfd, COORD_EPROTO);
    close(nfd);
    coord_flag_destroy(g);
    /* Sealed, but garbage, zeros (never "unfinished": a descriptor is
     * handed out published), shorter than a header, or empty. */
    unsigned char *junk = malloc(total);
    ASSERT_TRUE(junk != NULL);
    memset(junk, 0x5a, total);
    m = forged(junk, total, SEALS);
    open_fd_all_kinds(m, COORD_EPROTO);
    close(m);
    m = forged(NULL, total, SEALS);
    open_fd_all_kinds(m, COORD_EPROTO);
    close(m);
    m = forged(seg, 100, SEALS);
    open_fd_all_kinds(m, COORD_EPROTO);
    close(m);
    m = forged(NULL, 0, SEALS);
    open_fd_all_kinds(m, COORD_EPROTO);
    close(m);
    /* The flag's segment cut short: its header's size disagrees. */
    m = forged(seg, COORD__SEG_HDR + 64, SEALS);
    open_fd_all_kinds(m, COORD_EPROTO);
    close(m);
    /* ... or with a size field that lies, or another ABI version. */
    coord__seg_hdr *h = (coord__seg_hdr *)(void *)seg;
    h->size *= 2;
    m = forged(seg, total, SEALS);
    ASSERT_CODE(coord_flag_open_fd(&g, m), COORD_EPROTO);
    close(m);
    h->size /= 2;
    h->abi += 1;
    m = forged(seg, total, SEALS);
    open_fd_all_kinds(m, COORD_EVERSION);
    close(m);
    h->abi -= 1;
    /* A good header over a flag whose own magic is gone. */
    memset(seg + COORD__SEG_HDR, 0, 16);
    m = forged(seg, total, SEALS);
    ASSERT_CODE(coord_flag_open_fd(&g, m), COORD_EPROTO);
    close(m);
    /* The real flag as another kind, and read-only. */
    ASSERT_CODE(coord_value_open_fd(&v, ffd), COORD_EPROTO);
    ASSERT_CODE(coord_array_open_fd(&a, ffd), COORD_EPROTO);
    ASSERT_CODE(coord_region_open_fd(&r, ffd), COORD_EPROTO);
    ASSERT_CODE(coord_queue_open_fd(&q, ffd), COORD_EPROTO);
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", ffd);
    int ro = open(self, O_RDONLY | O_CLOEXEC);
    ASSERT_TRUE(ro >= 0);
    ASSERT_CODE(coord_flag_open_fd(&g, ro), COORD_EACCES);
    close(ro);
    /* Nothing mapped or open was left behind by a refusal. */
    ASSERT_EQ(test_fd_count(), fds0);
    ASSERT_EQ(test_map_count(), maps0);
    /* And the real one opens. */
    ASSERT_OK(coord_flag_open_fd(&g, ffd));
    coord_flag_set(g);
    ASSERT_TRUE(coord_flag_is_set(f));
    coord_flag_destroy(g);
    free(junk);
    free(seg);
    close(ffd);
    coord_flag_destroy(f);
}

/* The library keeps no descriptor: create_fd adds the caller's one,
 * open_fd and plain create none, destroy closes nothing of the caller's. */
TEST(fd_objects_keep_no_descriptor)
{
    int n0 = test_fd_count();
    coord_value *v, *w, *plain;
    int fd;
    ASSERT_OK(coord_value_create_fd(&v, COORD_I64, &fd));
    ASSERT_EQ(test_fd_count(), n0 + 1);
    ASSERT_OK(coord_value_open_fd(&w, fd));
    ASSERT_EQ(test_fd_count(), n0 + 1);
    close(fd);
    ASSERT_EQ(test_fd_count(), n0);
    ASSERT_OK(coord_value_set_i64(v, 7));
    expect_i64(w, 7);
    ASSERT_OK(coord_value_create(&plain, COORD_I64));
    ASSERT_EQ(test_fd_count(), n0);
    coord_value_destroy(plain);
    coord_value_destroy(w);
    coord_value_destroy(v);
    ASSERT_EQ(test_fd_count(), n0);
}

/* With no descriptor free: create_fd says COORD_EMFILE (nothing left
 * open or mapped), and the plain anonymous create still works. */
static int out_of_descriptors(void *arg)
{
    (void)arg;
    int maps0 = test_map_count();
    /* The limit at the lowest free number: every new descriptor fails. */
    int lowest = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (lowest < 0)
        return 3;
    close(lowest);
    struct rlimit rl, low;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 4;
    low = rl;
    low.rlim_cur = (rlim_t)lowest;
    if (setrlimit(RLIMIT_NOFILE, &low) != 0)
        return 5;
    coord_flag *f;
    coord_queue *q;
    int fd = -7, plain;
    int r1 = coord_flag_create_fd(&f, &fd);
    int r2 = coord_queue_create_fd(&q, 4, 8, &fd);
    if ((plain = coord_flag_create(&f)) == 0)
        coord_flag_set(f);
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 6;
    if (r1 != COORD_EMFILE || r2 != COORD_EMFILE || fd != -7)
        return 7;
    if (plain != 0)
        return 8;
    coord_flag_destroy(f);
    if (test_map_count() != maps0)
        return 9;
    return 0;
}

TEST(fd_out_of_descriptors)
{
    test_join_ok(test_fork(out_of_descriptors, NULL), 20000);
}

/* The audit architecture of this build's system calls, for the seccomp
 * filter below (a filter must check it: a number means another call under
 * another ABI): harness.h's. */
#ifdef TEST_AUDIT_ARCH
#define FD_AUDIT_ARCH TEST_AUDIT_ARCH
#endif

#ifdef FD_AUDIT_ARCH
/* Where the low 32 bits of a system call's second argument (memfd_create's
 * flags) lie in struct seccomp_data. */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define FD_ARG1_LOW (offsetof(struct seccomp_data, args) + 8 + 4)
#else
#define FD_ARG1_LOW (offsetof(struct seccomp_data, args) + 8)
#endif

/* Make memfd_create fail with `err` in this process and its children from
 * now on, as a container's seccomp policy does, but for calls whose flags
 * hold a bit of `unless` (0: none; MFD_NOEXEC_SEAL: as Linux 6.3 to 6.5
 * with vm.memfd_noexec = 2 answer); every other call (and any call under
 * another ABI) goes through. Returns 0 or -1 (errno). */
static int refuse_memfd(int err, uint32_t unless)
{
    struct sock_filter prog[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FD_AUDIT_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_memfd_create, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, FD_ARG1_LOW),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, unless, 1, 0),
        BPF_STMT(BPF_RET | BPF_K,
                 SECCOMP_RET_ERRNO | ((uint32_t)err & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    return test_seccomp_install(prog, sizeof prog / sizeof prog[0]);
}

static int add_one(void *arg)
{
    return coord_value_add_i64(arg, 1, NULL) == 0 ? 0 : 1;
}

/* The code every create_fd gives when memfd_create fails with `err`: a
 * resource the process or the system is out of (EMFILE, ENFILE, ENOMEM) is
 * said as such; anything else is a refusal of the call, COORD_ENOSYS. */
static int code_for_memfd_errno(int err)
{
    switch (err) {
    case EMFILE:
    case ENFILE:
        return COORD_EMFILE;
    case ENOMEM:
        return COORD_ENOMEM;
    default:
        return COORD_ENOSYS;
    }
}

/* In a child whose memfd_create fails with *arg (ENOSYS: a kernel without
 * it, or a filter that says so; EPERM: a filter's usual answer; EACCES,
 * EINVAL, ENOTSUP: other answers a filter or security module may give;
 * EMFILE, ENFILE, ENOMEM: out of a resource): every create_fd says what
 * code_for_memfd_errno says, leaves *fd, opens and maps nothing; the
 * plain create still works, for this process and a forked child. */
static int without_memfd(void *arg)
{
    int err = *(int *)arg, want = code_for_memfd_errno(err);
    int fds0 = test_fd_count(), maps0 = test_map_count();
    if (refuse_memfd(err, 0) != 0)
        return 3;
    errno = 0;
    if (memfd_create("probe", MFD_CLOEXEC) != -1 || errno != err)
        return 4; /* the filter is in force */
    int fd = -7;
    coord_flag *f;
    coord_value *v;
    coord_array *a;
    coord_region *r;
    coord_queue *q;
    if (coord_flag_create_fd(&f, &fd) != want ||
        coord_value_create_fd(&v, COORD_I64, &fd) != want ||
        coord_array_create_fd(&a, COORD_U8, 16, &fd) != want ||
        coord_region_create_fd(&r, 100, &fd) != want ||
        coord_queue_create_fd(&q, 4, 8, &fd) != want)
        return 5;
    if (fd != -7)
        return 6;
    if (test_fd_count() != fds0 || test_map_count() != maps0)
        return 7;
    if (coord_value_create(&v, COORD_I64) || coord_value_set_i64(v, 41) ||
        coord_queue_create(&q, 4, 8) || coord_queue_put(q, "x", 1, 0))
        return 8;
    pid_t c = test_fork(add_one, v);
    if (test_wait(c, 20000) != 0)
        return 9;
    int64_t x = 0;
    char b[8];
    size_t len = 0;
    if (coord_value_get_i64(v, &x) || x != 42 ||
        coord_queue_get(q, b, sizeof b, &len, 0) || len != 1 || b[0] != 'x')
        return 10;
    coord_queue_destroy(q);
    coord_value_destroy(v);
    return test_fd_count() == fds0 && test_map_count() == maps0 ? 0 : 11;
}
#endif

/* memfd_create refused by a seccomp filter, with any answer. Only
 * ENOSYS and EPERM gave COORD_ENOSYS before (EACCES gave COORD_EACCES,
 * EINVAL COORD_EINVAL, ENOTSUP COORD_EIO: the Python binding raised where
 * it falls back); EMFILE, ENFILE and ENOMEM keep their codes. */
TEST(fd_memfd_refused_by_seccomp)
{
#ifdef FD_AUDIT_ARCH
    int errs[] = {ENOSYS, EPERM, EACCES, EINVAL, ENOTSUP,
                  EMFILE, ENFILE, ENOMEM};
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        int st = test_wait(test_fork(without_memfd, &errs[i]), 20000);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            test__fail(__FILE__, __LINE__, "memfd_create failing with %s: "
                       "child status %#x", strerror(errs[i]), st);
    }
#else
    SKIP("no seccomp audit architecture known for this CPU (test-fd.c)");
#endif
}

#ifdef FD_AUDIT_ARCH
/* In a child whose memfd_create refuses, with *arg (EACCES: Linux 6.3 to
 * 6.5 with vm.memfd_noexec = 2; EINVAL: a filter's other answer), every
 * call without MFD_NOEXEC_SEAL: each create_fd makes a sealed memfd all
 * the same, with F_SEAL_EXEC too, which an exec'd program opens by
 * descriptor, and so does a manager client's mailbox, which the server's
 * coord__mfast_take accepts. */
static int noexec_seal_wanted(void *arg)
{
    int err = *(int *)arg;
    if (refuse_memfd(err, COORD__MFD_NOEXEC_SEAL) != 0)
        return 3;
    errno = 0;
    if (memfd_create("probe", MFD_CLOEXEC | MFD_ALLOW_SEALING) != -1 ||
        errno != err)
        return 4; /* the filter is in force */
    every_kind_with_an_unrelated_process(COORD__F_SEAL_EXEC);
    int fd = -1, code = -1;
    struct coord__mfast *mine = coord__mfast_create(&fd);
    if (!mine)
        return 5;
    if ((fcntl(fd, F_GET_SEALS) & COORD__F_SEAL_EXEC) == 0)
        return 6;
    struct coord__mfast *theirs = coord__mfast_take(fd, &code);
    if (!theirs || code != 0)
        return 7;
    coord__mfast_unmap(theirs);
    coord__mfast_unmap(mine);
    close(fd);
    return 0;
}
#endif

/* A memfd_create that wants MFD_NOEXEC_SEAL (EACCES without it) gave
 * COORD_ENOSYS: the Python binding fell back to a plain mapping that
 * spawn and forkserver children cannot be given. Now coord asks again
 * with the flag. */
TEST(fd_memfd_that_wants_noexec_seal)
{
#ifdef FD_AUDIT_ARCH
    int probe = memfd_create("probe", MFD_CLOEXEC | COORD__MFD_NOEXEC_SEAL);
    if (probe < 0 && errno == EINVAL)
        SKIP("this kernel knows no MFD_NOEXEC_SEAL (Linux before 6.3)");
    ASSERT_TRUE(probe >= 0);
    close(probe);
    int errs[] = {EACCES, EINVAL};
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        int st = test_wait(test_fork(noexec_seal_wanted, &errs[i]), 30000);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            test__fail(__FILE__, __LINE__, "memfd_create refused with %s "
                       "without MFD_NOEXEC_SEAL: child status %#x",
                       strerror(errs[i]), st);
    }
#else
    SKIP("no seccomp audit architecture known for this CPU (test-fd.c)");
#endif
}

TEST(fd_bad_input)
{
    coord_flag *f;
    coord_value *v;
    coord_array *a;
    coord_region *r;
    coord_queue *q;
    int fd = -7;
    ASSERT_CODE(coord_flag_create_fd(NULL, &fd), COORD_EINVAL);
    ASSERT_CODE(coord_flag_create_fd(&f, NULL), COORD_EINVAL);
    ASSERT_CODE(coord_value_create_fd(&v, COORD_I64, NULL), COORD_EINVAL);
    ASSERT_CODE(coord_value_create_fd(&v, (coord_type)42, &fd), COORD_EINVAL);
    ASSERT_CODE(coord_array_create_fd(&a, COORD_I64, 0, &fd), COORD_EINVAL);
    ASSERT_CODE(coord_array_create_fd(&a, COORD_I64, 1, NULL), COORD_EINVAL);
    ASSERT_CODE(coord_region_create_fd(&r, 0, &fd), COORD_EINVAL);
    ASSERT_CODE(coord_region_create_fd(&r, 1, NULL), COORD_EINVAL);
    ASSERT_CODE(coord_queue_create_fd(&q, 0, 8, &fd), COORD_EINVAL);
    ASSERT_CODE(coord_queue_create_fd(&q, 1, 8, NULL), COORD_EINVAL);
    ASSERT_EQ(fd, -7); /* untouched by a refused call */
    ASSERT_OK(coord_flag_create_fd(&f, &fd));
    ASSERT_CODE(coord_flag_open_fd(NULL, fd), COORD_EINVAL);
    ASSERT_CODE(coord_value_open_fd(NULL, fd), COORD_EINVAL);
    ASSERT_CODE(coord_array_open_fd(NULL, fd), COORD_EINVAL);
    ASSERT_CODE(coord_region_open_fd(NULL, fd), COORD_EINVAL);
    ASSERT_CODE(coord_queue_open_fd(NULL, fd), COORD_EINVAL);
    close(fd);
    coord_flag_destroy(f);
    /* The named opens still refuse a NULL name. */
    ASSERT_CODE(coord_flag_open(&f, NULL), COORD_EINVAL);
    ASSERT_CODE(coord_value_open(&v, NULL), COORD_EINVAL);
    ASSERT_CODE(coord_array_open(&a, NULL), COORD_EINVAL);
    ASSERT_CODE(coord_region_open(&r, NULL), COORD_EINVAL);
    ASSERT_CODE(coord_queue_open(&q, NULL), COORD_EINVAL);
}

/* The creator: makes a value and a queue with create_fd, sends their
 * descriptors, puts a message, then takes the value's lock, stores 41
 * (half a compound update) and waits to be killed. */
static int create_send_and_hold(void *arg)
{
    int sock = *(int *)arg;
    coord_value *v;
    coord_queue *q;
    int fds[2];
    if (coord_value_create_fd(&v, COORD_I64, &fds[0]) ||
        coord_queue_create_fd(&q, 4, 16, &fds[1]))
        return 3;
    if (coord_queue_put(q, "before", 7, 0))
        return 4;
    send_fds(sock, fds, 2);
    if (coord_value_lock(v, 1000) != 0)
        return 5;
    coord_value_store(v, (coord_scalar){.i = 41});
    for (;;)
        pause();
}

/* A creator SIGKILLed holding its value's lock: the process it gave the
 * descriptors keeps the objects (they are in no file to leave behind),
 * takes the lock over with COORD_RECOVERED, and loses no message. */
TEST(fd_creator_killed_holding_the_lock)
{
    int sv[2];
    ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
    pid_t p = test_fork(create_send_and_hold, &sv[1]);
    int fds[2];
    ASSERT_OK(recv_fds(sv[0], fds, 2));
    coord_value *v;
    coord_queue *q;
    ASSERT_OK(coord_value_open_fd(&v, fds[0]));
    ASSERT_OK(coord_queue_open_fd(&q, fds[1]));
    close(fds[0]);
    close(fds[1]);
    int64_t x = 0;
    WAIT_FOR(coord_value_get_i64(v, &x) == 0 && x == 41, 20000);
    ASSERT_CODE(coord_value_lock(v, 0), COORD_EAGAIN);
    kill(p, SIGKILL);
    ASSERT_TRUE(WIFSIGNALED(test_wait(p, 20000)));
    ASSERT_CODE(coord_value_lock(v, 5000), COORD_RECOVERED);
    ASSERT_OK(coord_value_store(v, (coord_scalar){.i = 42}));
    ASSERT_OK(coord_value_unlock(v));
    ASSERT_OK(coord_value_add_i64(v, 1, NULL));
    expect_i64(v, 43);
    expect_msg(q, "before");
    ASSERT_OK(coord_queue_put(q, "after", 6, 0));
    expect_msg(q, "after");
    coord_queue_destroy(q);
    coord_value_destroy(v);
    close(sv[0]);
    close(sv[1]);
}

/* A memfd object's blocks are reserved at its create under strict
 * overcommit (vm.overcommit_memory = 2), as a named one's are: the memfd
 * is "no reserve" (its memory committed page by page as it is touched),
 * so with the kernel's commit limit reached a first store into any page
 * raised SIGBUS. Under the other modes a fault never fails for want of
 * commit, and the memfd stays sparse: reserved, an anonymous object
 * larger than the memory free set off the OOM killer at its create. */
TEST(fd_memfd_blocks_reserved_at_create_under_strict_overcommit)
{
    FILE *f = fopen("/proc/sys/vm/overcommit_memory", "r");
    int mode = -1;
    if (f) {
        if (fscanf(f, "%d", &mode) != 1)
            mode = -1;
        fclose(f);
    }
    ASSERT_EQ(coord__overcommit_strict(), mode == 2);
    coord_region *r;
    int fd = -1;
    ASSERT_OK(coord_region_create_fd(&r, 64 << 20, &fd));
    struct stat st;
    ASSERT_OK(fstat(fd, &st));
    ASSERT_GE((int64_t)st.st_size, 64 << 20);
    if (mode == 2)
        ASSERT_GE((int64_t)st.st_blocks * 512, (int64_t)st.st_size);
    else /* the header's page and little more: not the 64 MiB */
        ASSERT_TRUE((int64_t)st.st_blocks * 512 < (1 << 20));
    coord_region_destroy(r);
    close(fd);
}

#define TEST_LIST(X)                                                           \
    X(fd_every_kind_between_unrelated_processes)                               \
    X(fd_sent_over_a_socket_and_inherited_by_fork)                             \
    X(fd_wrong_garbage_or_truncated_descriptors_refused)                       \
    X(fd_objects_keep_no_descriptor)                                           \
    X(fd_out_of_descriptors)                                                   \
    X(fd_memfd_refused_by_seccomp)                                             \
    X(fd_memfd_that_wants_noexec_seal)                                         \
    X(fd_bad_input)                                                            \
    X(fd_creator_killed_holding_the_lock)                                      \
    X(fd_memfd_blocks_reserved_at_create_under_strict_overcommit)
#define HELPER_LIST(X) X(fd_peer)
TEST_MAIN()
