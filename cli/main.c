/* SPDX-License-Identifier: MIT */
/* main.c: the coord tool's entry point: --help, --version, `coord help`,
 * dispatch, and "did you mean" for a mistyped command. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli-mpi.h"
#include "json-write.h"
#include "commands.h"
#include "mpirun.h"
#include "opts.h"

struct command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
    const struct opt_cmd *opts;
};

static const struct command commands[] = {
#define COORD_COMMAND(name, summary)                                           \
    {#name, summary, cmd_##name, &cmd_##name##_opts},
#include "commands.def"
#undef COORD_COMMAND
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f,
            "usage: coord [--help | --version] COMMAND [OPTIONS]\n"
            "       coord help [COMMAND]\n\n"
            "Coordination between worker processes, measured on this "
            "machine.\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'coord COMMAND --help' describes one command. Exit status: "
               "0 success, 1 runtime failure, 2 usage error.\n");
}

static const struct command *find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(name, commands[i].name))
            return &commands[i];
    return NULL;
}

/* "unknown command 'X'", with the closest command as a hint. */
static int unknown_command(const char *a)
{
    const char *names[NCOMMANDS];
    for (size_t i = 0; i < NCOMMANDS; i++)
        names[i] = commands[i].name;
    int s = opt_suggest(a, names, NCOMMANDS);
    if (s >= 0)
        cli_error(NULL, "unknown command '%s'; did you mean '%s'?", a,
                  names[s]);
    else
        cli_error(NULL, "unknown command '%s' (see coord --help)", a);
    return CLI_USAGE;
}

/* "unknown option 'X'" before the command, with --help or --version as
 * the hint when one is close (docs/cli.md: a mistyped option names the
 * closest one, these two as much as a command's). */
static int unknown_option(const char *a)
{
    static const char *const names[] = {"--help", "--version"};
    int s = opt_suggest(a, names, sizeof names / sizeof names[0]);
    if (s >= 0)
        cli_error(NULL, "unknown option '%s'; did you mean '%s'?", a,
                  names[s]);
    else
        cli_error(NULL, "unknown option '%s' (see coord --help)", a);
    return CLI_USAGE;
}

/* --help=X, -hX (and with `version`, --version=X, -VX): a flag given a
 * value, said as a command says it ("--help takes no value, got 'X'"; it
 * was "unknown option '--help=X'; did you mean '--help'?"). Returns
 * whether `a` was one, after the error. */
static bool flag_with_value(const char *cmd, const char *a, bool version)
{
    static const struct {
        const char *name;
        char short_name;
    } flags[] = {{"help", 'h'}, {"version", 'V'}};
    for (size_t i = 0; i < (version ? 2u : 1u); i++) {
        size_t n = strlen(flags[i].name);
        if (a[0] == '-' && a[1] == '-' && !strncmp(a + 2, flags[i].name, n) &&
            a[2 + n] == '=') {
            cli_error(cmd, "--%s takes no value, got '%s'", flags[i].name,
                      a + 3 + n);
            return true;
        }
        if (a[0] == '-' && a[1] == flags[i].short_name && a[2]) {
            cli_error(cmd, "-%c takes no value, got '%s'",
                      flags[i].short_name, a + 2);
            return true;
        }
    }
    return false;
}

/* Every command's option table as one JSON object (docs/cli.md), read by
 * scripts/gen-man.py and scripts/gen-completion.py. */
static int options_json(void)
{
    struct jw w;
    jw_init(&w, stdout);
    jw_object(&w);
    jw_kstr(&w, "schema", "coord.options/1");
    jw_kstr(&w, "coord_version", coord_version_string());
    jw_karray(&w, "commands");
    for (size_t i = 0; i < NCOMMANDS; i++)
        opt_dump_json(commands[i].opts, commands[i].summary, &w);
    jw_array_end(&w);
    jw_object_end(&w);
    if (jw_finish(&w) != 0 || fflush(stdout) != 0) {
        cli_error("help", "could not write the options");
        return CLI_RUNTIME;
    }
    return CLI_OK;
}

/* `coord help`: the tool's usage; `coord help COMMAND`: the command's;
 * `coord help --options-json`: every table, for the build's generators. */
static int help(int argc, char **argv)
{
    if (argc == 1) {
        usage(stdout);
        return CLI_OK;
    }
    if (argc == 2 && !strcmp(argv[1], "--options-json"))
        return options_json();
    if (argc > 2) {
        if (!strcmp(argv[1], "--options-json"))
            cli_error("help", "--options-json takes nothing after it, got '%s'",
                      argv[2]);
        else
            cli_error("help", "give at most one command, got '%s' and '%s'",
                      argv[1], argv[2]);
        return CLI_USAGE;
    }
    /* help's own --help is the tool's usage, exit 0, as `coord CMD
     * --help` is CMD's (it was "unknown option '--help'", exit 2). */
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return CLI_OK;
    }
    if (flag_with_value("help", argv[1], false))
        return CLI_USAGE;
    const struct command *c = find(argv[1]);
    if (!c && argv[1][0] == '-') {
        cli_error("help", "unknown option '%s' (coord help [COMMAND])",
                  argv[1]);
        return CLI_USAGE;
    }
    if (!c)
        return unknown_command(argv[1]);
    if (cli_mpirun_command_lines() &&
        (!strcmp(c->name, "primes") || !strcmp(c->name, "spectrum"))) {
        /* Beside ranks of another command line in MPI_Init (`coord primes
         * --mpi`, spectrum's MPI rows) an exit 0 here left them waiting
         * until mpirun --timeout: say it as `coord CMD --help`, which
         * joins them (cli_mpi_help). */
        char *again[] = {argv[1], "--help", NULL};
        return c->run(2, again);
    }
    opt_usage(c->opts, stdout);
    return CLI_OK;
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        /* A usage error is one line; the usage is one option away. */
        cli_error(NULL, "no command given (coord --help lists them; "
                        "coord report --quick is the quick tour)");
        return CLI_USAGE;
    }
    const char *a = argv[1];
    bool help_opt = !strcmp(a, "--help") || !strcmp(a, "-h");
    bool version = !strcmp(a, "--version") || !strcmp(a, "-V");
    if ((help_opt || version) && argc > 2) {
        cli_error(NULL, "%s takes nothing after it, got '%s' (coord help "
                        "COMMAND shows a command's usage)", a, argv[2]);
        return CLI_USAGE;
    }
    if (flag_with_value(NULL, a, true))
        return CLI_USAGE;
    if (help_opt) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(a, "help"))
        return help(argc - 1, argv + 1);
    if (version) {
        printf("coord %s\n", coord_version_string());
        return CLI_OK;
    }
    cli_json_note_start();
    const struct command *c = find(a);
    if (c)
        return c->run(argc - 1, argv + 1);
    if (a[0] == '-')
        return unknown_option(a);
    return unknown_command(a);
}

