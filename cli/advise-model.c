/* SPDX-License-Identifier: MIT */
/* advise-model.c: slide 9's decision as a cost model: the mechanisms that can serve an access pattern, ranked by their measured cost on this machine. */
#include "advise-model.h"
#include "fmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *const adv_row_names[ADV_NROWS] = {
    "flag_check",     "value_get",     "value_set",      "array_read",
    "array_write",    "region_read",   "flag_claim_cas", "queue_roundtrip",
    "pipe_roundtrip", "manager_get",   "manager_set",    "manager_incr",
    "manager_batch100_get"};

/* Python's spectrum has no rows for these (the model never asks). */
static bool python_row(enum adv_row r)
{
    return r != ADV_CLAIM_CAS && r != ADV_MANAGER_BATCH;
}

double adv_row_ns(const struct json *row, const char *q)
{
    char key[32];
    snprintf(key, sizeof key, "per_op_%s_ps", q);
    double v = json_num(json_get(row, key), NAN) / 1e3;
    if (isfinite(v))
        return v;
    snprintf(key, sizeof key, "ns_per_op_%s", q);
    return json_num(json_get(row, key), NAN);
}

bool adv_costs_from_json(const struct json *j, struct adv_costs *out,
                         const char **missing)
{
    memset(out, 0, sizeof *out);
    const struct json *rows = json_get(j, "rows");
    for (size_t i = 0; rows && rows->type == JSON_ARRAY && i < rows->n; i++) {
        const struct json *row = rows->items[i];
        const char *mech = json_str(json_get(row, "mechanism"));
        const char *impl = json_str(json_get(row, "impl"));
        /* coord.spectrum/2 writes integer picoseconds; the cache file
         * and /1 documents a fractional ns_per_op_p50. */
        double v = adv_row_ns(row, "p50");
        if (!mech || !impl || !isfinite(v) || v < 0 || v > 1e10)
            continue;
        /* 0: the spectrum measured it at or below its empty loop (a cost
         * lost in the loop's noise on a loaded machine): priced as 1 ps,
         * nearly free, rather than failing the whole calibration. */
        if (v == 0)
            v = 1e-3;
        bool py = !strcmp(impl, "python");
        if (!py && strcmp(impl, "coord"))
            continue;
        for (int r = 0; r < ADV_NROWS; r++) {
            double *slot = py ? &out->py[r] : &out->c[r];
            if (!strcmp(mech, adv_row_names[r]) && *slot == 0)
                *slot = v;
        }
    }
    for (int r = 0; r < ADV_NROWS; r++)
        if (out->c[r] == 0) {
            if (missing)
                *missing = adv_row_names[r];
            return false;
        }
    return true;
}

static const char *const shape_names[ADV_NSHAPES] = {
    "flag", "counter", "scalar", "array", "dict", "list", "messages"};

int adv_shape_parse(const char *s)
{
    for (int i = 0; i < ADV_NSHAPES; i++)
        if (!strcmp(s, shape_names[i]))
            return i;
    return -1;
}

const char *adv_shape_name(enum adv_shape s)
{
    return (unsigned)s < ADV_NSHAPES ? shape_names[s] : "?";
}

const char *adv_shape_phrase(enum adv_shape s)
{
    static const char *const phrase[ADV_NSHAPES] = {
        "a flag", "a counter", "a scalar", "an array",
        "a dict", "a list",   "messages"};
    return (unsigned)s < ADV_NSHAPES ? phrase[s] : "?";
}

unsigned adv_writers(const struct adv_input *in)
{
    if (in->writers >= 0)
        return (unsigned)in->writers;
    switch (in->shape) {
    case ADV_SHAPE_FLAG:
        return 1; /* one worker sets it */
    case ADV_SHAPE_COUNTER:
    case ADV_SHAPE_ARRAY:
    case ADV_SHAPE_MESSAGES:
        return in->processes; /* every worker adds, writes, sends */
    default:
        return 0; /* read-mostly: written before the workers start */
    }
}

/* ---- the catalogue ------------------------------------------------------ */

#define SH(s) (1u << ADV_SHAPE_##s)
#define NONE (-1)

enum contention {
    CT_NONE,   /* each writer has its own bytes, or reads only */
    CT_ATOMIC, /* one cache line, one atomic RMW at a time */
    CT_LOCK,   /* one lock held for the operation */
    CT_SERVER  /* one server process answers every request in turn */
};

