/* SPDX-License-Identifier: MIT */
/* test-bench.c: coord_bench's command line: bad input is one line and exit 2; the manager's --idle and --stalls rows and the queue's --sleepers rows; wakeup's reaped echoes; queue and flag after a failed fork. */
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "harness.h"

#ifndef COORD_BENCH_PATH
#define COORD_BENCH_PATH NULL
#endif

static const char *bench_path(void)
{
    if (!COORD_BENCH_PATH)
        test__skip("coord_bench is not built here (COORD_BUILD_BENCH=OFF)");
    return COORD_BENCH_PATH;
}

/* Every bad command line: exit 2, nothing on stdout, and one line on
 * stderr that starts "coord_bench: " and names what is wrong. */
TEST(bench_bad_arguments_one_line_exit_2)
{
    static const struct {
        const char *args[6];
        const char *says;
    } bad[] = {
        {{NULL}, "no component"},
        {{"nosuch"}, "unknown component 'nosuch'"},
        {{"queue", "pool"}, "one component at a time"},
        {{"queue", "--bogus"}, "unknown option '--bogus'"},
        {{"queue", "--seconds"}, "--seconds needs a value"},
        {{"queue", "--seconds", "0"}, "bad --seconds '0'"},
        {{"queue", "--seconds", "1x"}, "bad --seconds '1x'"},
        {{"queue", "--seconds", "nan"}, "bad --seconds 'nan'"},
        {{"queue", "--runs", "0"}, "bad --runs '0'"},
        {{"queue", "--runs", "65"}, "bad --runs '65'"},
        {{"queue", "--runs", "3z"}, "bad --runs '3z'"},
        {{"queue", "--size", "0"}, "bad --size list '0'"},
        {{"queue", "--size", "8,65537"}, "bad --size list '8,65537'"},
        {{"queue", "--producers", "1,,2"}, "bad --producers list"},
        {{"queue", "--consumers", "65"}, "bad --consumers list"},
        {{"pool", "--workers", "0"}, "bad --workers list"},
        {{"manager", "--clients", "257"}, "bad --clients list"},
        {{"manager", "--idle", "0"}, "bad --idle list"},
        {{"manager", "--idle", "4097"}, "bad --idle list"},
        {{"queue", "--clients", "2"}, "--clients is for manager only"},
        {{"manager", "--workers", "2"}, "--workers is for pool or search"},
        {{"all", "--idle", "2"}, "--idle is for manager only, not all"},
        {{"flag", "--size", "8"}, "--size is for queue only, not flag"},
        {{"queue", "--sleepers", "0"}, "bad --sleepers list"},
        {{"queue", "--sleepers", "65"}, "bad --sleepers list"},
        {{"pool", "--sleepers", "2"}, "--sleepers is for queue only"},
        {{"queue", "--sleepers", "2", "--size", "8"},
         "--sleepers rows are on their own"},
        {{"manager", "--stalls"}, "--stalls adds rows to --clients"},
        {{"queue", "--stalls"}, "--stalls is for manager only"},
    };
    const char *bench = bench_path();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *argv[8] = {bench};
        for (int k = 0; bad[i].args[k]; k++)
            argv[k + 1] = bad[i].args[k];
        char out[256], err[512];
        int st = test_run(argv, out, sizeof out, err, sizeof err, 20000);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 2 || out[0] ||
            strncmp(err, "coord_bench: ", 13) != 0 ||
            !strstr(err, bad[i].says) || strchr(err, '\n') != strrchr(err, '\n') ||
            err[strlen(err) - 1] != '\n')
            test__fail(__FILE__, __LINE__,
                       "case %zu: status %#x, stdout \"%s\", stderr \"%s\" "
                       "(want exit 2 and one line saying \"%s\")",
                       i, st, out, err, bad[i].says);
    }
}

/* Run coord_bench with argv into out (cap bytes); fails the case unless it
 * exits 0. Returns the number of lines it printed. */
