/* SPDX-License-Identifier: MIT */
/* opts.c: the option-table parser and the help, dump and hint writers. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opts.h"
#include "json-write.h"

#define WIDTH 80   /* columns of the help text */
#define TERM_MAX 26 /* widest option column before its help moves below */

static const char *const kind_names[] = {
    [OPT_FLAG] = "flag",     [OPT_UINT] = "uint",     [OPT_UINTS] = "uints",
    [OPT_REAL] = "real",     [OPT_STRING] = "string", [OPT_CHOICE] = "choice",
    [OPT_PATH] = "path",     [OPT_DIR] = "dir",
};

void opt_parse_init(struct opt_parser *p, const struct opt_cmd *cmd,
                    int argc, char **argv)
{
    if (cmd->nopts >= OPT_MAX) { /* a table too long for p->seen */
        fprintf(stderr, "%s:%d: coord %s: %zu options, at most %d\n",
                __FILE__, __LINE__, cmd->name, cmd->nopts, OPT_MAX - 1);
        abort();
    }
    memset(p, 0, sizeof *p);
    p->cmd = cmd;
    p->argc = argc;
    p->argv = argv;
    p->i = 1;
}

int opt_exit_status(int stopped)
{
    return stopped == OPT_HELP ? CLI_OK : CLI_USAGE;
}

/* Damerau-Levenshtein distance (adjacent swaps count 1) of two short
 * words; words longer than 63 bytes are "far" (64). */
static size_t distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 63 || m > 63)
        return 64;
    size_t d[64][64];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best)
                best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[n][m];
}

int opt_suggest(const char *typed, const char *const *cands, size_t n)
{
    size_t len = strlen(typed), best_d = 3;
    int best = -1, prefix = -1, prefixes = 0;
    if (len == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        size_t d = distance(typed, cands[i]);
        if (d < best_d && d < len) {
            best_d = d;
            best = (int)i;
        }
        if (!strncmp(cands[i], typed, len)) {
            prefix = (int)i;
            prefixes++;
        }
    }
    if (best >= 0)
        return best;
    return prefixes == 1 ? prefix : -1;
}

/* "unknown option 'X'" with the closest long option as a hint. */
static int unknown_option(const struct opt_cmd *cmd, const char *arg,
                          size_t len)
{
    const char *names[OPT_MAX];
    size_t n = 0;
    for (size_t k = 0; k < cmd->nopts && n < OPT_MAX - 1; k++)
        names[n++] = cmd->opts[k].name;
    names[n++] = "help";
    char typed[64];
    snprintf(typed, sizeof typed, "%.*s", (int)len, arg);
    int s = -1;
    if (typed[0] == '-' && typed[1] == '-')
        s = opt_suggest(typed + 2, names, n);
    if (s >= 0)
        cli_error(cmd->name, "unknown option '%s'; did you mean '--%s'?",
                  typed, names[s]);
    else
        cli_error(cmd->name, "unknown option '%s' (see coord %s --help)",
                  typed, cmd->name);
    return OPT_ERROR;
}

