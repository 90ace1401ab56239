/* SPDX-License-Identifier: MIT */
/* test-experiments.c: `coord primes`, `coord waste`, `coord interval` end to end: tables, JSON, errors. */
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harness.h"

static char out[262144], err[65536];

/* Run coord with up to 12 arguments; returns the exit status. */
static int coord(const char *const *args)
{
    const char *argv[16] = {COORD_CLI_PATH};
    int n = 1;
    for (; args[n - 1] && n < 15; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    int st = test_run(argv, out, sizeof out, err, sizeof err, 90000);
    ASSERT_TRUE(WIFEXITED(st));
    return WEXITSTATUS(st);
}

/* One JSON object on one line. */
static void assert_one_json_object(void)
{
    size_t n = strlen(out);
    ASSERT_GT(n, 2);
    ASSERT_EQ(out[0], '{');
    ASSERT_EQ(out[n - 1], '\n');
    ASSERT_EQ(out[n - 2], '}');
    ASSERT_TRUE(strchr(out, '\n') == out + n - 1);
}

static double num(const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(out, pat);
    if (!p)
        test__fail(__FILE__, __LINE__, "no %s in %s", key, out);
    return strtod(p + strlen(pat), NULL);
}

TEST(experiments_primes_json_and_table)
{
    const char *a[] = {"primes", "--runs", "1", "--range", "20000", "--json",
                       NULL};
    ASSERT_EQ(coord(a), 0);
    assert_one_json_object();
    /* The hit at position 1000 of worker 0's block from 1,000,000. */
    ASSERT_EQ(num("target"), 1001003);
    ASSERT_TRUE(strstr(out, "\"mode\":\"early_exit\",\"found\":true,"
                            "\"result\":1001003,\"winner\":0") != NULL);
    ASSERT_TRUE(strstr(out, "\"mode\":\"no_early_exit\"") != NULL);
    /* The same search on persistent workers: its own row, the same hit,
     * and its start-up reported apart from its per-search wall time. */
    ASSERT_TRUE(strstr(out, "\"mode\":\"early_exit_persistent\",\"found\":"
                            "true,\"result\":1001003,\"winner\":0") != NULL);
    ASSERT_TRUE(strstr(out, "\"startup_ns\":") != NULL);
    const char *b[] = {"primes", "--runs", "1", "--range", "20000",
                       "--no-early-exit", "--interval", "50", NULL};
    ASSERT_EQ(coord(b), 0);
    ASSERT_TRUE(strstr(out, "no early exit            1,001,003") != NULL);
    /* Without early exit the three other workers test all their numbers. */
    ASSERT_TRUE(strstr(out, "61,004") != NULL);
    const char *c[] = {"primes", "--any", "--runs", "1", "--claim", "lock",
                       "--early-exit", "--json", NULL};
    ASSERT_EQ(coord(c), 0);
    ASSERT_TRUE(strstr(out, "\"found\":true") != NULL);
}

/* --vs-python without the scripts: the Python rows are skipped, said once,
 * and the run succeeds, as every command's Python column (it exited 1 and
 * printed the reason twice, once per mode). */
TEST(experiments_primes_python_missing_is_skipped)
{
    setenv("COORD_PYTHON_DIR", "/nonexistent/coord-python", 1);
    const char *a[] = {"primes", "--runs", "1", "--range", "20000",
                       "--vs-python", NULL};
    int rc = coord(a);
    unsetenv("COORD_PYTHON_DIR");
    ASSERT_EQ(rc, 0);
    const char *say = "python: skipped: /nonexistent/coord-python/primes.py not found\n";
    const char *at = strstr(out, say);
    ASSERT_TRUE(at != NULL);
    ASSERT_TRUE(strstr(at + 1, "python: ") == NULL);
    setenv("COORD_PYTHON_DIR", "/nonexistent/coord-python", 1);
    const char *b[] = {"primes", "--runs", "1", "--range", "20000",
                       "--vs-python", "--json", NULL};
    rc = coord(b);
    unsetenv("COORD_PYTHON_DIR");
    ASSERT_EQ(rc, 0);
    assert_one_json_object();
    ASSERT_TRUE(strstr(out, "\"python\":\"skipped: /nonexistent/coord-python/"
                            "primes.py not found\"") != NULL);
}

/* The persistent row's ratio is set against Python's one-shot run (Python
 * runs no persistent version, and forks its workers for every search):
 * the line says so, and that the team's start-up is not counted. It read
 * "C is Nx faster than Python", as if like were compared with like. */
TEST(experiments_primes_persistent_ratio_says_what_it_compares)
{
    const char *a[] = {"primes", "--runs", "1", "--range", "20000",
                       "--vs-python", NULL};
    ASSERT_EQ(coord(a), 0);
    if (strstr(out, "python: skipped"))
        SKIP("no python3: the Python rows were skipped");
    const char *line = strstr(out, "early exit, persistent workers: C is ");
    ASSERT_TRUE(line != NULL);
    const char *end = strchr(line, '\n');
    ASSERT_TRUE(end != NULL);
    char l[512];
    snprintf(l, sizeof l, "%.*s", (int)(end - line), line);
    if (!strstr(l, "than Python's one-shot run") ||
        !strstr(l, "start-up not counted"))
        test__fail(__FILE__, __LINE__, "the persistent ratio does not say "
                   "what it compares: %s", l);
}

TEST(experiments_waste_counts)
{
    const char *a[] = {"waste", "--runs", "1", "--interval", "10", "--json",
                       NULL};
    ASSERT_EQ(coord(a), 0);
    assert_one_json_object();
    ASSERT_EQ(num("lecture_wasted"), 297000);
    /* Without early exit: all but the winner's tail, 3 x 100,000 + 1,001. */
    ASSERT_EQ(num("iterations"), 301001);
    const char *with = strstr(out, "\"with\":");
    ASSERT_TRUE(with != NULL);
    double w = strtod(strstr(with, "\"wasted\":") + 9, NULL);
    ASSERT_LE(w, 3 * 10); /* (workers - 1) x interval */
    const char *t[] = {"waste", "--runs", "1", NULL};
    ASSERT_EQ(coord(t), 0);
    ASSERT_TRUE(strstr(out, "297,000 = 3 x 99,000") != NULL);
    /* (workers - 1) x K bounds the waste for a fixed K only; the automatic
     * K's mean gives its size (an abrupt cost change was measured past it). */
    const char *fixed[] = {"waste", "--runs", "1", "--interval", "10", NULL};
    ASSERT_EQ(coord(fixed), 0);
    ASSERT_TRUE(strstr(out, "at most 30 = 3 x K") != NULL);
    const char *autok[] = {"waste", "--runs", "1", "--interval", "auto", NULL};
    ASSERT_EQ(coord(autok), 0);
    ASSERT_TRUE(strstr(out, "= 3 x mean final K") != NULL);
    ASSERT_TRUE(strstr(out, "at most") == NULL);
}

TEST(experiments_interval_json_rows)
{
    const char *a[] = {"interval", "--runs", "1", "--stops", "2",
                       "--work", "heavy", "--intervals", "10,auto", "--json",
                       NULL};
    ASSERT_EQ(coord(a), 0);
    assert_one_json_object();
    ASSERT_TRUE(strstr(out, "{\"work\":\"heavy\",\"interval\":10,") != NULL);
    ASSERT_TRUE(strstr(out, "{\"work\":\"heavy\",\"interval\":\"auto\"") != NULL);
    ASSERT_TRUE(strstr(out, "\"stop_latency_p50_ns\":") != NULL);
    ASSERT_TRUE(strstr(out, "\"overhead_pct\":") != NULL);
    /* The cheap iteration was not measured (--work heavy): null, not 0 ps. */
    ASSERT_TRUE(strstr(out, "\"cheap_iteration_ps\":null,") != NULL);
    ASSERT_GT(num("heavy_iteration_ps"), 0);
}

/* interval --vs-python: Python makes at most 3 runs and 7 stops a cell
 * whatever --runs and --stops say, and its part of the output says how
 * many it made (it said nothing, beside "runs":5,"stops":9 of coord's). */
TEST(experiments_interval_python_says_its_counts)
{
    const char *a[] = {"interval", "--runs", "5", "--stops", "9",
                       "--work", "heavy", "--intervals", "1,10",
                       "--vs-python", "--json", NULL};
    if (coord(a) != 0)
        test__fail(__FILE__, __LINE__, "interval: %s%s", out, err);
    assert_one_json_object();
    if (strstr(out, "\"status\":\"skipped: no python3\""))
        SKIP("python3 is not installed");
    const char *py = strstr(out, "\"python\":{\"status\":\"ok\",");
    if (!py)
        test__fail(__FILE__, __LINE__, "no Python run: %s", out);
    const char *runs = strstr(py, "\"runs\":");
    ASSERT_TRUE(runs != NULL);
    ASSERT_EQ(strtol(runs + 7, NULL, 10), 3);
    int rows = 0;
    for (const char *r = py; (r = strstr(r, "{\"work\":\"heavy\"")); r++) {
        const char *end = strchr(r, '}'), *st = strstr(r, "\"stops\":");
        ASSERT_TRUE(st != NULL && st < end);
        long n = strtol(st + 8, NULL, 10);
        ASSERT_TRUE(n >= 1 && n <= 7);
        rows++;
    }
    ASSERT_EQ(rows, 2);
}

/* interval --vs-python --work heavy: the table's Python line names the
 * workload that ran and no other (it said "cheap 0 ns/iteration" for the
 * cheap loop nobody measured, where the first line leaves it out). */
TEST(experiments_interval_python_line_names_only_the_work_run)
{
    const char *a[] = {"interval", "--runs", "1", "--stops", "1",
                       "--work", "heavy", "--intervals", "10",
                       "--vs-python", NULL};
    if (coord(a) != 0)
        test__fail(__FILE__, __LINE__, "interval: %s%s", out, err);
    if (strstr(out, "python: skipped: "))
        SKIP("Python's side did not run");
    char line[512];
    test_line_of(out, "python: ", line, sizeof line, "python");
    if (!strstr(line, "python: heavy ") || strstr(line, "cheap"))
        test__fail(__FILE__, __LINE__, "python line: %s", line);
    ASSERT_TRUE(strstr(out, "cheap = ") == NULL); /* the first line too */
}

/* interval --vs-python: a Python cell where no run stopped every other
 * worker (interval.py's "stops":0 with null latencies) is not measured:
 * null in the JSON and "-" in the table, as coord's own cells; it read
 * "stop_latency_p50_ns":0 and "0 ns". */
static void fake_interval_py(char *dir, size_t cap)
{
    char path[300];
    ASSERT_TRUE(test_mkdtemp(dir, cap, "fakepy") != NULL);
    snprintf(path, sizeof path, "%s/interval.py", dir);
    FILE *f = fopen(path, "w");
    ASSERT_TRUE(f != NULL);
    fputs("print('{\"lang\":\"python\",\"workers\":2,\"runs\":1,\"stops\":1,'\n"
          "      '\"cheap_iteration_ns\":0.0,\"heavy_iteration_ns\":9000.0,'\n"
          "      '\"rows\":[{\"work\":\"heavy\",\"interval\":10,'\n"
          "      '\"overhead_pct\":1.500,\"stops\":0,'\n"
          "      '\"stop_latency_p50_ns\":null,\"stop_latency_p99_ns\":null}]}')\n",
          f);
    ASSERT_EQ(fclose(f), 0);
}

TEST(experiments_interval_python_cell_without_stops_is_not_zero)
{
    if (system("command -v python3 >/dev/null 2>&1") != 0)
        SKIP("no python3");
    char dir[256];
    fake_interval_py(dir, sizeof dir);
    setenv("COORD_PYTHON_DIR", dir, 1);
    const char *a[] = {"interval", "--runs", "1", "--stops", "1",
                       "--work", "heavy", "--intervals", "10",
                       "--vs-python", "--json", NULL};
    int rc = coord(a);
    const char *t[] = {"interval", "--runs", "1", "--stops", "1",
                       "--work", "heavy", "--intervals", "10",
                       "--vs-python", NULL};
    static char json[sizeof out];
    snprintf(json, sizeof json, "%s", out);
    int rc2 = coord(t);
    unsetenv("COORD_PYTHON_DIR");
    if (rc != 0 || rc2 != 0)
        test__fail(__FILE__, __LINE__, "interval: %s%s", out, err);
    const char *py = strstr(json, "\"python\":{\"status\":\"ok\",");
    if (!py)
        test__fail(__FILE__, __LINE__, "no Python run: %s", json);
    if (!strstr(py, "\"stops\":0,\"stop_latency_p50_ns\":null,"
                    "\"stop_latency_p99_ns\":null}"))
        test__fail(__FILE__, __LINE__, "Python row: %s", py);
    /* The table's Python column: overhead, then the stop p50 as "-". */
    char line[512];
    test_line_of(out, "heavy  10 ", line, sizeof line, "heavy row");
    const char *bar = strchr(line, '|');
    ASSERT_TRUE(bar != NULL);
    if (!strstr(bar, "+1.50%") || strstr(bar, " ns") ||
        line[strlen(line) - 1] != '-')
        test__fail(__FILE__, __LINE__, "heavy row: %s", line);
}

/* The default worker count is the CPUs this process may run on, and at
 * least 2 (the stop latency is measured between two workers): pinned to
 * one CPU it is 2, whatever the machine has online (the count used to be
 * the online CPUs: 16 workers on a pinned CPU of a 16-CPU machine, and a
 * usage error on a 1-CPU machine). */
TEST(experiments_interval_default_workers_follow_affinity)
{
    cpu_set_t was, one;
    ASSERT_OK(sched_getaffinity(0, sizeof was, &was));
    int first = 0;
    while (first < CPU_SETSIZE && !CPU_ISSET(first, &was))
        first++;
    ASSERT_LT(first, CPU_SETSIZE);
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    ASSERT_OK(sched_setaffinity(0, sizeof one, &one)); /* the child inherits it */
    const char *a[] = {"interval", "--runs", "1", "--stops", "2",
                       "--work", "heavy", "--intervals", "10", "--json",
                       NULL};
    int rc = coord(a);
    ASSERT_OK(sched_setaffinity(0, sizeof was, &was));
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(num("workers"), 2);
}

/* How many entries `dir` holds (. and .. aside). */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    ASSERT_TRUE(d != NULL);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* The first bytes of `path` into head[cap] (NUL-terminated). */
static void read_head(const char *path, char *head, size_t cap)
{
    FILE *f = fopen(path, "r");
    ASSERT_TRUE(f != NULL);
    size_t n = fread(head, 1, cap - 1, f);
    fclose(f);
    head[n] = '\0';
}

/* A new directory for a plot case in dir[96]: dir/tmp, made, is TMPDIR
 * (for this forked case only) and the plot goes to dir/`name`. */
static void plot_dirs(char *dir, char *tmp, char *plot, const char *name)
{
    test_mkdtemp(dir, 96, "plot");
    snprintf(tmp, 128, "%s/tmp", dir);
    ASSERT_OK(mkdir(tmp, 0700));
    ASSERT_OK(setenv("TMPDIR", tmp, 1));
    snprintf(plot, 128, "%s/%s", dir, name);
}

/* Whether coord finds gnuplot: on PATH, where it looks (this looked at
 * /usr/bin/gnuplot only, so the case failed where PATH leads to none and
 * was skipped where gnuplot lives elsewhere on PATH). */
static bool gnuplot_on_path(void)
{
    return system("command -v gnuplot >/dev/null 2>&1") == 0;
}

/* The plot is drawn (with TMPDIR empty, before and after). */
TEST(experiments_interval_plot)
{
    if (!gnuplot_on_path())
        SKIP("gnuplot is not on PATH");
    char dir[96], tmp[128], path[128], head[256];
    plot_dirs(dir, tmp, path, "out.svg");
    const char *a[] = {"interval", "--runs", "1", "--stops", "1",
                       "--work", "heavy", "--intervals", "1,auto",
                       "--plot", path, NULL};
    ASSERT_EQ(coord(a), 0);
    struct stat sb;
    ASSERT_OK(stat(path, &sb));
    ASSERT_GT(sb.st_size, 500);
    read_head(path, head, sizeof head);
    ASSERT_TRUE(strstr(head, "<svg") != NULL || strstr(head, "<?xml") != NULL);
    ASSERT_EQ(entries(tmp), 0);
}

/* experiments_interval_plot with a PATH that leads to no gnuplot is
 * skipped, as coord (which looks on PATH) says it needs gnuplot. */
TEST(experiments_interval_plot_skipped_without_gnuplot_on_path)
{
    char self[512], dir[96], cmd[1024];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    ASSERT_TRUE(n > 0);
    self[n] = '\0';
    test_mkdtemp(dir, sizeof dir, "nopath");
    snprintf(cmd, sizeof cmd,
             "PATH='%s' '%s' experiments_interval_plot >/dev/null 2>&1", dir,
             self);
    int st = system(cmd);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 77);
}

