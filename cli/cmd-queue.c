/* SPDX-License-Identifier: MIT */
/* cmd-queue.c: `coord queue`: queue throughput with poison-pill shutdown, against a pipe and Python, and fault probes. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "opts.h"
#include "json.h"
#include "launch.h"
#include "progress.h"
#include "queue-probes.h"

#define CMD "queue"
#define MAX_RUNS 50
#define QUEUE_CAPACITY 1024
#define PIPE_PILL UINT64_MAX

static const char *const impl_name[] = {"coord", "pipe", "python"};

struct scase {
    const char *name;
    unsigned producers, consumers;
};
static const struct scase cases[] = {
    {"1p1c", 1, 1},
    {"1to4_pills", 1, 4},
    {"4to4", 4, 4},
};
#define MSG_MAX 64 /* the largest size below */
static const size_t sizes[] = {8, MSG_MAX};

struct opts {
    uint64_t messages, pipe_messages, py_messages;
    unsigned runs, py_runs;
    bool json, python, probes, pipe;
    const char *py_skip; /* why Python rows are skipped */
};

/* ---- one measured run over coord_queue or a pipe ------------------------ */

struct shared {
    _Atomic uint32_t go;
    _Atomic uint64_t count;
    _Atomic uint64_t sum;
    _Atomic uint32_t bad;
};

/* The checksum of a message id: a strong mix, so that a lost message and a
 * duplicated one cannot cancel out in the sum. */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Payload after the id: 8-byte words derived from the id, so a consumer
 * can check the whole message cheaply (a torn or mixed-up message fails). */
static void fill(unsigned char *m, size_t n, uint64_t id)
{
    if (n < sizeof id || n > MSG_MAX)
        return; /* never: sizes come from the table above; tells -O3 so */
    memcpy(m, &id, sizeof id);
    for (size_t k = sizeof id; k + 8 <= n; k += 8) {
        uint64_t w = id * 0x9e3779b97f4a7c15ull + k;
        memcpy(m + k, &w, sizeof w);
    }
}

static bool intact(const unsigned char *m, size_t n, uint64_t id)
{
    for (size_t k = sizeof id; k + 8 <= n; k += 8) {
        uint64_t w;
        memcpy(&w, m + k, sizeof w);
        if (w != id * 0x9e3779b97f4a7c15ull + k)
            return false;
    }
    return true;
}

struct transport {
    enum impl impl;
    coord_queue *q;
    int fd[2];
    size_t msg;
};

static int send_msg(struct transport *t, const unsigned char *m)
{
    if (t->impl == IMPL_COORD)
        return coord_queue_put(t->q, m, t->msg, COORD_FOREVER);
    /* msg <= PIPE_BUF: one write is atomic, so messages never interleave. */
    ssize_t w;
    do {
        w = write(t->fd[1], m, t->msg);
    } while (w < 0 && errno == EINTR);
    return w == (ssize_t)t->msg ? 0 : -1;
}

/* 0: a message, COORD_PILL: a pill, < 0: an error. */
static int recv_msg(struct transport *t, unsigned char *m, uint64_t *id)
{
    if (t->impl == IMPL_COORD) {
        size_t len;
        int r = coord_queue_get(t->q, m, t->msg, &len, COORD_FOREVER);
        if (r != 0)
            return r;
        if (len != t->msg)
            return -1;
    } else {
        /* Writers only write whole messages, so a read of one message size
         * gets exactly one (the pipe holds a multiple of it). */
        ssize_t r;
        do {
            r = read(t->fd[0], m, t->msg);
        } while (r < 0 && errno == EINTR);
        if (r != (ssize_t)t->msg)
            return -1;
    }
    memcpy(id, m, sizeof *id);
    if (t->impl == IMPL_PIPE && *id == PIPE_PILL)
        return COORD_PILL; /* the pipe has no message kinds: a sentinel */
    return 0;
}

static void child_start(struct shared *s)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    while (!atomic_load_explicit(&s->go, memory_order_acquire))
        ;
}

