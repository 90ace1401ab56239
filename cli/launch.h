/* SPDX-License-Identifier: MIT */
/* launch.h: the one place the tool runs another program (an experiment, python3, gnuplot, coord itself). */
#ifndef COORD_CLI_LAUNCH_H
#define COORD_CLI_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>
#include <stddef.h>

/* Where one of the program's output streams goes. */
enum launch_sink {
    LAUNCH_DISCARD = 0, /* /dev/null (the zero value) */
    LAUNCH_FILE,        /* the file `path`, created or truncated (0644) */
    LAUNCH_CAPTURE,     /* into `buf` (see struct launch_out) */
    LAUNCH_INHERIT,     /* this process's own stream */
    LAUNCH_STDOUT,      /* stderr only: wherever stdout goes (2>&1) */
    LAUNCH_FD           /* the descriptor `fd`, opened by the caller (a
                           file made through a checked directory's
                           descriptor: cli_create_file_at) */
};

struct launch_out {
    enum launch_sink to;
    const char *path; /* LAUNCH_FILE */
    int fd;           /* LAUNCH_FD: borrowed (the program gets a copy;
                         the caller closes it) */
    /* LAUNCH_CAPTURE: up to cap-1 bytes are kept in buf and NUL-
     * terminated; what does not fit is read and dropped (the program never
     * blocks on a full pipe) and `truncated` is set. Out: len, truncated. */
    char *buf;
    size_t cap;
    size_t len;
    bool truncated;
};

/*
 * One run. Zero it, fill the inputs, call launch_run. A zeroed struct with
 * only argv and timeout_ms set runs the program with stdin, stdout and
 * stderr on /dev/null.
 */
struct launch {
    const char *const *argv; /* argv[0] searched in PATH unless it has '/' */
    const char *cwd;         /* NULL: this process's directory */
    const char *input;       /* written to its stdin, then closed; NULL:
                                stdin is /dev/null */
    struct launch_out out, err;
    int timeout_ms; /* > 0: the whole process group is ended after it */
    /* Shown on a terminal's stderr after 2 s, "coord <progress> ... 12 s"
     * (progress.h); NULL: nothing is shown. */
    const char *progress;
    int status;        /* out: exit code, 128 + n when killed by signal n,
                          127 when the program could not be started */
    long long wall_ms; /* out: from the fork to the end of the run */
};

/*
 * launch_run: runs l->argv in its own process group with the streams
 * described in `l`, waits for it and returns when it ended, or ends the
 * whole group at the deadline. Ending a group is SIGTERM (and SIGCONT),
 * then SIGKILL once the leader has ended and no other member runs, at
 * most a second later: a process that cleans up on SIGTERM (a manager
 * server removing its socket directory and spin file) gets to (the other
 * members are found in /proc: where it cannot be read, they get SIGKILL
 * as soon as the leader has ended; kill(-group, 0) cannot stand in for
 * /proc, since it succeeds while any member is there, zombies included,
 * and the leader stays an unreaped zombie to the last kill). The
 * program's environment says COORD_LAUNCH_GRACE_MS=500, half this
 * process's grace: a program that is a launcher too (coord report runs
 * coord spectrum, which runs python3) takes that grace for its own
 * program's group, so it has ended that group, SIGKILL included, before
 * this process's SIGKILL reaches it (this process reads the variable,
 * 50 to 999 ms, as its own grace, and passes on half of it). When the
 * program ends on its own, what it left running in its group (its
 * workers) is ended the same way, before the program is reaped (so the
 * group's number, its pid, is still taken and cannot be a newer process's
 * group); and the program gets SIGKILL if this process dies first
 * (PR_SET_PDEATHSIG).
 * While it runs, SIGHUP, SIGINT, SIGQUIT and SIGTERM, where this process
 * leaves them at their default, end the program's whole group that way
 * (one grace: the others wait while it runs)
 * before they end this process as before (a Ctrl-C takes the program's
 * workers with it); one the caller ignores or handles is left alone. A
 * SIGKILL of this process reaches the program only: workers it started
 * outlive it unless they die with their parent (bench/python's scripts
 * do: die_with_parent.py).
 * While it ends the group this process is its members' subreaper: a
 * worker whose parent the SIGTERM ended comes here, and is reaped here
 * (bounded wait) before launch_run returns, with any other child of this
 * process still in the group, in every command (a worker that ignored
 * SIGTERM, SIGKILLed after the grace, was left a zombie of coord's until
 * it exited). After launch_adopt_orphans every orphan that came here is
 * reaped too, the group's or not, so no zombie outlives a run.
 * Concurrency: one run at a time per process (it waits for its own child
 * only, except for the orphans above). Blocking: up to timeout_ms (plus
 * the group's second of grace and a bounded reap); stdio is flushed
 * before the fork.
 * Ownership: everything in `l` is borrowed; capture buffers are the
 * caller's.
 * Returns 0 with l->status set (also 127 when it could not be started:
 * `why` then says why, e.g. "cannot run gnuplot: No such file or
 * directory"); -ETIMEDOUT when ended at the deadline (l->status is
 * how it ended: 128 + SIGTERM mostly, 128 + SIGKILL when it outlived the
 * grace, or the exit code of a program that exits on SIGTERM; captured
 * output so far is kept); -EINVAL for a missing
 * argv, a timeout <= 0, LAUNCH_STDOUT for stdout, LAUNCH_FILE without a
 * path, LAUNCH_FD with a negative fd or LAUNCH_CAPTURE without a buffer;
 * or -errno when a file, pipe or
 * fork failed. Every failure writes a one-line reason to why[cap].
 */
