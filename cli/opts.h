/* SPDX-License-Identifier: MIT */
/* opts.h: one option table per command: it parses the command line and
 * generates the command's --help, the `coord help --options-json` dump
 * that the man page and the bash completion are built from, and the
 * "did you mean" hints for unknown options and commands. */
#ifndef COORD_CLI_OPTS_H
#define COORD_CLI_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Most options one table may hold (the implicit --help included) and most
 * items an OPT_UINTS value may list. */
#define OPT_MAX 40
#define OPT_LIST_MAX 32

/* What an option takes. */
enum opt_kind {
    OPT_FLAG,   /* nothing: "--json" */
    OPT_UINT,   /* an unsigned decimal with an optional k/M/G suffix
                 * (10^3, 10^6, 10^9) in [min, max], or the table's `word` */
    OPT_UINTS,  /* a comma-separated list of distinct OPT_UINT items, 1..max_items */
    OPT_REAL,   /* a finite decimal (a fraction allowed) in [rmin, rmax];
                 * rmin itself excluded when `open_min` */
    OPT_STRING, /* any non-empty text */
    OPT_CHOICE, /* one word of `choices` */
    OPT_PATH,   /* a file name (the completion offers file names) */
    OPT_DIR,    /* a directory name (the completion offers directories) */
};

/* One option of a command. Tables are static const arrays indexed by the
 * command's own enum, so the index opt_next() returns names the option. */
struct opt {
    const char *name;    /* long name without the dashes: "workers" */
    char short_name;     /* one letter for "-x", or 0 */
    enum opt_kind kind;
    const char *arg;     /* the value's name in help: "N", "DIR"; NULL for a
                          * choice shows the choices as "a|b" */
    const char *help;    /* one line (wrapped by the help writer) */
    const char *def;     /* the default, as shown in help, or NULL */
    const char *group;   /* a heading the option is listed under, or NULL */
    uint64_t min, max;   /* OPT_UINT, OPT_UINTS */
    const char *word;    /* OPT_UINT(S): a word accepted instead of a
                          * number ("auto"), read as `word_value` */
    uint64_t word_value;
    unsigned max_items;  /* OPT_UINTS: most items (0: OPT_LIST_MAX) */
    double rmin, rmax;   /* OPT_REAL */
    bool open_min;       /* OPT_REAL: the value must exceed rmin */
    const char *const *choices; /* OPT_CHOICE: the words, NULL-terminated */
    bool repeatable;     /* may be given more than once (else a usage error) */
    bool required;       /* must be given (checked when parsing ends) */
};

/* A command's table and the text around it. */
struct opt_cmd {
    const char *name;     /* "queue" */
    const char *synopsis; /* what follows "usage: coord NAME " when the one
                           * generated from the table cannot say it (choices
                           * between options); NULL: generated */
    const char *about;    /* paragraphs between the usage and the options;
                           * lines of at most 80 columns, "\n\n" between
                           * paragraphs, indented lines kept as they are */
    const struct opt *opts;
    size_t nopts;         /* at most OPT_MAX - 1 */
    const char *epilog;   /* text after the options, or NULL */
};

/* The value of the option opt_next() returned last. */
struct opt_value {
    const char *text;          /* the argument as given (NULL for a flag) */
    uint64_t u;                /* OPT_UINT */
    double real;               /* OPT_REAL */
    int choice;                /* OPT_CHOICE: index into choices */
    uint64_t list[OPT_LIST_MAX]; /* OPT_UINTS */
    size_t n;                  /* OPT_UINTS: items in list */
};

/* The state of one parse; fields are the parser's, except `v`. */
struct opt_parser {
    const struct opt_cmd *cmd;
    int argc;
    char **argv;
    int i;
    unsigned char seen[OPT_MAX];
    struct opt_value v;
};

/* What opt_next() returns besides an option's index. */
#define OPT_END (-1)   /* the arguments are all read and valid */
#define OPT_HELP (-2)  /* --help: the usage was printed on stdout */
#define OPT_ERROR (-3) /* a usage error: one line was printed on stderr */

/* opt_parse_init: start parsing argv[1..argc-1] (argv[0] is the command's
 * name) against cmd's table.
 * Concurrency: one parser per thread; the table is only read.
 * Progress: never blocks. A table of OPT_MAX or more options is a broken
 * invariant: it aborts with file:line.
 * Ownership: p borrows cmd and argv until the parse ends; option values
 * (p->v.text) point into argv. */
void opt_parse_init(struct opt_parser *p, const struct opt_cmd *cmd,
                    int argc, char **argv);

/* opt_next: read the next option and check its value against the table:
 * "--name value", "--name=value", "-x value", "-xvalue"; "--" ends the
 * options. The value is in p->v until the next call.
 * Concurrency and progress: as opt_parse_init; never blocks.
 * Returns: the option's index in cmd->opts (>= 0); OPT_END when every
 *   argument was read and each required option was given; OPT_HELP after
 *   printing the usage on stdout for -h or --help; OPT_ERROR after one line
 *   `coord CMD: ...` on stderr for an unknown option (with a "did you
 *   mean" hint when one is close), an argument that is no option (nothing
 *   after "--" is taken either), a flag given a value, a missing or empty
 *   value, a bad number (not a number, out of range, overflowing its
 *   suffix), a word outside the choices, a second use of an option that
 *   is not repeatable, or a required option missing at the end. */
int opt_next(struct opt_parser *p);

/* opt_exit_status: the command's exit status for what opt_next() returned
 * when it stopped (OPT_HELP: 0; OPT_ERROR: 2).
 * Concurrency: any thread; pure.
 * Returns: CLI_OK for OPT_HELP, CLI_USAGE otherwise. */
int opt_exit_status(int stopped);

/* opt_usage: write cmd's usage to f: "usage: coord NAME SYNOPSIS", the
 * about text, every option aligned with its help, default and choices
 * (grouped under their headings), "-h, --help" and the epilog.
 * Concurrency: any thread; writes f only. */
void opt_usage(const struct opt_cmd *cmd, FILE *f);

/* opt_synopsis: the synopsis of cmd (cmd->synopsis or the one generated
 * from the table: "[--flag] [--name ARG] --required ARG ...") into buf,
 * cut at cap - 1 bytes (cap >= 1).
 * Concurrency: any thread; writes buf only.
 * Returns: the length it wanted (as snprintf). */
size_t opt_synopsis(const struct opt_cmd *cmd, char *buf, size_t cap);

/* opt_dump_json: write cmd's table with `w` as one JSON object (the
 * element of the `commands` list of `coord help --options-json`;
 * docs/cli.md describes the fields), with `summary` as its one-line
 * summary. Errors are kept in `w` and reported by jw_finish.
 * Concurrency: the thread that owns `w`. */
struct jw;
void opt_dump_json(const struct opt_cmd *cmd, const char *summary,
                   struct jw *w);

/* opt_suggest: the candidate closest to `typed`: within edit distance 2
 * (an insertion, deletion, substitution or swap of neighbours counts 1)
 * and less than typed's length, or else the only candidate that `typed`
 * is a prefix of; the first of equally close ones.
 * Concurrency: any thread; pure. Words over 63 bytes only match as a
 * prefix.
 * Returns: the index into cands, or -1 when none is close (or typed is
 *   empty). */
int opt_suggest(const char *typed, const char *const *cands, size_t n);

#endif
