/* SPDX-License-Identifier: MIT */
/* commands.h: declarations of the subcommands listed in commands.def. */
#ifndef COORD_CLI_COMMANDS_H
#define COORD_CLI_COMMANDS_H

#define COORD_COMMAND(name, summary) int cmd_##name(int argc, char **argv);
#include "commands.def"
#undef COORD_COMMAND

#endif