int launch_run(struct launch *l, char *why, size_t cap);

/* launch_adopt_orphans: makes this process the subreaper of what it runs
 * (PR_SET_CHILD_SUBREAPER), so that processes of a killed program (its
 * workers) are reaped by launch_run, not left as zombies of init or of a
 * test runner. Call it once, in a process that has no other children it
 * waits for. */
void launch_adopt_orphans(void);

/* launch_reap: wait for child `pid` to end and reap it, through any
 * interruption by a signal (a handler installed without SA_RESTART, a
 * profiler's timer: an EINTR read as the child's failure made coord queue
 * say exactly-once NO). Returns waitpid's result: pid, or -1 with errno
 * (ECHILD: not our child). *status (may be NULL) is set only on success. */
pid_t launch_reap(pid_t pid, int *status);

/* launch_have: true when program `name` would be found on $PATH (an
 * executable file; "/usr/bin:/bin" when PATH is unset). */
bool launch_have(const char *name);

/*
 * launch_python: runs "python3 <dir>/<script> <args...>" like launch_run,
 * where <dir> is cli_python_dir() (datadir.h) and `args` is NULL-
 * terminated (at most 60). l->argv is set here (and reset on return); the
 * rest of `l` is the caller's as for launch_run.
 * Returns 1 (why says "no python3" or "<script> not found") when python3
 * or the script is missing (the caller reports the Python column as
 * skipped); otherwise what launch_run returns.
 */
int launch_python(struct launch *l, const char *script,
                  const char *const *args, char *why, size_t cap);

/* The deadline of a command's Python comparison run: generous (a full
 * run takes seconds to a minute on a loaded machine), so only a hung
 * interpreter is killed. */
#define LAUNCH_PYTHON_TIMEOUT_MS (10 * 60 * 1000)

struct json;
/*
 * launch_python_json: runs a Python script as launch_python does (stdin
 * and stdout as described there, stdout captured, stderr kept for the
 * message) and parses its stdout as one JSON document (json.h) into *out
 * (free with json_free). `progress` labels the ticking line (NULL: none).
 * Returns 0 with *out; 1 when python3 or the script is missing (why says
 * which); -ETIMEDOUT after timeout_ms; -EIO when it exited non-zero (why:
 * its status and last line of stderr); -EINVAL when stdout was not one
 * JSON document; -ENOMEM; or what launch_run returns.
 */
int launch_python_json(const char *script, const char *const *args,
                       int timeout_ms, const char *progress,
                       struct json **out, char *why, size_t cap);

#endif
