/* SPDX-License-Identifier: MIT */
/* gnuplot.h: drawing a command's --plot file with gnuplot (run through launch.h). */
#ifndef COORD_CLI_GNUPLOT_H
#define COORD_CLI_GNUPLOT_H

#include <stdbool.h>

/*
 * gnuplot_draw: draws `script` with gnuplot into `file`: "set terminal
 * ...; set output ..." is put in front of it according to the extension
 * of `file` (.png or .svg), and the script is fed on gnuplot's stdin
 * (gnuplot's errors go to this process's stderr). Blocking: until gnuplot
 * ends, at most GNUPLOT_TIMEOUT_MS. Returns 0, or 1 after printing a
 * one-line message as command `cmd` (unknown extension, gnuplot missing,
 * gnuplot failed or was killed at the deadline).
 */
#define GNUPLOT_TIMEOUT_MS 60000
int gnuplot_draw(const char *cmd, const char *file, const char *script);

/* gnuplot_ext_ok: true for a plot file name gnuplot_draw can write (.png,
 * .svg). */
bool gnuplot_ext_ok(const char *file);

#endif
