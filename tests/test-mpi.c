/* SPDX-License-Identifier: MIT */
/* test-mpi.c: coord_mpi_search under mpirun -np 4 (tests/mpi/mpi-cases.c), and a rank that dies. */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "harness.h"

#include "../mpi/mpi-claim.h"

/*
 * Each case runs `mpirun -np 4 --oversubscribe mpi-cases CASES...` (4 ranks
 * on however many cores) and checks its exit status and its report. Built
 * only with MPI (CMake option COORD_MPI); otherwise every case is skipped
 * with the reason. Each case is a subreaper: a rank that outlives mpirun
 * becomes its child, so it can tell (and clean up).
 */

#define RANKS "4"
#define RUN_MS 150000 /* 1,000 TCP rounds take ~6 s idle, over 60 s beside two busy loops */

#ifdef COORD_MPI_CASES
#define COORD_MPIEXEC_FOUND 1
static void need_mpi(void)
{
}
#else
#define COORD_MPI_CASES ""
#define COORD_MPI_CAS_FAILS ""
#define COORD_MPIEXEC ""
#define COORD_MPIEXEC_OMPI 0
static void need_mpi(void)
{
    SKIP("built without MPI (COORD_MPI=OFF, or MPI not found: "
         "apt-get install openmpi-bin libopenmpi-dev)");
}
#endif

/* Open MPI as root needs these; ASan would report Open MPI's own leaks at
 * exit as a failure of ours. */
static void mpi_env(void)
{
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    /* An ASan build's ranks: no leak report at exit (MPI's own), and a
     * preloaded shim (spectrum_cli_claim_fails) may come before the ASan
     * runtime in the library list. */
    setenv("ASAN_OPTIONS", "detect_leaks=0:verify_asan_link_order=0", 1);
}

/* After mpirun: every rank must be gone. The case is a subreaper, so a
 * rank that outlived mpirun is our child now; reap them all, allowing
 * 2 s for ranks still dying, and fail (after killing them) if any lives. */
static void reap_ranks(void)
{
    uint64_t until = coord_clock_ns() + 2000000000ull;
    for (;;) {
        pid_t p = waitpid(-1, NULL, WNOHANG);
        if (p > 0)
            continue;
        if (p < 0)
            return; /* ECHILD: none left */
        if (coord_clock_ns() > until)
            break;
        usleep(10000);
    }
    pid_t left[64];
    size_t n = test_children(left, 64);
    for (size_t i = 0; i < n; i++)
        kill(left[i], SIGKILL);
    while (waitpid(-1, NULL, 0) > 0)
        ;
    test__fail(__FILE__, __LINE__, "%zu rank(s) outlived mpirun", n);
}

/*
 * Run `prog args...` (args NULL-terminated) under mpirun with `ranks`
 * ranks; `tcp` adds the
 * TCP transport and the point-to-point one-sided component. Returns the
 * wait status; out/err hold the output. Fails the case if a rank is left.
 */
