/* SPDX-License-Identifier: MIT */
/* cmd-gc.c: `coord gc`: list or remove shm files left by crashed processes. */
#include <stdint.h>
#include <string.h>

#include "cli.h"
#include "opts.h"

struct gc_ctx {
    bool json;
    int rows, removed;
    struct jw w;
};

/* What the table adds after a state for what --remove did, and where a
 * file that stays hidden is (into buf). A private name is digits and
 * dashes only (coord__aside_pid's rule), so it prints as it is. */
static const char *outcome_note(const coord_gc_entry *e, char *buf,
                                size_t cap)
{
    switch (e->outcome) {
    case COORD_GC_NOT_TRIED:
        return "";
    case COORD_GC_REMOVED:
        return " (removed)";
    case COORD_GC_RECREATED:
        /* A manager directory: a socket came, or came alive, meanwhile. */
        if (strcmp(e->kind, "manager-dir") == 0)
            return " (kept: changed since judged)";
        return " (kept: re-created since judged)";
    case COORD_GC_GONE:
        return " (gone before removal)";
    case COORD_GC_STRANDED:
        snprintf(buf, cap, " (kept as /dev/shm/%s: name re-created twice)",
                 e->aside);
        return buf;
    case COORD_GC_FAILED:
        if (!e->aside[0])
            return " (kept: removal failed)";
        snprintf(buf, cap, " (kept as /dev/shm/%s: removal failed)",
                 e->aside);
        return buf;
    case COORD_GC_RESTORED:
        return " (restored to its name)";
    case COORD_GC_NAME_TAKEN:
        snprintf(buf, cap, " (kept as /dev/shm/%s: its name is taken)",
                 e->aside);
        return buf;
    }
    return "";
}

static int print_entry(const coord_gc_entry *e, void *arg)
{
    struct gc_ctx *c = arg;
    if (c->json) {
        struct jw *w = &c->w;
        jw_object(w);
        jw_kstr(w, "name", e->name);
        jw_kstr(w, "kind", e->kind);
        jw_kint(w, "creator_pid", e->creator_pid);
        jw_kuint(w, "size", e->size);
        jw_kstr(w, "state", coord_gc_state_name(e->state));
        jw_kbool(w, "removed", e->removed);
        jw_kstr(w, "outcome", coord_gc_outcome_name(e->outcome));
        jw_kstr(w, "found_aside", e->found_aside[0] ? e->found_aside : NULL);
        jw_kstr(w, "aside", e->aside[0] ? e->aside : NULL);
        jw_object_end(w);
    } else {
        /* Any bytes can name a file: control characters (a newline forged
         * a row, an escape sequence reached the terminal) show as '?'. */
        char name[sizeof e->name], note[128], where[sizeof e->found_aside + 32];
        snprintf(name, sizeof name, "%s", e->name[0] ? e->name : "-");
        cli_printable(name);
        where[0] = '\0';
        if (e->found_aside[0])
            snprintf(where, sizeof where, " [found as /dev/shm/%s]",
                     e->found_aside);
        printf("%-40s %-7s %8d %10llu  %s%s%s\n", name, e->kind,
               e->creator_pid, (unsigned long long)e->size,
               coord_gc_state_name(e->state),
               outcome_note(e, note, sizeof note), where);
    }
    c->rows++;
    c->removed += e->removed;
    return 0;
}

enum { GC_REMOVE, GC_PREFIX, GC_GRACE, GC_JSON, GC_NOPTS };

static const struct opt gc_opts[] = {
    [GC_REMOVE] = {.name = "remove", .kind = OPT_FLAG,
                   .help = "delete the dead and abandoned files (and manager "
                           "directories)"},
    [GC_PREFIX] = {.name = "prefix", .kind = OPT_STRING, .arg = "P",
                   .help = "only the names that start with P"},
    [GC_GRACE] = {.name = "grace", .kind = OPT_UINT, .arg = "MS",
                  .min = COORD_GC_GRACE_MIN_MS, .max = INT32_MAX,
                  .def = "10000",
                  .help = "age after which a file without a header (or an "
                          "empty manager directory) is abandoned (at least "
                          "5000: a creator preempted before its header "
                          "keeps its file)"},
    [GC_JSON] = {.name = "json", .kind = OPT_FLAG,
                 .help = "one JSON object on stdout"},
};

