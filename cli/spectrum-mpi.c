/* SPDX-License-Identifier: MIT */
/* spectrum-mpi.c: `coord spectrum` under mpirun: the MPI rows (window check, leader's MPI_Test, MPI claim, stop latency). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <coord/mpi.h>

#include "cli-mpi.h"
#include "cli.h"
#include "mpirun.h"
#include "node-mpi.h"
#include "spectrum.h"

/* Every run --runs accepts is measured (the rows kept 101 of up to 201
 * and printed their figures as the whole count's). */
#define MAX_RUNS SPECTRUM_MAX_RUNS

/* The stop-latency row's search: ranks x SEARCH_SPAN indexes, run r's hit
 * (SEARCH_HIT_CHUNKS(r) interleaved chunks in) in the last rank's share.
 * The last run's hit must lie inside the range, or that run finds
 * nothing and the row fails. */
#define SEARCH_SPAN 4000000u
#define SEARCH_HIT_CHUNKS(r) (200u + 37u * (uint64_t)(r))
_Static_assert((SEARCH_HIT_CHUNKS(MAX_RUNS - 1) + 1) * COORD_SEARCH_CHUNK <=
                   SEARCH_SPAN,
               "the last run's hit lies outside the stop-latency search");

enum { M_CHECK, M_LEADER, M_CLAIM, M_STOP, M_ROWS };

static const char *const names[M_ROWS] = {
    "mpi_window_check", "mpi_leader_check", "mpi_claim_cas",
    "mpi_stop_latency"};
static const char *const whats[M_ROWS] = {
    "coord_flag_is_set on a flag in an MPI shared window (ordinary rank)",
    "the same load + MPI_Test of a posted receive (a leader's check)",
    "32-bit MPI_Compare_and_swap + flush at rank 0, from the last rank",
    "coord_mpi_search: winning claim to the last rank leaving (p50)"};

static double p50[M_ROWS], p99[M_ROWS];
static int ranks, cpus;
static int measured; /* the runs p50 and p99 summarise */

/* Rank 0 keeps the median and p99 of a row's runs. */
static void keep(int row, double *v, int runs)
{
    p99[row] = cli_percentile(v, (size_t)runs, 99);
    p50[row] = cli_percentile(v, (size_t)runs, 50);
    measured = runs;
}

/* Each loop returns ns per operation. */
static double run_checks(coord_flag *f, uint64_t n)
{
    uint64_t seen = 0, t0 = coord_clock_ns();
    for (uint64_t i = 0; i < n; i++) {
        /* 8 loads per turn: the loop's own cost stays out of the figure. */
        seen += coord_flag_is_set(f) + coord_flag_is_set(f) +
                coord_flag_is_set(f) + coord_flag_is_set(f) +
                coord_flag_is_set(f) + coord_flag_is_set(f) +
                coord_flag_is_set(f) + coord_flag_is_set(f);
    }
    uint64_t t1 = coord_clock_ns();
    return seen ? -1 : (double)(t1 - t0) / (double)(n * 8);
}

static double run_leader(coord_flag *f, MPI_Request *req, uint64_t n)
{
    uint64_t t0 = coord_clock_ns();
    for (uint64_t i = 0; i < n; i++) {
        int done = 0;
        if (coord_flag_is_set(f))
            return -1;
        MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (done)
            return -1;
    }
    return (double)(coord_clock_ns() - t0) / (double)n;
}

static double run_claims(MPI_Win w, uint64_t n)
{
    uint64_t t0 = coord_clock_ns();
    for (uint64_t i = 0; i < n; i++) {
        int32_t want = (int32_t)(i + 1), had = (int32_t)i, old;
        MPI_Compare_and_swap(&want, &had, &old, MPI_INT32_T, 0, 0, w);
        MPI_Win_flush(0, w);
        if (old != had)
            return -1;
    }
    return (double)(coord_clock_ns() - t0) / (double)n;
}

/* A probe of ~100 ns (a dependent multiply chain); index `arg` hits. */
static bool probe_spin(uint64_t i, void *result, void *arg)
{
    uint64_t x = i;
    for (int k = 0; k < 40; k++)
        x = x * 6364136223846793005ull + 1442695040888963407ull;
    *(uint64_t *)result = x;
    return i == *(const uint64_t *)arg;
}

/* Is `ok` true on every rank? Collective (an allreduce, which also lines
 * the ranks up as a barrier would): a loop of collective calls that stops
 * on a failure must stop at the same run on every rank. */
static bool agreed(bool ok)
{
    int mine = ok, all = 0;
    MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return all != 0;
}