static int run_mpi_n(const char *ranks, const char *prog,
                     const char *const *args, bool tcp, char *out,
                     size_t out_cap, char *err, size_t err_cap, int limit_ms)
{
    mpi_env();
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    const char *argv[32];
    int n = 0;
    argv[n++] = COORD_MPIEXEC;
    argv[n++] = "-np";
    argv[n++] = ranks;
    if (COORD_MPIEXEC_OMPI)
        argv[n++] = "--oversubscribe";
    if (tcp) {
        argv[n++] = "--mca", argv[n++] = "btl", argv[n++] = "self,tcp";
        argv[n++] = "--mca", argv[n++] = "osc", argv[n++] = "pt2pt";
    }
    argv[n++] = prog;
    for (; *args; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    int st = test_run(argv, out, out_cap, err, err_cap, limit_ms);
    reap_ranks();
    return st;
}

/* The same with RANKS ranks. */
static int run_mpi(const char *prog, const char *const *args, bool tcp,
                   char *out, size_t out_cap, char *err, size_t err_cap,
                   int limit_ms)
{
    return run_mpi_n(RANKS, prog, args, tcp, out, out_cap, err, err_cap,
                     limit_ms);
}

static void expect_ok_n(const char *ranks, const char *const *cases,
                        bool tcp, const char *want)
{
    char out[8192], err[8192];
    int st = run_mpi_n(ranks, COORD_MPI_CASES, cases, tcp, out, sizeof out,
                       err, sizeof err, RUN_MS);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        test__fail(__FILE__, __LINE__, "mpirun: wait status %#x\nstdout:\n%s"
                   "\nstderr:\n%s", st, out, err);
    printf("%s", out);
    ASSERT_TRUE(strstr(out, want) != NULL);
}

static void expect_ok(const char *const *cases, bool tcp, const char *want)
{
    expect_ok_n(RANKS, cases, tcp, want);
}

static const char *const functional[] = {
    "unique_hit", "no_hit", "small_range", "no_early_exit", "wasted_bound",
    "invalid", NULL};

/* One node (shared memory): the flag in the shared window decides. */
TEST(search_cases_shared)
{
    need_mpi();
    unsetenv("COORD_MPI_NODE");
    expect_ok(functional, false, "invalid: COORD_EINVAL on every rank");
}

/* Every rank its own node: leaders, stop messages, the claim at rank 0. */
TEST(search_cases_rank_nodes)
{
    need_mpi();
    setenv("COORD_MPI_NODE", "rank", 1);
    expect_ok(functional, false, "invalid: COORD_EINVAL on every rank");
}

/* The same across "nodes" over the TCP transport. */
TEST(search_cases_tcp)
{
    need_mpi();
    if (!COORD_MPIEXEC_OMPI)
        SKIP("the TCP case uses Open MPI's --mca options");
    setenv("COORD_MPI_NODE", "rank", 1);
    expect_ok(functional, true, "invalid: COORD_EINVAL on every rank");
}

static const char *const rounds[] = {"one_winner", "1000", NULL};

/* RUN_MS is what an mpirun may take: the runner must not kill the case
 * before it (one_winner_tcp beside four busy loops: "TIMEOUT after 120000
 * ms" at the runner's default, though RUN_MS allowed 150 s). */
TEST(case_deadline_outlasts_mpirun)
{
    ASSERT_GT(test_timeout_ms, RUN_MS + 10000);
}

TEST(one_winner_shared)
{
    need_mpi();
    unsetenv("COORD_MPI_NODE");
    expect_ok(rounds, false, "1000 rounds, exactly one winner each");
}

TEST(one_winner_tcp)
{
    need_mpi();
    if (!COORD_MPIEXEC_OMPI)
        SKIP("the TCP case uses Open MPI's --mca options");
    setenv("COORD_MPI_NODE", "rank", 1);
    expect_ok(rounds, true, "1000 rounds, exactly one winner each");
}

/* The winning claim's time, read before the claim: no rank it stopped is
 * reported as gone before it, and the stop latency is never 0 when a rank
 * stopped (2 ranks, K = 1, the lock claim: 13 of 100 runs were before). */
TEST(claim_time)
{
    need_mpi();
    unsetenv("COORD_MPI_NODE");
    static const char *const c[] = {"claim_time", "60", NULL};
    expect_ok_n("2", c, false, "claim_time: 60 searches");
}

/* Calls MPI cannot serve: before MPI_Init, after MPI_Finalize, on
 * MPI_COMM_NULL and on an intercommunicator: COORD_EINVAL, where they
 * aborted the job (an intercommunicator of two halves of 4 ranks crashed
 * it in MPI_Comm_split_type). */
TEST(misuse)
{
    need_mpi();
    unsetenv("COORD_MPI_NODE");
    static const char *const c[] = {"misuse", NULL};
    expect_ok(c, false, "refused before MPI_Init and after");
}

/* Threads searching at once on communicators of their own, which are left
 * to MPI_Finalize: it frees their cached state in one order on every rank
 * and returns (it hung, freeing windows in each rank's own order). Five
 * runs, each ended by mpirun after 30 s (MPIEXEC_TIMEOUT, as --timeout). */
TEST(threads_finalize)
{
    need_mpi();
    unsetenv("COORD_MPI_NODE");
    setenv("MPIEXEC_TIMEOUT", "30", 1);
    static const char *const c[] = {"threads", NULL};
    for (int run = 0; run < 5; run++)
        expect_ok_n("2", c, false, "threads: 3 threads made their first");
}

/* A process and the child it spawns (MPI_Comm_spawn: a world of its own,
 * where it is rank 0 too) search from three threads each on copies of
 * their merged communicator, and MPI_Finalize frees the cached state in
 * the agreed order. The key was the largest of (world rank, the process's
 * count): the world ranks tied, and two communicators could share a key,
 * freed in opposite orders by the two processes: it hung in 10 of 12 runs.
 * Eight runs, each ended by mpirun after 30 s. */
TEST(spawn_finalize)
{
    need_mpi();
    unsetenv("COORD_MPI_NODE");
    setenv("MPIEXEC_TIMEOUT", "30", 1);
    static const char *const c[] = {"spawn", NULL};
    for (int run = 0; run < 8; run++)
        expect_ok_n("1", c, false, "spawn: a parent and its spawned child");
}

/* A rank SIGKILLed mid-search: mpirun ends the job with a non-zero exit
 * within 10 s, and no rank is left running. */
TEST(dead_rank)
{
    need_mpi();
    unsetenv("COORD_MPI_NODE");
    static const char *const c[] = {"dead_rank", NULL};
    char out[8192], err[8192];
    uint64_t t0 = coord_clock_ns();
    int st = run_mpi(COORD_MPI_CASES, c, false, out, sizeof out, err,
                     sizeof err, 10000);
    uint64_t ms = (coord_clock_ns() - t0) / 1000000u;
    printf("%smpirun ended with status %#x after %llu ms (incl. start-up)\n",
           out, st, (unsigned long long)ms);
    ASSERT_TRUE(strstr(out, "dead_rank: rank 2 kills itself") != NULL);
    ASSERT_FALSE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ASSERT_TRUE(strstr(err, "the search returned despite") == NULL);
}

/* One call of the global claim on a simulated word at rank 0: the first
 * `claimants` of `n` ranks, each with its own count of wins, try the
 * compare-and-swap in turn (as the flushes order them); then every rank
 * counts the win, as the end's allgather tells them. Returns the number
 * of ranks whose swap succeeded. */
static int claim_call(int32_t *word, uint32_t *won, int n, int claimants)
{
    int winners = 0;
    for (int r = 0; r < claimants; r++) {
        int32_t had = coord__mpi_claim_wire(won[r]);
        int32_t want = coord__mpi_claim_wire(coord__mpi_claim_next(won[r]));
        int32_t old = *word;
        if (old == had)
            *word = want;
        winners += old == had;
    }
    for (int r = 0; winners > 0 && r < n; r++)
        won[r] = coord__mpi_claim_next(won[r]);
    return winners;
}

/* The claim word's arithmetic is defined for any number of calls and
 * keeps one winner a call across its wraps: the count of wins passes
 * 2^31 (where a signed `had + 1` overflowed) and 2^32 (where a 32-bit
 * round counter came back to the last round won, and a swap from the
 * word's value to the same value let every claimant win); calls nobody
 * wins leave it. No MPI: mpi-claim.h is plain arithmetic. */
TEST(claim_word_wraps)
{
    ASSERT_EQ(coord__mpi_claim_next(UINT32_MAX), 0);
    ASSERT_EQ(coord__mpi_claim_next(INT32_MAX), (uint32_t)INT32_MAX + 1);
    ASSERT_EQ(coord__mpi_claim_wire((uint32_t)INT32_MAX + 1), INT32_MIN);
    ASSERT_EQ(coord__mpi_claim_wire(UINT32_MAX), -1);
    static const uint32_t starts[] = {0, (uint32_t)INT32_MAX - 2,
                                      UINT32_MAX - 2};
    enum { N = 4, CALLS = 24 };
    for (size_t s = 0; s < sizeof starts / sizeof starts[0]; s++) {
        uint32_t won[N], wins = 0;
        for (int r = 0; r < N; r++)
            won[r] = starts[s];
        int32_t word = coord__mpi_claim_wire(starts[s]);
        for (int call = 0; call < CALLS; call++) {
            int claimants = call % (N + 1); /* 0 (nobody won) .. N */
            ASSERT_EQ(claim_call(&word, won, N, claimants),
                      claimants > 0 ? 1 : 0);
            wins += claimants > 0;
            for (int r = 0; r < N; r++)
                ASSERT_EQ(won[r], won[0]);
            ASSERT_EQ(word, coord__mpi_claim_wire(won[0]));
        }
        ASSERT_EQ(won[0], starts[s] + wins); /* modulo 2^32 */
    }
}

/* coord primes --mpi under mpirun: the known hit in rank 2's block. */
TEST(primes_cli)
{
    need_mpi();
    unsetenv("COORD_MPI_NODE");
    static const char *const a[] = {"primes", "--mpi", "--json", "--quick",
                                    "--range", "20000", "--hit-at", "500",
                                    "--hit-worker", "2", NULL};
    char out[8192], err[8192];
    int st = run_mpi(COORD_CLI_PATH, a, false, out, sizeof out, err,
                     sizeof err, RUN_MS);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        test__fail(__FILE__, __LINE__, "status %#x\nstdout:\n%s\nstderr:\n%s",
                   st, out, err);
    printf("%s", out);
    /* Rank 0 alone prints: one JSON object, one line. */
    ASSERT_TRUE(strchr(out, '\n') == out + strlen(out) - 1);
    ASSERT_TRUE(strstr(out, "\"mpi\":{\"ranks\":4,") != NULL);
    /* 1,000,000 + 2 x 20,000 + 500 = 1,040,500; the next prime is 1,040,503. */
    ASSERT_TRUE(strstr(out, "\"target\":1040503") != NULL);
    ASSERT_TRUE(strstr(out, "\"mode\":\"early_exit\",\"found\":true,"
                            "\"result\":1040503,\"winner\":2") != NULL);
    ASSERT_TRUE(strstr(out, "\"mode\":\"no_early_exit\",\"found\":true,"
                            "\"result\":1040503,\"winner\":2") != NULL);
}

/* coord primes --mpi's text report: the wall time it gives is rank 0's
 * coord_mpi_search call; it said "wall = fork to last join", which no
 * MPI run does. */
TEST(primes_cli_text)
{
    need_mpi();
    unsetenv("COORD_MPI_NODE");
    static const char *const a[] = {"primes", "--mpi", "--early-exit",
                                    "--runs", "1", "--range", "2000", NULL};
    char out[8192], err[8192];
    int st = run_mpi_n("2", COORD_CLI_PATH, a, false, out, sizeof out, err,
                       sizeof err, RUN_MS);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        test__fail(__FILE__, __LINE__, "status %#x\nstdout:\n%s\nstderr:\n%s",
                   st, out, err);
    printf("%s", out);
    ASSERT_TRUE(strstr(out, "wall = rank 0's coord_mpi_search call") != NULL);
    ASSERT_TRUE(strstr(out, "fork to last join") == NULL);
}


/* Where the p50 figure of MPI row `mech` starts in spectrum --json's
 * output `out`, or NULL when the row is not there. */
static const char *mpi_row_p50(const char *out, const char *mech)
{
    char want[96];
    snprintf(want, sizeof want,
             "{\"mechanism\":\"%s\",\"impl\":\"coord_mpi\","
             "\"per_op_p50_ps\":", mech);
    const char *at = strstr(out, want);
    return at ? at + strlen(want) : NULL;
}

/* coord spectrum --quick --json --runs `runs` under mpirun with `ranks`
 * ranks: exit 0, one JSON object on one line (rank 0 alone prints), whose
 * four MPI rows are measured (p50 > 0) from `runs` runs each. */
static void spectrum_rows(const char *ranks, const char *runs)
{
    need_mpi();
    unsetenv("COORD_MPI_NODE");
    const char *const a[] = {"spectrum", "--quick", "--json", "--runs", runs,
                             NULL};
    static char out[65536], err[8192];
    int st = run_mpi_n(ranks, COORD_CLI_PATH, a, false, out, sizeof out, err,
                       sizeof err, RUN_MS);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        test__fail(__FILE__, __LINE__, "status %#x\nstdout:\n%s\nstderr:\n%s",
                   st, out, err);
    long want_runs = strtol(runs, NULL, 10);
    char key[64];
    snprintf(key, sizeof key, ",\"runs\":%ld,\"rows\":[", want_runs);
    ASSERT_TRUE(strstr(out, key) != NULL);
    static const char *const rows[] = {"mpi_window_check", "mpi_leader_check",
                                       "mpi_claim_cas", "mpi_stop_latency"};
    for (size_t i = 0; i < 4; i++) {
        const char *at = mpi_row_p50(out, rows[i]);
        ASSERT_TRUE(at != NULL);
        ASSERT_TRUE(strtod(at, NULL) > 0);
        /* The runs behind this row's figures, in its own object. */
        const char *end = strchr(at, '}');
        const char *n = strstr(at, "\"runs\":");
        ASSERT_TRUE(n != NULL && end != NULL && n < end);
        ASSERT_EQ(strtol(n + 7, NULL, 10), want_runs);
    }
    ASSERT_TRUE(strchr(out, '\n') == out + strlen(out) - 1);
}

/* coord spectrum under mpirun: the MPI rows join the JSON rows, measured. */
TEST(spectrum_cli)
{
    spectrum_rows(RANKS, "3");
}

/* coord spectrum --runs above 101 under mpirun: the MPI rows measure every
 * run asked for and say how many (they kept 101 of --runs' 3..201 and
 * printed them as the whole count's). 2 ranks: the stop-latency row's
 * runs search further each time. */
TEST(spectrum_cli_every_run)
{
    spectrum_rows("2", "102");
}

/* coord spectrum under mpirun with one rank: the stop-latency row has no
 * other rank to stop, so it measured nothing: null (it printed 0 ps, and
 * 0.00 ns in the table, as if a stop took no time); the other three rows
 * are measured. */
TEST(spectrum_cli_one_rank)
{
    need_mpi();
    unsetenv("COORD_MPI_NODE");
    static const char *const a[] = {"spectrum", "--quick", "--json", "--runs",
                                    "3", NULL};
    static char out[65536], err[8192];
    int st = run_mpi_n("1", COORD_CLI_PATH, a, false, out, sizeof out, err,
                       sizeof err, RUN_MS);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        test__fail(__FILE__, __LINE__, "status %#x\nstdout:\n%s\nstderr:\n%s",
                   st, out, err);
    static const char *const rows[] = {"mpi_window_check", "mpi_leader_check",
                                       "mpi_claim_cas"};
    for (size_t i = 0; i < 3; i++) {
        const char *at = mpi_row_p50(out, rows[i]);
        ASSERT_TRUE(at != NULL);
        ASSERT_TRUE(strtod(at, NULL) > 0);
    }
    ASSERT_TRUE(strstr(out, "{\"mechanism\":\"mpi_stop_latency\","
                            "\"impl\":\"coord_mpi\",\"per_op_p50_ps\":null,"
                            "\"per_op_p99_ps\":null,"
                            "\"ratio_to_flag_check\":null,") != NULL);
}

/* coord spectrum under mpirun with COORD_MPI_NODE set but empty, which
 * means the default (docs/mpi.md; coord primes --mpi says shared): the
 * table's line above the MPI rows names the mode (it said
 * "COORD_MPI_NODE=)"). */
TEST(spectrum_cli_empty_node_mode)
{
    need_mpi();
    setenv("COORD_MPI_NODE", "", 1);
    static const char *const a[] = {"spectrum", "--quick", "--runs", "3",
                                    NULL};
    static char out[65536], err[8192];
    int st = run_mpi_n("1", COORD_CLI_PATH, a, false, out, sizeof out, err,
                       sizeof err, RUN_MS);
    unsetenv("COORD_MPI_NODE");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        test__fail(__FILE__, __LINE__, "status %#x\nstdout:\n%s\nstderr:\n%s",
                   st, out, err);
    ASSERT_TRUE(strstr(out, "under mpirun: 1 ranks on ") != NULL);
    ASSERT_TRUE(strstr(out, "(COORD_MPI_NODE=shared)") != NULL);
}

/* coord spectrum whose MPI claim row fails (an LD_PRELOAD shim's
 * MPI_Compare_and_swap never swaps): one line, exit 1, no figure printed
 * (the failed runs counted -1 and the row printed a negative figure, exit
 * 0). */
TEST(spectrum_cli_claim_fails)
{
    need_mpi();
    unsetenv("COORD_MPI_NODE");
    mpi_env();
    test_preload_env(COORD_MPI_CAS_FAILS); /* (ASan: see mpi_env) */
    static const char *const a[] = {"spectrum", "--quick", "--json", "--runs",
                                    "3", NULL};
    static char out[65536], err[8192];
    int st = run_mpi_n("2", COORD_CLI_PATH, a, false, out, sizeof out, err,
                       sizeof err, RUN_MS);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 1 ||
        !strstr(err, "coord spectrum: an MPI row failed to measure"))
        test__fail(__FILE__, __LINE__, "status %#x\nstdout:\n%s\nstderr:\n"
                   "%s", st, out, err);
    ASSERT_EQ(strlen(out), 0);
}