static size_t bench_rows(const char *const *argv, char *out, size_t cap)
{
    char err[1024];
    int st = test_run(argv, out, cap, err, sizeof err, 60000);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        test__fail(__FILE__, __LINE__, "status %#x: %s", st, err);
    size_t lines = 0;
    for (const char *p = out; (p = strchr(p, '\n')) != NULL; p++)
        lines++;
    return lines;
}

/* --idle: the baseline row, then one row per count, each policy; every
 * get read the right value (a wrong one fails the run). */
TEST(bench_manager_idle_rows)
{
    const char *argv[] = {bench_path(), "manager", "--idle", "3,40",
                          "--seconds", "0.4", "--runs", "1", NULL};
    static char out[8192];
    size_t lines = bench_rows(argv, out, sizeof out);
    static const char *const rows[] = {"idle0_get", "idle3_get", "idle40_get"};
    for (size_t i = 0; i < 3; i++) {
        char want[64];
        snprintf(want, sizeof want, "case=%s ns_op_p50=", rows[i]);
        ASSERT_TRUE(strstr(out, want) != NULL);
        snprintf(want, sizeof want, "case=%s_block ns_op_p50=", rows[i]);
        ASSERT_TRUE(strstr(out, want) != NULL);
    }
    /* Only those rows: the other manager cases are not run with --idle. */
    ASSERT_TRUE(strstr(out, "case=get ") == NULL);
    ASSERT_EQ_U(lines, 6);
}

/* The first number after `key` in `out` (-1 when absent). */
static double row_value(const char *out, const char *row, const char *key)
{
    const char *p = strstr(out, row);
    if (!p || !(p = strstr(p, key)))
        return -1;
    return strtod(p + strlen(key), NULL);
}

/* --stalls: with each --clients row, the stall rows; the stall time of a
 * run is part of its wall time, so per get it cannot exceed the aggregate
 * ns per get of the same run (runs 1: the p50 is that run's); the first
 * client's finish over the last one's is in (0, 1]. */
TEST(bench_manager_stall_rows)
{
    const char *argv[] = {bench_path(), "manager", "--clients", "3",
                          "--stalls", "--seconds", "0.4", "--runs", "1", NULL};
    static char out[8192];
    size_t lines = bench_rows(argv, out, sizeof out);
    ASSERT_EQ_U(lines, 8);
    static const char *const sfx[] = {"", "_block"};
    for (int k = 0; k < 2; k++) {
        char agg[64], stall[64], count[64], fair[64];
        snprintf(agg, sizeof agg, "case=clients3_get_aggregate%s ", sfx[k]);
        snprintf(stall, sizeof stall, "case=clients3_stall%s ", sfx[k]);
        snprintf(count, sizeof count, "case=clients3_stalls%s ", sfx[k]);
        snprintf(fair, sizeof fair, "case=clients3_fair%s ", sfx[k]);
        double a = row_value(out, agg, "ns_op_p50=");
        double s = row_value(out, stall, "stall_ns_per_get_p50=");
        double c = row_value(out, count, "stalls_per_kget_p50=");
        double f = row_value(out, fair, "first_over_last_finish_p50=");
        if (!(a > 0) || !(s >= 0) || !(s <= a) || !(c >= 0) || !(c <= 1000) ||
            !(f > 0) || !(f <= 1))
            test__fail(__FILE__, __LINE__,
                       "%s: aggregate %g ns/get, stall %g ns/get, %g stalls "
                       "per 1000 gets, first/last finish %g:\n%s", sfx[k], a,
                       s, c, f, out);
    }
}

/* --sleepers: two rows per count (CPU and switches per message), and only
 * those; a lost or duplicated message fails the run. */
TEST(bench_queue_sleepers_rows)
{
    const char *argv[] = {bench_path(), "queue", "--sleepers", "2,3",
                          "--seconds", "0.2", "--runs", "1", NULL};
    static char out[8192];
    size_t lines = bench_rows(argv, out, sizeof out);
    static const char *const rows[] = {
        "case=sleepers2_cpu ns_cpu_per_msg_p50=",
        "case=sleepers2_switches switches_per_msg_p50=",
        "case=sleepers3_cpu ns_cpu_per_msg_p50=",
        "case=sleepers3_switches switches_per_msg_p50="};
    for (size_t i = 0; i < 4; i++)
        if (!strstr(out, rows[i]))
            test__fail(__FILE__, __LINE__, "no \"%s\" in:\n%s", rows[i], out);
    ASSERT_EQ_U(lines, 4);
}