/* The writes of stdout and stderr, going on after EINTR. A signal whose
 * handler was installed without SA_RESTART (a profiler's timer, any
 * LD_PRELOADed library's) interrupts a write(2) that waits for room in a
 * pipe, and glibc's stdio takes that EINTR for a failed write and drops
 * the buffer: `coord help --options-json` into a pipe read a moment later
 * said "could not write the options" (status 1, the output cut at 4096
 * bytes), `coord spectrum --json` "cannot write the output: Interrupted
 * system call", and a line on stderr (an error, a warning) was lost
 * whole. Any other failure is the stream's error, as before. The cookie
 * is the descriptor. */
static ssize_t write_past_eintr(void *cookie, const char *buf, size_t n)
{
    int fd = (int)(intptr_t)cookie;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, buf + done, n - done);
        if (w > 0)
            done += (size_t)w;
        else if (w < 0 && errno == EINTR)
            continue;
        else
            return done > 0 ? (ssize_t)done : -1;
    }
    return (ssize_t)done;
}

/* A stream on descriptor `fd` that writes through write_past_eintr,
 * buffered as `mode` says (setvbuf's); NULL where it cannot be made (the
 * caller keeps the stream it had). */
static FILE *stream_past_eintr(int fd, int mode)
{
    cookie_io_functions_t io = {.write = write_past_eintr};
    FILE *f = fopencookie((void *)(intptr_t)fd, "w", io);
    if (f && setvbuf(f, NULL, mode, mode == _IONBF ? 0 : BUFSIZ) != 0) {
        fclose(f);
        f = NULL;
    }
    return f;
}

/* stdout and stderr replaced by such streams, buffered as stdio buffers
 * them: stdout by line on a terminal, else fully; stderr not at all (each
 * message is written whole by the call that prints it, so none waits in a
 * buffer for an exit that flushes: the workers coord forks end with
 * _exit). */
static void streams_past_eintr(void)
{
    FILE *f = stream_past_eintr(STDOUT_FILENO,
                                isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF);
    if (f)
        stdout = f;
    if ((f = stream_past_eintr(STDERR_FILENO, _IONBF)) != NULL)
        stderr = f;
}

/* What a command printed on stdout must have reached it: a write that
 * failed (a full disk, /dev/full, a closed descriptor) is a runtime
 * failure, one line, not exit 0 with the output lost. stdio reports it
 * only at the flush, or through the stream's error flag once a write
 * mid-run failed (docs/cli.md: a failure of the machine is status 1). */
int main(int argc, char **argv)
{
    /* A file size limit (ulimit -f) makes a write that outgrows it fail
     * with EFBIG, said in one line as any failed write, instead of killing
     * coord mid-write (SIGXFSZ's default: a temporary left, a file written
     * in place cut to its first part). Programs coord runs get the default
     * back (launch.c). */
    signal(SIGXFSZ, SIG_IGN);
    /* coord waits for the processes it forks (waitpid with their pids). A
     * SIGCHLD ignored by whoever started us (SIG_IGN survives exec: a
     * daemon's usual setting) has the kernel reap them instead: waitpid
     * fails with ECHILD, their statuses are lost, and a clean run read as
     * a failed one (coord queue said exactly-once NO, coord interval and
     * coord spectrum failed, exit 1). Our own children are ours to reap. */
    signal(SIGCHLD, SIG_DFL);
    streams_past_eintr();
    int rc = dispatch(argc, argv);
    errno = 0;
    bool flushed = fflush(stdout) == 0;
    int err = errno;
    /* A command that failed has said why in its own line already. */
    if (rc == CLI_OK && (!flushed || ferror(stdout))) {
        const char *cmd = argc >= 2 && find(argv[1]) ? argv[1] : NULL;
        cli_error(cmd, "cannot write the output: %s",
                  err ? strerror(err) : "a write to stdout failed");
        rc = CLI_RUNTIME;
    }
    /* A silent rank's usage error said before MPI began: the rank that
     * says it exits first (after MPI_Init the ranks agree first, and the
     * speaking rank waits for this one in MPI_Finalize). */
    if (rc == CLI_USAGE && cli_mpirun_peers() && !cli_mpirun_first_rank() &&
        !cli_mpi_began())
        cli_mpirun_linger();
    return rc;
}
