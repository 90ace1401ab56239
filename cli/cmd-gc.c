/* SPDX-License-Identifier: MIT */
/* cmd-gc.c: `coord gc`: list or remove shm files left by crashed processes. */
#include <string.h>

#include "cli.h"

static const char *state_name(coord_gc_state s)
{
    switch (s) {
    case COORD_GC_LIVE:
        return "live";
    case COORD_GC_DEAD:
        return "dead";
    case COORD_GC_FOREIGN:
        return "foreign";
    case COORD_GC_BUSY:
        return "busy";
    }
    return "?";
}

struct gc_ctx {
    bool json;
    int rows;
};

static int print_entry(const coord_gc_entry *e, void *arg)
{
    struct gc_ctx *c = arg;
    if (c->json) {
        printf("%s{\"name\":", c->rows ? "," : "");
        cli_json_str(stdout, e->name);
        printf(",\"kind\":\"%s\",\"creator_pid\":%d,\"size\":%llu,"
               "\"state\":\"%s\",\"removed\":%s}",
               e->kind, e->creator_pid, (unsigned long long)e->size,
               state_name(e->state), e->removed ? "true" : "false");
    } else {
        printf("%-40s %-7s %8d %10llu  %s%s\n", e->name, e->kind,
               e->creator_pid, (unsigned long long)e->size,
               state_name(e->state), e->removed ? " (removed)" : "");
    }
    c->rows++;
    return 0;
}

int cmd_gc(int argc, char **argv)
{
    bool remove = false;
    const char *prefix = NULL;
    struct gc_ctx c = {false, 0};
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: coord gc [--remove] [--prefix P] [--json]\n\n"
                   "Lists coord shared-memory files in /dev/shm with the "
                   "state of their creator:\n"
                   "  live     creator still runs (never touched)\n"
                   "  dead     creator is gone (removed with --remove)\n"
                   "  busy     being created (never touched)\n"
                   "  foreign  named coord.* but not a coord segment (never "
                   "touched)\n\n"
                   "  --prefix P  only the names that start with P\n");
            return CLI_OK;
        } else if (!strcmp(argv[i], "--remove")) {
            remove = true;
        } else if (!strcmp(argv[i], "--json")) {
            c.json = true;
        } else if ((r = cli_opt("gc", argc, argv, &i, "--prefix", &v))) {
            if (r < 0)
                return CLI_USAGE;
            prefix = v;
        } else {
            cli_error("gc", "unknown option '%s' (see coord gc --help)",
                      argv[i]);
            return CLI_USAGE;
        }
    }
    if (c.json)
        printf("{\"files\":[");
    else
        printf("%-40s %-7s %8s %10s  %s\n", "NAME", "KIND", "PID", "BYTES",
               "STATE");
    int r = coord_gc_prefix(prefix, remove, print_entry, &c);
    if (r < 0) {
        if (c.json)
            printf("]}\n");
        cli_error("gc", "cannot scan /dev/shm: %s", coord_strerror(r));
        return CLI_RUNTIME;
    }
    if (c.json)
        printf("],\"dead\":%d,\"removed\":%s}\n", r, remove ? "true" : "false");
    else
        printf("%d file(s), %d dead%s\n", c.rows, r,
               remove ? ", dead ones removed" : " (use --remove to delete)");
    return CLI_OK;
}