/* How many lines of `text` start with `prefix`. */
static int lines_starting(const char *text, const char *prefix)
{
    int n = 0;
    size_t len = strlen(prefix);
    for (const char *l = text; *l;) {
        n += !strncmp(l, prefix, len);
        const char *nl = strchr(l, '\n');
        if (!nl)
            break;
        l = nl + 1;
    }
    return n;
}

/*
 * `coord args...` under mpirun with 2 ranks must exit with `status`, its
 * lines starting with `prefix` said once (by the first rank alone) on
 * `stream` (1 stdout, 2 stderr), one of them holding `want`. (Open MPI
 * adds its own banner on stderr after a non-zero exit: not ours, not
 * counted.)
 */
/* A job's wait status `st` is exit `status`, and its stream `stream` (1
 * stdout, 2 stderr) holds one line starting with `prefix`, with `want` in
 * it: what was said was said once. */
static void expect_said_once(int st, const char *out, const char *err,
                             int status, int stream, const char *prefix,
                             const char *want)
{
    const char *text = stream == 1 ? out : err;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != status ||
        lines_starting(text, prefix) != 1 || !strstr(text, want))
        test__fail(__FILE__, __LINE__, "wait status %#x, want exit %d and "
                   "one '%s' line with '%s'\nstdout:\n%s\nstderr:\n%s", st,
                   status, prefix, want, out, err);
}

