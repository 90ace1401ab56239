/* SPDX-License-Identifier: MIT */
/* cli.h: errors, progress and JSON helpers shared by the subcommands
 * (their options: opts.h). */
#ifndef COORD_CLI_H
#define COORD_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <coord.h>

/* Exit codes of every subcommand. */
#define CLI_OK 0
#define CLI_RUNTIME 1
#define CLI_USAGE 2

/* Print "coord CMD: message" on stderr (one line). */
void cli_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));


/* Write `s` as a JSON string literal (with quotes) to `f`. */
void cli_json_str(FILE *f, const char *s);

/* Notes the machine's 1-minute load average before a command runs (main()
 * calls it once); cli_json_begin reports it. Not thread-safe. */
void cli_json_note_start(void);
/* Writes the envelope every `--json` output starts with (docs/json.md):
 * `{"schema":"coord.<command>/<version>","command":"<command>",
 * "coord_version":...,"machine":{...}` -- the object is left open and
 * without a trailing comma; the caller continues with `,"key":...` and
 * closes it. */
void cli_json_begin(FILE *f, const char *command, int version);
/* The machine's boot time (`btime` of /proc/stat), seconds since the
 * epoch, or -1 when it cannot be read. */
long long cli_boot_time_s(void);

/* Median and a percentile (0..100) of `n` values; sorts `v` in place. */
double cli_percentile(double *v, size_t n, double pct);

#endif