/* "a, b or c" */
static void choice_list(const char *const *c, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; c[i] && used < cap; i++) {
        const char *sep = i == 0 ? "" : c[i + 1] ? ", " : " or ";
        int w = snprintf(buf + used, cap - used, "%s%s", sep, c[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static bool check_choice(const struct opt_cmd *cmd, const struct opt *o,
                         const char *shown, const char *val, int *out)
{
    size_t n = 0;
    for (; o->choices[n]; n++)
        if (!strcmp(o->choices[n], val)) {
            *out = (int)n;
            return true;
        }
    char list[512];
    choice_list(o->choices, list, sizeof list);
    int s = opt_suggest(val, o->choices, n);
    if (s >= 0)
        cli_error(cmd->name, "%s must be %s, got '%s'; did you mean '%s'?",
                  shown, list, val, o->choices[s]);
    else
        cli_error(cmd->name, "%s must be %s, got '%s'", shown, list, val);
    return false;
}

/* A whole unsigned decimal with an optional k/M/G suffix (10^3, 10^6,
 * 10^9), no sign or space, into *out: the `len` bytes at `text` (an item
 * of a list, which a ',' or the end follows). Returns 0, -1 when they are
 * no such number, -2 when it does not fit in 64 bits. */
static int parse_u64(const char *text, size_t len, uint64_t *out)
{
    if (len == 0 || *text < '0' || *text > '9')
        return -1; /* strtoull would take a sign or spaces */
    char *end;
    errno = 0;
    /* It stops at the first byte that is no digit: at the latest the ','
     * or the '\0' after the item. */
    unsigned long long v = strtoull(text, &end, 10);
    uint64_t mul = 1;
    if (end < text + len) {
        if (*end == 'k' || *end == 'K')
            mul = 1000, end++;
        else if (*end == 'M')
            mul = 1000000, end++;
        else if (*end == 'G')
            mul = 1000000000, end++;
    }
    if (end != text + len)
        return -1;
    if (errno == ERANGE || (mul > 1 && v > UINT64_MAX / mul))
        return -2;
    *out = v * mul;
    return 0;
}

/* The `len` bytes at `val` (a value, or an item of a list) as o's number
 * or word, into *out. */
static bool check_uint(const struct opt_cmd *cmd, const struct opt *o,
                       const char *shown, const char *val, size_t len,
                       uint64_t *out)
{
    uint64_t v;
    if (o->word && strlen(o->word) == len && !strncmp(val, o->word, len)) {
        *out = o->word_value;
        return true;
    }
    int r = parse_u64(val, len, &v);
    if (r == -2) {
        cli_error(cmd->name, "%s: '%.*s' is too large (at most %llu)", shown,
                  (int)len, val, (unsigned long long)o->max);
        return false;
    }
    if (r < 0) {
        cli_error(cmd->name, "%s needs a whole number%s%s (k, M, G: 10^3, "
                  "10^6, 10^9), got '%.*s'", shown, o->word ? " or " : "",
                  o->word ? o->word : "", (int)len, val);
        return false;
    }
    if (v < o->min || v > o->max) {
        cli_error(cmd->name, "%s must be in [%llu, %llu], got %llu", shown,
                  (unsigned long long)o->min, (unsigned long long)o->max,
                  (unsigned long long)v);
        return false;
    }
    *out = v;
    return true;
}

static bool check_list(const struct opt_cmd *cmd, const struct opt *o,
                       const char *shown, const char *val,
                       struct opt_value *v)
{
    size_t most = o->max_items && o->max_items < OPT_LIST_MAX ? o->max_items
                                                              : OPT_LIST_MAX;
    v->n = 0;
    for (const char *s = val;;) {
        size_t len = strcspn(s, ",");
        if (len == 0) {
            cli_error(cmd->name, "%s: an empty item in '%s'", shown, val);
            return false;
        }
        if (v->n == most) {
            cli_error(cmd->name, "%s: at most %zu values", shown, most);
            return false;
        }
        /* Parsed where it stands, whatever its length (an item of 64
         * bytes or more, 0...01 among them, was "not a number"). */
        if (!check_uint(cmd, o, shown, s, len, &v->list[v->n]))
            return false;
        /* Each item is a run of its own: one given twice was run (and
         * shown) twice, as report --only refuses an experiment named
         * twice. */
        for (size_t i = 0; i < v->n; i++) {
            if (v->list[i] != v->list[v->n])
                continue;
            if (o->word && v->list[i] == o->word_value)
                cli_error(cmd->name, "%s names %s twice", shown, o->word);
            else
                cli_error(cmd->name, "%s names %llu twice", shown,
                          (unsigned long long)v->list[i]);
            return false;
        }
        v->n++;
        if (s[len] == '\0')
            return true;
        s += len + 1;
    }
}

static bool check_real(const struct opt_cmd *cmd, const struct opt *o,
                       const char *shown, const char *val, double *out)
{
    char *end;
    errno = 0;
    /* strtod would also take spaces, a '+', hexadecimal and "inf". */
    bool plain = strspn(val, "-0123456789.eE") == strlen(val);
    double r = plain ? strtod(val, &end) : NAN;
    bool ok = plain && !errno && end != val && *end == '\0' &&
              isfinite(r) && r <= o->rmax &&
              (o->open_min ? r > o->rmin : r >= o->rmin);
    if (!ok) {
        cli_error(cmd->name, "%s needs a number in %c%g, %g], got '%s'",
                  shown, o->open_min ? '(' : '[', o->rmin, o->rmax, val);
        return false;
    }
    *out = r;
    return true;
}

/* Checks `val` against o's kind and fills p->v. */
static bool check_value(struct opt_parser *p, const struct opt *o,
                        const char *shown, const char *val)
{
    const struct opt_cmd *cmd = p->cmd;
    p->v.text = val;
    switch (o->kind) {
    case OPT_UINT:
        return check_uint(cmd, o, shown, val, strlen(val), &p->v.u);
    case OPT_UINTS:
        return check_list(cmd, o, shown, val, &p->v);
    case OPT_REAL:
        return check_real(cmd, o, shown, val, &p->v.real);
    case OPT_CHOICE:
        return check_choice(cmd, o, shown, val, &p->v.choice);
    case OPT_FLAG:
    case OPT_STRING:
    case OPT_PATH:
    case OPT_DIR:
        break;
    }
    return true;
}

/* The value's name, as help and errors show it. */
static const char *arg_name(const struct opt *o)
{
    if (o->arg)
        return o->arg;
    switch (o->kind) {
    case OPT_PATH:
        return "FILE";
    case OPT_DIR:
        return "DIR";
    case OPT_UINTS:
        return "LIST";
    default:
        return "VALUE";
    }
}

static int find_long(const struct opt_cmd *cmd, const char *name, size_t len)
{
    for (size_t k = 0; k < cmd->nopts; k++)
        if (strlen(cmd->opts[k].name) == len &&
            !strncmp(cmd->opts[k].name, name, len))
            return (int)k;
    return -1;
}

static int find_short(const struct opt_cmd *cmd, char c)
{
    for (size_t k = 0; k < cmd->nopts; k++)
        if (cmd->opts[k].short_name && cmd->opts[k].short_name == c)
            return (int)k;
    return -1;
}

static int finish(struct opt_parser *p)
{
    for (size_t k = 0; k < p->cmd->nopts; k++) {
        const struct opt *o = &p->cmd->opts[k];
        if (o->required && !p->seen[k]) {
            if (o->kind == OPT_FLAG)
                cli_error(p->cmd->name, "--%s is required (see coord %s "
                          "--help)", o->name, p->cmd->name);
            else
                cli_error(p->cmd->name, "--%s %s is required (see coord %s "
                          "--help)", o->name, arg_name(o), p->cmd->name);
            return OPT_ERROR;
        }
    }
    p->i = p->argc;
    return OPT_END;
}

int opt_next(struct opt_parser *p)
{
    const struct opt_cmd *cmd = p->cmd;
    memset(&p->v, 0, sizeof p->v);
    if (p->i >= p->argc)
        return finish(p);
    const char *a = p->argv[p->i++];
    if (!strcmp(a, "--")) {
        if (p->i < p->argc) {
            cli_error(cmd->name, "unexpected argument '%s' after '--' "
                      "(coord %s takes options only)", p->argv[p->i],
                      cmd->name);
            return OPT_ERROR;
        }
        return finish(p);
    }
    if (a[0] != '-' || a[1] == '\0') {
        cli_error(cmd->name, "unexpected argument '%s' (coord %s takes "
                  "options only; see coord %s --help)", a, cmd->name,
                  cmd->name);
        return OPT_ERROR;
    }
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
        opt_usage(cmd, stdout);
        return OPT_HELP;
    }
    if (!strncmp(a, "--help=", 7) || (a[1] == 'h' && a[2])) {
        /* The implicit --help is a flag too (it was "unknown option
         * '--help'; did you mean '--help'?"). */
        cli_error(cmd->name, "%s takes no value, got '%s'",
                  a[1] == 'h' ? "-h" : "--help", a[1] == 'h' ? a + 2 : a + 7);
        return OPT_ERROR;
    }
    int k;
    const char *val = NULL;
    if (a[1] == '-') {
        const char *eq = strchr(a + 2, '=');
        size_t len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
        if ((k = find_long(cmd, a + 2, len)) < 0)
            return unknown_option(cmd, a, len + 2);
        if (eq)
            val = eq + 1;
    } else {
        if ((k = find_short(cmd, a[1])) < 0)
            return unknown_option(cmd, a, 2);
        if (a[2])
            val = a + 2;
    }
    const struct opt *o = &cmd->opts[k];
    char shown[72];
    snprintf(shown, sizeof shown, "--%s", o->name);
    if (p->seen[k] && !o->repeatable) {
        cli_error(cmd->name, "%s given twice (%s; see coord %s --help)",
                  shown, o->kind == OPT_FLAG ? "once is enough"
                                             : "it takes one value",
                  cmd->name);
        return OPT_ERROR;
    }
    p->seen[k] = 1;
    if (o->kind == OPT_FLAG) {
        if (val) {
            cli_error(cmd->name, "%s takes no value, got '%s'", shown, val);
            return OPT_ERROR;
        }
        return k;
    }
    if (!val) {
        /* "--name --other" or "--name --": the value is missing (a value
         * that starts with "--", "--" itself included, is given as
         * "--name=--value"). */
        const char *next = p->i < p->argc ? p->argv[p->i] : NULL;
        if (!next || (next[0] == '-' && next[1] == '-')) {
            cli_error(cmd->name, "option %s needs a value (%s %s)", shown,
                      shown, arg_name(o));
            return OPT_ERROR;
        }
        val = next;
        p->i++;
    }
    if (!*val) {
        cli_error(cmd->name, "%s needs a value (%s), got an empty one", shown,
                  arg_name(o));
        return OPT_ERROR;
    }
    return check_value(p, o, shown, val) ? k : OPT_ERROR;
}

/* The option's term in help: "-x, --name ARG" or "--name a|b". */
static void term(const struct opt *o, char *buf, size_t cap)
{
    size_t used = 0;
    if (o->short_name)
        used = (size_t)snprintf(buf, cap, "-%c, ", o->short_name);
    used += (size_t)snprintf(buf + used, cap - used, "--%s", o->name);
    if (o->kind == OPT_FLAG || used >= cap)
        return;
    if (o->kind == OPT_CHOICE && !o->arg) {
        for (size_t i = 0; o->choices[i] && used < cap; i++)
            used += (size_t)snprintf(buf + used, cap - used, "%c%s",
                                     i ? '|' : ' ', o->choices[i]);
        return;
    }
    snprintf(buf + used, cap - used, " %s", arg_name(o));
}

/* Writes `text` from column `col` on, wrapped at WIDTH, continuation lines
 * indented to `indent`. */
static void wrap(FILE *f, const char *text, int col, int indent)
{
    const char *s = text;
    bool first = true;
    while (*s) {
        while (*s == ' ')
            s++;
        size_t len = strcspn(s, " ");
        if (!len)
            break;
        if (!first && col + 1 + (int)len > WIDTH) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
            first = true;
        }
        if (!first) {
            fputc(' ', f);
            col++;
        }
        fprintf(f, "%.*s", (int)len, s);
        col += (int)len;
        first = false;
        s += len;
    }
    fputc('\n', f);
}

/* The help line of an option: its text, choices and default. */
static void help_text(const struct opt *o, char *buf, size_t cap)
{
    size_t used = (size_t)snprintf(buf, cap, "%s", o->help);
    if (used < cap && o->kind == OPT_CHOICE && o->arg) {
        char list[512];
        choice_list(o->choices, list, sizeof list);
        used += (size_t)snprintf(buf + used, cap - used, ": %s", list);
    }
    if (used < cap && o->def)
        used += (size_t)snprintf(buf + used, cap - used, " (default %s)",
                                 o->def);
    if (used < cap && o->repeatable)
        snprintf(buf + used, cap - used, " (may be repeated)");
}

static void option_line(FILE *f, const char *t, const char *help, int col)
{
    int w = fprintf(f, "  %s", t);
    if (w > col - 2) {
        fprintf(f, "\n%*s", col, "");
    } else {
        fprintf(f, "%*s", col - w, "");
    }
    wrap(f, help, col, col);
}

/* Text of paragraphs apart by "\n\n", each after a blank line: a
 * paragraph with an indented line (a table) as it is, any other one
 * filled to WIDTH. */
static void paragraphs(FILE *f, const char *text)
{
    for (const char *s = text; *s;) {
        const char *end = strstr(s, "\n\n");
        size_t len = end ? (size_t)(end - s) : strlen(s);
        char para[4096];
        snprintf(para, sizeof para, "%.*s", (int)len, s);
        fputc('\n', f);
        if (para[0] == ' ' || strstr(para, "\n ")) {
            fprintf(f, "%s\n", para);
        } else {
            for (char *c = para; *c; c++)
                if (*c == '\n')
                    *c = ' ';
            wrap(f, para, 0, 0);
        }
        s += len;
        while (*s == '\n')
            s++;
    }
}

/* The synopsis generated from the table, wrapped at WIDTH with
 * continuation lines indented to `indent` (0: one line). */
static size_t gen_synopsis(const struct opt_cmd *cmd, char *buf, size_t cap,
                           int indent)
{
    size_t used = 0;
    int col = indent;
    buf[0] = '\0';
    for (size_t k = 0; k < cmd->nopts; k++) {
        const struct opt *o = &cmd->opts[k];
        char t[160], item[168];
        term(o, t, sizeof t);
        /* The short form is for the option list; the synopsis names the
         * long one. */
        const char *name = o->short_name ? t + 4 : t;
        int w = snprintf(item, sizeof item, o->required ? "%s" : "[%s]",
                         name);
        bool wrap_here = indent && k && col + 1 + w > WIDTH;
        int sw = snprintf(buf + (used < cap ? used : cap - 1),
                          used < cap ? cap - used : 1, "%s%*s%s",
                          k == 0 ? "" : wrap_here ? "\n" : " ",
                          wrap_here ? indent : 0, "", item);
        used += (size_t)sw;
        col = wrap_here ? indent + w : col + (k ? 1 : 0) + w;
    }
    return used;
}

size_t opt_synopsis(const struct opt_cmd *cmd, char *buf, size_t cap)
{
    if (cmd->synopsis)
        return (size_t)snprintf(buf, cap, "%s", cmd->synopsis);
    return gen_synopsis(cmd, buf, cap, 0);
}

void opt_usage(const struct opt_cmd *cmd, FILE *f)
{
    char syn[2048];
    int indent = fprintf(f, "usage: coord %s ", cmd->name);
    if (cmd->synopsis)
        fprintf(f, "%s\n", cmd->synopsis);
    else {
        gen_synopsis(cmd, syn, sizeof syn, indent);
        fprintf(f, "%s\n", syn);
    }
    if (cmd->about)
        paragraphs(f, cmd->about);
    int col = 0;
    char t[160], h[1024];
    for (size_t k = 0; k < cmd->nopts; k++) {
        term(&cmd->opts[k], t, sizeof t);
        int w = 2 + (int)strlen(t) + 2;
        if (w <= TERM_MAX && w > col)
            col = w;
    }
    if (col < 14)
        col = 14;
    fprintf(f, "\noptions:\n");
    option_line(f, "-h, --help", "show this help and exit", col);
    const char *group = NULL;
    for (size_t k = 0; k < cmd->nopts; k++) {
        const struct opt *o = &cmd->opts[k];
        if (o->group && (!group || strcmp(group, o->group)))
            fprintf(f, "\n%s:\n", o->group);
        group = o->group;
        term(o, t, sizeof t);
        help_text(o, h, sizeof h);
        option_line(f, t, h, col);
    }
    if (cmd->epilog)
        paragraphs(f, cmd->epilog);
}

static void dump_option(struct jw *w, const struct opt *o)
{
    char t[80];
    jw_object(w);
    snprintf(t, sizeof t, "--%s", o->name);
    jw_kstr(w, "long", t);
    snprintf(t, sizeof t, "-%c", o->short_name);
    jw_kstr(w, "short", o->short_name ? t : NULL);
    jw_kstr(w, "kind", kind_names[o->kind]);
    jw_kstr(w, "arg", o->kind == OPT_FLAG ? NULL : arg_name(o));
    jw_kstr(w, "help", o->help);
    jw_kstr(w, "default", o->def);
    jw_kstr(w, "group", o->group);
    if (o->kind == OPT_UINT || o->kind == OPT_UINTS) {
        jw_kuint(w, "min", o->min);
        jw_kuint(w, "max", o->max);
        jw_kstr(w, "word", o->word);
    }
    if (o->kind == OPT_UINTS)
        jw_kuint(w, "max_items", o->max_items ? o->max_items : OPT_LIST_MAX);
    if (o->kind == OPT_REAL) {
        jw_knum(w, "min", o->rmin);
        jw_knum(w, "max", o->rmax);
        jw_kbool(w, "min_excluded", o->open_min);
    }
    jw_karray(w, "choices");
    for (size_t i = 0; o->kind == OPT_CHOICE && o->choices[i]; i++)
        jw_str(w, o->choices[i]);
    jw_array_end(w);
    jw_kbool(w, "repeatable", o->repeatable);
    jw_kbool(w, "required", o->required);
    jw_object_end(w);
}

void opt_dump_json(const struct opt_cmd *cmd, const char *summary,
                   struct jw *w)
{
    char syn[2048];
    opt_synopsis(cmd, syn, sizeof syn);
    jw_object(w);
    jw_kstr(w, "name", cmd->name);
    jw_kstr(w, "summary", summary);
    jw_kstr(w, "synopsis", syn);
    jw_kstr(w, "about", cmd->about);
    jw_kstr(w, "epilog", cmd->epilog);
    jw_karray(w, "options");
    for (size_t k = 0; k < cmd->nopts; k++)
        dump_option(w, &cmd->opts[k]);
    static const struct opt help = {
        .name = "help", .short_name = 'h', .kind = OPT_FLAG,
        .help = "show this help and exit"};
    dump_option(w, &help);
    jw_array_end(w);
    jw_object_end(w);
}
