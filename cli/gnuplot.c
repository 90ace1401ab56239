/* SPDX-License-Identifier: MIT */
/* gnuplot.c: a command's --plot: terminal and output put in front of its script, drawn by gnuplot through the launcher. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "gnuplot.h"
#include "launch.h"

#define STR__(x) #x
#define STR_(x) STR__(x)

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

bool gnuplot_path_ok(const char *cmd, const char *file)
{
    if (!gnuplot_ext_ok(file)) {
        cli_error(cmd, "--plot: '%s' must end in .png or .svg", file);
        return false;
    }
    for (const char *c = file; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            /* Also keeps the one-line messages below on one line. */
            cli_error(cmd, "--plot: the file name has a control character");
            return false;
        }
    /* What cli_create_file would refuse (another user's symlink or file,
     * a FIFO, a directory, a device) is refused now, before the run; a
     * missing directory is named below. */
    char why[PATH_MAX + 128];
    int rc = cli_output_check(file, why, sizeof why);
    if (rc == -EPERM || rc == -EINVAL) {
        cli_error(cmd, "--plot: %s", why);
        return false;
    }
    struct stat st;
    if (stat(file, &st) == 0) {
        if (access(file, W_OK) != 0) {
            cli_error(cmd, "--plot: cannot write '%s': %s", file, strerror(errno));
            return false;
        }
        if (rc != 0) {
            cli_error(cmd, "--plot: %s", why);
            return false;
        }
        return true;
    }
    /* A new file: its directory must take it. */
    char dir[4096];
    const char *slash = strrchr(file, '/');
    size_t n = slash ? (size_t)(slash - file) : 0;
    if (n >= sizeof dir) {
        cli_error(cmd, "--plot: the path is too long");
        return false;
    }
    memcpy(dir, file, n);
    strcpy(dir + n, slash ? (n ? "" : "/") : ".");
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK) != 0) {
        cli_error(cmd, "--plot: cannot create '%s' (its directory '%s' %s)", file, dir,
                  stat(dir, &st) != 0 ? "does not exist"
                  : !S_ISDIR(st.st_mode) ? "is not a directory"
                                         : "is not writable");
        return false;
    }
    /* The name's own directory takes it, but the file would not be made
     * there: a link of ours at the name whose target's directory is
     * missing, or a loop of links. Said now, not after the experiment
     * (it exited 1 once the run was over). */
    if (rc != 0) {
        cli_error(cmd, "--plot: %s", why);
        return false;
    }
    return true;
}

/* Does a line of `data` start with "EOD"? gnuplot ends a datablock at
 * such a line (it compares the line's start only). */
static bool ends_block(const char *data)
{
    for (const char *l = data;;) {
        if (!strncmp(l, "EOD", 3))
            return true;
        if (!(l = strchr(l, '\n')))
            return false;
        l++;
    }
}

/* The whole program gnuplot reads: the data as a datablock, the terminal
 * for the file's extension, the script, and closing the output. The
 * output is gnuplot's stdout, which the launcher opens on `file`: the
 * file's name never enters the program (a name with a newline used to add
 * gnuplot commands, `system` among them). malloc'd; NULL without
 * memory. */
static char *program(const char *file, const char *data, const char *script)
{
    const char *term =
        !strcmp(ext_of(file), "svg")
            ? "set terminal svg size 1000,420 dynamic font 'sans,11'\n"
            : "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) "
              "{ set terminal pngcairo size 1000,420 font 'sans,10' } "
              "else { set terminal png size 1000,420 }\n";
    size_t dlen = data ? strlen(data) : 0;
    bool nl = dlen && data[dlen - 1] != '\n';
    size_t cap = dlen + strlen(term) + strlen(script) + 64;
    char *p = malloc(cap);
    if (p)
        snprintf(p, cap, "%s%s%s%s%sset output\n%s\nset output\n",
                 data ? GNUPLOT_DATABLOCK_OPEN : "", data ? data : "",
                 nl ? "\n" : "", data ? GNUPLOT_DATABLOCK_CLOSE : "", term,
                 script);
    return p;
}

int gnuplot_draw(const char *cmd, const char *file, const char *data,
                 const char *script)
{
    if (!gnuplot_path_ok(cmd, file))
        return 1;
    if (data && ends_block(data)) {
        cli_error(cmd, "--plot: a line of the data starts with 'EOD'");
        return 1;
    }
    if (!launch_have("gnuplot")) {
        cli_error(cmd, "--plot needs gnuplot, which is not installed "
                       "(scripts/deps.sh installs gnuplot-nox)");
        return 1;
    }
    char *text = program(file, data, script);
    if (!text) {
        cli_error(cmd, "out of memory");
        return 1;
    }
    const char *argv[] = {"gnuplot", NULL};
    char err[1024] = "";
    /* gnuplot draws into memory; `file` is made only once it succeeded, so
     * a failed draw leaves no empty file and an earlier plot as it was. */
    char *img = malloc(GNUPLOT_MAX_BYTES + 1);
    if (!img) {
        free(text);
        cli_error(cmd, "out of memory");
        return 1;
    }
    struct launch l = {.argv = argv, .input = text,
                       .timeout_ms = GNUPLOT_TIMEOUT_MS,
                       .out = {.to = LAUNCH_CAPTURE, .buf = img,
                               .cap = GNUPLOT_MAX_BYTES + 1},
                       .err = {.to = LAUNCH_CAPTURE, .buf = err, .cap = sizeof err}};
    char why[PATH_MAX + 128];
    int rc = launch_run(&l, why, sizeof why);
    free(text);
    if (rc != 0 || l.status != 0 || l.out.truncated) {
        /* One line: gnuplot's first complaint, or why it did not run. */
        char *first = err + strspn(err, " \t\n");
        first[strcspn(first, "\n")] = '\0';
        const char *reason = rc != 0 || l.status == 127 ? why
                             : l.status == 0 ? "the plot is over "
                                               STR_(GNUPLOT_MAX_BYTES) " bytes"
                                             : first;
        cli_error(cmd, "gnuplot failed to draw %s%s%s", file, *reason ? ": " : "",
                  reason);
        free(img);
        return 1;
    }
    struct cli_output out;
    int fd = cli_output_begin(&out, file, why, sizeof why);
    int werr = 0;
    for (size_t done = 0; fd >= 0 && !werr && done < l.out.len;) {
        ssize_t w = write(fd, img + done, l.out.len - done);
        if (w > 0)
            done += (size_t)w;
        else if (w < 0 && errno != EINTR)
            werr = errno;
    }
    /* The image whole, or the earlier file left as it was. */
    if (fd >= 0)
        werr = -cli_output_end(&out, NULL, -werr, why, sizeof why);
    free(img);
    if (fd < 0 || werr) {
        cli_error(cmd, "%s", why);
        return 1;
    }
    return 0;
}
