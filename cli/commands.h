/* SPDX-License-Identifier: MIT */
/* commands.h: the one list of coord subcommands (name, summary). */
#ifndef COORD_CLI_COMMANDS_H
#define COORD_CLI_COMMANDS_H

/* Add a command: one line here and cli/cmd-<name>.c defining
 * int cmd_<name>(int argc, char **argv) (argv[0] is the command name). */
#define COORD_COMMANDS(X)                                                      \
    X(gc, "find (and with --remove delete) shm files of crashed processes")   \
    X(manager, "run the manager server (dicts and lists) on a Unix socket")   \
    X(report, "run the experiments, write an HTML + Markdown report with plots") \
    X(fraud, "slide 10: transactions screened by 4 detectors in early-exit rounds") \
    X(queue, "queue throughput with poison-pill shutdown vs pipe and Python")  \
    X(primes, "Example 27.1: cooperative prime search, with/without early exit") \
    X(waste, "slide 3: iterations wasted without early exit vs the lecture's") \
    X(interval, "Example 27.2: check-interval overhead and stop latency (+plot)") \
    X(spectrum, "per-access cost of each shared-state mechanism (slide 8)")

#define COORD__CMD_DECL(name, summary) int cmd_##name(int argc, char **argv);
COORD_COMMANDS(COORD__CMD_DECL)
#undef COORD__CMD_DECL

#endif