static void said_once(const char *const *args, int status, int stream,
                      const char *prefix, const char *want)
{
    static char out[65536], err[16384];
    int st = run_mpi_n("2", COORD_CLI_PATH, args, false, out, sizeof out, err,
                       sizeof err, RUN_MS);
    expect_said_once(st, out, err, status, stream, prefix, want);
    ASSERT_EQ(lines_starting(stream == 1 ? err : out, "coord "), 0);
}

/* The set-up of a case with two command lines: Open MPI's mpirun, the
 * default nodes, every mpirun bounded by MPIEXEC_TIMEOUT (60 s). */
static void two_command_lines(void)
{
    need_mpi();
    if (!COORD_MPIEXEC_OMPI)
        SKIP("two app contexts with Open MPI's mpirun");
    unsetenv("COORD_MPI_NODE");
    setenv("MPIEXEC_TIMEOUT", "60", 1);
}

/* `coord spectrum` with --runs 3 on rank 0 and --runs 5 on rank 1 (two
 * app contexts): the ranks made different numbers of collective calls and
 * waited for ever (mpirun ended them at MPIEXEC_TIMEOUT, exit 110); now
 * one line from rank 0 and exit 2 on every rank. */
TEST(spectrum_cli_runs_differ)
{
    two_command_lines();
    static const char *const args[] = {"spectrum", "--quick", "--runs", "3",
                                       ":", "-np", "1", COORD_CLI_PATH,
                                       "spectrum", "--quick", "--runs", "5",
                                       NULL};
    static char out[65536], err[16384];
    int st = run_mpi_n("1", COORD_CLI_PATH, args, false, out, sizeof out,
                       err, sizeof err, RUN_MS);
    expect_said_once(st, out, err, 2, 2, "coord spectrum: ",
                     "command lines differ");
    ASSERT_EQ(lines_starting(out, "coord "), 0);
}