const struct opt_cmd cmd_gc_opts = {
    .name = "gc",
    .about =
        "Lists coord shared-memory files in /dev/shm with the state of their "
        "creator:\n"
        "  live        creator still runs (kept)\n"
        "  dead        creator provably gone (removed with --remove)\n"
        "  abandoned   creator died before writing the header, older than "
        "the\n"
        "              grace period (removed with --remove)\n"
        "  busy        being created (kept)\n"
        "  unknown     creator's fate cannot be proven: another pid "
        "namespace,\n"
        "              no /proc, another ABI, no header and a last change "
        "in the\n"
        "              future (kept)\n"
        "  other-user  another user's file (kept, even by root)\n"
        "  foreign     named coord.* but not a coord segment (kept)\n"
        "With --remove, a name that holds another file by the time of the "
        "removal\n"
        "(created anew since it was judged) is kept and shown so.\n"
        "A file a killed gc left under its private name "
        "(/dev/shm/.coord-gc-PID-N,\n"
        "PID no longer running, the caller's file) is listed by the name "
        "its header\n"
        "records, marked [found as ...]; --remove removes it when dead or "
        "abandoned,\n"
        "and otherwise renames it back to coord.NAME when that name is "
        "free.\n"
        "Without --prefix it also lists the socket directories of "
        "coord_manager_start\n"
        "(coord-mgr-XXXXXX directly under $TMPDIR and /tmp), kind "
        "manager-dir, by path:\n"
        "live when a socket in it accepts a connection, dead when every "
        "socket in it\n"
        "refuses one (manager.sock bound longer ago than the grace period; "
        "a start's\n"
        "private .coord-PID-N.sock once PID is gone), abandoned when empty "
        "and older\n"
        "than the grace period, foreign (kept) when it is a link, not 0700, "
        "or holds\n"
        "anything but those sockets, other-user when another user's. "
        "--remove\n"
        "removes the dead and abandoned ones.",
    .opts = gc_opts,
    .nopts = GC_NOPTS,
};

int cmd_gc(int argc, char **argv)
{
    coord_gc_opts o = {NULL, false, 0};
    struct gc_ctx c = {.json = false};
    struct opt_parser p;
    opt_parse_init(&p, &cmd_gc_opts, argc, argv);
    int k;
    while ((k = opt_next(&p)) >= 0) {
        switch (k) {
        case GC_REMOVE:
            o.remove = true;
            break;
        case GC_PREFIX:
            o.prefix = p.v.text;
            break;
        case GC_GRACE:
            o.grace_ms = (int)p.v.u;
            break;
        case GC_JSON:
            c.json = true;
            break;
        }
    }
    if (k != OPT_END)
        return opt_exit_status(k);
    if (c.json) {
        jw_init(&c.w, stdout);
        cli_json_begin(&c.w, "gc", 1);
        jw_karray(&c.w, "files");
    } else {
        printf("%-40s %-7s %8s %10s  %s\n", "NAME", "KIND", "PID", "BYTES",
               "STATE");
    }
    int r = coord_gc_run(&o, print_entry, &c);
    if (r < 0) {
        if (c.json) {
            jw_array_end(&c.w);
            jw_object_end(&c.w);
            jw_finish(&c.w);
        }
        cli_error("gc", "cannot scan /dev/shm: %s", coord_strerror(r));
        return CLI_RUNTIME;
    }
    if (c.json) {
        jw_array_end(&c.w);
        jw_kint(&c.w, "removable", r);
        jw_kbool(&c.w, "removed", o.remove);
        jw_kint(&c.w, "removed_files", c.removed);
        jw_object_end(&c.w);
        jw_finish(&c.w);
    } else if (o.remove)
        printf("%d file(s), %d removable, %d removed\n", c.rows, r, c.removed);
    else
        printf("%d file(s), %d removable (use --remove to delete)\n", c.rows,
               r);
    return CLI_OK;
}
