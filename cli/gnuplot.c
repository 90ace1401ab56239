/* SPDX-License-Identifier: MIT */
/* gnuplot.c: a command's --plot: terminal and output put in front of its script, drawn by gnuplot through the launcher. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gnuplot.h"
#include "launch.h"

static const char *ext_of(const char *file)
{
    const char *dot = file ? strrchr(file, '.') : NULL;
    return dot ? dot + 1 : "";
}

bool gnuplot_ext_ok(const char *file)
{
    const char *e = ext_of(file);
    return !strcmp(e, "png") || !strcmp(e, "svg");
}

/* The whole program gnuplot reads: terminal, output file (a gnuplot
 * single-quoted literal, a quote doubled), the script, and closing the
 * output. malloc'd; NULL without memory. */
static char *program(const char *file, const char *script)
{
    const char *term =
        !strcmp(ext_of(file), "svg")
            ? "set terminal svg size 1000,420 dynamic font 'sans,11'\n"
            : "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) "
              "{ set terminal pngcairo size 1000,420 font 'sans,10' } "
              "else { set terminal png size 1000,420 }\n";
    size_t cap = strlen(term) + 2 * strlen(file) + strlen(script) + 64;
    char *p = malloc(cap);
    if (!p)
        return NULL;
    size_t n = (size_t)snprintf(p, cap, "%sset output '", term);
    for (const char *c = file; *c; c++) {
        if (*c == '\'')
            p[n++] = '\'';
        p[n++] = *c;
    }
    snprintf(p + n, cap - n, "'\n%s\nset output\n", script);
    return p;
}

int gnuplot_draw(const char *cmd, const char *file, const char *script)
{
    if (!gnuplot_ext_ok(file)) {
        cli_error(cmd, "--plot: '%s' must end in .png or .svg", file);
        return 1;
    }
    if (!launch_have("gnuplot")) {
        cli_error(cmd, "--plot needs gnuplot, which is not installed "
                       "(scripts/deps.sh installs gnuplot-nox)");
        return 1;
    }
    char *text = program(file, script);
    if (!text) {
        cli_error(cmd, "out of memory");
        return 1;
    }
    const char *argv[] = {"gnuplot", NULL};
    struct launch l = {.argv = argv, .input = text,
                       .timeout_ms = GNUPLOT_TIMEOUT_MS,
                       .err = {.to = LAUNCH_INHERIT}};
    char why[200];
    int rc = launch_run(&l, why, sizeof why);
    free(text);
    if (rc != 0 || l.status != 0) {
        cli_error(cmd, "gnuplot failed to draw %s%s%s", file,
                  rc != 0 || l.status == 127 ? ": " : "",
                  rc != 0 || l.status == 127 ? why : "");
        return 1;
    }
    return 0;
}
