/* SPDX-License-Identifier: MIT */
/* json-envelope.c: the envelope every `--json` output starts with (schema, command, version, machine; docs/json.md). */
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli.h"

/* The 1-minute load average when the command started (main() notes it
 * before dispatch, so a command's own load does not count); -1 unknown. */
static double start_load = -1;

static double read_load(void)
{
    double v = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

void cli_json_note_start(void)
{
    start_load = read_load();
}

/* The first "model name" of /proc/cpuinfo into buf (empty if none). */
static void cpu_model(char *buf, size_t cap)
{
    buf[0] = '\0';
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0)
            continue;
        const char *p = strchr(line, ':');
        if (!p)
            continue;
        for (p++; *p == ' ' || *p == '\t'; p++)
            ;
        snprintf(buf, cap, "%s", p);
        buf[strcspn(buf, "\n")] = '\0';
        break;
    }
    fclose(f);
}

long long cli_boot_time_s(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return -1;
    char line[256];
    long long bt = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "btime %lld", &bt) == 1)
            break;
    fclose(f);
    return bt;
}

void cli_json_begin(struct jw *w, const char *command, int version)
{
    char schema[96];
    snprintf(schema, sizeof schema, "coord.%s/%d", command, version);
    jw_object(w);
    jw_kstr(w, "schema", schema);
    jw_kstr(w, "command", command);
    jw_kstr(w, "coord_version", coord_version_string());
    double load = start_load >= 0 ? start_load : read_load();
    jw_kobject(w, "machine");
    jw_kint(w, "cpus", sysconf(_SC_NPROCESSORS_ONLN));
    jw_key(w, "loadavg_1m");
    if (load >= 0)
        jw_num(w, load);
    else
        jw_null(w);
    struct utsname u;
    jw_kstr(w, "kernel", uname(&u) == 0 ? u.release : NULL);
    char model[256];
    cpu_model(model, sizeof model);
    jw_kstr(w, "cpu_model", model[0] ? model : NULL);
    long long bt = cli_boot_time_s();
    jw_key(w, "boot_time_s");
    if (bt >= 0)
        jw_int(w, bt);
    else
        jw_null(w);
    jw_object_end(w);
}
