/* SPDX-License-Identifier: MIT */
/* main.c: the coord tool's entry point: --help, --version, dispatch. */
#include <string.h>

#include "cli.h"
#include "commands.h"

struct command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
#define COORD_COMMAND(name, summary) {#name, summary, cmd_##name},
#include "commands.def"
#undef COORD_COMMAND
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: coord [--help | --version] COMMAND [OPTIONS]\n\n"
            "Coordination between worker processes, measured on this "
            "machine.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'coord COMMAND --help' describes one command. Exit status: "
               "0 success, 1 runtime failure, 2 usage error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *a = argv[1];
    if (!strcmp(a, "--help") || !strcmp(a, "-h") || !strcmp(a, "help")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
        printf("coord %s\n", coord_version_string());
        return CLI_OK;
    }
    cli_json_note_start();
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(a, commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    if (a[0] == '-')
        cli_error(NULL, "unknown option '%s' (see coord --help)", a);
    else
        cli_error(NULL, "unknown command '%s' (see coord --help)", a);
    return CLI_USAGE;
}