/* Usage errors found before MPI_Init (every rank runs the same command
 * line) and --help: said by the first rank only, where each of the 2
 * ranks said them; the others exit 2 (0 for --help) in silence. */
TEST(cli_usage_once)
{
    need_mpi();
    unsetenv("COORD_MPI_NODE");
    static const char *const bogus[] = {"primes", "--mpi", "--bogus", NULL};
    said_once(bogus, 2, 2, "coord primes: ", "unknown option '--bogus'");
    static const char *const any[] = {"primes", "--mpi", "--any", "--hit-at",
                                      "5", NULL};
    said_once(any, 2, 2, "coord primes: ", "--any");
    static const char *const modes[] = {"primes", "--mpi", "--early-exit",
                                        "--no-early-exit", NULL};
    said_once(modes, 2, 2, "coord primes: ", "exclude each other");
    static const char *const range[] = {"primes", "--mpi", "--range", "0",
                                        NULL};
    said_once(range, 2, 2, "coord primes: ", "--range");
    static const char *const every[] = {"primes", "--mpi", "--interval", "0",
                                        NULL};
    said_once(every, 2, 2, "coord primes: ", "--interval");
    /* The ranks are the workers: --workers was ignored (2 workers, exit
     * 0). */
    static const char *const workers[] = {"primes", "--mpi", "--workers",
                                          "8", NULL};
    said_once(workers, 2, 2, "coord primes: ", "--workers");
    static const char *const help[] = {"primes", "--mpi", "--help", NULL};
    said_once(help, 0, 1, "usage: coord primes", "--mpi");
    static const char *const spectrum[] = {"spectrum", "--bogus", NULL};
    said_once(spectrum, 2, 2, "coord spectrum: ", "unknown option");
    static const char *const shelp[] = {"spectrum", "--help", NULL};
    said_once(shelp, 0, 1, "usage: coord spectrum", "--quick");
}

/* Two command lines (app contexts), the usage error in the second only
 * (rank 1's): rank 1 stayed silent as "not the first rank", rank 0 went
 * into MPI_Init, and mpirun ended the job with its banner alone and no
 * line from coord. Now the first rank of each command line speaks: one
 * line naming the option. */
