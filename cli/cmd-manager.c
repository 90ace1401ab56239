/* SPDX-License-Identifier: MIT */
/* cmd-manager.c: `coord manager --socket PATH`: run the manager server in the foreground. */
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"

static void usage(void)
{
    printf("usage: coord manager --socket PATH [limits]\n\n"
           "Serves named dicts and lists over the Unix socket PATH until "
           "SIGINT or SIGTERM,\n"
           "then removes the socket. PATH's directory must belong to you "
           "and be closed to\n"
           "others (it is created with mode 0700 if missing); the socket is "
           "mode 0600 and\n"
           "peers of other users are refused (SO_PEERCRED).\n\n"
           "limits (0 or absent: default):\n"
           "  --max-key N      bytes of a key or name (256, at most 65535)\n"
           "  --max-value N    bytes of a value (1M)\n"
           "  --max-entries N  dict entries + list items (1M)\n"
           "  --max-bytes N    bytes of keys and values stored (256M)\n"
           "  --max-frame N    bytes of one frame (16M)\n"
           "  --max-batch N    operations per batch (4096)\n"
           "  --max-clients N  connections (64)\n"
           "  --handshake-ms N close a connection whose HELLO is not complete "
           "within N ms\n"
           "                   of its accept (2000, at most 3600000)\n"
           "  --stall-ms N     close a connection that sends no byte of its "
           "partial frame\n"
           "                   for N ms (10000, at most 3600000)\n\n"
           "wait policy:\n"
           "  --spin-us N      after serving, poll this many microseconds "
           "for the next\n"
           "                   request before sleeping (50; 0: sleep at once, "
           "at most 1000000)\n");
}

/* Printed only once the socket listens (coord_manager_run_ready). */
static void announce(void *arg, const char *path)
{
    (void)arg;
    fprintf(stderr, "coord manager: serving %s (pid %d); stop with Ctrl-C or "
                    "SIGTERM\n", path, (int)getpid());
}

/* The reason a socket path cannot be served, in the user's terms. */
static const char *why_not(int code)
{
    switch (code) {
    case COORD_EACCES:
        return "its directory is not private (it must be yours, with no "
               "group or other permission bits)";
    case COORD_EEXIST:
        return "something is already there (a live server, or a file that "
               "is not a socket)";
    case COORD_ENOENT:
        return "the directory's parent does not exist";
    case COORD_ENOTDIR:
        return "a component of the path is not a directory";
    default:
        return coord_strerror(code);
    }
}

int cmd_manager(int argc, char **argv)
{
    const char *path = NULL;
    coord_manager_opts o;
    memset(&o, 0, sizeof o);
    static const struct {
        const char *name;
        size_t off;
        uint64_t max;
    } lim[] = {
        {"--max-key", offsetof(coord_manager_opts, max_key), 65535},
        {"--max-value", offsetof(coord_manager_opts, max_value), 1ull << 30},
        {"--max-entries", offsetof(coord_manager_opts, max_entries), 2000000000},
        {"--max-bytes", offsetof(coord_manager_opts, max_bytes), 1ull << 40},
        {"--max-frame", offsetof(coord_manager_opts, max_frame), 1ull << 31},
        {"--max-batch", offsetof(coord_manager_opts, max_batch), 65535},
        {"--max-clients", offsetof(coord_manager_opts, max_clients), 100000},
    };
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage();
            return CLI_OK;
        }
        if ((r = cli_opt("manager", argc, argv, &i, "--socket", &v)) != 0) {
            if (r < 0)
                return CLI_USAGE;
            path = v;
            continue;
        }
        if ((r = cli_opt("manager", argc, argv, &i, "--spin-us", &v)) != 0) {
            uint64_t us;
            if (r < 0 ||
                !cli_parse_u64("manager", "--spin-us", v, 0, 1000000, &us))
                return CLI_USAGE;
            o.spin_ns = us ? (int64_t)us * 1000 : -1;
            continue;
        }
        int *ms_field = NULL;
        const char *ms_name = NULL;
        if ((r = cli_opt("manager", argc, argv, &i, "--handshake-ms", &v)))
            ms_field = &o.handshake_ms, ms_name = "--handshake-ms";
        else if ((r = cli_opt("manager", argc, argv, &i, "--stall-ms", &v)))
            ms_field = &o.stall_ms, ms_name = "--stall-ms";
        if (r < 0)
            return CLI_USAGE;
        if (ms_field) {
            uint64_t ms;
            if (!cli_parse_u64("manager", ms_name, v, 0, 3600000, &ms))
                return CLI_USAGE;
            *ms_field = (int)ms;
            continue;
        }
        bool known = false;
        for (size_t k = 0; k < sizeof lim / sizeof lim[0] && !known; k++) {
            r = cli_opt("manager", argc, argv, &i, lim[k].name, &v);
            if (r < 0)
                return CLI_USAGE;
            if (r == 0)
                continue;
            uint64_t x;
            if (!cli_parse_u64("manager", lim[k].name, v, 0, lim[k].max, &x))
                return CLI_USAGE;
            *(size_t *)((char *)&o + lim[k].off) = (size_t)x;
            known = true;
        }
        if (!known) {
            cli_error("manager", "unknown option '%s' (see coord manager --help)",
                      argv[i]);
            return CLI_USAGE;
        }
    }
    if (!path) {
        cli_error("manager", "--socket PATH is required");
        return CLI_USAGE;
    }
    if (!*path) {
        cli_error("manager", "--socket needs a path, got an empty one");
        return CLI_USAGE;
    }
    int r = coord_manager_run_ready(path, &o, announce, NULL);
    if (r == COORD_EINVAL) {
        cli_error("manager", "invalid limits (max-frame must hold max-value "
                             "+ 2 max-key + 64 and 5 max-batch + 64, and be "
                             "at least 4096)");
        return CLI_USAGE;
    }
    if (r == COORD_ENAMETOOLONG) {
        cli_error("manager", "--socket %s: longer than a socket address "
                             "(%zu bytes at most)", path,
                  sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
        return CLI_USAGE;
    }
    if (r < 0) {
        cli_error("manager", "cannot serve %s: %s", path, why_not(r));
        return CLI_RUNTIME;
    }
    fprintf(stderr, "coord manager: stopped, %s removed\n", path);
    return CLI_OK;
}
