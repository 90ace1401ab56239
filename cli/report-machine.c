/* SPDX-License-Identifier: MIT */
/* report-machine.c: the report's machine section: CPU, cores, memory, kernel, compiler, load, Python. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <coord.h>

#include "report-parts.h"
#include "report-run.h"

static void proc_field(const char *path, const char *key, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    char line[512];
    out[0] = '\0';
    if (!f)
        return;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, kl) != 0)
            continue;
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        colon++;
        while (*colon == ' ' || *colon == '\t')
            colon++;
        colon[strcspn(colon, "\n")] = '\0';
        snprintf(out, cap, "%s", colon);
        break;
    }
    fclose(f);
}

void report_machine(struct report *r)
{
    static const char *const kv[] = {"what", "value", NULL};
    struct rdoc_table *t = rdoc_table(&r->doc, kv);
    char buf[512], cpu[256], mem[64], load[128];
    proc_field("/proc/cpuinfo", "model name", cpu, sizeof cpu);
    if (!*cpu)
        proc_field("/proc/cpuinfo", "Hardware", cpu, sizeof cpu);
    const char *rows[][2] = {{"CPU", *cpu ? cpu : "unknown"}};
    rdoc_row(&r->doc, t, rows[0]);
    snprintf(buf, sizeof buf, "%ld online (%ld configured)",
             sysconf(_SC_NPROCESSORS_ONLN), sysconf(_SC_NPROCESSORS_CONF));
    const char *c1[] = {"cores", buf, NULL};
    rdoc_row(&r->doc, t, c1);
    proc_field("/proc/meminfo", "MemTotal", mem, sizeof mem);
    double kb = atof(mem);
    if (kb > 0)
        snprintf(mem, sizeof mem, "%.1f GiB", kb / (1024.0 * 1024.0));
    const char *c2[] = {"memory", *mem ? mem : "unknown", NULL};
    rdoc_row(&r->doc, t, c2);
    struct utsname u;
    if (uname(&u) == 0) {
        snprintf(buf, sizeof buf, "%s %s %s", u.sysname, u.release, u.machine);
        const char *c3[] = {"kernel", buf, NULL};
        rdoc_row(&r->doc, t, c3);
    }
#if defined(__clang__)
    snprintf(buf, sizeof buf, "clang %s", __clang_version__);
#elif defined(__GNUC__)
    snprintf(buf, sizeof buf, "gcc %s", __VERSION__);
#else
    snprintf(buf, sizeof buf, "unknown C compiler");
#endif
    const char *c4[] = {"compiler (of coord)", buf, NULL};
    rdoc_row(&r->doc, t, c4);
    snprintf(buf, sizeof buf, "coord %s", coord_version_string());
    const char *c5[] = {"coord", buf, NULL};
    rdoc_row(&r->doc, t, c5);
    FILE *lf = fopen("/proc/loadavg", "r");
    load[0] = '\0';
    if (lf) {
        double l1, l5, l15;
        if (fscanf(lf, "%lf %lf %lf", &l1, &l5, &l15) == 3)
            snprintf(load, sizeof load, "%.2f, %.2f, %.2f", l1, l5, l15);
        fclose(lf);
    }
    snprintf(buf, sizeof buf, "%s (1, 5, 15 min, at the start of the report)",
             *load ? load : "unknown");
    const char *c6[] = {"load average", buf, NULL};
    rdoc_row(&r->doc, t, c6);
    char py[128] = "";
    char tmp[] = "/tmp/coord-report-py-XXXXXX";
    int fd = mkstemp(tmp);
    if (fd >= 0) {
        close(fd);
        const char *argv[] = {"python3", "--version", NULL};
        int st = 0;
        char why[128];
        if (report_exec(argv, NULL, tmp, tmp, 10000, &st, why, sizeof why) ==
                0 &&
            st == 0)
            report_last_line(tmp, py, sizeof py);
        unlink(tmp);
    }
    const char *c7[] = {"python3", *py ? py : "not found (Python columns "
                                              "are skipped)", NULL};
    rdoc_row(&r->doc, t, c7);
}
