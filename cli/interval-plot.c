/* SPDX-License-Identifier: MIT */
/* interval-plot.c: `coord interval --plot`: labels of the intervals and the gnuplot figure of overhead and stop latency. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "gnuplot.h"
#include "interval.h"

void interval_label(const struct cell *x, char *buf, size_t cap)
{
    if (x->interval == COORD_CHECK_AUTO)
        snprintf(buf, cap, "auto (K~%.0f)%s", x->every,
                 x->latency_won ? "*" : "");
    else
        snprintf(buf, cap, "%llu", (unsigned long long)x->interval);
}

int interval_plot(const struct interval_cfg *c, const struct cell *cells,
                  int ncells)
{
    /* The data goes into gnuplot's program (gnuplot.h's datablock): no
     * temporary file, whose name gnuplot would open after us. */
    char *data = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&data, &len);
    if (!f) {
        cli_error("interval", "out of memory");
        return 1;
    }
    /* One block per work (gnuplot index 0, 1): label, overhead, p50. Every
     * line starts with '#' or '"', none with "EOD". */
    for (int work = 0; work < 2; work++) {
        if (!c->works[work])
            continue;
        fprintf(f, "# %s\n", interval_work_name[work]);
        for (int i = 0; i < ncells; i++) {
            if (cells[i].work != work)
                continue;
            char label[48];
            if (cells[i].interval == COORD_CHECK_AUTO)
                snprintf(label, sizeof label, "auto");
            else
                snprintf(label, sizeof label, "%llu",
                         (unsigned long long)cells[i].interval);
            fprintf(f, "\"%s\" %.4f %.1f\n", label, cells[i].overhead_pct,
                    cells[i].stop_p50 > 1 ? cells[i].stop_p50 : 1);
        }
        fprintf(f, "\n\n");
    }
    if (fclose(f) != 0 || !data) {
        free(data);
        cli_error("interval", "out of memory");
        return 1;
    }
    char script[4096];
    bool both = c->works[CHEAP] && c->works[HEAVY];
    const char *first = c->works[CHEAP] ? "cheap" : "heavy";
    const char *d = GNUPLOT_DATABLOCK;
    snprintf(script, sizeof script,
             "set multiplot layout 1,2 title 'coord interval (Example 27.2): "
             "%u workers, this machine'\n"
             "set grid ytics\nset key top right\nset xlabel 'check interval "
             "(iterations)'\n"
             "set style data linespoints\n"
             "set title 'overhead against never checking'\n"
             "set ylabel 'overhead (%%)'\n"
             "plot %s index 0 using 0:2:xtic(1) title '%s' lw 2 pt 7%s%s%s\n"
             "set title 'stop latency p50 (claim to last worker out)'\n"
             "set ylabel 'microseconds'\nset logscale y\nset format y '%%g'\n"
             "set key top left\n"
             "plot %s index 0 using 0:($3/1000):xtic(1) title '%s' lw 2 "
             "pt 7%s%s%s\n"
             "unset multiplot\n",
             c->workers, d, first, both ? ", " : "", both ? d : "",
             both ? " index 1 using 0:2:xtic(1) title 'heavy' lw 2 pt 5" : "",
             d, first, both ? ", " : "", both ? d : "",
             both ? " index 1 using 0:($3/1000):xtic(1) title 'heavy' lw 2 "
                    "pt 5"
                  : "");
    int rc = gnuplot_draw("interval", c->plot, data, script);
    free(data);
    return rc;
}
