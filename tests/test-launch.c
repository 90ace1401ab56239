/* SPDX-License-Identifier: MIT */
/* test-launch.c: the CLI's launcher (cli/launch.c), the output-file helper its file sinks open with (cli/cli.c), and progress line (cli/progress.c): status, capture, deadlines, process groups, refused output paths, no progress off a terminal. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "cli.h"
#include "gnuplot.h"
#include "harness.h"
#include "launch.h"
#include "progress.h"

static char out[1 << 16], err[1 << 14], why[256];

static int sh(const char *script, int timeout_ms, struct launch *l)
{
    static const char *argv[4];
    argv[0] = "/bin/sh", argv[1] = "-c", argv[2] = script, argv[3] = NULL;
    l->argv = argv;
    l->timeout_ms = timeout_ms;
    return launch_run(l, why, sizeof why);
}

/* True once `pid` is gone: neither running nor a zombie of ours. */
static bool gone(pid_t pid)
{
    return kill(pid, 0) != 0 && errno == ESRCH;
}

TEST(launch_exit_status_and_signal)
{
    struct launch l = {0};
    ASSERT_OK(sh("exit 7", 10000, &l));
    ASSERT_EQ(l.status, 7);
    ASSERT_OK(sh("kill -TERM $$", 10000, &l));
    ASSERT_EQ(l.status, 128 + SIGTERM);
    ASSERT_OK(sh("true", 10000, &l));
    ASSERT_EQ(l.status, 0);
    ASSERT_GE(l.wall_ms, 0);
}

TEST(launch_missing_program_is_127_with_reason)
{
    const char *argv[] = {"coord-test-no-such-program", "x", NULL};
    struct launch l = {.argv = argv, .timeout_ms = 10000};
    ASSERT_OK(launch_run(&l, why, sizeof why));
    ASSERT_EQ(l.status, 127);
    ASSERT_TRUE(strstr(why, "cannot run coord-test-no-such-program") != NULL);
    ASSERT_FALSE(launch_have("coord-test-no-such-program"));
    ASSERT_TRUE(launch_have("sh"));
    /* A directory that does not exist: 127 too, and says so. */
    const char *pwd[] = {"pwd", NULL};
    struct launch m = {.argv = pwd, .cwd = "/nonexistent/coord-test",
                       .timeout_ms = 10000};
    ASSERT_OK(launch_run(&m, why, sizeof why));
    ASSERT_EQ(m.status, 127);
    ASSERT_TRUE(strstr(why, "cannot enter /nonexistent/coord-test") != NULL);
}

TEST(launch_captures_both_streams_and_feeds_stdin)
{
    struct launch l = {.input = "hello\nworld\n",
                       .out = {.to = LAUNCH_CAPTURE, .buf = out,
                               .cap = sizeof out},
                       .err = {.to = LAUNCH_CAPTURE, .buf = err,
                               .cap = sizeof err}};
    ASSERT_OK(sh("cat; echo oops >&2; exit 3", 10000, &l));
    ASSERT_EQ(l.status, 3);
    ASSERT_STR_EQ(out, "hello\nworld\n");
    ASSERT_EQ(l.out.len, 12);
    ASSERT_STR_EQ(err, "oops\n");
    ASSERT_FALSE(l.out.truncated);
    /* 2>&1 into the same capture. */
    struct launch m = {.out = {.to = LAUNCH_CAPTURE, .buf = out,
                               .cap = sizeof out},
                       .err = {.to = LAUNCH_STDOUT}};
    ASSERT_OK(sh("echo a; echo b >&2", 10000, &m));
    ASSERT_STR_EQ(out, "a\nb\n");
}

TEST(launch_capture_truncates_without_blocking_the_program)
{
    char small[100];
    struct launch l = {.out = {.to = LAUNCH_CAPTURE, .buf = small,
                               .cap = sizeof small}};
    /* 1 MB: far more than a pipe holds, so a reader that stopped reading
     * would block the program until the deadline. */
    ASSERT_OK(sh("head -c 1000000 /dev/zero | tr '\\000' x", 60000, &l));
    ASSERT_EQ(l.status, 0);
    ASSERT_EQ(l.out.len, sizeof small - 1);
    ASSERT_TRUE(l.out.truncated);
    ASSERT_EQ(strlen(small), sizeof small - 1);
    ASSERT_EQ(small[0], 'x');
    /* A program that ignores its stdin: no SIGPIPE for us. */
    static char big[1 << 18];
    memset(big, 'y', sizeof big - 1);
    struct launch m = {.input = big};
    ASSERT_OK(sh("exit 0", 10000, &m));
    ASSERT_EQ(m.status, 0);
}

TEST(launch_deadline_kills_the_whole_group)
{
    launch_adopt_orphans();
    struct launch l = {.out = {.to = LAUNCH_CAPTURE, .buf = out,
                               .cap = sizeof out}};
    /* A worker in the background (it holds the stdout pipe too) and a
     * parent that waits for it: both must go at the deadline. */
    ASSERT_CODE(sh("sleep 60 & echo $!; wait", 300, &l), -ETIMEDOUT);
    /* SIGTERM first (the group's processes may clean up), SIGKILL for
     * whatever is left after the grace. */
    ASSERT_EQ(l.status, 128 + SIGTERM);
    ASSERT_TRUE(strstr(why, "time limit") != NULL);
    pid_t worker = (pid_t)atol(out);
    ASSERT_GT(worker, 1);
    ASSERT_TRUE(gone(worker));
    pid_t kids[4];
    ASSERT_EQ(test_children(kids, 4), 0);
}

