/* SPDX-License-Identifier: MIT */
/* progress.h: the one-line progress a command shows on a terminal while a long step runs, with its elapsed time. */
#ifndef COORD_CLI_PROGRESS_H
#define COORD_CLI_PROGRESS_H

#include <stdbool.h>

/*
 * Progress goes to stderr only, and only when stderr is a terminal: never
 * to stdout (a `--json` document stays one clean line), never into a file
 * or a pipe (a log or a report's data/<name>.log stays free of "\r"
 * lines). Every function here is a no-op otherwise. A line is redrawn in
 * place ("\r", then erase to the end of the line) and cleared by
 * progress_done. Concurrency: one thread of one process (the command's
 * main thread); forked workers must not call these.
 */

/* progress_enabled: true when stderr is a terminal. */
bool progress_enabled(void);

/*
 * progress_show: draws "coord <cmd>: <text>" and, from the first second
 * of the step on, "  <N> s" with the seconds since the step began. A step
 * begins at the first progress_show after progress_done (or ever), so
 * a command's calls during one long phase share one clock. Never fails.
 */
void progress_show(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* progress_done: clears the line progress_show drew (if any) and ends the
 * step; the next progress_show starts a new clock. */
void progress_done(void);

/*
 * A ticker for a step that shows nothing of its own (a program run by
 * launch_run, a long computation): it stays silent for the first
 * PROGRESS_QUIET_MS, then shows "coord <label> ... <N> s" at most once a
 * second until progress_tick_end clears it. A step shorter than
 * PROGRESS_QUIET_MS shows nothing at all. The struct is the caller's
 * (on its stack); start it before the first progress_tick.
 */
#define PROGRESS_QUIET_MS 2000
struct progress_tick {
    const char *label; /* borrowed; NULL: the ticker stays silent */
    long long t0_ms, next_ms;
    bool shown;
};
void progress_tick_start(struct progress_tick *t, const char *label);
/* progress_tick: redraws the line when a new second has begun. Cheap
 * (one clock read) when nothing is due; call it as often as convenient. */
void progress_tick(struct progress_tick *t);
/* progress_tick_next_ms: milliseconds until progress_tick has something
 * new to draw (a poll timeout); a large number when the ticker is silent. */
int progress_tick_next_ms(const struct progress_tick *t);
void progress_tick_end(struct progress_tick *t);

#endif