enum impl { IM_COORD, IM_PYTHON, IM_MPI };

static const char *const impl_names[] = {"coord", "python", "mpi"};

#define RULE_VALUE                                                             \
    "Value: a single scalar (flag, counter, threshold, timestamp) accessed "   \
    "frequently; a lock is manageable with few writers"
#define RULE_ARRAY                                                             \
    "Array: fixed-size numeric data (result buffer, histogram); each worker "  \
    "writes its own slice, no lock needed"
#define RULE_MANAGER                                                           \
    "Manager.dict/.list: complex or variable-shape data accessed "             \
    "infrequently (once per task, not once per iteration)"
#define RULE_MESSAGES                                                          \
    "not on slide 9: a queue or pipe hands each item over once; nothing "      \
    "shared stays to lock"
#define RULE_MPI "not on slide 9: only message passing crosses machines"

struct mech {
    const char *name;
    enum impl impl;
    unsigned shapes;
    int read, write, rmw; /* enum adv_row or NONE */
    int msg;              /* round-trip row: a message costs half */
    enum contention ct;
    bool slices;          /* array writers on own slices: no contention */
    bool batched;         /* manager batch: one round trip per task */
    bool list_msg;        /* a message = append + pop */
    bool named;           /* reachable by unrelated processes */
    bool machines;        /* reaches other machines */
    const char *note;     /* what the mechanism is */
    const char *rule;
};