TEST(cli_usage_other_command_line)
{
    two_command_lines();
    static const char *const args[] = {"primes", "--mpi", "--quick", ":",
                                       "-np", "1", COORD_CLI_PATH, "primes",
                                       "--mpi", "--quick", "--bogus", NULL};
    static char out[65536], err[16384];
    int st = run_mpi_n("1", COORD_CLI_PATH, args, false, out, sizeof out,
                       err, sizeof err, RUN_MS);
    if (!WIFEXITED(st) || WEXITSTATUS(st) == 0 ||
        lines_starting(err, "coord primes: ") != 1 ||
        !strstr(err, "unknown option '--bogus'"))
        test__fail(__FILE__, __LINE__, "wait status %#x, want a non-zero "
                   "exit and one 'coord primes:' line naming --bogus\n"
                   "stdout:\n%s\nstderr:\n%s", st, out, err);
}

/* A COORD_MPI_NODE that is neither shared nor rank: one line naming the
 * variable, exit 2, before anything runs (it was taken for shared, said
 * in the report, then refused by the library: partial output, exit 1). */
TEST(cli_bad_node_mode)
{
    need_mpi();
    setenv("COORD_MPI_NODE", "bogus", 1);
    static const char *const primes[] = {"primes", "--mpi", "--quick",
                                         "--range", "2000", NULL};
    said_once(primes, 2, 2, "coord primes: ", "COORD_MPI_NODE");
    static const char *const spectrum[] = {"spectrum", "--quick", "--runs",
                                           "3", NULL};
    said_once(spectrum, 2, 2, "coord spectrum: ", "COORD_MPI_NODE");
}

/* A usage error said by rank 0 alone, with rank 0 the last to start (as
 * on a loaded machine, 3 s late here): rank 1 exited 2 at once, mpirun
 * aborted the job and killed rank 0 before it said anything (mpirun's
 * banner alone; cli_bad_node_mode failed so in a loaded ctest run). Now
 * the silent rank waits (cli_mpirun_linger) for the speaking one's exit
 * to end the job. */
TEST(cli_usage_said_when_rank_0_starts_late)
{
    need_mpi();
    setenv("COORD_MPI_NODE", "bogus", 1);
    static const char *const args[] = {
        "-c",
        "r=${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-0}}; "
        "[ \"$r\" = 0 ] && sleep 3; exec \"$@\"",
        "sh", COORD_CLI_PATH, "primes", "--mpi", "--quick", "--range",
        "2000", NULL};
    static char out[65536], err[16384];
    int st = run_mpi_n("2", "/bin/sh", args, false, out, sizeof out, err,
                       sizeof err, RUN_MS);
    expect_said_once(st, out, err, 2, 2, "coord primes: ", "COORD_MPI_NODE");
}

/* `coord cmd...` with COORD_MPI_NODE=rank on the first rank and unset on
 * the second (two app contexts, the first run through env(1)): exit 2 and
 * one line from rank 0 naming the variable. */
static void node_modes_differ(const char *const *cmd, const char *prefix)
{
    const char *args[32];
    int n = 0;
    args[n++] = "COORD_MPI_NODE=rank";
    args[n++] = COORD_CLI_PATH;
    for (const char *const *a = cmd; *a; a++)
        args[n++] = *a;
    args[n++] = ":", args[n++] = "-np", args[n++] = "1";
    args[n++] = COORD_CLI_PATH;
    for (const char *const *a = cmd; *a; a++)
        args[n++] = *a;
    args[n] = NULL;
    static char out[65536], err[16384];
    int st = run_mpi_n("1", "env", args, false, out, sizeof out, err,
                       sizeof err, RUN_MS);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 2 ||
        lines_starting(err, prefix) != 1 ||
        !strstr(err, "COORD_MPI_NODE differs"))
        test__fail(__FILE__, __LINE__, "coord %s: wait status %#x, want exit "
                   "2 and one '%s' line\nstdout:\n%s\nstderr:\n%s", cmd[0],
                   st, prefix, out, err);
    ASSERT_EQ(lines_starting(out, "coord "), 0);
}

/* Ranks whose COORD_MPI_NODE differ (rank on one, unset on the other):
 * the CLI split them into nodes by different rules, two different
 * collectives, and waited for ever (mpirun ended it after MPIEXEC_TIMEOUT,
 * exit 110); now one line and exit 2 on every rank. */
TEST(cli_node_modes_differ)
{
    two_command_lines();
    static const char *const primes[] = {"primes", "--mpi", "--quick",
                                         "--range", "2000", NULL};
    node_modes_differ(primes, "coord primes: ");
    static const char *const spectrum[] = {"spectrum", "--quick", "--runs",
                                           "3", NULL};
    node_modes_differ(spectrum, "coord spectrum: ");
}

/* `coord a...` on rank 0 and `coord b...` on rank 1 (two command lines,
 * Open MPI's app contexts), both NULL-terminated: the wait status, the
 * output in out and err (static: one run at a time). */
static char two_out[65536], two_err[16384];
static int run_two(const char *const *a, const char *const *b)
{
    const char *args[40];
    int n = 0;
    for (; *a; a++)
        args[n++] = *a;
    args[n++] = ":", args[n++] = "-np", args[n++] = "1";
    args[n++] = COORD_CLI_PATH;
    for (; *b; b++)
        args[n++] = *b;
    args[n] = NULL;
    return run_mpi_n("1", COORD_CLI_PATH, args, false, two_out,
                     sizeof two_out, two_err, sizeof two_err, RUN_MS);
}

/* `coord primes --mpi` with a different command line per rank (two app
 * contexts): `a` on rank 0, `b` on rank 1. Exit 2 and one line from rank
 * 0, within MPIEXEC_TIMEOUT (60 s). */
