/* SPDX-License-Identifier: MIT */
/* queue-probes.h: `coord queue`'s fault probes: what a killed worker, a producer that exits and a consumer killed in get do to coord and to Python. */
#ifndef COORD_CLI_QUEUE_PROBES_H
#define COORD_CLI_QUEUE_PROBES_H

#include <stdbool.h>

/* Which implementation a row or probe measured (docs/json.md's impl). */
enum impl { IMPL_COORD, IMPL_PIPE, IMPL_PYTHON };

/* One probe's outcome: ok, or skipped with the reason; detail says what
 * was seen. */
struct probe {
    const char *name;
    enum impl impl;
    bool ok;
    const char *skipped;
    char detail[160];
};

/* (a) map over a coord pool whose worker is SIGKILLed mid-task returns. */
void queue_probe_pool(struct probe *pr);
/* (b) the items a producer put before it exits all arrive. */
void queue_probe_exit_after_put(struct probe *pr);
/* (c) a consumer SIGKILLed inside get loses no item. */
void queue_probe_kill_get(struct probe *pr);
/* Python's side of `coord queue` failed to run (`what`: the row or probe,
 * `why`: launch_python_json's reason): says why on stderr, once per run
 * (the rows and probes after it fail alike and are only marked "python
 * run failed"). A report keeps the line in its queue.log. */
void queue_python_failed(const char *what, const char *why);

/* The same probe in Python: bench/python/<script> (launch.h); skipped
 * with `skip` when that is not NULL. */
void queue_probe_python(const char *script, const char *skip,
                        struct probe *pr);

#endif