static const struct mech catalogue[] = {
    {"coord_flag", IM_COORD, SH(FLAG), ADV_FLAG_CHECK, ADV_CLAIM_CAS, NONE,
     NONE, CT_ATOMIC, false, false, false, true, false,
     "coord_flag_is_set: one acquire load", RULE_VALUE},
    {"coord_region_atomic", IM_COORD, SH(FLAG) | SH(COUNTER) | SH(SCALAR) |
     SH(ARRAY), ADV_REGION_READ, ADV_REGION_READ, ADV_CLAIM_CAS, NONE,
     CT_ATOMIC, true, false, false, true, false,
     "C11 atomics on coord_region_data (an increment is one atomic RMW, "
     "priced as flag_claim_cas; a store as a load)", RULE_VALUE},
    {"coord_value", IM_COORD, SH(FLAG) | SH(COUNTER) | SH(SCALAR),
     ADV_VALUE_GET, ADV_VALUE_SET, ADV_VALUE_SET, NONE, CT_LOCK, false,
     false, false, true, false,
     "coord_value: lock-free get, set/add under its robust lock", RULE_VALUE},
    {"coord_array", IM_COORD, SH(ARRAY), ADV_ARRAY_READ, ADV_ARRAY_WRITE,
     NONE, NONE, CT_LOCK, true, false, false, true, false,
     "coord_array_get/set per element, slices by coord_array_slice",
     RULE_ARRAY},
    {"coord_queue", IM_COORD, SH(MESSAGES), NONE, NONE, NONE, ADV_QUEUE_RT,
     CT_LOCK, false, false, false, true, false,
     "coord_queue put + get (half a measured round trip)", RULE_MESSAGES},
    {"pipe", IM_COORD, SH(MESSAGES), NONE, NONE, NONE, ADV_PIPE_RT, CT_LOCK,
     false, false, false, false, false,
     "a pipe write + read (half a measured round trip)", RULE_MESSAGES},
    {"coord_manager_dict", IM_COORD, SH(FLAG) | SH(COUNTER) | SH(SCALAR) |
     SH(DICT), ADV_MANAGER_GET, ADV_MANAGER_SET, ADV_MANAGER_INCR, NONE,
     CT_SERVER, false, false, false, true, false,
     "coord_mclient get/set/incr: one round trip to the manager each",
     RULE_MANAGER},
    {"coord_manager_dict_batched", IM_COORD, SH(DICT) | SH(LIST),
     ADV_MANAGER_GET, ADV_MANAGER_SET, NONE, NONE, CT_SERVER, false, true,
     false, true, false,
     "coord_mclient_batch: a task's accesses in one round trip", RULE_MANAGER},
    {"coord_manager_list", IM_COORD, SH(LIST) | SH(MESSAGES),
     ADV_MANAGER_GET, ADV_MANAGER_SET, NONE, ADV_MANAGER_SET, CT_SERVER,
     false, false, true, true, false,
     "coord_mclient list get/append (priced as get/set); a message is an "
     "append and a pop", RULE_MANAGER},
    {"coord_mpi_search_flag", IM_MPI, SH(FLAG), ADV_FLAG_CHECK, NONE, NONE,
     NONE, CT_NONE, false, false, false, true, true,
     "coord_mpi_search: a rank's check is one load of its node's flag; the "
     "node leader also tests an MPI receive per block (not measured here)",
     RULE_MPI},
    {"python_value", IM_PYTHON, SH(FLAG) | SH(COUNTER) | SH(SCALAR),
     ADV_FLAG_CHECK, ADV_VALUE_SET, ADV_VALUE_SET, NONE, CT_LOCK, false,
     false, false, false, false,
     "multiprocessing.Value (synchronized: every access takes its lock)",
     RULE_VALUE},
    {"python_array", IM_PYTHON, SH(ARRAY), ADV_ARRAY_READ, ADV_ARRAY_WRITE,
     NONE, NONE, CT_LOCK, true, false, false, false, false,
     "multiprocessing.Array per element", RULE_ARRAY},
    {"python_shared_memory", IM_PYTHON, SH(FLAG) | SH(SCALAR) | SH(ARRAY),
     ADV_REGION_READ, ADV_REGION_READ, NONE, NONE, CT_NONE, true, false,
     false, true, false,
     "multiprocessing.shared_memory, named (no locks, no atomic RMW)",
     RULE_ARRAY},
    {"python_queue", IM_PYTHON, SH(MESSAGES), NONE, NONE, NONE, ADV_QUEUE_RT,
     CT_LOCK, false, false, false, false, false,
     "multiprocessing.Queue put + get (half a round trip)", RULE_MESSAGES},
    {"python_pipe", IM_PYTHON, SH(MESSAGES), NONE, NONE, NONE, ADV_PIPE_RT,
     CT_LOCK, false, false, false, false, false,
     "multiprocessing.Pipe send + recv (half a round trip)", RULE_MESSAGES},
    /* No atomic read-modify-write: `d[k] += 1` (what the spectrum times
     * as its increment) is a get and a set, two round trips, and
     * concurrent increments are lost; it was priced as one and advised
     * as a shared counter. */
    {"python_manager_dict", IM_PYTHON, SH(FLAG) | SH(COUNTER) | SH(SCALAR) |
     SH(DICT), ADV_MANAGER_GET, ADV_MANAGER_SET, NONE, NONE,
     CT_SERVER, false, false, false, true, true,
     "multiprocessing.Manager().dict(): a round trip per access",
     RULE_MANAGER},
    {"python_manager_list", IM_PYTHON, SH(LIST) | SH(MESSAGES),
     ADV_MANAGER_GET, ADV_MANAGER_SET, NONE, ADV_MANAGER_SET, CT_SERVER,
     false, false, true, true, true,
     "multiprocessing.Manager().list(): append and pop per message",
     RULE_MANAGER},
};
#define NMECH (sizeof catalogue / sizeof catalogue[0])

const char *adv_fmt_ns(char *buf, size_t cap, double ns)
{
    if (!(ns >= 0))
        snprintf(buf, cap, "not measured");
    else
        fmt_sig_ns(ns, 3, buf, cap);
    return buf;
}

const char *adv_fmt_share(char *buf, size_t cap, double share,
                          const char *of)
{
    double pct = share * 100;
    if (!(pct >= 0))
        snprintf(buf, cap, "not measured");
    else if (pct > 0 && pct < 0.01)
        snprintf(buf, cap, "under 0.01 %% of %s", of);
    else if (pct < 1 && pct >= 0.995)
        /* Two digits would round it to "1 %", beside the verdict "under
         * 1 % of the task" that the exact share earns. */
        snprintf(buf, cap, "0.99 %% of %s", of);
    else if (pct < 9.95)
        snprintf(buf, cap, "%.2g %% of %s", pct, of);
    else if (pct < 999.5)
        snprintf(buf, cap, "%.0f %% of %s", pct, of);
    else if (share < 99.95)
        snprintf(buf, cap, "%.1f× %s", share, of);
    else
        snprintf(buf, cap, "%.0f× %s", share, of);
    return buf;
}

