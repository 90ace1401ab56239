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
 * regular file, or the null device (character device 1, 3: /dev/null, for
 * output nobody wants; not truncated). Anything else there (a FIFO, a
 * directory, another device, a socket) is refused without being opened for
 * writing, so nothing blocks and no device is touched. A symlink at the
 * last component is followed only when the caller or root owns it (at most
 * CLI_OUTPUT_LINKS of them in a row): one that another user owns may have
 * been planted (in /tmp, say) to make us write into their victim's file,
 * and is refused without touching its target. An existing regular file
 * owned by neither the caller nor root, in a sticky directory that others
 * (group or world) may write, is refused too: its owner may have made it
 * in advance to read what we write into it (the kernel's
 * fs.protected_regular rule, kept whatever that setting is). The checks are
 * made on the descriptor that was opened (fstat), before the file is
 * truncated: a refused file is left as it was, content and mtime.
 * Returns the fd (in blocking mode), or -errno with a one-line reason in
 * why[cap] naming `path`: -EPERM for a refused symlink or file (the reason
 * names its owner's uid) or a file the file system will not let us write
 * (immutable); -EINVAL for what is not a regular file; another -errno when
 * the open failed (ENOENT for a missing directory, EACCES, ...).
 * cli_output_status gives the exit status. Any thread may call it; it
 * blocks only on the file system. */
#define CLI_OUTPUT_LINKS 8
int cli_create_file(const char *path, char *why, size_t cap);

/* Tests only (NULL otherwise): called by cli_create_file after it looked
 * at an existing file `name` in directory `dir` (an O_PATH descriptor) and
 * before it opens it for writing, so that a test can replace the file in
 * that window. */
extern void (*cli__output_hook)(int dir, const char *name);

/* cli_create_file's file as a stdio stream ("w"; fclose it). NULL with
 * cli_create_file's -errno in *err and the reason in why[cap]. */
FILE *cli_create_stream(const char *path, int *err, char *why, size_t cap);

/* cli_create_file's checks without creating, opening for writing or
 * truncating anything: 0 when `path` does not exist in an existing
 * directory, or is what cli_create_file would write; else its -errno and
 * one-line reason in why[cap] (a refused symlink or file, not a regular
 * file, a missing directory). For a check when an option is read, before
 * the work that ends in the write; cli_create_file checks again when it
 * opens. */
int cli_output_check(const char *path, char *why, size_t cap);

/* Is `path` a directory reached through no symbolic link that another
 * user owns (neither the caller nor root), at any component? 0, or -errno
 * with a one-line reason in why[cap] (-EPERM: such a link; -ENOTDIR,
 * -ENOENT, ...). cli_create_file and cli_output_check walk the directories
 * of their paths the same way. For a directory the caller will write files
 * into by name (a report's --out). */
int cli_dir_check(const char *path, char *why, size_t cap);

/* The exit status for cli_create_file's or cli_output_check's failure `rc`
 * (a negative errno): CLI_USAGE when another path would do (a refusal, not
 * a regular file, a missing or unwritable directory, a read-only file
 * system: EPERM, EINVAL, EACCES, ENOENT, ENOTDIR, EISDIR, ELOOP,
 * ENAMETOOLONG, EROFS, ENXIO, ETXTBSY), CLI_RUNTIME otherwise (out of
 * descriptors or memory, an I/O error). */
int cli_output_status(int rc);

/* Median and a percentile (0..100) of `n` values; sorts `v` in place. */
double cli_percentile(double *v, size_t n, double pct);

#endif