int spectrum_mpi_begin(bool quick, int runs)
{
    if (!cli_mpirun_launched())
        return 0; /* not started by mpirun */
    if (cli_mpi_node_check("spectrum") != 0)
        return -CLI_USAGE;
    if (runs < 1 || runs > MAX_RUNS) {
        /* The option's range is the caller's; never fewer runs than it
         * asked for, said as if all were made. */
        if (cli_mpirun_first_rank())
            cli_error("spectrum", "--runs must be in [1, %d], got %d",
                      MAX_RUNS, runs);
        return -CLI_USAGE;
    }
    MPI_Init(NULL, NULL);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    /* First, before any other collective: a rank with --help, or one
     * running coord primes --mpi, is in cli_mpi_agree too. */
    if (cli_mpi_agree("spectrum", false) != 0) {
        MPI_Finalize();
        if (rank != 0)
            exit(CLI_USAGE);
        return -CLI_USAGE;
    }
    /* mpirun may give each rank its own command line: ranks with another
     * --runs or --quick made different numbers of collective calls below
     * and waited for each other for ever. */
    const int64_t mine[2] = {quick, runs};
    if (!cli_mpi_same(mine, 2)) {
        if (rank == 0)
            cli_error("spectrum", "the ranks' command lines differ (--quick, "
                                  "--runs): give every rank the same options");
        MPI_Finalize();
        if (rank != 0)
            exit(CLI_USAGE);
        return -CLI_USAGE;
    }
    static double v[M_ROWS][MAX_RUNS];
    bool ok = true;

    /* The node's flag in a shared window, as coord_mpi_search places it
     * (a node of one, e.g. COORD_MPI_NODE=rank, keeps it in private
     * memory: osc pt2pt has no shared windows). */
    MPI_Comm node;
    if (cli_mpi_node("spectrum", &node) != 0) {
        MPI_Finalize();
        if (rank != 0)
            exit(CLI_USAGE);
        return -CLI_USAGE;
    }
    int node_rank, node_size;
    MPI_Comm_rank(node, &node_rank);
    MPI_Comm_size(node, &node_size);
    size_t fsz = coord_flag_size();
    static _Alignas(64) unsigned char own[4096];
    void *base = own;
    MPI_Win swin = MPI_WIN_NULL;
    if (node_size > 1 && fsz + 64 <= sizeof own) {
        void *mine;
        MPI_Aint qs;
        int qd;
        MPI_Win_allocate_shared(node_rank == 0 ? (MPI_Aint)(fsz + 64) : 0, 1,
                                MPI_INFO_NULL, node, &mine, &swin);
        MPI_Win_shared_query(swin, 0, &qs, &qd, &base);
    }
    void *p = (void *)(((uintptr_t)base + 63) & ~(uintptr_t)63);
    coord_flag *f = NULL;
    if (node_rank == 0 && coord_flag_init(p, fsz, &f) != 0)
        ok = false;
    if (swin != MPI_WIN_NULL) {
        MPI_Win_lock_all(MPI_MODE_NOCHECK, swin);
        MPI_Win_sync(swin);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    if (swin != MPI_WIN_NULL) {
        MPI_Win_sync(swin);
        if (node_rank != 0 && coord_flag_attach(p, fsz, &f) != 0)
            ok = false;
    }
    uint64_t n = quick ? 200000 : 1000000;
    for (int r = 0; r < runs && (ok = agreed(ok)); r++) {
        v[M_CHECK][r] = run_checks(f, n);
        ok = v[M_CHECK][r] > 0;
    }
    /* A leader's check: a receive nobody matches, tested at each check. */
    MPI_Request req;
    MPI_Irecv(NULL, 0, MPI_BYTE, MPI_ANY_SOURCE, 27, MPI_COMM_WORLD, &req);
    for (int r = 0; r < runs && (ok = agreed(ok)); r++) {
        v[M_LEADER][r] = run_leader(f, &req, n / 10);
        ok = v[M_LEADER][r] > 0;
    }
    MPI_Cancel(&req);
    MPI_Wait(&req, MPI_STATUS_IGNORE);
    if (swin != MPI_WIN_NULL) {
        MPI_Win_unlock_all(swin);
        MPI_Win_free(&swin);
    }
    MPI_Comm_free(&node);

    /* The global claim from the last rank; the others wait in a barrier
     * (which also gives osc pt2pt the progress it needs at rank 0). */
    void *word;
    MPI_Win gwin;
    MPI_Win_allocate(rank == 0 ? 4 : 0, 4, MPI_INFO_NULL, MPI_COMM_WORLD,
                     &word, &gwin);
    MPI_Win_lock_all(MPI_MODE_NOCHECK, gwin);
    double claim[MAX_RUNS];
    for (int r = 0; r < runs; r++) {
        if (rank == 0)
            *(int32_t *)word = 0;
        MPI_Win_sync(gwin);
        MPI_Barrier(MPI_COMM_WORLD);
        MPI_Win_sync(gwin);
        claim[r] = 0;
        if (rank == ranks - 1) {
            claim[r] = run_claims(gwin, quick ? 200 : 1000);
            if (claim[r] <= 0) {
                claim[r] = -1;
                ok = false; /* the row failed: never printed */
            }
        }
        MPI_Barrier(MPI_COMM_WORLD);
    }
    MPI_Win_unlock_all(gwin);
    MPI_Win_free(&gwin);
    MPI_Reduce(claim, v[M_CLAIM], runs, MPI_DOUBLE, MPI_SUM, 0,
               MPI_COMM_WORLD);

    /* Stop latency of the real search: a hit in the last rank's share
     * (every rank gets the same return and index: ok stays agreed). */
    ok = agreed(ok);
    for (int r = 0; r < runs && ok; r++) {
        coord_search_opts o = COORD_SEARCH_OPTS_INIT;
        o.begin = 0;
        o.end = (uint64_t)ranks * SEARCH_SPAN;
        uint64_t hit = (uint64_t)(ranks - 1) * COORD_SEARCH_CHUNK +
                       (uint64_t)ranks * COORD_SEARCH_CHUNK *
                           SEARCH_HIT_CHUNKS(r);
        uint64_t res = 0;
        coord_search_stats st;
        int rc = coord_mpi_search(MPI_COMM_WORLD, &o, probe_spin, &hit, &res,
                                  sizeof res, &st);
        ok = rc == 1 && st.index == hit;
        v[M_STOP][r] = (double)st.stop_latency_ns;
    }
    bool all_ok = agreed(ok);
    if (!all_ok) {
        /* Said before any rank may exit: mpirun ends the job at the first
         * non-zero exit, which came before rank 0 wrote this when it wrote
         * it after MPI_Finalize (half of the runs under load). */
        if (rank == 0)
            cli_error("spectrum", "an MPI row failed to measure");
        MPI_Barrier(MPI_COMM_WORLD);
    }
    MPI_Finalize();
    if (rank != 0)
        exit(all_ok ? 0 : 1);
    if (!all_ok)
        return -CLI_RUNTIME;
    for (int i = 0; i < M_ROWS; i++)
        keep(i, v[i], runs);
    /* One rank: no other rank to stop, so the stop latency measured
     * nothing (every run's 0 read as a stop that took no time). */
    if (ranks == 1)
        p50[M_STOP] = p99[M_STOP] = NAN;
    return M_ROWS;
}

void spectrum_mpi_print(FILE *f, struct jw *w, double flag_ns)
{
    if (ranks == 0)
        return;
    const char *mode = getenv("COORD_MPI_NODE");
    if (!mode || !*mode) /* unset or empty: the default (docs/mpi.md) */
        mode = "shared";
    bool over = ranks > cpus;
    if (!w) {
        fprintf(f, "\nunder mpirun: %d ranks on %d CPUs%s (COORD_MPI_NODE=%s), "
                   "median and p99 of %d runs\n",
               ranks, cpus, over ? ", oversubscribed: MPI calls yield" : "",
               mode, measured);
    }
    for (int i = 0; i < M_ROWS; i++) {
        if (w) {
            jw_object(w);
            jw_kstr(w, "mechanism", names[i]);
            jw_kstr(w, "impl", "coord_mpi");
            jw_kps(w, "per_op_p50_ps", p50[i] * 1e3);
            jw_kps(w, "per_op_p99_ps", p99[i] * 1e3);
            jw_knum(w, "ratio_to_flag_check", p50[i] / flag_ns);
            jw_kint(w, "ranks", ranks);
            jw_kint(w, "runs", measured);
            jw_kbool(w, "oversubscribed", over);
            jw_kstr(w, "what", whats[i]);
            jw_object_end(w);
        } else if (!isfinite(p50[i])) {
            /* Not measured (one rank: nobody to stop). */
            fprintf(f, "%-22s %10s %10s %9s  %s (one rank: none to stop)\n",
                    names[i], "-", "-", "-", whats[i]);
        } else {
            fprintf(f, "%-22s %10.2f %10.2f %9.1f  %s\n", names[i], p50[i],
                    p99[i], p50[i] / flag_ns, whats[i]);
        }
    }
}