/* Why `m` cannot serve `in`, or NULL. */
static const char *exclusion(const struct mech *m,
                             const struct adv_input *in, unsigned w,
                             const struct adv_costs *k, char *buf,
                             size_t cap)
{
    if (!(m->shapes & (1u << in->shape))) {
        snprintf(buf, cap, "cannot hold %s",
                 (unsigned)in->shape < ADV_NSHAPES
                     ? adv_shape_phrase(in->shape)
                     : "it");
        return buf;
    }
    if (in->machines > 1 && !m->machines)
        return m->impl == IM_COORD && m->ct == CT_SERVER
                   ? "coord's manager listens on a Unix socket: one machine "
                     "only"
                   : "shared memory, pipes and locks live on one machine";
    if (in->unrelated && !m->named)
        return m->impl == IM_PYTHON
                   ? "passed to children at fork/spawn: unrelated processes "
                     "cannot reach it"
                   : "anonymous: inherited across fork only, and coord "
                     "offers no named pipe";
    if (in->shape == ADV_SHAPE_COUNTER && m->rmw == NONE)
        return "no atomic read-modify-write: concurrent increments would be "
               "lost";
    if (m->batched && in->per_iteration)
        return "batching needs a task's accesses together; per-iteration "
               "accesses are spread over the loop";
    if (m->batched && in->accesses < 2)
        return "one access per task: nothing to batch";
    if (m->impl == IM_MPI && in->machines < 2)
        return "MPI ranks on one machine: coord_flag does the same without "
               "MPI";
    if (m->impl == IM_PYTHON) {
        bool need[ADV_NROWS] = {false};
        int rows[] = {m->read, m->write, m->rmw, m->msg};
        for (size_t i = 0; i < 4; i++)
            if (rows[i] != NONE && python_row((enum adv_row)rows[i]))
                need[rows[i]] = true;
        for (int r = 0; r < ADV_NROWS; r++)
            if (need[r] && k->py[r] <= 0)
                return "Python's side not measured (run coord spectrum "
                       "--vs-python)";
    }
    (void)w;
    return NULL;
}

static double cost_of(const struct adv_costs *k, const struct mech *m, int r)
{
    return m->impl == IM_PYTHON ? k->py[r] : k->c[r];
}

/* The entry for a mechanism that serves `in`. */
static void price(const struct mech *m, const struct adv_input *in,
                  unsigned w, const struct adv_costs *k, struct adv_entry *e)
{
    e->mechanism = m->name;
    e->impl = impl_names[m->impl];
    e->rule = in->shape == ADV_SHAPE_ARRAY ? RULE_ARRAY : m->rule;
    e->share = -1;
    const char *unit = in->per_iteration ? "iteration" : "task";
    double n = in->accesses;
    if (in->machines > 1 && m->impl == IM_PYTHON) {
        e->ns = -1;
        snprintf(e->why, sizeof e->why,
                 "%s; over a network its cost is the network round trip, "
                 "which coord spectrum does not measure",
                 m->note);
        return;
    }
    /* The operation: a read, an update (write or RMW) or a message. */
    const char *op;
    int row;
    bool contended;
    if (in->shape == ADV_SHAPE_MESSAGES) {
        op = "message";
        row = m->msg;
        contended = w > 1;
    } else if (in->shape == ADV_SHAPE_COUNTER) {
        op = "increment";
        row = m->rmw;
        contended = w > 1;
    } else if (in->shape != ADV_SHAPE_FLAG && w > 0) {
        op = "update";
        row = m->write;
        /* Slices are the array's: a scalar's writers share its bytes. */
        contended = w > 1 && !(m->slices && in->shape == ADV_SHAPE_ARRAY);
    } else {
        op = "read";
        row = m->read;
        contended = false;
    }
    double base = cost_of(k, m, row);
    if (m->list_msg && in->shape == ADV_SHAPE_MESSAGES)
        base *= 2; /* append + pop, each priced as one round trip */
    else if (m->msg != NONE && in->shape == ADV_SHAPE_MESSAGES)
        base /= 2; /* a round trip carries two messages */
    double total;
    char how[200];
    if (m->batched) {
        /* A batch of n: one round trip plus the per-request work the
         * measured batch of 100 shows beyond its round trip. */
        double per = (100 * k->c[ADV_MANAGER_BATCH] - k->c[ADV_MANAGER_GET]) /
                     99;
        if (per < 0)
            per = 0;
        total = base + (n - 1) * per;
        char b[32], p[32];
        snprintf(how, sizeof how,
                 "one round trip (%s) + %.0f x %s per extra request",
                 adv_fmt_ns(b, sizeof b, base), n - 1,
                 adv_fmt_ns(p, sizeof p, per));
    } else {
        char b[32];
        total = n * base;
        snprintf(how, sizeof how, "%g %s%s x %s", n, op, n == 1 ? "" : "s",
                 adv_fmt_ns(b, sizeof b, base));
    }
    if (contended && m->ct != CT_NONE) {
        /* Each of w writers keeps the shared part busy for a fraction u of
         * its time; an access then waits on average for half of the other
         * writers' busy accesses. No task time: back to back (u = 1). */
        double u = in->task_ns > 0 && !in->per_iteration
                       ? fmin(1.0, total / in->task_ns)
                       : 1.0;
        double f = 1 + (w - 1) * u / 2;
        total *= f;
        size_t l = strlen(how);
        snprintf(how + l, sizeof how - l, " x %.3g (%u writers, busy %.3g)",
                 f, w, u);
    }
    e->ns = total;
    char a[32];
    adv_fmt_ns(a, sizeof a, total);
    if (in->task_ns > 0 && !in->per_iteration) {
        e->share = total / in->task_ns;
        double pct = e->share * 100;
        const char *judge = pct < 1    ? "acceptable: under 1 % of the task"
                            : pct < 10 ? "noticeable: 1-10 % of the task"
                                       : "too costly: over 10 % of the task";
        char sh[48];
        snprintf(e->why, sizeof e->why, "%s; %s = %s per %s, %s: %s", m->note,
                 how, a, unit, adv_fmt_share(sh, sizeof sh, e->share, "the task"), judge);
    } else {
        snprintf(e->why, sizeof e->why, "%s; %s = %s per %s", m->note, how,
                 a, unit);
    }
}