/* interval --plot makes no file but the plot, and gnuplot opens none: its
 * data comes inside its program on stdin (a datablock), and its stdout is
 * the plot (the data went into a mkstemp file in /tmp, which gnuplot then
 * opened by name). Here gnuplot is a script that must be run with no
 * argument, fails if TMPDIR holds anything while it runs, and copies its
 * program to its stdout: the plot file holds the program. */
TEST(experiments_interval_plot_makes_no_temporary_file)
{
    char dir[96], tmp[128], path[128], bin[128];
    plot_dirs(dir, tmp, path, "out.png");
    snprintf(bin, sizeof bin, "%s/bin", dir);
    ASSERT_OK(mkdir(bin, 0755));
    test_fake_program(bin, "gnuplot",
                      "[ $# -eq 0 ] || exit 3\n"
                      "[ -z \"$(ls -A \"$TMPDIR\")\" ] || exit 4\ncat");
    const char *a[] = {"interval", "--runs", "1", "--stops", "1",
                       "--intervals", "1,auto", "--plot", path, NULL};
    if (coord(a) != 0)
        test__fail(__FILE__, __LINE__, "interval --plot: %s", err);
    ASSERT_EQ(entries(tmp), 0);
    static char prog[16384];
    read_head(path, prog, sizeof prog);
    /* The data first, both works in it; the plots read it, and name no
     * file (a quoted name after `plot`, or '' for the last one). */
    static const char first[] = "$coord_data << EOD\n# cheap\n\"1\" ";
    ASSERT_TRUE(!strncmp(prog, first, sizeof first - 1));
    ASSERT_TRUE(strstr(prog, "\n# heavy\n\"1\" ") != NULL);
    ASSERT_TRUE(strstr(prog, "\nEOD\n") != NULL);
    ASSERT_TRUE(strstr(prog, "plot $coord_data index 0 using 0:2:") != NULL);
    ASSERT_TRUE(strstr(prog, ", $coord_data index 1 using 0:($3/1000)") !=
                NULL);
    ASSERT_TRUE(strstr(prog, "plot '") == NULL);
    ASSERT_TRUE(strstr(prog, "''") == NULL);
    ASSERT_TRUE(strstr(prog, "/tmp") == NULL);
}

