/* SPDX-License-Identifier: MIT */
/* report-run.h: running a program (an experiment, gnuplot) with files for its output and a deadline. */
#ifndef COORD_CLI_REPORT_RUN_H
#define COORD_CLI_REPORT_RUN_H

#include <stddef.h>

/*
 * report_exec: runs argv[0] (searched in PATH unless it has a '/') with
 * `argv`, in directory `cwd` (NULL: this one), stdin from /dev/null,
 * stdout and stderr to the files `out` and `err` (created or truncated),
 * in its own process group, killed with that whole group when it outlives
 * `timeout_ms` or when this process dies. Returns 0 with *status = its
 * exit code (128 + n when killed by signal n; 127: could not be started),
 * -ETIMEDOUT (killed at the deadline), or -errno (why[cap] says what).
 */
int report_exec(const char *const *argv, const char *cwd, const char *out,
                const char *err, int timeout_ms, int *status, char *why,
                size_t cap);

/* report_adopt_orphans: make this process the subreaper of what it runs,
 * so that processes of a killed program (its workers) are reaped here, not
 * left as zombies of init or of a test runner. */
void report_adopt_orphans(void);

#endif