/* The deadline ends the group with SIGTERM first: a coord manager server
 * (coord spectrum starts two, coord report runs it under a time limit)
 * removes its socket, its socket directory and its spin file on SIGTERM.
 * SIGKILL at once left them all behind: each `coord report --only
 * spectrum --timeout 1` left two /tmp/coord-mgr-* directories and two
 * /dev/shm/coord.mspin-* files. */
TEST(launch_deadline_lets_the_group_clean_up_on_sigterm)
{
    launch_adopt_orphans();
    char dir[96], sock[160];
    test_mkdtemp(dir, sizeof dir, "mgr");
    ASSERT_OK(chmod(dir, 0700));
    snprintf(sock, sizeof sock, "%s/s.sock", dir);
    /* The manager is up well within the limit: its line says so. */
    static const char *argv[5];
    argv[0] = COORD_CLI_PATH, argv[1] = "manager", argv[2] = "--socket",
    argv[3] = sock, argv[4] = NULL;
    struct launch l = {.argv = argv, .timeout_ms = 3000,
                       .err = {.to = LAUNCH_CAPTURE, .buf = out,
                               .cap = sizeof out}};
    ASSERT_CODE(launch_run(&l, why, sizeof why), -ETIMEDOUT);
    ASSERT_TRUE(strstr(out, "serving") != NULL);
    struct stat sb;
    if (lstat(sock, &sb) == 0)
        test__fail(__FILE__, __LINE__, "the manager's socket %s was left "
                   "behind at the deadline", sock);
    ASSERT_TRUE(strstr(out, "removed") != NULL);
    pid_t kids[4];
    ASSERT_EQ(test_children(kids, 4), 0);
}

TEST(launch_workers_left_behind_are_killed_and_reaped)
{
    launch_adopt_orphans();
    struct launch l = {.out = {.to = LAUNCH_CAPTURE, .buf = out,
                               .cap = sizeof out}};
    /* The program exits at once and leaves a worker running. */
    ASSERT_OK(sh("sleep 60 & echo $!", 10000, &l));
    ASSERT_EQ(l.status, 0);
    pid_t worker = (pid_t)atol(out);
    ASSERT_GT(worker, 1);
    ASSERT_TRUE(gone(worker));
    pid_t kids[4];
    ASSERT_EQ(test_children(kids, 4), 0);
}

/* A program ended at its deadline whose worker ignores SIGTERM, in a
 * process that did not call launch_adopt_orphans (every command but coord
 * report): the worker's parent died of the SIGTERM while this process was
 * the group's subreaper, so the worker came here, outlived the grace and
 * got SIGKILL, and was left a zombie of ours until the process exited. */
TEST(launch_worker_killed_after_the_grace_is_reaped_without_adopting)
{
    setenv("COORD_LAUNCH_GRACE_MS", "200", 1); /* read at the first run */
    struct launch l = {.out = {.to = LAUNCH_CAPTURE, .buf = out,
                               .cap = sizeof out}};
    /* The worker inherits the ignored SIGTERM; the shell takes the
     * default back and waits. The deadline leaves the shell time to get
     * there on a loaded machine. */
    ASSERT_CODE(sh("trap '' TERM; sleep 60 & echo $!; trap - TERM; wait",
                   3000, &l), -ETIMEDOUT);
    ASSERT_EQ(l.status, 128 + SIGTERM);
    pid_t worker = (pid_t)atol(out);
    ASSERT_GT(worker, 1);
    pid_t kids[4];
    size_t n = test_children(kids, 4);
    if (n != 0 || !gone(worker))
        test__fail(__FILE__, __LINE__, "%zu children of ours left, the "
                   "worker %d in state '%c'", n, (int)worker,
                   test_proc_state(worker) ? test_proc_state(worker) : '-');
}

/* A test_fork() body: the CLI's side. It runs a program that starts a
 * worker, writes the worker's pid to the file `arg`, and waits; then it is
 * ended from outside by a signal left at its default. */
static int launch_and_wait_to_be_ended(void *arg)
{
    char script[256];
    snprintf(script, sizeof script, "sleep 60 & echo $! > %s.tmp; "
             "mv %s.tmp %s; wait", (const char *)arg, (const char *)arg,
             (const char *)arg);
    struct launch l = {0};
    sh(script, 30000, &l);
    return 1; /* the signal should have ended it first */
}

