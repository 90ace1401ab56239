/* SPDX-License-Identifier: MIT */
/* progress.c: "\r"-redrawn progress lines with elapsed time, on a terminal's stderr only. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool progress_enabled(void)
{
    return isatty(STDERR_FILENO) == 1;
}

/* The start of the current progress_show step; -1 between steps. */
static long long step_t0 = -1;
/* A line is on the terminal (so progress_done has something to clear). */
static bool line_shown;

void progress_show(const char *cmd, const char *fmt, ...)
{
    if (!progress_enabled())
        return;
    long long now = mono_ms();
    if (step_t0 < 0)
        step_t0 = now;
    va_list ap;
    fprintf(stderr, "\r\033[Kcoord %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    long long s = (now - step_t0) / 1000;
    if (s > 0)
        fprintf(stderr, "  %lld s", s);
    fflush(stderr);
    line_shown = true;
}

void progress_done(void)
{
    step_t0 = -1;
    if (line_shown && progress_enabled()) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    line_shown = false;
}

void progress_tick_start(struct progress_tick *t, const char *label)
{
    t->label = progress_enabled() ? label : NULL;
    t->t0_ms = mono_ms();
    t->next_ms = t->t0_ms + PROGRESS_QUIET_MS;
    t->shown = false;
}

void progress_tick(struct progress_tick *t)
{
    if (!t->label)
        return;
    long long now = mono_ms();
    if (now < t->next_ms)
        return;
    long long s = (now - t->t0_ms) / 1000;
    fprintf(stderr, "\r\033[Kcoord %s ... %lld s", t->label, s);
    fflush(stderr);
    t->shown = true;
    /* The next whole second after the start, so the count never skips
     * or repeats a number however late this call came. */
    t->next_ms = t->t0_ms + (s + 1) * 1000;
}

int progress_tick_next_ms(const struct progress_tick *t)
{
    if (!t->label)
        return 1 << 30;
    long long d = t->next_ms - mono_ms();
    return d < 0 ? 0 : d > (1 << 30) ? 1 << 30 : (int)d;
}

void progress_tick_end(struct progress_tick *t)
{
    if (t->label && t->shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    t->label = NULL;
    t->shown = false;
}