static void primes_args_differ(const char *const *a, const char *const *b)
{
    int st = run_two(a, b);
    expect_said_once(st, two_out, two_err, 2, 2, "coord primes: ",
                     "command lines differ");
    ASSERT_EQ(lines_starting(two_out, "coord "), 0);
}

/* Ranks given different options: with another --runs one rank searched
 * again after the other had gone to MPI_Finalize, and a --hit-at that
 * failed check_target on rank 1 only left rank 0 in its first search:
 * both waited for ever, silent (mpirun ended them at MPIEXEC_TIMEOUT, exit
 * 110). Now one line from rank 0 and exit 2 on every rank. */
TEST(primes_cli_options_differ)
{
    two_command_lines();
    static const char *const r1[] = {"primes", "--mpi", "--early-exit",
                                     "--runs", "1", "--range", "2000",
                                     "--hit-at", "10", NULL};
    static const char *const r2[] = {"primes", "--mpi", "--early-exit",
                                     "--runs", "2", "--range", "2000",
                                     "--hit-at", "10", NULL};
    primes_args_differ(r1, r2);
    static const char *const h[] = {"primes", "--mpi", "--quick", "--range",
                                    "2000", "--hit-at", "5000", NULL};
    static const char *const ok[] = {"primes", "--mpi", "--quick", "--range",
                                     "2000", "--hit-at", "10", NULL};
    primes_args_differ(ok, h);
}

/* Two command lines (app contexts), `a` on rank 0 and `b` on rank 1, one
 * of which exits 0 before MPI (--help, or coord primes without --mpi)
 * where the other goes into MPI_Init: that rank waited there for ever,
 * silent, until MPIEXEC_TIMEOUT (exit 110). Now exit 2 within seconds,
 * one line starting with `prefix` and holding `want`, nothing on stdout
 * (the help is not said when not every rank asked for it). */
static void mixed(const char *const *a, const char *const *b,
                  const char *prefix, const char *want)
{
    int st = run_two(a, b);
    expect_said_once(st, two_out, two_err, 2, 2, prefix, want);
    if (*two_out)
        test__fail(__FILE__, __LINE__, "want no stdout\nstdout:\n%s",
                   two_out);
}

static const char *const p_mpi[] = {"primes", "--mpi", "--quick", "--range",
                                    "2000", NULL};
static const char *const p_help[] = {"primes", "--help", NULL};
static const char *const p_plain[] = {"primes", "--quick", "--range", "2000",
                                      NULL};
static const char *const s_run[] = {"spectrum", "--quick", "--runs", "3",
                                    NULL};
static const char *const s_help[] = {"spectrum", "--help", NULL};

/* coord primes: --help beside --mpi (either way round), no --mpi beside
 * --mpi, and coord spectrum beside coord primes --mpi. */
TEST(cli_primes_mixed_command_lines)
{
    two_command_lines();
    mixed(p_mpi, p_help, "coord primes: ", "command lines differ");
    mixed(p_help, p_mpi, "coord primes: ", "command lines differ");
    mixed(p_mpi, p_plain, "coord primes: ", "give --mpi");
    mixed(p_mpi, s_run, "coord primes: ", "command lines differ");
}

/* `coord help primes` / `coord help spectrum` (the usage as --help says
 * it) beside ranks in MPI_Init: it exited 0 without MPI and they waited
 * until MPIEXEC_TIMEOUT (exit 110); now it joins them as --help does. */
TEST(cli_help_command_mixed_command_lines)
{
    two_command_lines();
    static const char *const p_cmd_help[] = {"help", "primes", NULL};
    static const char *const s_cmd_help[] = {"help", "spectrum", NULL};
    mixed(p_mpi, p_cmd_help, "coord primes: ", "command lines differ");
    mixed(s_run, s_cmd_help, "coord spectrum: ", "command lines differ");
    int st = run_two(p_cmd_help, p_help);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 ||
        lines_starting(two_out, "usage: coord primes") != 1)
        test__fail(__FILE__, __LINE__, "help primes : primes --help: wait "
                   "status %#x, want exit 0 and the usage once\nstdout:\n"
                   "%s\nstderr:\n%s", st, two_out, two_err);
}

/* coord spectrum: --help beside the MPI rows (either way round). */
TEST(cli_spectrum_mixed_command_lines)
{
    two_command_lines();
    mixed(s_run, s_help, "coord spectrum: ", "command lines differ");
    mixed(s_help, s_run, "coord spectrum: ", "command lines differ");
}

/* --help on every rank of two command lines: the usage once (each
 * command line's first rank said it: twice), exit 0. */
TEST(cli_help_every_command_line)
{
    two_command_lines();
    const char *const *cmds[] = {p_help, s_help};
    const char *const usage[] = {"usage: coord primes",
                                 "usage: coord spectrum"};
    for (int i = 0; i < 2; i++) {
        int st = run_two(cmds[i], cmds[i]);
        const char *out = two_out, *err = two_err;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 ||
            lines_starting(out, usage[i]) != 1 ||
            lines_starting(err, "coord ") != 0)
            test__fail(__FILE__, __LINE__, "wait status %#x, want exit 0 "
                       "and '%s' once\nstdout:\n%s\nstderr:\n%s", st,
                       usage[i], out, err);
    }
}

/* One command line (one app context) whose ranks each run `coord primes
 * --help` twice, through sh: every rank asked for --help, so none waits
 * and no MPI is needed; the second coord of a rank joined MPI_Init again
 * under the rank's launcher identity and failed (Open MPI's orte_init
 * errors, exit 1, no usage). Now the usage once per run (first rank),
 * exit 0. */