/* Reads the pid the program wrote, waiting at most 10 s; 0 if none came. */
static pid_t read_pid_file(const char *path)
{
    for (int i = 0; i < 1000; i++) {
        FILE *f = fopen(path, "r");
        long v = 0;
        if (f) {
            int n = fscanf(f, "%ld", &v);
            fclose(f);
            if (n == 1 && v > 1)
                return (pid_t)v;
        }
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

/* True once `pid` is dead, waiting at most 10 s: gone, or a zombie (of
 * ours, reaped here, or an orphan's whose reaper is not this process). */
static bool dead_soon(pid_t pid)
{
    for (int i = 0; i < 1000; i++) {
        waitpid(pid, NULL, WNOHANG);
        char state = test_proc_state(pid);
        if (state == 0 || state == 'Z')
            return true;
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    return false;
}

#ifndef COORD_REAPSHIM_PATH
#define COORD_REAPSHIM_PATH NULL
#endif

/* The helper of the next case, run with reapshim preloaded: programs that
 * end by themselves (alone, or leaving a worker in their group) and one
 * killed at its deadline. reapshim refuses, and reports on stderr (here a
 * file), a kill of a group whose leader was reaped; exit 1 if it did. */
HELPER(launch_group_kills_before_the_reap)
{
    (void)argc, (void)argv;
    launch_adopt_orphans(); /* the killed workers come here to be reaped */
    char path[] = "/tmp/coord-test-launch-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || dup2(fd, 2) < 0)
        return 3;
    unlink(path);
    struct launch a = {0}, b = {0}, c = {0};
    if (sh("exit 0", 10000, &a) != 0 || sh("sleep 60 & exit 0", 10000, &b) != 0 ||
        sh("sleep 60", 200, &c) != -ETIMEDOUT)
        return 4;
    char buf[512] = {0};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    return n > 0 && strstr(buf, "reapshim:") ? 1 : 0;
}

/* The program's end was seen by reaping it, and its group was killed
 * after: once the leader is reaped, its pid (the group's number) is free,
 * and a new process may take it and lead a group of its own. */
TEST(launch_kills_the_group_before_reaping_its_leader)
{
    if (!COORD_REAPSHIM_PATH)
        SKIP("the reap shim is not built here");
    test_preload(COORD_REAPSHIM_PATH);
    int st = test_wait(
        test_spawn_helper("launch_group_kills_before_the_reap", NULL), 60000);
    unsetenv("LD_PRELOAD");
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
}

/* A subreaper's orphans (the killed program and worker, our zombies
 * now): reap them all (they are dead; bounded anyway) and check none is
 * left. */
static void reap_our_orphans(void)
{
    pid_t kids[8];
    for (int i = 0; i < 1000 && test_children(kids, 8) > 0; i++) {
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    ASSERT_EQ(test_children(kids, 8), 0);
}

TEST(launch_ended_by_a_signal_takes_the_programs_group)
{
    /* Ctrl-C (or kill) to the CLI while it ran a program: the program got
     * SIGKILL from PR_SET_PDEATHSIG, but the workers it had started were
     * left running for ever (Python's queue workers under `coord queue`). */
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    char dir[96], path[160];
    ASSERT_OK(prctl(PR_SET_CHILD_SUBREAPER, 1)); /* the orphans are ours */
    test_mkdtemp(dir, sizeof dir, "ended");
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        snprintf(path, sizeof path, "%s/worker%zu", dir, i);
        signal(sigs[i], SIG_DFL); /* as in a shell's foreground job */
        pid_t cli = test_fork(launch_and_wait_to_be_ended, path);
        pid_t worker = read_pid_file(path);
        ASSERT_GT(worker, 1);
        ASSERT_OK(kill(cli, sigs[i]));
        int st = test_wait(cli, 10000);
        /* Ended by that signal, as without the launcher's handler. */
        ASSERT_TRUE(WIFSIGNALED(st));
        ASSERT_EQ(WTERMSIG(st), sigs[i]);
        bool went = dead_soon(worker);
        if (!went)
            kill(worker, SIGKILL);
        ASSERT_TRUE(went);
    }
    reap_our_orphans();
}

/* A test_fork() body: the CLI's side, running a program whose worker
 * ignores SIGTERM (so the group's grace lasts its whole second), the
 * worker's pid written to the file `arg`. */
static int launch_a_term_ignoring_worker(void *arg)
{
    char script[256];
    snprintf(script, sizeof script, "trap '' TERM; sleep 30 & echo $! > %s.tmp; "
             "mv %s.tmp %s; wait", (const char *)arg, (const char *)arg,
             (const char *)arg);
    struct launch l = {0};
    sh(script, 60000, &l);
    return 1; /* the signal should have ended it first */
}

/* The signals blocked in process `pid` (SigBlk of /proc/PID/status); 0
 * when it cannot be read. */
static unsigned long long blocked_signals(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    unsigned long long m = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "SigBlk: %llx", &m) == 1)
            break;
    fclose(f);
    return m;
}

/* While the handler of one ending signal gives the program's group its
 * grace, the other ending signals wait: a second one (Ctrl-C, then a kill
 * from outside) ran the handler again inside the first, with a whole
 * grace of its own each, up to four seconds. Seen in the handler's mask,
 * which /proc shows while it runs (its worker ignores SIGTERM, so it runs
 * for a second). */
TEST(launch_ending_signals_wait_while_the_group_is_ended)
{
    char dir[96], path[160];
    ASSERT_OK(prctl(PR_SET_CHILD_SUBREAPER, 1)); /* the orphans are ours */
    test_mkdtemp(dir, sizeof dir, "mask");
    snprintf(path, sizeof path, "%s/worker", dir);
    signal(SIGINT, SIG_DFL);
    pid_t cli = test_fork(launch_a_term_ignoring_worker, path);
    pid_t worker = read_pid_file(path);
    ASSERT_GT(worker, 1);
    ASSERT_OK(kill(cli, SIGINT));
    unsigned long long bit = 1ull << (SIGINT - 1), m = 0;
    for (int i = 0; i < 900 && !((m = blocked_signals(cli)) & bit); i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    int st = test_wait(cli, 10000);
    bool went = dead_soon(worker);
    if (!went)
        kill(worker, SIGKILL);
    ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGINT);
    ASSERT_TRUE(went);
    reap_our_orphans();
    ASSERT_TRUE(m & bit); /* the handler ran, its own signal blocked */
    ASSERT_TRUE(m & (1ull << (SIGTERM - 1)));
    ASSERT_TRUE(m & (1ull << (SIGHUP - 1)));
    ASSERT_TRUE(m & (1ull << (SIGQUIT - 1)));
}

/* The inner launcher of the next case (a coord command that runs a
 * program: coord spectrum running python3): its program starts a process
 * that ignores SIGTERM, writes that process's pid to argv[0] and waits. */
HELPER(launch_nested_inner)
{
    if (argc < 1)
        return 3;
    char script[512];
    snprintf(script, sizeof script,
             "sh -c 'trap \"\" TERM; echo $$ > %s.tmp; mv %s.tmp %s; "
             "while :; do sleep 0.05; done' & wait",
             argv[0], argv[0], argv[0]);
    struct launch l = {0};
    sh(script, 60000, &l);
    return 1; /* the outer launcher should have ended it first */
}

/* A test_fork() body: the outer launcher (coord report), running the
 * inner one (coord spectrum) and ended by SIGTERM. */
static int launch_the_inner_launcher(void *arg)
{
    static const char *argv[5];
    argv[0] = test_self, argv[1] = "--helper",
    argv[2] = "launch_nested_inner", argv[3] = arg, argv[4] = NULL;
    struct launch l = {.argv = argv, .timeout_ms = 60000};
    launch_run(&l, why, sizeof why);
    return 1; /* the signal should have ended it first */
}

/* A launcher run by a launcher (coord report -> coord spectrum ->
 * python3), both ended with SIGTERM: the inner one must end its program's
 * group, SIGKILL included, before the outer one's grace runs out and
 * SIGKILLs it. With the same second at both levels the outer's SIGKILL
 * came first, and a process of the inner group that ignores SIGTERM ran
 * on for ever (coord report --timeout, or a Ctrl-C of the report, during
 * coord spectrum --vs-python). */
TEST(launch_nested_launcher_ends_its_group_within_the_outer_grace)
{
    char dir[96], path[160];
    ASSERT_OK(prctl(PR_SET_CHILD_SUBREAPER, 1)); /* the orphans are ours */
    test_mkdtemp(dir, sizeof dir, "nested");
    snprintf(path, sizeof path, "%s/ignorer", dir);
    signal(SIGTERM, SIG_DFL);
    pid_t outer = test_fork(launch_the_inner_launcher, path);
    pid_t ignorer = read_pid_file(path);
    ASSERT_GT(ignorer, 1);
    ASSERT_OK(kill(outer, SIGTERM));
    int st = test_wait(outer, 20000);
    ASSERT_TRUE(WIFSIGNALED(st));
    ASSERT_EQ(WTERMSIG(st), SIGTERM);
    bool went = dead_soon(ignorer);
    if (!went)
        kill(ignorer, SIGKILL);
    ASSERT_TRUE(went);
    reap_our_orphans();
}

/* A test_fork() body (a fresh process: launch_run reads its grace once):
 * arg is {the COORD_LAUNCH_GRACE_MS to set, NULL to unset; the value the
 * program launch_run runs must see}. 0 when it sees that value. */
static int launch_grace_seen(void *arg)
{
    const char *const *c = arg; /* {value or NULL, wanted} */
    if (c[0])
        setenv("COORD_LAUNCH_GRACE_MS", c[0], 1);
    else
        unsetenv("COORD_LAUNCH_GRACE_MS");
    static char got[64];
    struct launch l = {.out = {.to = LAUNCH_CAPTURE, .buf = got,
                               .cap = sizeof got}};
    if (sh("printf %s \"$COORD_LAUNCH_GRACE_MS\"", 10000, &l) != 0 ||
        l.status != 0)
        return 2;
    return strcmp(got, c[1]) == 0 ? 0 : 1;
}

/* A program gets half its launcher's grace (at least 50 ms); the
 * launcher takes 50..999 ms from its own environment and 1000 for
 * anything else (unset, empty, not a number, 0, negative, 1000 and up,
 * overflowing, trailing garbage). Deterministic, unlike the nested race
 * below, which a build without the variable fails only when the outer
 * SIGKILL wins that race (about 2 runs of 3). */
TEST(launch_passes_half_its_grace_to_the_program)
{
    static const char *cases[][2] = {
        {NULL, "500"}, {"", "500"},  {"abc", "500"},  {"0", "500"},
        {"-200", "500"}, {"49", "500"}, {"1000", "500"},
        {"99999999999999999999", "500"}, {"300x", "500"},
        {"300", "150"}, {"999", "499"}, {"60", "50"}, {"50", "50"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pid_t p = test_fork(launch_grace_seen, (void *)cases[i]);
        int st = test_wait(p, 20000);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            fprintf(stderr, "COORD_LAUNCH_GRACE_MS=%s: wanted %s (status %d)\n",
                    cases[i][0] ? cases[i][0] : "(unset)", cases[i][1], st);
        ASSERT_TRUE(WIFEXITED(st));
        ASSERT_EQ(WEXITSTATUS(st), 0);
    }
}

TEST(launch_leaves_a_signal_the_caller_handles_alone)
{
    /* A handler of the caller's (or SIG_IGN) stays as it was, during the
     * run and after it; a signal at its default is at its default again
     * after the run. */
    struct sigaction ign = {.sa_handler = SIG_IGN}, cur;
    sigemptyset(&ign.sa_mask);
    ASSERT_OK(sigaction(SIGHUP, &ign, NULL));
    signal(SIGTERM, SIG_DFL);
    struct launch l = {.out = {.to = LAUNCH_CAPTURE, .buf = out,
                               .cap = sizeof out}};
    /* The program sends its parent (the launcher) SIGHUP, which must stay
     * ignored. */
    ASSERT_OK(sh("kill -HUP $PPID; echo sent", 10000, &l));
    ASSERT_EQ(l.status, 0);
    ASSERT_TRUE(strstr(out, "sent") != NULL);
    ASSERT_OK(sigaction(SIGHUP, NULL, &cur));
    ASSERT_TRUE(cur.sa_handler == SIG_IGN);
    ASSERT_OK(sigaction(SIGTERM, NULL, &cur));
    ASSERT_TRUE(cur.sa_handler == SIG_DFL);
    signal(SIGHUP, SIG_DFL);
}

TEST(launch_files_and_directory)
{
    char dir[96], path[160], text[256] = "";
    test_mkdtemp(dir, sizeof dir, "launch");
    snprintf(path, sizeof path, "%s/out.txt", dir);
    const char *argv[] = {"pwd", NULL};
    struct launch l = {.argv = argv, .cwd = dir, .timeout_ms = 10000,
                       .out = {.to = LAUNCH_FILE, .path = path}};
    int rc = launch_run(&l, why, sizeof why);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    text[n] = '\0';
    if (f)
        fclose(f);
    unlink(path);
    rmdir(dir);
    ASSERT_OK(rc);
    ASSERT_EQ(l.status, 0);
    ASSERT_TRUE(strncmp(text, dir, strlen(dir)) == 0);
    /* A file that cannot be created: an error before anything runs. */
    struct launch m = {.argv = argv, .timeout_ms = 10000,
                       .out = {.to = LAUNCH_FILE,
                               .path = "/nonexistent/coord/x"}};
    ASSERT_CODE(launch_run(&m, why, sizeof why), -ENOENT);
    ASSERT_TRUE(strstr(why, "cannot create /nonexistent/coord/x") != NULL);
}

/* A program's output file is opened as every output file (cli_create_file):
 * what is no regular file is refused before the program runs, never opened
 * for writing (a FIFO gave ENXIO, a device was opened, truncated, then
 * refused); /dev/null is taken; a file that is taken is truncated only
 * after the checks, and is then the program's output alone. */
TEST(launch_file_sink_takes_regular_files_and_dev_null)
{
    char dir[96], path[160], fifo[160], text[64] = "";
    test_mkdtemp(dir, sizeof dir, "sink");
    snprintf(path, sizeof path, "%s/out.txt", dir);
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    ASSERT_OK(mkfifo(fifo, 0600));
    struct launch l = {.out = {.to = LAUNCH_FILE, .path = fifo}};
    ASSERT_CODE(sh("echo ran", 10000, &l), -EINVAL);
    ASSERT_TRUE(strstr(why, "not a regular file (a FIFO)") != NULL);
    l.out.path = dir;
    ASSERT_CODE(sh("echo ran", 10000, &l), -EINVAL);
    ASSERT_TRUE(strstr(why, "(a directory)") != NULL);
    l.out.path = "/dev/zero";
    ASSERT_CODE(sh("echo ran", 10000, &l), -EINVAL);
    ASSERT_TRUE(strstr(why, "(a device)") != NULL);
    l.out.path = "/dev/null";
    ASSERT_OK(sh("echo ran", 10000, &l));
    ASSERT_EQ(l.status, 0);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    ASSERT_TRUE(fd >= 0);
    ASSERT_EQ(write(fd, "an earlier, longer text\n", 24), 24);
    close(fd);
    l.out.path = path;
    ASSERT_OK(sh("echo ran", 10000, &l));
    fd = open(path, O_RDONLY);
    ASSERT_TRUE(fd >= 0);
    ASSERT_EQ(read(fd, text, sizeof text - 1), 4);
    close(fd);
    ASSERT_STR_EQ(text, "ran\n");
}

/* A new directory of mode 1777 (as /tmp) into dir[dcap], and its out.txt
 * into path[pcap]; the case is skipped unless it runs as root, which the
 * cases need to make files of another user (uid 65534). */
static void sticky_dir_as_root(char *dir, size_t dcap, char *path,
                               size_t pcap)
{
    if (geteuid() != 0)
        SKIP("needs root to make a file owned by another user (uid 65534)");
    test_mkdtemp(dir, dcap, "sticky");
    ASSERT_OK(chmod(dir, 01777));
    snprintf(path, pcap, "%s/out.txt", dir);
}

/* A file another user made in advance at the path, in a sticky directory
 * others may write (/tmp): refused at the open itself (-EPERM, its owner
 * named), before the program runs, the file as it was: content and mtime,
 * not truncated before the check. In a directory that is not sticky it is
 * written, as before. */
TEST(launch_file_sink_refuses_another_users_file_in_sticky_directory)
{
    char dir[96], path[160], marker[160], script[200];
    sticky_dir_as_root(dir, sizeof dir, path, sizeof path);
    snprintf(marker, sizeof marker, "%s/ran", dir);
    snprintf(script, sizeof script, "touch %s", marker);
    test_plant_victim(path);
    struct launch l = {.out = {.to = LAUNCH_FILE, .path = path}};
    ASSERT_CODE(sh(script, 10000, &l), -EPERM);
    ASSERT_TRUE(strstr(why, path) != NULL);
    ASSERT_TRUE(strstr(why, "uid 65534") != NULL);
    ASSERT_TRUE(access(marker, F_OK) != 0);
    test_assert_victim(path);
    char w[256];
    ASSERT_CODE(cli_create_file(path, w, sizeof w), -EPERM);
    ASSERT_CODE(cli_output_check(path, w, sizeof w), -EPERM);
    ASSERT_EQ(cli_output_status(-EPERM), 2);
    test_assert_victim(path);
    ASSERT_OK(chmod(dir, 0777));
    ASSERT_OK(sh(script, 10000, &l));
    ASSERT_OK(access(marker, F_OK));
    struct stat st;
    ASSERT_OK(stat(path, &st));
    ASSERT_EQ(st.st_size, 0);
}

/* What cli__output_hook puts at the name, once, in the window between
 * cli_create_file's look and its open: the file "victim" of the same
 * directory (renamed over it), a FIFO, or a symlink of uid 65534. */
static enum { SWAP_NONE, SWAP_VICTIM, SWAP_FIFO, SWAP_LINK } swap;

static void swap_in(int dir, const char *name)
{
    int was = swap;
    swap = SWAP_NONE;
    if (was == SWAP_FIFO)
        ASSERT_OK(mkfifoat(dir, "victim", 0600));
    if (was == SWAP_LINK) {
        ASSERT_OK(symlinkat("/dev/zero", dir, "victim"));
        ASSERT_OK(fchownat(dir, "victim", 65534, 65534, AT_SYMLINK_NOFOLLOW));
    }
    if (was != SWAP_NONE)
        ASSERT_OK(renameat(dir, "victim", dir, name));
}

/* cli_create_file checks the file it opened, not the one it looked at,
 * and cuts nothing before: a victim file of another user, a FIFO or
 * another user's symlink put at the name between the look and the open
 * (a sticky directory others write) is refused, the victim as it was
 * (content and mtime: the open has no O_TRUNC) and nothing blocks. */
TEST(launch_output_file_swapped_after_the_look_is_checked_again)
{
    char dir[96], path[160], victim[160], w[256];
    sticky_dir_as_root(dir, sizeof dir, path, sizeof path);
    snprintf(victim, sizeof victim, "%s/victim", dir);
    cli__output_hook = swap_in;
    static const struct {
        int swap, code;
        const char *says;
    } cases[] = {{SWAP_VICTIM, -EPERM, "a file owned by uid 65534"},
                 {SWAP_FIFO, -EINVAL, "not a regular file (a FIFO)"},
                 {SWAP_LINK, -EPERM, "a symlink owned by uid 65534"}};
    for (size_t i = 0; i < 3; i++) {
        unlink(path);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
        ASSERT_TRUE(fd >= 0);
        close(fd);
        if (cases[i].swap == SWAP_VICTIM)
            test_plant_victim(victim);
        swap = cases[i].swap;
        ASSERT_CODE(cli_create_file(path, w, sizeof w), cases[i].code);
        ASSERT_EQ(swap, SWAP_NONE); /* the window was reached */
        ASSERT_TRUE(strstr(w, path) != NULL);
        ASSERT_TRUE(strstr(w, cases[i].says) != NULL);
        if (cases[i].swap == SWAP_VICTIM)
            test_assert_victim(path);
    }
    cli__output_hook = NULL;
}

/* The file a hook links in at the output's name (a file of the caller's
 * elsewhere), and whether the second hook then removes that name. */
static const char *link_target;

static void link_in(int dir, const char *name)
{
    ASSERT_OK(linkat(AT_FDCWD, link_target, dir, "planted", 0));
    ASSERT_OK(renameat(dir, "planted", dir, name));
}

static void unlink_after_open(int dir, const char *name)
{
    ASSERT_OK(unlinkat(dir, name, 0));
    cli__opened_hook = NULL;
}

/* A hard link to a file of the caller's put at the output's name, in a
 * directory others may write (mode 0777, not sticky: anyone may replace
 * the caller's own file there), between cli_create_file's look (a file of
 * the caller's, one link) and its open; then, once coord has it open, the
 * name removed again, so that the file it holds has one link when its
 * descriptor is checked. Its links are counted at its name, which must
 * still be it: the name is gone, so the output is made anew there, and
 * the caller's file is left as it was (content and mtime). Without the
 * second hook, the link is seen and refused. */
TEST(launch_output_hard_link_swapped_in_is_never_written)
{
    if (geteuid() != 0)
        SKIP("runs as root: to link a file in another's place, as anyone "
             "may when fs.protected_hardlinks is 0");
    static char rc[160]; /* link_target */
    char dir[96], home[96], path[160], w[256];
    test_mkdtemp(dir, sizeof dir, "shared");
    ASSERT_OK(chmod(dir, 0777));
    test_mkdtemp(home, sizeof home, "home");
    snprintf(path, sizeof path, "%s/out.txt", dir);
    snprintf(rc, sizeof rc, "%s/rc", home);
    int fd = open(rc, O_WRONLY | O_CREAT | O_EXCL, 0644);
    ASSERT_TRUE(fd >= 0);
    ASSERT_EQ(write(fd, "precious\n", 9), 9);
    struct timespec t[2] = {{TEST_VICTIM_MTIME, 0}, {TEST_VICTIM_MTIME, 0}};
    ASSERT_OK(futimens(fd, t));
    close(fd);
    link_target = rc;
    for (int unlinked = 1; unlinked >= 0; unlinked--) {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644); /* ours */
        ASSERT_TRUE(fd >= 0);
        close(fd);
        cli__output_hook = link_in;
        cli__opened_hook = unlinked ? unlink_after_open : NULL;
        fd = cli_create_file(path, w, sizeof w);
        bool reached = cli__opened_hook == NULL;
        cli__output_hook = cli__opened_hook = NULL;
        struct stat st, sr;
        ASSERT_OK(stat(rc, &sr));
        ASSERT_EQ(sr.st_mtim.tv_sec, TEST_VICTIM_MTIME);
        ASSERT_EQ(sr.st_size, 9);
        if (unlinked) {
            ASSERT_TRUE(reached);
            ASSERT_GE(fd, 0); /* a new file at the name */
            ASSERT_OK(fstat(fd, &st));
            ASSERT_TRUE(st.st_ino != sr.st_ino);
            ASSERT_EQ(st.st_nlink, 1);
            close(fd);
            ASSERT_EQ(sr.st_nlink, 1);
        } else {
            ASSERT_CODE(fd, -EPERM);
            ASSERT_TRUE(strstr(w, path) != NULL);
            ASSERT_TRUE(strstr(w, "a file with 2 hard links") != NULL);
            ASSERT_OK(unlink(path));
        }
    }
}

TEST(launch_rejects_bad_arguments)
{
    const char *argv[] = {"true", NULL};
    struct launch l = {.argv = argv};
    ASSERT_CODE(launch_run(&l, why, sizeof why), -EINVAL); /* no deadline */
    l.timeout_ms = 1000;
    l.out.to = LAUNCH_STDOUT;
    ASSERT_CODE(launch_run(&l, why, sizeof why), -EINVAL);
    l.out.to = LAUNCH_CAPTURE; /* without a buffer */
    ASSERT_CODE(launch_run(&l, why, sizeof why), -EINVAL);
    l.out.to = LAUNCH_FILE; /* without a path */
    ASSERT_CODE(launch_run(&l, why, sizeof why), -EINVAL);
    l.out.to = LAUNCH_FD; /* without a descriptor */
    l.out.fd = -1;
    ASSERT_CODE(launch_run(&l, why, sizeof why), -EINVAL);
    struct launch z = {.timeout_ms = 1000};
    ASSERT_CODE(launch_run(&z, why, sizeof why), -EINVAL);
}

/* Points stderr at a fresh file; returns the file's path. */
static void stderr_to_file(char *path, size_t cap)
{
    snprintf(path, cap, "/tmp/coord-progress-XXXXXX");
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    ASSERT_GE(dup2(fd, STDERR_FILENO), 0);
    close(fd);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* gnuplot_draw's program: the data as a datablock in front of the
 * terminal and the script, no file named; data with a line that starts
 * with "EOD" (which would end the block and make the rest commands) is
 * refused before gnuplot runs. gnuplot here copies its program to its
 * stdout, the plot file. */
TEST(gnuplot_data_goes_in_as_a_datablock)
{
    char dir[96], bin[128], svg[128];
    test_mkdtemp(dir, sizeof dir, "gp");
    snprintf(bin, sizeof bin, "%s/bin", dir);
    snprintf(svg, sizeof svg, "%s/a.svg", dir);
    ASSERT_OK(mkdir(bin, 0755));
    test_fake_program(bin, "gnuplot", "[ $# -eq 0 ] || exit 3\ncat");
    static const struct {
        const char *data, *starts;
    } ok[] = {
        {"# x\n1 2\n", "$coord_data << EOD\n# x\n1 2\nEOD\nset terminal svg"},
        {"1 2", "$coord_data << EOD\n1 2\nEOD\nset terminal svg"},
        {NULL, "set terminal svg"},
    };
    char prog[4096];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        ASSERT_EQ(gnuplot_draw("t", svg, ok[i].data, "plot $coord_data"), 0);
        int fd = open(svg, O_RDONLY);
        ASSERT_TRUE(fd >= 0);
        ssize_t n = read(fd, prog, sizeof prog - 1);
        close(fd);
        ASSERT_GT(n, 0);
        prog[n] = '\0';
        ASSERT_TRUE(!strncmp(prog, ok[i].starts, strlen(ok[i].starts)));
        ASSERT_TRUE(strstr(prog, "\nplot $coord_data\nset output\n") != NULL);
        ASSERT_TRUE(strstr(prog, "a.svg") == NULL);
        ASSERT_OK(unlink(svg));
    }
    static const char *const bad[] = {"EOD\n", "1 2\nEODx 3\n", "1 2\nEOD"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ASSERT_EQ(gnuplot_draw("t", svg, bad[i], "plot $coord_data"), 1);
        ASSERT_TRUE(access(svg, F_OK) != 0);
    }
}

TEST(progress_silent_when_stderr_is_not_a_terminal)
{
    char path[64];
    int saved = dup(STDERR_FILENO);
    ASSERT_GE(saved, 0);
    stderr_to_file(path, sizeof path);
    bool tty = progress_enabled();
    progress_show("test", "step %d", 1);
    progress_done();
    /* A run long enough for the ticker (over PROGRESS_QUIET_MS). */
    struct launch l = {.progress = "test: sleeping"};
    int rc = sh("sleep 2.5", 20000, &l);
    long size = file_size(path);
    unlink(path);
    dup2(saved, STDERR_FILENO);
    close(saved);
    ASSERT_FALSE(tty);
    ASSERT_OK(rc);
    ASSERT_EQ(l.status, 0);
    ASSERT_GE(l.wall_ms, PROGRESS_QUIET_MS);
    ASSERT_EQ(size, 0);
}

TEST(progress_ticks_with_elapsed_time_on_a_terminal)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0)
        SKIP("no pseudo-terminal (posix_openpt failed)");
    ASSERT_OK(grantpt(master));
    ASSERT_OK(unlockpt(master));
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    ASSERT_GE(slave, 0);
    int saved = dup(STDERR_FILENO);
    ASSERT_GE(saved, 0);
    ASSERT_GE(dup2(slave, STDERR_FILENO), 0);
    close(slave);
    bool tty = progress_enabled();
    struct launch l = {.progress = "test: sleeping"};
    int rc = sh("sleep 3.2", 20000, &l);
    progress_show("test", "phase %d", 2);
    progress_done();
    dup2(saved, STDERR_FILENO); /* failures are reported on the real one */
    close(saved);
    ASSERT_TRUE(tty);
    ASSERT_OK(rc);
    ASSERT_EQ(l.status, 0);
    /* The terminal holds what was drawn (far less than its buffer); the
     * pty hands it over asynchronously: read until the last line drawn
     * is there (bounded). */
    char text[4096];
    size_t n = 0;
    text[0] = '\0';
    uint64_t deadline = coord_clock_ns() + 10000000000ull;
    while (!strstr(text, "phase 2") && n + 1 < sizeof text &&
           coord_clock_ns() < deadline) {
        struct pollfd pf = {master, POLLIN, 0};
        if (poll(&pf, 1, 100) <= 0)
            continue;
        ssize_t r = read(master, text + n, sizeof text - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        text[n] = '\0';
    }
    ASSERT_GT(n, 0);
    /* Silent before 2 s, then whole seconds (a loaded machine may skip
     * one, never show one early). */
    const char *tick = strstr(text, "coord test: sleeping ... ");
    ASSERT_TRUE(tick != NULL);
    ASSERT_GE(atoi(tick + strlen("coord test: sleeping ... ")), 2);
    ASSERT_TRUE(strstr(text, "sleeping ... 0 s") == NULL);
    ASSERT_TRUE(strstr(text, "sleeping ... 1 s") == NULL);
    ASSERT_TRUE(strstr(text, "coord test: phase 2") != NULL);
    ASSERT_TRUE(strstr(text, "\r\033[K") != NULL);
    close(master);
}