static void producer(struct shared *s, struct transport *t, unsigned p,
                     uint64_t per)
{
    unsigned char m[MSG_MAX];
    child_start(s);
    for (uint64_t i = 0; i < per; i++) {
        uint64_t id = (uint64_t)p << 40 | i;
        fill(m, t->msg, id);
        if (send_msg(t, m) != 0) {
            atomic_fetch_add(&s->bad, 1);
            _exit(1);
        }
    }
    _exit(0);
}

static void consumer(struct shared *s, struct transport *t)
{
    unsigned char m[MSG_MAX];
    uint64_t n = 0, sum = 0, id;
    child_start(s);
    for (;;) {
        int r = recv_msg(t, m, &id);
        if (r == COORD_PILL)
            break;
        if (r != 0 || !intact(m, t->msg, id)) {
            atomic_fetch_add(&s->bad, 1);
            _exit(1);
        }
        n++;
        sum += mix(id);
    }
    atomic_fetch_add(&s->count, n);
    atomic_fetch_add(&s->sum, sum);
    _exit(0);
}

struct outcome {
    double msgs_per_s;
    bool exactly_once;
    uint64_t count; /* messages the consumers received */
};

/* Producer p's part of `messages`: an even split, the first producers one
 * more each while a remainder lasts, so that the producers put exactly
 * `messages` (a split that dropped the remainder put 8 of --messages 10
 * in the 4 -> 4 case, and the row said 10). */
static uint64_t producer_share(uint64_t messages, unsigned producers,
                               unsigned p)
{
    return messages / producers + (p < messages % producers);
}

/* Fork consumers and producers, start them together, join the producers,
 * one pill per consumer, join the consumers. The clock runs from the start
 * signal to the last join: shutdown is part of the work measured. */
static int run_once(enum impl impl, const struct scase *c, size_t msg,
                    uint64_t messages, struct outcome *out)
{
    struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED)
        return -1;
    memset(s, 0, sizeof *s);
    struct transport t = {impl, NULL, {-1, -1}, msg};
    int r = impl == IMPL_COORD ? coord_queue_create(&t.q, QUEUE_CAPACITY, msg)
                               : pipe(t.fd);
    if (r != 0) {
        munmap(s, sizeof *s);
        return -1;
    }
    pid_t pids[8];
    unsigned np = 0;
    fflush(NULL);
    for (unsigned i = 0; i < c->consumers + c->producers; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            if (i < c->consumers)
                consumer(s, &t);
            producer(s, &t, i - c->consumers,
                     producer_share(messages, c->producers,
                                    i - c->consumers));
        }
        if (pid < 0)
            break;
        pids[np++] = pid;
    }
    bool ok = np == c->consumers + c->producers;
    uint64_t t0 = coord_clock_ns();
    /* Start even after a failed fork, so the children that exist finish. */
    atomic_store_explicit(&s->go, 1, memory_order_release);
    for (unsigned i = c->consumers; i < np; i++) {
        int st = -1; /* -1: not exited, as a failed wait is */
        launch_reap(pids[i], &st);
        ok = ok && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }
    unsigned char pill[MSG_MAX];
    fill(pill, msg, PIPE_PILL);
    for (unsigned i = 0; i < c->consumers && i < np; i++) {
        if (impl == IMPL_COORD)
            coord_queue_put_pill(t.q, COORD_FOREVER);
        else
            send_msg(&t, pill);
    }
    for (unsigned i = 0; i < c->consumers && i < np; i++) {
        int st = -1;
        launch_reap(pids[i], &st);
        ok = ok && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }
    double dt = (double)(coord_clock_ns() - t0) / 1e9;
    uint64_t want = 0;
    for (unsigned p = 0; p < c->producers; p++)
        for (uint64_t i = 0; i < producer_share(messages, c->producers, p);
             i++)
            want += mix((uint64_t)p << 40 | i);
    out->count = atomic_load(&s->count);
    out->exactly_once = ok && atomic_load(&s->bad) == 0 &&
                        out->count == messages && atomic_load(&s->sum) == want;
    out->msgs_per_s = dt > 0 ? (double)messages / dt : 0;
    if (impl == IMPL_COORD)
        coord_queue_destroy(t.q);
    else {
        close(t.fd[0]);
        close(t.fd[1]);
    }
    munmap(s, sizeof *s);
    return 0;
}