/* A gnuplot that fails leaves the --plot file as it was: no empty file
 * where there was none, an earlier plot not cut to 0 bytes (the launcher
 * opened the file, truncating it, before gnuplot ran). */
TEST(experiments_interval_plot_failed_leaves_no_file)
{
    char dir[96], tmp[128], path[128], bin[128], old[160];
    plot_dirs(dir, tmp, path, "new.svg");
    snprintf(bin, sizeof bin, "%s/bin", dir);
    ASSERT_OK(mkdir(bin, 0755));
    test_fake_program(bin, "gnuplot",
                      "cat >/dev/null\necho 'gnuplot: no terminal' >&2\n"
                      "exit 1");
    const char *a[] = {"interval", "--runs", "1", "--stops", "1", "--work",
                       "heavy", "--intervals", "1", "--plot", path, NULL};
    ASSERT_EQ(coord(a), 1);
    ASSERT_TRUE(strstr(err, "gnuplot failed to draw") != NULL);
    ASSERT_TRUE(access(path, F_OK) != 0);
    snprintf(old, sizeof old, "%s/old.svg", dir);
    FILE *f = fopen(old, "w");
    ASSERT_TRUE(f != NULL);
    fputs("<svg>the plot of yesterday</svg>\n", f);
    ASSERT_EQ(fclose(f), 0);
    const char *b[] = {"interval", "--runs", "1", "--stops", "1", "--work",
                       "heavy", "--intervals", "1", "--plot", old, NULL};
    ASSERT_EQ(coord(b), 1);
    char head[128];
    read_head(old, head, sizeof head);
    ASSERT_STR_EQ(head, "<svg>the plot of yesterday</svg>\n");
}