/* The CLI itself: a command with progress lines run with stderr on a
 * pipe writes none of them. */
TEST(cli_progress_absent_when_stderr_is_a_pipe)
{
    const char *argv[] = {COORD_CLI_PATH, "waste", "--quick", NULL};
    int st = test_run(argv, out, sizeof out, err, sizeof err, 100000);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    ASSERT_TRUE(strchr(err, '\r') == NULL);
    ASSERT_TRUE(strchr(out, '\r') == NULL);
    ASSERT_TRUE(strstr(err, "\033[K") == NULL);
}

#define TEST_LIST(X)                                                           \
    X(launch_exit_status_and_signal)                                           \
    X(launch_missing_program_is_127_with_reason)                               \
    X(launch_captures_both_streams_and_feeds_stdin)                            \
    X(launch_capture_truncates_without_blocking_the_program)                   \
    X(launch_deadline_kills_the_whole_group)                                   \
    X(launch_deadline_lets_the_group_clean_up_on_sigterm)                      \
    X(launch_workers_left_behind_are_killed_and_reaped)                        \
    X(launch_worker_killed_after_the_grace_is_reaped_without_adopting)         \
    X(launch_ended_by_a_signal_takes_the_programs_group)                       \
    X(launch_nested_launcher_ends_its_group_within_the_outer_grace)            \
    X(launch_passes_half_its_grace_to_the_program)                             \
    X(launch_leaves_a_signal_the_caller_handles_alone)                         \
    X(launch_files_and_directory)                                              \
    X(launch_file_sink_takes_regular_files_and_dev_null)                       \
    X(launch_file_sink_refuses_another_users_file_in_sticky_directory)         \
    X(launch_output_file_swapped_after_the_look_is_checked_again)             \
    X(launch_output_hard_link_swapped_in_is_never_written)                     \
    X(launch_rejects_bad_arguments)                                            \
    X(gnuplot_data_goes_in_as_a_datablock)                                     \
    X(progress_silent_when_stderr_is_not_a_terminal)                           \
    X(progress_ticks_with_elapsed_time_on_a_terminal)                          \
    X(cli_progress_absent_when_stderr_is_a_pipe)                               \
    X(launch_kills_the_group_before_reaping_its_leader)                         \
    X(launch_ending_signals_wait_while_the_group_is_ended)
#define HELPER_LIST(X)                                                         \
    X(launch_group_kills_before_the_reap) X(launch_nested_inner)
TEST_MAIN()