void adv_rank(const struct adv_input *in, const struct adv_costs *costs,
              struct adv_result *out)
{
    memset(out, 0, sizeof *out);
    unsigned w = adv_writers(in);
    for (size_t i = 0; i < NMECH && i < ADV_MAX_MECH; i++) {
        const struct mech *m = &catalogue[i];
        char buf[200];
        const char *why = exclusion(m, in, w, costs, buf, sizeof buf);
        if (why) {
            struct adv_entry *e = &out->excl[out->nexcl++];
            e->mechanism = m->name;
            e->impl = impl_names[m->impl];
            e->rule = m->rule;
            e->ns = e->share = -1;
            snprintf(e->why, sizeof e->why, "%s", why);
            continue;
        }
        struct adv_entry e;
        memset(&e, 0, sizeof e);
        price(m, in, w, costs, &e);
        /* Insert in order: cheapest first, unmeasured last, stable: before
         * the first one that costs more than ADV_TIE times as much (or is
         * not measured), after all the others. Ties are not transitive
         * (1.2, 1 and 0.85 are each within ADV_TIE of the next): scanning
         * back only to the first tie left 0.85 behind 1.2. */
        size_t at = out->nrank;
        if (e.ns >= 0)
            for (at = 0; at < out->nrank; at++)
                if (out->rank[at].ns < 0 || out->rank[at].ns > e.ns * ADV_TIE)
                    break;
        memmove(&out->rank[at + 1], &out->rank[at],
                (out->nrank - at) * sizeof out->rank[0]);
        out->rank[at] = e;
        out->nrank++;
    }
}

const struct adv_pattern adv_patterns[] = {
    {"a flag checked every iteration",
     {ADV_SHAPE_FLAG, true, 1, 0, 4, -1, 0, false, 1}},
    {"a counter incremented per 1 ms task",
     {ADV_SHAPE_COUNTER, false, 1, 1e6, 4, -1, 0, false, 1}},
    {"a result array written by slices, one element per 1 ms task",
     {ADV_SHAPE_ARRAY, false, 1, 1e6, 4, -1, 1024, false, 1}},
    {"a config dict read once per 10 ms task",
     {ADV_SHAPE_DICT, false, 1, 1e7, 4, 0, 0, false, 1}},
    {"a shared dict updated per item (every iteration)",
     {ADV_SHAPE_DICT, true, 1, 0, 4, 4, 0, false, 1}},
};
const size_t adv_npatterns = sizeof adv_patterns / sizeof adv_patterns[0];