/* One line on stderr, ending in a newline. */
static void assert_one_error_line(void)
{
    size_t n = strlen(err);
    ASSERT_GT(n, 1);
    ASSERT_TRUE(strchr(err, '\n') == err + n - 1);
}

/* coord `args` is refused as a bad path: exit 2, one line on stderr that
 * names `path` and says `says`. */
static void assert_refused(const char *const *args, const char *path,
                           const char *says)
{
    ASSERT_EQ(coord(args), 2);
    assert_one_error_line();
    ASSERT_TRUE(strstr(err, path) != NULL);
    ASSERT_TRUE(strstr(err, says) != NULL);
}

/* interval --plot `svg` is refused as assert_refused says. */
static void assert_plot_refused(const char *svg, const char *says)
{
    const char *b[] = {"interval", "--runs", "1", "--stops", "1", "--work",
                       "heavy", "--intervals", "1", "--plot", svg, NULL};
    assert_refused(b, svg, says);
}

/* report --out `rep` is refused for its document `doc`, before the run. */
static void assert_report_refused(const char *rep, const char *doc,
                                  const char *says)
{
    const char *c[] = {"report", "--quick", "--only", "waste", "--no-python",
                       "--out", rep, NULL};
    assert_refused(c, doc, says);
}

/* Hostile paths (an audit's findings): a --plot name that carries gnuplot
 * commands after a newline ran them (`system` included); a FIFO planted at
 * a path the tool writes or reads blocked it for ever. Now: one line and
 * an exit status, before the experiment runs, and nothing executed. */
TEST(experiments_hostile_paths_get_one_line)
{
    char dir[256], fifo[300], csv[300], marker[300], name[1200];
    test_mkdtemp(dir, sizeof dir, "paths");
    snprintf(fifo, sizeof fifo, "%s/f.png", dir);
    snprintf(csv, sizeof csv, "%s/f.csv", dir);
    snprintf(marker, sizeof marker, "%s/INJECTED", dir);
    ASSERT_OK(mkfifo(fifo, 0600));
    ASSERT_OK(mkfifo(csv, 0600));
    snprintf(name, sizeof name, "%s/x\nsystem \"touch %s\"\nset output \"%s/y.png",
             dir, marker, dir);
    const char *a[] = {"interval", "--runs", "1", "--stops", "1", "--work",
                       "heavy", "--intervals", "1", "--plot", name, NULL};
    ASSERT_EQ(coord(a), 2);
    assert_one_error_line();
    ASSERT_TRUE(strstr(err, "control character") != NULL);
    ASSERT_TRUE(access(marker, F_OK) != 0);
    const char *b[] = {"interval", "--runs", "1", "--stops", "1", "--work",
                       "heavy", "--intervals", "1", "--plot", fifo, NULL};
    ASSERT_EQ(coord(b), 2);
    assert_one_error_line();
    ASSERT_TRUE(strstr(err, "not a regular file") != NULL);
    const char *c[] = {"fraud", "--quick", "--transactions", "10", "--warmup",
                       "0", "--intervals", "1", "--write-csv", csv, NULL};
    ASSERT_EQ(coord(c), 2); /* a bad path, as every refused output path */
    assert_one_error_line();
    ASSERT_TRUE(strstr(err, "FIFO") != NULL);
    ASSERT_TRUE(strstr(err, csv) != NULL);
    const char *d[] = {"advise", "--shape", "flag", "--per-iteration", "1",
                       "--processes", "2", "--calibration", csv, NULL};
    ASSERT_EQ(coord(d), 2);
    assert_one_error_line();
    ASSERT_TRUE(strstr(err, "not a regular file") != NULL);
}

/* Two reports into one directory wrote each other's data/ files (an
 * audit: 8 of 15 rounds failed reading a half-written JSON): the second
 * is refused while the first holds the directory's lock. */
TEST(experiments_report_directory_is_one_report_at_a_time)
{
    char dir[256], lockf[300];
    test_mkdtemp(dir, sizeof dir, "report");
    snprintf(lockf, sizeof lockf, "%s/.coord-report.lock", dir);
    int fd = open(lockf, O_RDWR | O_CREAT, 0600);
    ASSERT_TRUE(fd >= 0);
    ASSERT_OK(flock(fd, LOCK_EX | LOCK_NB)); /* as a running report holds it */
    const char *a[] = {"report", "--quick", "--only", "waste", "--no-python",
                       "--out", dir, NULL};
    ASSERT_EQ(coord(a), 1);
    assert_one_error_line();
    ASSERT_TRUE(strstr(err, "another coord report is writing into it") != NULL);
    close(fd); /* released: the report runs */
    ASSERT_EQ(coord(a), 0);
    char idx[300];
    snprintf(idx, sizeof idx, "%s/index.html", dir);
    ASSERT_OK(access(idx, F_OK));
}