/* handover: eight rows (four per way to ring), each a value per run;
 * the hand-overs were made (a run with a holder that never got its turn
 * fails the component). Values are not judged: timing is the machine's. */
TEST(bench_handover_rows)
{
    const char *argv[] = {bench_path(), "handover", "--seconds", "0.2",
                          "--runs", "2", NULL};
    static char out[8192];
    size_t lines = bench_rows(argv, out, sizeof out);
    static const char *const ways[] = {"futex", "pipe"};
    static const char *const what[] = {"p50 ns_p50=", "p99 ns_p50=",
                                       "mean ns_p50=",
                                       "on_spinner_pct pct_p50="};
    for (size_t w = 0; w < 2; w++)
        for (size_t q = 0; q < 4; q++) {
            char want[64];
            snprintf(want, sizeof want, "case=%s_%s", ways[w], what[q]);
            if (!strstr(out, want))
                test__fail(__FILE__, __LINE__, "no \"%s\" in:\n%s", want, out);
        }
    ASSERT_EQ_U(lines, 8);
}

/* flag: a claim's cost is reset + claim less a reset timed apart, so a
 * preemption inside the reset-only loop made it negative (claim_cas
 * ns_op_min=-43.5, claim_lock ns_op_p50=-16.5 with ops_s=0). Made likely
 * here: coord_bench shares one CPU with a busy loop, three times; no claim
 * row may read 0 or less, nor its ops_s. */
TEST(bench_flag_claim_rows_never_negative)
{
    const char *argv[] = {bench_path(), "flag", "--seconds", "0.3", "--runs",
                          "11", NULL};
    cpu_set_t old, one;
    ASSERT_EQ(sched_getaffinity(0, sizeof old, &old), 0);
    int cpu = 0;
    while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &old))
        cpu++;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
    pid_t busy = fork();
    if (busy == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        alarm(60);
        for (;;)
            __asm__ volatile("");
    }
    static char out[8192];
    char bad[512] = "";
    for (int k = 0; k < 3 && busy > 0 && !bad[0]; k++) {
        bench_rows(argv, out, sizeof out);
        static const char *const rows[] = {"case=claim_cas ",
                                           "case=claim_lock "};
        for (int i = 0; i < 2 && !bad[0]; i++) {
            double min = row_value(out, rows[i], "ns_op_min=");
            double p50 = row_value(out, rows[i], "ns_op_p50=");
            double ops = row_value(out, rows[i], "ops_s=");
            if (!(min > 0) || !(p50 > 0) || !(ops > 0))
                snprintf(bad, sizeof bad, "run %d: %sns_op_min=%g "
                         "ns_op_p50=%g ops_s=%g", k, rows[i], min, p50, ops);
        }
    }
    if (busy > 0) {
        kill(busy, SIGKILL);
        waitpid(busy, NULL, 0);
    }
    sched_setaffinity(0, sizeof old, &old);
    ASSERT_TRUE(busy > 0);
    if (bad[0])
        test__fail(__FILE__, __LINE__, "%s:\n%s", bad, out);
}

#ifndef COORD_REAPSHIM_PATH
#define COORD_REAPSHIM_PATH NULL
#endif
#ifndef COORD_FORKSHIM_PATH
#define COORD_FORKSHIM_PATH NULL
#endif

/* Preload `lib` (NULL: not built here, the case is skipped) into the
 * tool the case runs. */
static void preload_bench(const char *lib, const char *what)
{
    if (!lib)
        test__skip(what);
    test_preload(lib);
}

/* Preload forkshim: the first `ok` forks of the tool succeed, the rest
 * fail. */
static void preload_forkshim(const char *ok)
{
    preload_bench(COORD_FORKSHIM_PATH, "the fork shim is not built here");
    setenv("COORD_FORKS_OK", ok, 1);
}

