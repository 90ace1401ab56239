/* SPDX-License-Identifier: MIT */
/* cmd-manager.c: `coord manager --socket PATH`: run the manager server in the foreground. */
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "opts.h"

enum {
    M_SOCKET, M_MAX_KEY, M_MAX_VALUE, M_MAX_ENTRIES, M_MAX_BYTES, M_MAX_FRAME,
    M_MAX_BATCH, M_MAX_CLIENTS, M_HANDSHAKE_MS, M_STALL_MS, M_SPIN_US,
    M_NOPTS
};

#define LIMITS "limits (0 or absent: default)"
#define LIMIT(id, nm, top, dflt, text)                                         \
    [id] = {.name = nm, .kind = OPT_UINT, .arg = "N", .min = 0, .max = top,   \
            .def = dflt, .group = LIMITS, .help = text}

static const struct opt manager_opts[] = {
    [M_SOCKET] = {.name = "socket", .kind = OPT_PATH, .arg = "PATH",
                  .required = true,
                  .help = "the Unix socket to serve (its directory private "
                          "to you)"},
    LIMIT(M_MAX_KEY, "max-key", 65535, "256",
          "bytes of a key or name, at most 65535"),
    LIMIT(M_MAX_VALUE, "max-value", 1ull << 30, "1048576 = 1 MiB",
          "bytes of a value"),
    LIMIT(M_MAX_ENTRIES, "max-entries", 2000000000, "1M",
          "dict entries + list items"),
    LIMIT(M_MAX_BYTES, "max-bytes", 1ull << 40, "268435456 = 256 MiB",
          "bytes of keys and values stored"),
    LIMIT(M_MAX_FRAME, "max-frame", (1ull << 31) - 1, "16777216 = 16 MiB",
          "bytes of one frame"),
    LIMIT(M_MAX_BATCH, "max-batch", 65535, "4096", "operations per batch"),
    LIMIT(M_MAX_CLIENTS, "max-clients", 100000, "64", "connections"),
    LIMIT(M_HANDSHAKE_MS, "handshake-ms", 3600000, "2000",
          "close a connection whose HELLO is not complete within N ms of "
          "its accept, at most 3600000"),
    LIMIT(M_STALL_MS, "stall-ms", 3600000, "10000",
          "close a connection whose partial frame is not whole N ms after "
          "its first byte, at most 3600000"),
    [M_SPIN_US] = {.name = "spin-us", .kind = OPT_UINT, .arg = "N", .min = 0,
                   .max = 1000000, .def = "50", .group = "wait policy",
                   .help = "after serving, poll this many microseconds for "
                           "the next request before sleeping, at most "
                           "1000000 (0: sleep at once)"},
};

const struct opt_cmd cmd_manager_opts = {
    .name = "manager",
    .synopsis = "--socket PATH [limits]",
    .about = "Serves named dicts and lists over the Unix socket PATH until "
             "SIGINT or SIGTERM, then removes the socket. PATH's directory "
             "must belong to you and be closed to others (it is created with "
             "mode 0700 if missing); the socket is mode 0600 and peers of "
             "other users are refused (SO_PEERCRED).",
    .opts = manager_opts,
    .nopts = M_NOPTS,
};

/* Printed only once the socket listens (coord_manager_run_ready). */
static void announce(void *arg, const char *path)
{
    (void)arg;
    /* One line whatever the name holds (cli_printable), as cli_error. */
    char shown[sizeof(((struct sockaddr_un *)0)->sun_path)];
    snprintf(shown, sizeof shown, "%s", path);
    cli_printable(shown);
    fprintf(stderr, "coord manager: serving %s (pid %d); stop with Ctrl-C or "
                    "SIGTERM\n", shown, (int)getpid());
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
    struct opt_parser p;
    opt_parse_init(&p, &cmd_manager_opts, argc, argv);
    int k;
    while ((k = opt_next(&p)) >= 0) {
        switch (k) {
        case M_SOCKET:
            path = p.v.text;
            break;
        case M_MAX_KEY:
            o.max_key = (size_t)p.v.u;
            break;
        case M_MAX_VALUE:
            o.max_value = (size_t)p.v.u;
            break;
        case M_MAX_ENTRIES:
            o.max_entries = (size_t)p.v.u;
            break;
        case M_MAX_BYTES:
            o.max_bytes = (size_t)p.v.u;
            break;
        case M_MAX_FRAME:
            o.max_frame = (size_t)p.v.u;
            break;
        case M_MAX_BATCH:
            o.max_batch = (size_t)p.v.u;
            break;
        case M_MAX_CLIENTS:
            o.max_clients = (size_t)p.v.u;
            break;
        case M_HANDSHAKE_MS:
            o.handshake_ms = (int)p.v.u;
            break;
        case M_STALL_MS:
            o.stall_ms = (int)p.v.u;
            break;
        case M_SPIN_US:
            o.spin_ns = p.v.u ? (int64_t)p.v.u * 1000 : -1;
            break;
        }
    }
    if (k != OPT_END)
        return opt_exit_status(k);
    if (path[strlen(path) - 1] == '/') {
        cli_error("manager", "--socket %s: names a directory; give the socket "
                             "file's path (e.g. %ssock)", path, path);
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
        /* The path's fault, as for every path an option names (docs/cli.md,
         * Paths): exit 2; the machine's (descriptors, memory, a fork): 1. */
        return r == COORD_EACCES || r == COORD_EEXIST || r == COORD_ENOENT ||
                       r == COORD_ENOTDIR
                   ? CLI_USAGE
                   : CLI_RUNTIME;
    }
    char shown[sizeof(((struct sockaddr_un *)0)->sun_path)];
    snprintf(shown, sizeof shown, "%s", path);
    cli_printable(shown);
    /* The server removed its socket by inode: something still at the name
     * was put there by someone else while it served (another server's
     * socket, after ours was deleted), and was left alone. */
    struct stat st;
    if (lstat(path, &st) == 0)
        fprintf(stderr, "coord manager: stopped; %s is no longer this "
                        "server's socket and was left in place\n", shown);
    else
        fprintf(stderr, "coord manager: stopped, %s removed\n", shown);
    return CLI_OK;
}