/* ---- Python ------------------------------------------------------------- */

/* Runs a script from bench/python with `args`; its JSON document into *j
 * (free with json_free). False (with the reason in why) when it failed. */
static bool run_python(const char *script, const char *const *args,
                       struct json **j, char *why, size_t cap)
{
    return launch_python_json(script, args, LAUNCH_PYTHON_TIMEOUT_MS, NULL, j,
                              why, cap) == 0;
}

/* ---- rows --------------------------------------------------------------- */

struct row {
    const char *cas;
    enum impl impl;
    size_t msg;
    unsigned producers, consumers;
    uint64_t messages;  /* asked of each run */
    uint64_t delivered; /* received, in the run that received the fewest */
    unsigned runs;
    double msgs_per_s; /* median */
    bool exactly_once;
    const char *skipped; /* NULL when measured */
    double ratio;        /* coord / python, 0 when unknown */
};

static void measure(const struct opts *o, enum impl impl, const struct scase *c,
                    size_t msg, struct row *row)
{
    memset(row, 0, sizeof *row);
    row->cas = c->name;
    row->impl = impl;
    row->msg = msg;
    row->producers = c->producers;
    row->consumers = c->consumers;
    row->exactly_once = true;
    if (impl == IMPL_PYTHON) {
        row->messages = o->py_messages;
        row->runs = o->py_runs;
        if (!o->python) {
            row->skipped = o->py_skip;
            return;
        }
        char np[16], nc[16], nm[32], nb[32], nr[16], why[256];
        snprintf(np, sizeof np, "%u", c->producers);
        snprintf(nc, sizeof nc, "%u", c->consumers);
        snprintf(nm, sizeof nm, "%llu", (unsigned long long)o->py_messages);
        snprintf(nb, sizeof nb, "%zu", msg);
        snprintf(nr, sizeof nr, "%u", o->py_runs);
        const char *args[] = {"--producers", np, "--consumers", nc,
                              "--messages",  nm, "--msg-bytes", nb,
                              "--runs",      nr, NULL};
        struct json *j;
        if (!run_python("queue_throughput.py", args, &j, why, sizeof why)) {
            queue_python_failed(c->name, why);
            row->skipped = "python run failed";
            return;
        }
        row->msgs_per_s = json_num(json_get(j, "msgs_per_s"), -1);
        row->exactly_once = json_true(json_get(j, "exactly_once"));
        row->delivered = (uint64_t)json_num(json_get(j, "delivered"), 0);
        json_free(j);
        return;
    }
    row->messages = impl == IMPL_COORD ? o->messages : o->pipe_messages;
    row->runs = o->runs;
    double rates[MAX_RUNS];
    row->delivered = UINT64_MAX;
    for (unsigned r = 0; r < o->runs; r++) {
        struct outcome oc;
        progress_show(CMD, "%s %s %zu B run %u/%u", impl_name[impl], c->name,
                     msg, r + 1, o->runs);
        if (run_once(impl, c, msg, row->messages, &oc) != 0) {
            row->exactly_once = false;
            row->delivered = 0;
            rates[r] = 0;
            continue;
        }
        if (oc.count < row->delivered)
            row->delivered = oc.count;
        rates[r] = oc.msgs_per_s;
        row->exactly_once = row->exactly_once && oc.exactly_once;
    }
    row->msgs_per_s = cli_percentile(rates, o->runs, 50);
}

/* ---- output ------------------------------------------------------------- */

