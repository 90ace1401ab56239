/* SPDX-License-Identifier: MIT */
/* gnuplot.h: drawing a command's --plot file with gnuplot (run through launch.h). */
#ifndef COORD_CLI_GNUPLOT_H
#define COORD_CLI_GNUPLOT_H

#include <stdbool.h>

/*
 * The datablock that carries a plot's data inside gnuplot's program, so
 * that gnuplot opens no data file (a temporary file's name could be
 * replaced before gnuplot reads it): GNUPLOT_DATABLOCK_OPEN, the data,
 * GNUPLOT_DATABLOCK_CLOSE; a script then reads GNUPLOT_DATABLOCK where it
 * would name a file (`plot $coord_data index 0 ...`). No line of the data
 * may start with "EOD", which would end the block early and make the rest
 * commands.
 */
#define GNUPLOT_DATABLOCK "$coord_data"
#define GNUPLOT_DATABLOCK_OPEN GNUPLOT_DATABLOCK " << EOD\n"
#define GNUPLOT_DATABLOCK_CLOSE "EOD\n"

/*
 * gnuplot_draw: draws `script` with gnuplot into `file`: "set terminal
 * ..." for the extension of `file` (.png or .svg) is put in front of it,
 * and in front of that `data` (NULL: none) as GNUPLOT_DATABLOCK; the
 * whole program is fed on gnuplot's stdin and gnuplot's stdout (at most
 * GNUPLOT_MAX_BYTES) is written into `file` (cli_create_file, never named
 * in the script) once gnuplot has succeeded, so a failed draw leaves
 * `file` as it was: gnuplot opens no file, and none is made for it.
 * Blocking: until gnuplot ends, at most GNUPLOT_TIMEOUT_MS. Returns 0, or 1 after printing a one-line message
 * as command `cmd` (a path gnuplot_path_ok refuses, a line of `data` that
 * starts with "EOD", gnuplot missing, gnuplot failed: its first line of
 * complaint; killed at the deadline; a plot over GNUPLOT_MAX_BYTES; `file`
 * refused or not written by cli_create_file).
 */
#define GNUPLOT_TIMEOUT_MS 60000
/* The largest plot gnuplot_draw writes (it is drawn in memory first). */
#define GNUPLOT_MAX_BYTES 33554432
int gnuplot_draw(const char *cmd, const char *file, const char *data,
                 const char *script);

/* gnuplot_ext_ok: true for a plot file name gnuplot_draw can write (.png,
 * .svg). */
bool gnuplot_ext_ok(const char *file);

/* gnuplot_path_ok: can `file` be drawn into: a .png or .svg name that is a
 * writable regular file, or does not exist in a writable directory? Checked
 * when the option is read, so that a bad path fails before the experiment
 * runs. False after printing a one-line message as command `cmd`. */
bool gnuplot_path_ok(const char *cmd, const char *file);

#endif