/* wakeup's echo processes: one that ended was reaped by the bounded
 * WNOHANG wait, and its pid (free for any new process by then) was then
 * sent SIGKILL. The preloaded reapshim refuses and reports such a kill. */
TEST(bench_wakeup_does_not_kill_a_reaped_echo)
{
    const char *bench = bench_path();
    preload_bench(COORD_REAPSHIM_PATH, "the reap shim is not built here");
    const char *argv[] = {bench, "wakeup", "--seconds", "0.2", "--runs", "1",
                          NULL};
    static char out[8192];
    char err[4096];
    int st = test_run(argv, out, sizeof out, err, sizeof err, 60000);
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    if (strstr(err, "reapshim:"))
        test__fail(__FILE__, __LINE__, "%.400s", err);
    ASSERT_TRUE(strstr(out, "case=socket_block ") != NULL);
}

/* A failed fork's -1 went on as a pid: the queue's runs waited for any
 * child (with a consumer started and its producer not, for ever) and
 * blamed the queue ("lost or duplicated messages"). */
TEST(bench_queue_after_a_failed_fork)
{
    const char *bench = bench_path();
    static const char *const oks[] = {"0", "1"};
    for (size_t k = 0; k < 2; k++) {
        preload_forkshim(oks[k]);
        const char *argv[] = {bench, "queue", "--seconds", "0.3", "--runs",
                              "1", NULL};
        static char out[8192];
        char err[1024];
        int st = test_run(argv, out, sizeof out, err, sizeof err, 20000);
        if (!WIFEXITED(st) || strstr(err, "kill(-1)") ||
            !strstr(err, "could not fork"))
            test__fail(__FILE__, __LINE__, "%s fork(s) allowed: status %#x: "
                       "%.300s", oks[k], st, err);
        ASSERT_EQ(WEXITSTATUS(st), 1);
    }
}

/* flag's propagation case waited 2 s a round (at least 50 rounds) for a
 * child that a failed fork never made. */
TEST(bench_flag_after_a_failed_fork)
{
    const char *bench = bench_path();
    preload_forkshim("0");
    const char *argv[] = {bench, "flag", "--seconds", "0.3", "--runs", "1",
                          NULL};
    static char out[8192];
    char err[1024];
    int st = test_run(argv, out, sizeof out, err, sizeof err, 20000);
    if (!WIFEXITED(st) || !strstr(err, "fork failed"))
        test__fail(__FILE__, __LINE__, "status %#x: %.300s", st, err);
    ASSERT_EQ(WEXITSTATUS(st), 1); /* a failed run, as queue's */
}

/* wakeup after a failed fork: said so (not "a round trip failed"), exit 1. */
TEST(bench_wakeup_after_a_failed_fork)
{
    const char *bench = bench_path();
    static const char *const oks[] = {"0", "2"};
    for (size_t k = 0; k < 2; k++) {
        preload_forkshim(oks[k]);
        const char *argv[] = {bench, "wakeup", "--seconds", "0.2", "--runs",
                              "1", NULL};
        static char out[8192];
        char err[1024];
        int st = test_run(argv, out, sizeof out, err, sizeof err, 20000);
        if (!WIFEXITED(st) || strstr(err, "kill(-1)") ||
            !strstr(err, "could not start an echo"))
            test__fail(__FILE__, __LINE__, "%s fork(s) allowed: status %#x: "
                       "%.300s", oks[k], st, err);
        ASSERT_EQ(WEXITSTATUS(st), 1);
    }
}

#define TEST_LIST(X)                                                           \
    X(bench_bad_arguments_one_line_exit_2)                                     \
    X(bench_wakeup_does_not_kill_a_reaped_echo)                                \
    X(bench_queue_after_a_failed_fork)                                         \
    X(bench_flag_after_a_failed_fork)                                          \
    X(bench_wakeup_after_a_failed_fork)                                        \
    X(bench_manager_idle_rows)                                                 \
    X(bench_manager_stall_rows)                                                \
    X(bench_queue_sleepers_rows)                                               \
    X(bench_handover_rows)                                                     \
    X(bench_flag_claim_rows_never_negative)
#define HELPER_LIST(X)

TEST_MAIN()
