/* SPDX-License-Identifier: MIT */
/* cli.h: exit codes, errors, the JSON envelope and percentiles shared by
 * the subcommands (their options: opts.h; progress: progress.h; running
 * programs: launch.h; JSON: json-write.h, json.h). */
#ifndef COORD_CLI_H
#define COORD_CLI_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

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
 * container's cpuset) within the online CPUs and its cgroup's CPU quota
 * rounded up, as the library counts them for its default worker counts
 * (coord_search_opts_init's workers; at most COORD_SEARCH_MAX_WORKERS; the
 * wait policy's member slots count the quota's whole CPUs, at least 2).
 * At least 1. */
int cli_cpus_usable(void);

/* Replace every control character of `s` (below 0x20, and 0x7f) by '?',
 * in place: text from outside the program (a file name, a CSV field) on a
 * terminal, where a newline would forge a line and an escape sequence
 * would reach the terminal. C1 controls (U+0080..U+009F, as UTF-8 or as
 * bare bytes) and bytes that are no part of well-formed UTF-8 too: each
 * byte becomes '?' (the length is kept). */
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
 * fs.protected_regular rule, kept whatever that setting is). So is an
 * existing regular file with more than one link (whoever owns it) in a
 * directory others may write (its owner is another user, or its group or
 * the world may write it; sticky or not): another of its names may be a
 * file of ours (or, for root, any file) that someone linked there to have
 * it cut (the kernel's fs.protected_hardlinks case, kept whatever that
 * setting is). Its links are counted at its name after the open, and the
 * name must still be the file that was opened (a link removed between the
 * open and the count is not missed). In a directory only the caller or
 * root may change, a file with several links is written: only they could
 * have made it. The checks are made on the descriptor that was opened
 * (fstat), before the file is truncated: a refused file is left as it
 * was, content and mtime.
 * Returns the fd (in blocking mode), or -errno with a one-line reason in
 * why[cap] naming `path`: -EPERM for a refused symlink or file (the reason
 * names its owner's uid, or its count of links) or a file the file system
 * will not let us write (immutable); -EINVAL for what is not a regular
 * file; -EAGAIN when the name was replaced after each of a few opens;
 * another -errno when the open failed (ENOENT for a missing directory,
 * EACCES, ...). cli_output_status gives the exit status. Any thread may
 * call it; it blocks only on the file system. */
#define CLI_OUTPUT_LINKS 8
int cli_create_file(const char *path, char *why, size_t cap);

/*
 * cli_create_file_at: cli_create_file for `name` relative to the directory
 * descriptor `dir` (an O_PATH one from cli_dir_open will do; AT_FDCWD: the
 * working directory): every lookup starts at `dir` (openat, O_NOFOLLOW on
 * each component, links followed by the rules above), so a directory
 * above `dir` renamed or replaced since `dir` was opened does not change
 * where the file goes. Messages name `dir_path`/`name` (`name` alone when
 * dir_path is NULL). `dir` is borrowed, never closed. Returns and blocks
 * as cli_create_file; any thread may call it.
 */
int cli_create_file_at(int dir, const char *dir_path, const char *name,
                       char *why, size_t cap);

/* Tests only (NULL otherwise): cli__output_hook is called by
 * cli_create_file after it looked at an existing file `name` in directory
 * `dir` (an O_PATH descriptor) and before it opens it for writing;
 * cli__opened_hook after that open, before the descriptor is checked: a
 * test can replace the file, or remove a link to it, in either window. */
extern void (*cli__output_hook)(int dir, const char *name);
extern void (*cli__opened_hook)(int dir, const char *name);

/*
 * An output file replaced whole or not at all (the CLI's --write-csv,
 * --plot, the report's documents and plots): cli_output_begin runs
 * cli_create_file's walk and checks on `path` (the same refusals, the
 * same messages, the same links followed) but never opens what is there
 * for writing: it creates an empty temporary file beside the target (in
 * the directory the walk ended in, named "." + the target's name + a
 * random suffix + "~", with the existing file's mode and, where the
 * system allows, its owner and group; 0644 less the umask for a new
 * file) and returns its descriptor. cli_output_end then renames it over
 * the target (the file a followed link leads to; the link stays) when the
 * write succeeded, or removes it: a failed or interrupted run leaves the
 * earlier file whole and no half-written one at its name. A SIGKILL
 * between the two leaves the temporary (its name says whose it is). What
 * differs from writing in place: another hard link to the old file keeps
 * the old contents. The null device is written in place, and so is an
 * existing file in a directory that refuses us a new name (EACCES, EPERM:
 * a file we may write in a directory we may not), which then, as before,
 * is opened after the checks of cli_create_file and left empty by a
 * failed write.
 * cli_output_begin: the descriptor (the caller writes it; cli_output_end
 * closes it) or -errno with why[cap], as cli_create_file. The _at forms
 * are relative to `dir` as cli_create_file_at; the stream forms wrap the
 * descriptor in a stdio stream ("w"), NULL with -errno in *err.
 * cli_output_end(o, f, rc, ...): `f` the stream (flushed and closed) or
 * NULL (o's descriptor is closed), `rc` the caller's write result (0 or
 * -errno); returns 0 when the file is in place, else the first error
 * (rc, the flush's, the close's, the rename's) with "cannot write PATH:
 * reason" in why[cap]. Once per begun output; a second call, or one for
 * an output whose begin failed, returns rc. Any thread may call these for
 * its own `o`; they block only on the file system.
 */
struct cli_output {
    int fd;                           /* the temporary (or the null device) */
    int dir;                          /* where it is (O_PATH); -1: none */
    char name[NAME_MAX + 1];          /* the target, in dir */
    char tmp[NAME_MAX + 1];           /* the temporary; "": in place */
    char shown[PATH_MAX + NAME_MAX + 2]; /* the path messages name */
};
int cli_output_begin(struct cli_output *o, const char *path, char *why,
                     size_t cap);
int cli_output_begin_at(struct cli_output *o, int dir, const char *dir_path,
                        const char *name, char *why, size_t cap);
FILE *cli_output_stream(struct cli_output *o, const char *path, int *err,
                        char *why, size_t cap);
FILE *cli_output_stream_at(struct cli_output *o, int dir,
                           const char *dir_path, const char *name, int *err,
                           char *why, size_t cap);
int cli_output_end(struct cli_output *o, FILE *f, int rc, char *why,
                   size_t cap);

/* cli_create_file's checks without creating, opening for writing or
 * truncating anything: 0 when `path` does not exist in an existing
 * directory that takes a new name from us, or is what cli_create_file
 * would write and a file we may write (cli_output_begin replaces it, or
 * writes it in place); else its -errno
 * and one-line reason in why[cap] (a refused symlink or file, not a
 * regular file, a missing directory, -EACCES or -EROFS where nothing
 * could be written). For a check when an option is read, before
 * the work that ends in the write; cli_create_file checks again when it
 * opens. cli_output_check_at: the same relative to `dir`, as
 * cli_create_file_at. */
int cli_output_check(const char *path, char *why, size_t cap);
int cli_output_check_at(int dir, const char *dir_path, const char *name,
                        char *why, size_t cap);

/*
 * cli_dir_open: opens (O_PATH, close-on-exec) the directory `path`,
 * walked one component at a time from the working directory (or the root)
 * as cli_create_file walks the directories of its paths: a symbolic link
 * another user owns (neither the caller nor root) at any component is
 * refused, one of the caller's or root's is followed. With `make`, a
 * missing component is made on the way (mode 0755, in the directory the
 * walk holds: mkdir -p without following a refused link). For a directory
 * the caller writes several files into (a report's --out): open them with
 * cli_create_file_at and the other *at calls on the descriptor, which
 * stays the directory that was checked whatever is renamed above it.
 * Returns the descriptor (the caller closes it), or -errno with a one-line
 * reason in why[cap]: -EPERM for such a link (its owner's uid named),
 * -ENOTDIR, -ENOENT (without `make`), -EACCES, ...; cli_output_status
 * gives the exit status. Any thread; blocks only on the file system.
 */
int cli_dir_open(const char *path, bool make, char *why, size_t cap);
/* cli_dir_open_mode: cli_dir_open, the missing components made with
 * `mode` (less the umask) instead of 0755. */
int cli_dir_open_mode(const char *path, bool make, mode_t mode, char *why,
                      size_t cap);

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