TEST(experiments_usage_errors)
{
    const char *cases[][6] = {
        {"primes", "--interval", "0", NULL},
        {"primes", "--workers", "0", NULL},
        {"primes", "--claim", "maybe", NULL},
        {"primes", "--hit-worker", "9", NULL},
        {"primes", "--hit-at", "100000", NULL},
        {"waste", "--items", "10", "--hit-at", "10", NULL},
        {"waste", "--bogus", NULL},
        {"interval", "--intervals", "0", NULL},
        {"interval", "--intervals", "10,x", NULL},
        {"interval", "--work", "light", NULL},
        {"interval", "--plot", "out.jpg", NULL},
        {"interval", "--workers", "1", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ASSERT_EQ(coord(cases[i]), 2);
        ASSERT_STR_EQ(out, "");
        /* One line on stderr. */
        ASSERT_TRUE(strchr(err, '\n') == err + strlen(err) - 1);
    }
    const char *h[] = {"interval", "--help", NULL};
    ASSERT_EQ(coord(h), 0);
    ASSERT_TRUE(strstr(out, "usage: coord interval") != NULL);
}


/* `path`'s whole content is `want`. */
static void assert_content(const char *path, const char *want)
{
    char buf[256];
    int fd = open(path, O_RDONLY);
    ASSERT_TRUE(fd >= 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    ASSERT_TRUE(n >= 0);
    buf[n] = '\0';
    ASSERT_STR_EQ(buf, want);
}

/* `path` holds a CSV that --write-csv wrote (its header starts "id"). */
static void assert_csv_written(const char *path)
{
    char head[3] = {0};
    int fd = open(path, O_RDONLY);
    ASSERT_TRUE(fd >= 0);
    ASSERT_EQ(read(fd, head, 2), 2);
    close(fd);
    ASSERT_STR_EQ(head, "id");
}

/* A symlink at `link` to `target`, owned by `uid` (lchown). */
static void symlink_of(const char *target, const char *link, uid_t uid)
{
    ASSERT_OK(symlink(target, link));
    ASSERT_OK(lchown(link, uid, (gid_t)-1));
}

/* An output path that is a symlink another user planted (in /tmp, say)
 * made coord write through it into the file it names, a victim's file
 * that user cannot write (an audit's finding). Now such a link is
 * refused with one line and exit 2, its target untouched; a link the
 * caller (or root) owns is followed as before. */
TEST(experiments_output_symlink_of_another_user_refused)
{
    if (geteuid() != 0)
        SKIP("needs root to plant a symlink owned by another user "
             "(uid 65534)");
    char dir[256], victim[300], theirs[300], mine[300], chain[300];
    char png[300], rep[300], idx[320];
    test_mkdtemp(dir, sizeof dir, "links");
    snprintf(victim, sizeof victim, "%s/victim", dir);
    snprintf(theirs, sizeof theirs, "%s/theirs.csv", dir);
    snprintf(mine, sizeof mine, "%s/mine.csv", dir);
    snprintf(chain, sizeof chain, "%s/chain.csv", dir);
    snprintf(png, sizeof png, "%s/theirs.png", dir);
    snprintf(rep, sizeof rep, "%s/report", dir);
    snprintf(idx, sizeof idx, "%s/index.html", rep);
    int fd = open(victim, O_WRONLY | O_CREAT | O_EXCL, 0644);
    ASSERT_TRUE(fd >= 0);
    ASSERT_EQ(write(fd, "precious\n", 9), 9);
    close(fd);
    symlink_of(victim, theirs, 65534);
    symlink_of("victim", png, 65534);
    /* Ours, but leading to theirs: refused when the file is opened. */
    symlink_of("theirs.csv", chain, 0);
    symlink_of("victim", mine, 0);
    const char *a[] = {"fraud", "--quick", "--transactions", "10", "--warmup",
                       "0", "--intervals", "1", "--write-csv", theirs, NULL};
    ASSERT_EQ(coord(a), 2);
    assert_one_error_line();
    ASSERT_TRUE(strstr(err, "refusing to write") != NULL);
    ASSERT_TRUE(strstr(err, theirs) != NULL);
    ASSERT_TRUE(strstr(err, "uid 65534") != NULL);
    assert_content(victim, "precious\n");
    a[9] = chain;
    ASSERT_EQ(coord(a), 2);
    assert_one_error_line();
    ASSERT_TRUE(strstr(err, chain) != NULL);
    assert_content(victim, "precious\n");
    const char *b[] = {"interval", "--runs", "1", "--stops", "1", "--work",
                       "heavy", "--intervals", "1", "--plot", png, NULL};
    ASSERT_EQ(coord(b), 2);
    assert_one_error_line();
    ASSERT_TRUE(strstr(err, png) != NULL);
    assert_content(victim, "precious\n");
    ASSERT_OK(mkdir(rep, 0755));
    symlink_of(victim, idx, 65534);
    const char *c[] = {"report", "--quick", "--only", "waste", "--no-python",
                       "--out", rep, NULL};
    ASSERT_EQ(coord(c), 2);
    assert_one_error_line();
    ASSERT_TRUE(strstr(err, idx) != NULL);
    assert_content(victim, "precious\n");
    /* The caller's own link is followed: the CSV lands in the victim. */
    a[9] = mine;
    ASSERT_EQ(coord(a), 0);
    assert_csv_written(victim);
    struct stat st;
    ASSERT_OK(lstat(mine, &st));
    ASSERT_TRUE(S_ISLNK(st.st_mode));
}

/* A directory on the way to an output file that is a link another user
 * owns (an audit: their link to a victim's directory took --write-csv's
 * file, and report --out's index.html, data/ and plots/, into it):
 * refused, one line, exit 2, nothing written or made there; the caller's
 * own link on the way is followed. */
TEST(experiments_output_dir_link_of_another_user_refused)
{
    if (geteuid() != 0)
        SKIP("needs root to plant a symlink owned by another user "
             "(uid 65534)");
    char dir[256], vdir[300], theirs[300], mine[300], csv[340], out[340];
    char probe[400];
    test_mkdtemp(dir, sizeof dir, "dirlinks");
    snprintf(vdir, sizeof vdir, "%s/victim", dir);
    snprintf(theirs, sizeof theirs, "%s/theirs", dir);
    snprintf(mine, sizeof mine, "%s/mine", dir);
    ASSERT_OK(mkdir(vdir, 0755));
    snprintf(probe, sizeof probe, "%s/tx.csv", vdir);
    int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0644);
    ASSERT_TRUE(fd >= 0);
    ASSERT_EQ(write(fd, "precious\n", 9), 9);
    close(fd);
    symlink_of("victim", theirs, 65534);
    symlink_of("victim", mine, 0);
    snprintf(csv, sizeof csv, "%s/tx.csv", theirs);
    const char *a[] = {"fraud", "--quick", "--transactions", "10", "--warmup",
                       "0", "--intervals", "1", "--write-csv", csv, NULL};
    ASSERT_EQ(coord(a), 2);
    assert_one_error_line();
    ASSERT_TRUE(strstr(err, "uid 65534") != NULL);
    assert_content(probe, "precious\n");
    /* A report into the victim's directory through their link, and into a
     * new directory below it: refused before anything is made. */
    static const char *const tails[] = {"", "/new/report"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(out, sizeof out, "%s%s", theirs, tails[i]);
        const char *c[] = {"report", "--quick", "--only", "waste",
                           "--no-python", "--out", out, NULL};
        ASSERT_EQ(coord(c), 2);
        assert_one_error_line();
        ASSERT_TRUE(strstr(err, "uid 65534") != NULL);
        struct stat st;
        snprintf(probe, sizeof probe, "%s/data", vdir);
        ASSERT_TRUE(lstat(probe, &st) != 0);
        snprintf(probe, sizeof probe, "%s/new", vdir);
        ASSERT_TRUE(lstat(probe, &st) != 0);
    }
    /* Our own link on the way: followed. */
    snprintf(csv, sizeof csv, "%s/tx.csv", mine);
    a[9] = csv;
    ASSERT_EQ(coord(a), 0);
    snprintf(probe, sizeof probe, "%s/tx.csv", vdir);
    assert_csv_written(probe);
}

/* A file another user made in advance at an output path in a sticky
 * directory others can write (/tmp): coord wrote into it, a file they own
 * and can read (fs.protected_regular, off here, would refuse the open).
 * Now it is refused, one line naming the path and the owner, exit 2, the
 * file as it was (content and mtime: it is not truncated before the
 * check). Elsewhere (a directory that is not sticky) it is written. */
TEST(experiments_output_file_of_another_user_refused)
{
    if (geteuid() != 0)
        SKIP("needs root to make a file owned by another user (uid 65534)");
    char dir[256], csv[300], svg[300], rep[300], idx[320], mine[300];
    test_mkdtemp(dir, sizeof dir, "sticky");
    ASSERT_OK(chmod(dir, 01777));
    snprintf(csv, sizeof csv, "%s/out.csv", dir);
    snprintf(svg, sizeof svg, "%s/out.svg", dir);
    snprintf(rep, sizeof rep, "%s/report", dir);
    snprintf(idx, sizeof idx, "%s/index.html", rep);
    test_plant_victim(csv);
    test_plant_victim(svg);
    const char *a[] = {"fraud", "--quick", "--transactions", "10", "--warmup",
                       "0", "--intervals", "1", "--write-csv", csv, NULL};
    ASSERT_EQ(coord(a), 2);
    assert_one_error_line();
    ASSERT_TRUE(strstr(err, "refusing to write") != NULL);
    ASSERT_TRUE(strstr(err, csv) != NULL);
    ASSERT_TRUE(strstr(err, "uid 65534") != NULL);
    test_assert_victim(csv);
    /* Group-writable is others too. */
    ASSERT_OK(chmod(dir, 01770));
    ASSERT_EQ(coord(a), 2);
    test_assert_victim(csv);
    ASSERT_OK(chmod(dir, 01777));
    /* Our own link to it, from a directory of ours: the file decides. */
    test_mkdtemp(mine, sizeof mine, "mine");
    strcat(mine, "/link.csv");
    symlink_of(csv, mine, 0);
    a[9] = mine;
    ASSERT_EQ(coord(a), 2);
    assert_one_error_line();
    ASSERT_TRUE(strstr(err, "it leads to a file owned by uid 65534") != NULL);
    test_assert_victim(csv);
    assert_plot_refused(svg, "uid 65534");
    test_assert_victim(svg);
    /* report --out into a sticky directory others can write. */
    ASSERT_OK(mkdir(rep, 01777));
    ASSERT_OK(chmod(rep, 01777));
    test_plant_victim(idx);
    assert_report_refused(rep, idx, "uid 65534");
    test_assert_victim(idx);
    /* Not sticky: another user's file there is theirs to offer (a shared
     * directory the caller chose), and is written as before. */
    ASSERT_OK(chmod(dir, 0777));
    a[9] = csv;
    ASSERT_EQ(coord(a), 0);
    assert_csv_written(csv);
}

/* A file of the caller's ("precious\n", its mtime TEST_VICTIM_MTIME) at
 * `path`, and `other` a second name of it (a hard link). */
static void own_file_linked(const char *path, const char *other)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    ASSERT_TRUE(fd >= 0);
    ASSERT_EQ(write(fd, "precious\n", 9), 9);
    struct timespec t[2] = {{TEST_VICTIM_MTIME, 0}, {TEST_VICTIM_MTIME, 0}};
    ASSERT_OK(futimens(fd, t));
    close(fd);
    ASSERT_OK(link(path, other));
}

