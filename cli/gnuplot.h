/* SPDX-License-Identifier: MIT */
/* gnuplot.h: drawing a command's --plot file with gnuplot (run through launch.h). */
#ifndef COORD_CLI_GNUPLOT_H
#define COORD_CLI_GNUPLOT_H

#include <stdbool.h>

/*
 * gnuplot_draw: draws `script` with gnuplot into `file`: "set terminal
 * ..." for the extension of `file` (.png or .svg) is put in front of it,
 * the script is fed on gnuplot's stdin and gnuplot's stdout is `file`
 * (opened by the launcher, never named in the script). Blocking: until
 * gnuplot ends, at most GNUPLOT_TIMEOUT_MS. Returns 0, or 1 after printing
 * a one-line message as command `cmd` (a path gnuplot_path_ok refuses,
 * gnuplot missing, gnuplot failed: its first line of complaint; or killed
 * at the deadline).
 */
#define GNUPLOT_TIMEOUT_MS 60000
int gnuplot_draw(const char *cmd, const char *file, const char *script);

/* gnuplot_ext_ok: true for a plot file name gnuplot_draw can write (.png,
 * .svg). */
bool gnuplot_ext_ok(const char *file);

/* gnuplot_path_ok: can `file` be drawn into: a .png or .svg name that is a
 * writable regular file, or does not exist in a writable directory? Checked
 * when the option is read, so that a bad path fails before the experiment
 * runs. False after printing a one-line message as command `cmd`. */
bool gnuplot_path_ok(const char *cmd, const char *file);

#endif