TEST(cli_help_one_command_line_no_mpi)
{
    need_mpi();
    if (!COORD_MPIEXEC_OMPI)
        SKIP("the app-context count is Open MPI's");
    unsetenv("COORD_MPI_NODE");
    setenv("MPIEXEC_TIMEOUT", "60", 1);
    static char script[4096];
    snprintf(script, sizeof script,
             "'%s' primes --help && '%s' spectrum --help", COORD_CLI_PATH,
             COORD_CLI_PATH);
    const char *const args[] = {"-c", script, NULL};
    static char out[65536], err[16384];
    int st = run_mpi_n("2", "/bin/sh", args, false, out, sizeof out, err,
                       sizeof err, RUN_MS);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 ||
        lines_starting(out, "usage: coord primes") != 1 ||
        lines_starting(out, "usage: coord spectrum") != 1 ||
        lines_starting(err, "coord ") != 0)
        test__fail(__FILE__, __LINE__, "wait status %#x, want exit 0 and "
                   "each usage once\nstdout:\n%s\nstderr:\n%s", st, out,
                   err);
}

/* coord primes without --mpi on every rank of one command line: each
 * rank ran a search of its own (N reports, N teams of workers); now a
 * usage error said once. Under one rank it runs as outside mpirun. */
TEST(primes_cli_without_mpi_flag)
{
    need_mpi();
    unsetenv("COORD_MPI_NODE");
    said_once(p_plain, 2, 2, "coord primes: ", "give --mpi");
    static char out[65536], err[16384];
    int st = run_mpi_n("1", COORD_CLI_PATH, p_plain, false, out, sizeof out,
                       err, sizeof err, RUN_MS);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 ||
        lines_starting(out, "coord primes: 4 workers") != 1)
        test__fail(__FILE__, __LINE__, "-np 1: wait status %#x, want exit 0 "
                   "and one report\nstdout:\n%s\nstderr:\n%s", st, out,
                   err);
}

/* coord primes --mpi that no launcher started: one line, exit 2 (it
 * started an MPI singleton: without an ssh agent, 38 lines of Open MPI's
 * run-time errors). */
TEST(primes_cli_without_mpirun)
{
    need_mpi();
    static const char *const vars[] = {"OMPI_COMM_WORLD_RANK",
                                       "OMPI_COMM_WORLD_SIZE", "PMIX_RANK",
                                       "PMI_RANK", "PMI_SIZE",
                                       "MV2_COMM_WORLD_RANK"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    unsetenv("COORD_MPI_NODE");
    mpi_env();
    static const char *const a[] = {"--mpi", "--quick", "--range", "2000",
                                    NULL};
    char err[4096];
    test_cli_usage_error(COORD_CLI_PATH, "primes", a, err, sizeof err,
                         RUN_MS);
    ASSERT_TRUE(strstr(err, "mpirun") != NULL);
    ASSERT_EQ(lines_starting(err, ""), 1);
}

/* Usage errors: --mpi with --vs-python (MPI built: a singleton run), or
 * --mpi in a coord built without MPI. */
TEST(primes_cli_usage)
{
    char err[1024];
#ifdef COORD_MPIEXEC_FOUND
    mpi_env();
    static const char *const a[] = {"--mpi", "--vs-python", NULL};
    test_cli_usage_error(COORD_CLI_PATH, "primes", a, err, sizeof err,
                         RUN_MS);
    ASSERT_TRUE(strstr(err, "--vs-python") != NULL);
#else
    static const char *const a[] = {"--mpi", NULL};
    test_cli_usage_error(COORD_CLI_PATH, "primes", a, err, sizeof err,
                         RUN_MS);
    ASSERT_TRUE(strstr(err, "built without MPI") != NULL);
#endif
}

#define TEST_LIST(X)                                                           \
    X(claim_word_wraps)                                                        \
    X(case_deadline_outlasts_mpirun)                                           \
    X(search_cases_shared)                                                     \
    X(search_cases_rank_nodes)                                                 \
    X(search_cases_tcp)                                                        \
    X(one_winner_shared)                                                       \
    X(one_winner_tcp)                                                          \
    X(claim_time)                                                              \
    X(misuse)                                                                  \
    X(threads_finalize)                                                        \
    X(spawn_finalize)                                                          \
    X(dead_rank)                                                               \
    X(primes_cli)                                                              \
    X(primes_cli_text)                                                         \
    X(spectrum_cli)                                                            \
    X(spectrum_cli_claim_fails)                                                \
    X(spectrum_cli_one_rank)                                                   \
    X(spectrum_cli_empty_node_mode)                                            \
    X(spectrum_cli_every_run)                                                  \
    X(spectrum_cli_runs_differ)                                                \
    X(primes_cli_usage)                                                        \
    X(cli_usage_once)                                                          \
    X(cli_usage_other_command_line)                                            \
    X(cli_bad_node_mode)                                                       \
    X(cli_usage_said_when_rank_0_starts_late)                                  \
    X(cli_node_modes_differ)                                                   \
    X(primes_cli_options_differ)                                               \
    X(primes_cli_without_mpirun)                                               \
    X(cli_primes_mixed_command_lines)                                          \
    X(cli_spectrum_mixed_command_lines)                                        \
    X(cli_help_every_command_line)                                             \
    X(primes_cli_without_mpi_flag)                                             \
    X(cli_help_one_command_line_no_mpi)                                        \
    X(cli_help_command_mixed_command_lines)
#define HELPER_LIST(X)
TEST_MAIN()