/* `path` is own_file_linked's file as it was made: content and mtime. */
static void assert_own_file(const char *path)
{
    assert_content(path, "precious\n");
    struct stat st;
    ASSERT_OK(stat(path, &st));
    ASSERT_EQ(st.st_mtim.tv_sec, TEST_VICTIM_MTIME);
}

/* A hard link to a file of the caller's (~/.bashrc, say), made by another
 * user at an output path in a directory they may write: coord cut the
 * file and wrote its output into it (whoever may link a file there: its
 * owner, or anyone when fs.protected_hardlinks is 0; here root makes the
 * link, for them). Now an existing file with more than one link is
 * refused, one line naming the path and the count, exit 2, the file as it
 * was, in any directory others may write: sticky (as /tmp) or not, group-
 * or world-writable, or another user's. In a directory only the caller
 * may change, the caller made the link, and it is written through. */
TEST(experiments_output_hard_link_in_a_shared_directory_refused)
{
    if (geteuid() != 0)
        SKIP("needs root to give a directory to another user (uid 65534)");
    char home[256], rc[300], dir[256], csv[300], svg[300], rep[300];
    char idx[320];
    test_mkdtemp(home, sizeof home, "home");
    snprintf(rc, sizeof rc, "%s/rc", home);
    test_mkdtemp(dir, sizeof dir, "shared");
    ASSERT_OK(chmod(dir, 01777));
    snprintf(csv, sizeof csv, "%s/out.csv", dir);
    snprintf(svg, sizeof svg, "%s/out.svg", dir);
    snprintf(rep, sizeof rep, "%s/report", dir);
    snprintf(idx, sizeof idx, "%s/index.html", rep);
    own_file_linked(rc, csv);
    ASSERT_OK(link(rc, svg));
    const char *a[] = {"fraud", "--quick", "--transactions", "10", "--warmup",
                       "0", "--intervals", "1", "--write-csv", csv, NULL};
    static const struct {
        mode_t mode;
        uid_t owner;
    } shared[] = {{01777, 0}, {0777, 0}, {0770, 0}, {0755, 65534}};
    for (size_t i = 0; i < sizeof shared / sizeof shared[0]; i++) {
        ASSERT_OK(chown(dir, shared[i].owner, 0));
        ASSERT_OK(chmod(dir, shared[i].mode));
        assert_refused(a, csv, "refusing to write");
        ASSERT_TRUE(strstr(err, "it is a file with 3 hard links") != NULL);
        assert_own_file(rc);
    }
    ASSERT_OK(chown(dir, 0, 0));
    ASSERT_OK(chmod(dir, 01777));
    assert_plot_refused(svg, "hard links");
    assert_own_file(rc);
    /* A report's document, in a report directory of ours that is sticky
     * and others may write (as /tmp): refused before the run. */
    ASSERT_OK(mkdir(rep, 01777));
    ASSERT_OK(chmod(rep, 01777));
    ASSERT_OK(link(rc, idx));
    assert_report_refused(rep, idx, "hard links");
    assert_own_file(rc);
    /* Only the caller may change the directory: the link is theirs, and
     * the output replaces the name whole (written beside it and renamed
     * over it): that name has the output, the file's other names keep
     * what it held. */
    ASSERT_OK(chmod(dir, 0755));
    ASSERT_EQ(coord(a), 0);
    assert_csv_written(csv);
    assert_own_file(rc);
}

