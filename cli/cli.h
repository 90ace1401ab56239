/* SPDX-License-Identifier: MIT */
/* cli.h: exit codes, errors, the JSON envelope and percentiles shared by
 * the subcommands (their options: opts.h; progress: progress.h; running
 * programs: launch.h; JSON: json-write.h, json.h). */
#ifndef COORD_CLI_H
#define COORD_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <coord.h>

#include "json-write.h"

/* Exit codes of every subcommand. */
#define CLI_OK 0
#define CLI_RUNTIME 1
#define CLI_USAGE 2

/* Print "coord CMD: message" on stderr (one line). */
void cli_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Notes the machine's 1-minute load average before a command runs (main()
 * calls it once); cli_json_begin reports it. Not thread-safe. */
void cli_json_note_start(void);
/* Opens the document's object on `w` and writes the envelope every
 * `--json` output starts with (docs/json.md): "schema":
 * "coord.<command>/<version>", "command", "coord_version", "machine":
 * {...}. The object is left open: the caller adds its fields with the
 * jw_k* calls, closes it with jw_object_end and ends with jw_finish. */
void cli_json_begin(struct jw *w, const char *command, int version);
/* The machine's boot time (`btime` of /proc/stat), seconds since the
 * epoch, or -1 when it cannot be read. */
long long cli_boot_time_s(void);

/* The CPUs this process may run on: its affinity mask (taskset, a
 * container's cpuset) within the online CPUs, as the library counts them
 * for its wait policy and default worker counts (coord_search_opts_init's
 * workers; at most COORD_SEARCH_MAX_WORKERS). At least 1. */
int cli_cpus_usable(void);

/* Replace every control character of `s` (below 0x20, and 0x7f) by '?',
 * in place: text from outside the program (a file name, a CSV field) on a
 * terminal, where a newline would forge a line and an escape sequence
 * would reach the terminal. */
void cli_printable(char *s);

/* Create (or truncate) `path` for writing, mode 0644, close-on-exec: a
 * regular file only. The open does not block (a FIFO planted at the path
 * fails with ENXIO instead of waiting for a reader), and a path that is not
 * a regular file (a directory, a device) is refused. A symlink at the last
 * component is followed only when the caller or root owns it (at most
 * CLI_OUTPUT_LINKS of them in a row): one that another user owns may have
 * been planted (in /tmp, say) to make us write into their victim's file,
 * and is refused without touching its target. Returns the fd (in blocking
 * mode), or -errno with a one-line reason in why[cap]: -EPERM for a refused
 * symlink or a file the file system will not let us write (immutable):
 * callers exit 2, the path must change, as for a bad argument; -EINVAL for
 * a file that is not regular. */
#define CLI_OUTPUT_LINKS 8
int cli_create_file(const char *path, char *why, size_t cap);

/* cli_create_file's file as a stdio stream ("w"; fclose it). NULL with
 * cli_create_file's -errno in *err and the reason in why[cap]. */
FILE *cli_create_stream(const char *path, int *err, char *why, size_t cap);

/* False, with a one-line reason in why[cap], when the last component of
 * `path` is a symlink that cli_create_file would refuse (owned by neither
 * the caller nor root); true otherwise (also when `path` does not exist).
 * For a check when the option is read, before the work that ends in the
 * write; cli_create_file checks again when it opens. */
bool cli_output_link_ok(const char *path, char *why, size_t cap);

/* Median and a percentile (0..100) of `n` values; sorts `v` in place. */
double cli_percentile(double *v, size_t n, double pct);

#endif
