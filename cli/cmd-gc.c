/* SPDX-License-Identifier: MIT */
/* cmd-gc.c: `coord gc`: list or remove shm files left by crashed processes. */
#include <stdint.h>
#include <string.h>

#include "cli.h"

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
               coord_gc_state_name(e->state), e->removed ? "true" : "false");
    } else {
        printf("%-40s %-7s %8d %10llu  %s%s\n", e->name, e->kind,
               e->creator_pid, (unsigned long long)e->size,
               coord_gc_state_name(e->state), e->removed ? " (removed)" : "");
    }
    c->rows++;
    return 0;
}

int cmd_gc(int argc, char **argv)
{
    coord_gc_opts o = {NULL, false, 0};
    struct gc_ctx c = {false, 0};
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf(
                "usage: coord gc [--remove] [--prefix P] [--grace MS] "
                "[--json]\n\n"
                "Lists coord shared-memory files in /dev/shm with the "
                "state of their creator:\n"
                "  live        creator still runs (kept)\n"
                "  dead        creator provably gone (removed with --remove)\n"
                "  abandoned   creator died before writing the header, older "
                "than the\n"
                "              grace period (removed with --remove)\n"
                "  busy        being created (kept)\n"
                "  unknown     creator's fate cannot be proven: another pid "
                "namespace,\n"
                "              no /proc, another ABI (kept)\n"
                "  other-user  another user's file (kept, even by root)\n"
                "  foreign     named coord.* but not a coord segment "
                "(kept)\n\n"
                "  --prefix P  only the names that start with P\n"
                "  --grace MS  age after which a file without a header is "
                "abandoned\n"
                "              (default 10000)\n");
            return CLI_OK;
        } else if (!strcmp(argv[i], "--remove")) {
            o.remove = true;
        } else if (!strcmp(argv[i], "--json")) {
            c.json = true;
        } else if ((r = cli_opt("gc", argc, argv, &i, "--prefix", &v))) {
            if (r < 0)
                return CLI_USAGE;
            o.prefix = v;
        } else if ((r = cli_opt("gc", argc, argv, &i, "--grace", &v))) {
            uint64_t ms;
            if (r < 0 || !cli_parse_u64("gc", "--grace", v, 1, INT32_MAX, &ms))
                return CLI_USAGE;
            o.grace_ms = (int)ms;
        } else {
            cli_error("gc", "unknown option '%s' (see coord gc --help)",
                      argv[i]);
            return CLI_USAGE;
        }
    }
    if (c.json) {
        cli_json_begin(stdout, "gc", 1);
        printf(",\"files\":[");
    } else {
        printf("%-40s %-7s %8s %10s  %s\n", "NAME", "KIND", "PID", "BYTES",
               "STATE");
    }
    int r = coord_gc_run(&o, print_entry, &c);
    if (r < 0) {
        if (c.json)
            printf("]}\n");
        cli_error("gc", "cannot scan /dev/shm: %s", coord_strerror(r));
        return CLI_RUNTIME;
    }
    if (c.json)
        printf("],\"removable\":%d,\"removed\":%s}\n", r,
               o.remove ? "true" : "false");
    else
        printf("%d file(s), %d removable%s\n", c.rows, r,
               o.remove ? " (dead and abandoned ones removed)"
                        : " (use --remove to delete)");
    return CLI_OK;
}