/* An output replaces its file whole: written beside it and renamed over
 * it, so a run that fails leaves the earlier file, and the file keeps its
 * mode. A symlink of ours at the path still leads there afterwards (the
 * file it names is replaced, not the link), and no temporary is left. */
TEST(experiments_output_replaced_whole_keeps_mode_and_link)
{
    char dir[256], csv[300], link_path[300];
    test_mkdtemp(dir, sizeof dir, "replace");
    snprintf(csv, sizeof csv, "%s/out.csv", dir);
    snprintf(link_path, sizeof link_path, "%s/latest.csv", dir);
    int fd = open(csv, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    ASSERT_TRUE(fd >= 0);
    ASSERT_EQ(write(fd, "earlier\n", 8), 8);
    close(fd);
    ASSERT_OK(chmod(csv, 0640));
    ASSERT_OK(symlink("out.csv", link_path));
    const char *a[] = {"fraud", "--quick", "--transactions", "10", "--warmup",
                       "0", "--intervals", "1", "--write-csv", link_path,
                       NULL};
    ASSERT_EQ(coord(a), 0);
    struct stat st;
    ASSERT_OK(lstat(link_path, &st));
    ASSERT_TRUE(S_ISLNK(st.st_mode));
    assert_csv_written(csv);
    ASSERT_OK(stat(csv, &st));
    ASSERT_EQ(st.st_mode & 0777, 0640);
    /* The directory holds the file and the link, nothing else. */
    ASSERT_EQ(entries(dir), 2);
}

/* The child of the next test: as uid 65534, fraud --write-csv into arg,
 * a file of its own in a directory of root's it may not add names to. */
static int write_csv_as_nobody(void *arg)
{
    if (setresgid(65534, 65534, 65534) != 0 ||
        setresuid(65534, 65534, 65534) != 0)
        return 10;
    const char *a[] = {COORD_CLI_PATH, "fraud", "--quick", "--transactions",
                       "10", "--warmup", "0", "--intervals", "1",
                       "--write-csv", arg, NULL};
    int st = test_run(a, out, sizeof out, err, sizeof err, 90000);
    if (!WIFEXITED(st))
        return 20;
    /* A usage error is said when the option is read, naming it (said at
     * the write, after the work, it names the path alone). */
    if (WEXITSTATUS(st) == 2 && !strstr(err, "coord fraud: --write-csv: "))
        return 30;
    return WEXITSTATUS(st);
}

/* A file made by root at `path` holding "earlier\n", then given `uid`
 * and `mode`. */
static void make_earlier(const char *path, uid_t uid, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    ASSERT_TRUE(fd >= 0);
    ASSERT_EQ(write(fd, "earlier\n", 8), 8);
    close(fd);
    ASSERT_OK(chown(path, uid, uid));
    ASSERT_OK(chmod(path, mode));
}

/* In a fresh directory `what` of mode `dir_mode` (dir[256]), an earlier
 * out.csv (csv[300]) owned by `owner` with `mode`; fraud --write-csv into
 * it as uid 65534 must succeed and leave the CSV there. */
static void written_in_place_as_nobody(const char *what, mode_t dir_mode,
                                       uid_t owner, mode_t mode, char *dir,
                                       char *csv)
{
    test_mkdtemp(dir, 256, what);
    ASSERT_OK(chmod(dir, dir_mode));
    snprintf(csv, 300, "%s/out.csv", dir);
    make_earlier(csv, owner, mode);
    int st = test_wait(test_fork(write_csv_as_nobody, csv), 120000);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 0);
    assert_csv_written(csv);
}

/* A file you may write, in a directory you may not add a name to: no
 * temporary can be made beside it, so it is written in place, as before
 * outputs were replaced whole (refusing it would have been a regression:
 * exit 1 after the whole run). */
TEST(experiments_output_in_a_directory_closed_to_us_is_written_in_place)
{
    if (geteuid() != 0)
        SKIP("needs root to make a directory another user cannot write");
    char dir[256], csv[300];
    written_in_place_as_nobody("closed", 0755, 65534, 0644, dir, csv);
    /* A new file there cannot be made at all: a usage error when the
     * option is read (it was exit 2 only after the whole run). */
    char fresh[300];
    snprintf(fresh, sizeof fresh, "%s/new.csv", dir);
    int st = test_wait(test_fork(write_csv_as_nobody, fresh), 120000);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 2);
    ASSERT_TRUE(access(fresh, F_OK) != 0);
}

/* `path` still holds "earlier\n", owned by `uid`. */
static void assert_earlier(const char *path, uid_t uid)
{
    assert_content(path, "earlier\n");
    struct stat st;
    ASSERT_OK(stat(path, &st));
    ASSERT_EQ(st.st_uid, uid);
}

/* An output file you may not write (a read-only file of yours, a file of
 * root's in a directory anyone may add names to) is refused, exit 2, and
 * left as it was, as when the file was opened for writing: replaced whole
 * (a new file renamed over it), its contents were lost and root's file
 * became the writer's. */