static void print_table(const struct row *rows, size_t n,
                        const struct probe *pr, size_t np)
{
    printf("coord queue: throughput with poison-pill shutdown (every run "
           "checks each message arrived exactly once: count + checksum)\n\n");
    printf("%-11s %-6s %5s %4s %9s %4s %14s %12s %10s\n", "case", "impl",
           "bytes", "P->C", "messages", "runs", "msgs/s (med)", "exactly-once",
           "coord/py");
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        char pc[16];
        snprintf(pc, sizeof pc, "%u->%u", r->producers, r->consumers);
        if (r->skipped) {
            printf("%-11s %-6s %5zu %4s %9s %4s skipped: %s\n", r->cas,
                   impl_name[r->impl], r->msg, pc, "-", "-", r->skipped);
            continue;
        }
        char ratio[24] = "";
        if (r->ratio > 0)
            snprintf(ratio, sizeof ratio, "%.0fx", r->ratio);
        printf("%-11s %-6s %5zu %4s %9llu %4u %14.0f %12s %10s\n", r->cas,
               impl_name[r->impl], r->msg, pc,
               (unsigned long long)r->messages, r->runs, r->msgs_per_s,
               r->exactly_once ? "yes" : "NO", ratio);
    }
    if (np) {
        printf("\nfault probes (ok = the failure is survived):\n");
        for (size_t i = 0; i < np; i++) {
            if (pr[i].skipped)
                printf("  %-26s %-6s skipped: %s\n", pr[i].name,
                       impl_name[pr[i].impl], pr[i].skipped);
            else
                printf("  %-26s %-6s %-4s %s\n", pr[i].name,
                       impl_name[pr[i].impl], pr[i].ok ? "ok" : "FAIL",
                       pr[i].detail);
        }
    }
    printf("\nqueue capacity %d messages; coord medians of the runs; the "
           "ratio compares medians measured in this same run.\n",
           QUEUE_CAPACITY);
}

static void print_json(const struct row *rows, size_t n,
                       const struct probe *pr, size_t np)
{
    struct jw w;
    jw_init(&w, stdout);
    cli_json_begin(&w, "queue", 1);
    jw_kint(&w, "queue_capacity", QUEUE_CAPACITY);
    jw_karray(&w, "rows");
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        jw_object(&w);
        jw_kstr(&w, "case", r->cas);
        jw_kstr(&w, "impl", impl_name[r->impl]);
        jw_kuint(&w, "msg_bytes", r->msg);
        jw_kuint(&w, "producers", r->producers);
        jw_kuint(&w, "consumers", r->consumers);
        if (r->skipped) {
            /* Not run: no counts to claim (the table prints "-"); runs
             * stays an integer, the number made (docs/json.md). */
            jw_knull(&w, "messages");
            jw_kuint(&w, "runs", 0);
            jw_knull(&w, "msgs_per_s");
            jw_knull(&w, "exactly_once");
            jw_knull(&w, "delivered");
            jw_kstr(&w, "skipped", r->skipped);
        } else {
            jw_kuint(&w, "messages", r->messages);
            jw_kuint(&w, "runs", r->runs);
            jw_knum(&w, "msgs_per_s", r->msgs_per_s);
            jw_kbool(&w, "exactly_once", r->exactly_once);
            jw_kuint(&w, "delivered", r->delivered);
        }
        /* coord's rows: null when Python did not run (as spectrum's
         * speedup_over_python). */
        if (r->impl == IMPL_COORD) {
            if (r->ratio > 0)
                jw_knum(&w, "ratio_vs_python", r->ratio);
            else
                jw_knull(&w, "ratio_vs_python");
        }
        jw_object_end(&w);
    }
    jw_array_end(&w);
    jw_karray(&w, "probes");
    for (size_t i = 0; i < np; i++) {
        jw_object(&w);
        jw_kstr(&w, "probe", pr[i].name);
        jw_kstr(&w, "impl", impl_name[pr[i].impl]);
        if (pr[i].skipped) {
            jw_knull(&w, "ok");
            jw_kstr(&w, "skipped", pr[i].skipped);
        } else {
            jw_kbool(&w, "ok", pr[i].ok);
            jw_kstr(&w, "detail", pr[i].detail);
        }
        jw_object_end(&w);
    }
    jw_array_end(&w);
    jw_object_end(&w);
    jw_finish(&w);
}

