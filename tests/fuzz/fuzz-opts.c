/* SPDX-License-Identifier: MIT */
/* fuzz-opts.c: libFuzzer harness for the CLI's option parser (cli/opts.c) over any argument vector. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

/* A table with an option of every kind and every constraint the
 * commands' tables use. */
static const char *const modes[] = {"fast", "slow", "auto", NULL};
enum { F_JSON, F_N, F_LIST, F_RATE, F_NAME, F_MODE, F_OUT, F_DIR, F_REP, F_REQ, F_COUNT };
static const struct opt opts[F_COUNT] = {
    [F_JSON] = {.name = "json", .short_name = 'j', .kind = OPT_FLAG, .help = "h"},
    [F_N] = {.name = "workers", .short_name = 'n', .kind = OPT_UINT, .help = "h",
             .min = 1, .max = 1000000, .word = "auto", .word_value = 0},
    [F_LIST] = {.name = "sizes", .kind = OPT_UINTS, .help = "h", .min = 0,
                .max = UINT64_MAX, .max_items = 4},
    [F_RATE] = {.name = "rate", .kind = OPT_REAL, .help = "h", .rmin = 0,
                .rmax = 1, .open_min = true},
    [F_NAME] = {.name = "name", .kind = OPT_STRING, .help = "h"},
    [F_MODE] = {.name = "mode", .short_name = 'm', .kind = OPT_CHOICE,
                .help = "h", .choices = modes},
    [F_OUT] = {.name = "out", .short_name = 'o', .kind = OPT_PATH, .help = "h"},
    [F_DIR] = {.name = "dir", .kind = OPT_DIR, .help = "h"},
    [F_REP] = {.name = "tag", .short_name = 't', .kind = OPT_UINTS, .help = "h",
               .min = 1, .max = 64, .repeatable = true},
    [F_REQ] = {.name = "seed", .kind = OPT_UINT, .help = "h", .min = 0,
               .max = UINT64_MAX, .required = true},
};
static const struct opt_cmd cmd = {.name = "fz", .about = "fuzzing",
                                   .opts = opts, .nopts = F_COUNT};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* The parser's one-line errors and --help go to stderr and stdout;
     * libFuzzer and the sanitizers write to descriptor 2 themselves. */
    stdout = fopen("/dev/null", "w");
    stderr = fopen("/dev/null", "w");
    return stdout && stderr ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input is the arguments, separated by NUL bytes (at most 32). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *argv[34] = {"fz"};
    int argc = 1;
    for (size_t i = 0; i <= size && argc < 33;) {
        argv[argc++] = buf + i;
        i += strlen(buf + i) + 1;
    }
    argv[argc] = NULL;
    /* Each argv[i] in its own allocation: ASan sees a read past one. */
    for (int i = 1; i < argc; i++)
        argv[i] = strdup(argv[i]);
    struct opt_parser p;
    opt_parse_init(&p, &cmd, argc, argv);
    int calls = 0, k;
    while ((k = opt_next(&p)) >= 0) {
        if (++calls > argc || k >= F_COUNT)
            abort(); /* each option takes an argument at least */
        const struct opt *o = &opts[k];
        const struct opt_value *v = &p.v;
        if (o->kind != OPT_FLAG && (!v->text || !*v->text))
            abort();
        switch (o->kind) {
        case OPT_UINT:
            if (!(o->word && v->u == o->word_value) &&
                (v->u < o->min || v->u > o->max))
                abort();
            break;
        case OPT_UINTS: {
            size_t most = o->max_items ? o->max_items : OPT_LIST_MAX;
            if (v->n < 1 || v->n > most)
                abort();
            for (size_t i = 0; i < v->n; i++)
                if (v->list[i] < o->min || v->list[i] > o->max)
                    abort();
            break;
        }
        case OPT_REAL:
            if (!isfinite(v->real) || v->real <= o->rmin || v->real > o->rmax)
                abort();
            break;
        case OPT_CHOICE:
            if (v->choice < 0 || v->choice >= 3)
                abort();
            break;
        default:
            break;
        }
    }
    if (k != OPT_END && k != OPT_HELP && k != OPT_ERROR)
        abort();
    if (k == OPT_END && !p.seen[F_REQ])
        abort();
    for (int i = 1; i < argc; i++)
        free(argv[i]);
    free(buf);
    return 0;
}
