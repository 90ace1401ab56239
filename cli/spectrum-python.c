/* SPDX-License-Identifier: MIT */
/* spectrum-python.c: the Python side of `coord spectrum`: bench/python/spectrum.py run through the launcher, its TSV rows read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datadir.h"
#include "launch.h"
#include "spectrum.h"

/* Runs spectrum.py; fills the python columns. Returns NULL or the reason
 * it was skipped (static or in `why`). */
const char *spectrum_run_python(struct result *res, bool quick, int runs,
                                char *why, size_t cap)
{
    const char *pkg = cli_build_python_pkg();
    if (pkg)
        setenv("COORD_BUILD_PYTHON", pkg, 1);
    char nruns[16];
    snprintf(nruns, sizeof nruns, "%d", runs);
    const char *args[] = {"--tsv", "--runs", nruns,
                          quick ? "--quick" : NULL, NULL};
    static char text[1 << 16];
    char whyl[256];
    struct launch l = {.timeout_ms = LAUNCH_PYTHON_TIMEOUT_MS,
                       .out = {.to = LAUNCH_CAPTURE, .buf = text,
                               .cap = sizeof text},
                       .err = {.to = LAUNCH_STDOUT}};
    int lrc = launch_python(&l, "spectrum.py", args, whyl, sizeof whyl);
    if (lrc == 1) {
        snprintf(why, cap, "skipped: %s", whyl);
        return why;
    }
    if (lrc != 0) {
        snprintf(why, cap, "failed: python3 spectrum.py: %s", whyl);
        return why;
    }
    char line[512], last[200] = "";
    int got = 0;
    for (char *save = NULL, *tok = strtok_r(text, "\n", &save); tok;
         tok = strtok_r(NULL, "\n", &save)) {
        char mech[64], detail[200] = "";
        double p50, p99;
        snprintf(line, sizeof line, "%s", tok);
        if (sscanf(line, "%63[^\t]\t%lf\t%lf\t%199[^\n]", mech, &p50, &p99,
                   detail) >= 3) {
            /* "coord:<mech>": the same row done with `import coord`. */
            bool pyc = !strncmp(mech, "coord:", 6);
            for (size_t r = 0; pyc && r < NROWS; r++)
                if (!strcmp(mech + 6, rows_def[r].mech) && p50 > 0) {
                    res[r].have_pyc = true;
                    res[r].pyc_p50 = p50;
                    res[r].pyc_p99 = p99;
                    snprintf(res[r].pyc_detail, sizeof res[r].pyc_detail,
                             "%.150s", detail);
                }
            for (size_t r = 0; !pyc && r < NROWS; r++)
                if (!strcmp(mech, rows_def[r].mech) && p50 > 0) {
                    res[r].have_py = true;
                    res[r].py_p50 = p50;
                    res[r].py_p99 = p99;
                    snprintf(res[r].py_detail, sizeof res[r].py_detail, "%.150s",
                             detail);
                    got++;
                }
        } else if (*line) {
            snprintf(last, sizeof last, "%.190s", line);
        }
    }
    if (l.status != 0 || got == 0) {
        snprintf(why, cap, "failed: python3 spectrum.py exited %d%s%s",
                 l.status, *last ? ": " : "", last);
        return why;
    }
    return NULL;
}