enum {
    Q_MESSAGES, Q_PIPE_MESSAGES, Q_PYTHON_MESSAGES, Q_RUNS, Q_PYTHON_RUNS,
    Q_QUICK, Q_NO_PYTHON, Q_NO_PIPE, Q_NO_PROBES, Q_JSON, Q_NOPTS
};

static const struct opt queue_opts[] = {
    [Q_MESSAGES] = {.name = "messages", .kind = OPT_UINT, .arg = "N",
                    .min = 4, .max = 1ull << 36, .def = "2M",
                    .help = "coord messages per run"},
    [Q_PIPE_MESSAGES] = {.name = "pipe-messages", .kind = OPT_UINT,
                         .arg = "N", .min = 4, .max = 1ull << 36,
                         .def = "500k", .help = "pipe messages per run"},
    [Q_PYTHON_MESSAGES] = {.name = "python-messages", .kind = OPT_UINT,
                           .arg = "N", .min = 4, .max = 1ull << 32,
                           .def = "100k", .help = "Python messages per run"},
    [Q_RUNS] = {.name = "runs", .kind = OPT_UINT, .arg = "R", .min = 1,
                .max = MAX_RUNS, .def = "5",
                .help = "coord and pipe runs per row, median shown"},
    [Q_PYTHON_RUNS] = {.name = "python-runs", .kind = OPT_UINT, .arg = "R",
                       .min = 1, .max = MAX_RUNS, .def = "3",
                       .help = "Python runs per row"},
    [Q_QUICK] = {.name = "quick", .kind = OPT_FLAG,
                 .help = "small counts, one run each"},
    [Q_NO_PYTHON] = {.name = "no-python", .kind = OPT_FLAG,
                     .help = "leave Python's multiprocessing.Queue out"},
    [Q_NO_PIPE] = {.name = "no-pipe", .kind = OPT_FLAG,
                   .help = "leave the pipe out"},
    [Q_NO_PROBES] = {.name = "no-probes", .kind = OPT_FLAG,
                     .help = "leave the fault probes out"},
    [Q_JSON] = {.name = "json", .kind = OPT_FLAG,
                .help = "one JSON object: {\"rows\":[...], "
                        "\"probes\":[...]}"},
};

const struct opt_cmd cmd_queue_opts = {
    .name = "queue",
    .about =
        "The lecture's poison-pill pattern, measured. For 8- and 64-byte "
        "messages and 1 producer -> 1 consumer, 1 -> 4 workers and 4 -> 4, "
        "producers put N messages, one pill per consumer follows, every "
        "process is joined; each run checks that every message arrived "
        "exactly once (count + checksum). The same work runs over a pipe and "
        "over Python's multiprocessing.Queue (bench/python/, python3; the "
        "directory can be set with COORD_PYTHON_DIR), and the coord/python "
        "ratio is shown. Then three fault probes run in both: a pool map "
        "with a SIGKILLed worker, a producer that exits right after put, a "
        "consumer killed inside get.",
    .opts = queue_opts,
    .nopts = Q_NOPTS,
};