TEST(experiments_output_file_you_may_not_write_is_refused)
{
    if (geteuid() != 0)
        SKIP("needs root to run as another user");
    char dir[256], ro[300], roots[300];
    test_mkdtemp(dir, sizeof dir, "nowrite");
    ASSERT_OK(chmod(dir, 0777)); /* not sticky: anyone may add names */
    snprintf(ro, sizeof ro, "%s/ro.csv", dir);
    snprintf(roots, sizeof roots, "%s/roots.csv", dir);
    make_earlier(ro, 65534, 0444);
    make_earlier(roots, 0, 0644);
    int st = test_wait(test_fork(write_csv_as_nobody, ro), 120000);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 2);
    assert_earlier(ro, 65534);
    st = test_wait(test_fork(write_csv_as_nobody, roots), 120000);
    ASSERT_TRUE(WIFEXITED(st));
    ASSERT_EQ(WEXITSTATUS(st), 2);
    assert_earlier(roots, 0);
    /* No temporary is left beside them. */
    ASSERT_EQ(entries(dir), 2);
}

/* A file of root's that anyone may write, in a sticky directory anyone
 * may write (/tmp): only the file's owner, the directory's or root may
 * rename over its name there, so it is written in place, as before
 * outputs were replaced whole (the rename failed with EPERM: exit 1 after
 * the whole run, "cannot write : Operation not permitted"). */
TEST(experiments_output_of_roots_in_a_sticky_directory_is_written_in_place)
{
    if (geteuid() != 0)
        SKIP("needs root to run as another user");
    char dir[256], csv[300];
    written_in_place_as_nobody("sticky", 01777, 0, 0666, dir, csv);
    struct stat sb;
    ASSERT_OK(stat(csv, &sb));
    ASSERT_EQ(sb.st_uid, 0);
}

/* Whatever is at an output path that is no regular file gets one line and
 * exit 2, as a bad argument, before the work (fraud --write-csv at a FIFO
 * exited 1; at a directory or a device, and report's documents at any of
 * them, after the whole run). /dev/null is taken as the place for output
 * nobody wants. */
TEST(experiments_output_not_a_regular_file_is_a_usage_error)
{
    char dir[256], fifo[300], sub[300], dev[300], rep[300], path[320];
    test_mkdtemp(dir, sizeof dir, "kinds");
    snprintf(fifo, sizeof fifo, "%s/fifo.svg", dir);
    snprintf(sub, sizeof sub, "%s/dir.svg", dir);
    snprintf(dev, sizeof dev, "%s/zero.svg", dir); /* ours, to /dev/zero */
    ASSERT_OK(mkfifo(fifo, 0600));
    ASSERT_OK(mkdir(sub, 0700));
    ASSERT_OK(symlink("/dev/zero", dev));
    const char *kinds[][2] = {{fifo, "a FIFO"}, {sub, "a directory"},
                              {dev, "a device"}, {"/dev/zero", "a device"}};
    const char *a[] = {"fraud", "--quick", "--transactions", "10", "--warmup",
                       "0", "--intervals", "1", "--write-csv", NULL, NULL};
    const char *b[] = {"interval", "--runs", "1", "--stops", "1", "--work",
                       "heavy", "--intervals", "1", "--plot", NULL, NULL};
    for (size_t i = 0; i < 4; i++) {
        a[9] = kinds[i][0];
        ASSERT_EQ(coord(a), 2);
        assert_one_error_line();
        ASSERT_TRUE(strstr(err, kinds[i][0]) != NULL);
        ASSERT_TRUE(strstr(err, "not a regular file") != NULL);
        ASSERT_TRUE(strstr(err, kinds[i][1]) != NULL);
        if (i == 3)
            break; /* no .svg */
        b[10] = kinds[i][0];
        ASSERT_EQ(coord(b), 2);
        assert_one_error_line();
        ASSERT_TRUE(strstr(err, "not a regular file") != NULL);
    }
    a[9] = "/dev/null";
    ASSERT_EQ(coord(a), 0);
    ASSERT_STR_EQ(err, "");
    /* The report's documents: refused before any experiment runs. */
    static const char *const doc[] = {"index.html", "report.md"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(rep, sizeof rep, "%s/report%zu", dir, i);
        ASSERT_OK(mkdir(rep, 0700));
        snprintf(path, sizeof path, "%s/%s", rep, doc[i % 2]);
        if (i == 0)
            ASSERT_OK(mkfifo(path, 0600));
        else if (i == 1)
            ASSERT_OK(mkdir(path, 0700));
        else
            ASSERT_OK(symlink("/dev/zero", path));
        const char *c[] = {"report", "--quick", "--only", "waste",
                           "--no-python", "--out", rep, NULL};
        ASSERT_EQ(coord(c), 2);
        assert_one_error_line();
        ASSERT_TRUE(strstr(err, path) != NULL);
        ASSERT_TRUE(strstr(err, kinds[i][1]) != NULL);
    }
}

#define TEST_LIST(X)                                                           \
    X(experiments_primes_json_and_table)                                       \
    X(experiments_primes_python_missing_is_skipped)                            \
    X(experiments_primes_persistent_ratio_says_what_it_compares)               \
    X(experiments_waste_counts)                                                \
    X(experiments_interval_json_rows)                                          \
    X(experiments_interval_python_says_its_counts)                             \
    X(experiments_interval_python_line_names_only_the_work_run)                \
    X(experiments_interval_python_cell_without_stops_is_not_zero)              \
    X(experiments_interval_default_workers_follow_affinity)                    \
    X(experiments_interval_plot)                                               \
    X(experiments_interval_plot_skipped_without_gnuplot_on_path)               \
    X(experiments_interval_plot_makes_no_temporary_file)                       \
    X(experiments_interval_plot_failed_leaves_no_file)                         \
    X(experiments_hostile_paths_get_one_line)                                  \
    X(experiments_output_symlink_of_another_user_refused)                     \
    X(experiments_output_dir_link_of_another_user_refused)                    \
    X(experiments_output_file_of_another_user_refused)                         \
    X(experiments_output_hard_link_in_a_shared_directory_refused)              \
    X(experiments_output_replaced_whole_keeps_mode_and_link)                   \
    X(experiments_output_in_a_directory_closed_to_us_is_written_in_place)      \
    X(experiments_output_file_you_may_not_write_is_refused)                    \
    X(experiments_output_of_roots_in_a_sticky_directory_is_written_in_place)   \
    X(experiments_output_not_a_regular_file_is_a_usage_error)                  \
    X(experiments_report_directory_is_one_report_at_a_time)                    \
    X(experiments_usage_errors)
#define HELPER_LIST(X)
TEST_MAIN()
