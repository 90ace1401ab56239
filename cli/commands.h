/* SPDX-License-Identifier: MIT */
/* commands.h: declarations of the subcommands listed in commands.def: each
 * one's entry point and its option table (cli/opts.h). */
#ifndef COORD_CLI_COMMANDS_H
#define COORD_CLI_COMMANDS_H

struct opt_cmd;

#define COORD_COMMAND(name, summary)                                           \
    int cmd_##name(int argc, char **argv);                                     \
    extern const struct opt_cmd cmd_##name##_opts;
#include "commands.def"
#undef COORD_COMMAND

#endif