static int parse(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){2000000, 500000, 100000, 5,   3,
                       false,   true,   true,   true, "--no-python"};
    struct opt_parser p;
    opt_parse_init(&p, &cmd_queue_opts, argc, argv);
    bool quick = false, given[Q_NOPTS] = {false};
    int k;
    while ((k = opt_next(&p)) >= 0) {
        given[k] = true;
        switch (k) {
        case Q_MESSAGES:
            o->messages = p.v.u;
            break;
        case Q_PIPE_MESSAGES:
            o->pipe_messages = p.v.u;
            break;
        case Q_PYTHON_MESSAGES:
            o->py_messages = p.v.u;
            break;
        case Q_RUNS:
            o->runs = (unsigned)p.v.u;
            break;
        case Q_PYTHON_RUNS:
            o->py_runs = (unsigned)p.v.u;
            break;
        case Q_QUICK:
            quick = true;
            break;
        case Q_NO_PYTHON:
            o->python = false;
            break;
        case Q_NO_PIPE:
            o->pipe = false;
            break;
        case Q_NO_PROBES:
            o->probes = false;
            break;
        case Q_JSON:
            o->json = true;
            break;
        }
    }
    /* A count for rows that are left out would be ignored: say so, as
     * fraud does for its generator's options with --csv. */
    static const struct {
        int opt, off;
        const char *rows;
    } unused[] = {{Q_PIPE_MESSAGES, Q_NO_PIPE, "the pipe rows"},
                  {Q_PYTHON_MESSAGES, Q_NO_PYTHON, "Python's rows"},
                  {Q_PYTHON_RUNS, Q_NO_PYTHON, "Python's rows"}};
    for (size_t i = 0; k == OPT_END && i < sizeof unused / sizeof unused[0];
         i++)
        if (given[unused[i].opt] && given[unused[i].off]) {
            cli_error(CMD, "--%s is for %s; not with --%s",
                      queue_opts[unused[i].opt].name, unused[i].rows,
                      queue_opts[unused[i].off].name);
            return -1;
        }
    if (quick) { /* the counts not given, before or after --quick */
        if (!given[Q_MESSAGES])
            o->messages = 200000;
        if (!given[Q_PIPE_MESSAGES])
            o->pipe_messages = 50000;
        if (!given[Q_PYTHON_MESSAGES])
            o->py_messages = 20000;
        if (!given[Q_RUNS])
            o->runs = 1;
        if (!given[Q_PYTHON_RUNS])
            o->py_runs = 1;
    }
    return k == OPT_END ? 0 : k == OPT_HELP ? 1 : -1;
}

int cmd_queue(int argc, char **argv)
{
    struct opts o;
    int r = parse(argc, argv, &o);
    if (r)
        return r > 0 ? CLI_OK : CLI_USAGE;
    if (o.python && !launch_have("python3")) {
        o.python = false;
        o.py_skip = "no python3";
    }
    struct row rows[3 * 2 * 3];
    size_t n = 0;
    bool all_once = true;
    for (size_t s = 0; s < 2; s++) {
        for (size_t c = 0; c < 3; c++) {
            struct row *co = &rows[n];
            measure(&o, IMPL_COORD, &cases[c], sizes[s], &rows[n++]);
            if (o.pipe)
                measure(&o, IMPL_PIPE, &cases[c], sizes[s], &rows[n++]);
            progress_show(CMD, "python %s %zu B", cases[c].name, sizes[s]);
            struct row *py = &rows[n];
            measure(&o, IMPL_PYTHON, &cases[c], sizes[s], &rows[n++]);
            if (!py->skipped && py->msgs_per_s > 0)
                co->ratio = co->msgs_per_s / py->msgs_per_s;
            all_once = all_once && co->exactly_once;
        }
    }
    struct probe pr[6];
    size_t np = 0;
    bool probes_ok = true;
    if (o.probes) {
        static const char *const names[3] = {"pool_map_sigkilled_worker",
                                             "producer_exit_after_put",
                                             "consumer_killed_in_get"};
        static const char *const scripts[3] = {"queue_probe_pool_kill.py",
                                               "queue_probe_exit_after_put.py",
                                               "queue_probe_kill_get.py"};
        void (*const ours[3])(struct probe *) = {
            queue_probe_pool, queue_probe_exit_after_put, queue_probe_kill_get};
        for (int k = 0; k < 3; k++) {
            progress_show(CMD, "probe %s", names[k]);
            pr[np] = (struct probe){names[k], IMPL_COORD, false, NULL, ""};
            ours[k](&pr[np]);
            probes_ok = probes_ok && pr[np].ok;
            np++;
            pr[np] = (struct probe){names[k], IMPL_PYTHON, false, NULL, ""};
            queue_probe_python(scripts[k], o.python ? NULL : o.py_skip, &pr[np]);
            np++;
        }
    }
    progress_done();
    if (o.json)
        print_json(rows, n, pr, np);
    else
        print_table(rows, n, pr, np);
    return all_once && probes_ok ? CLI_OK : CLI_RUNTIME;
}
