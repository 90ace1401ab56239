/* SPDX-License-Identifier: MIT */
/* torture.c: the torture suite's driver: the plan, the shared helpers and the closing table. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "torture.h"

uint64_t tt_rand(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

uint64_t tt_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

void *tt_shared(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "torture: mmap %zu bytes: %s\n", size,
                strerror(errno));
        exit(1);
    }
    return p;
}

pid_t tt_fork(int (*fn)(void *), void *arg)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "torture: fork: %s\n", strerror(errno));
        exit(1);
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(120);
        _exit(fn(arg));
    }
    return pid;
}

void tt_sleep_us(unsigned us)
{
    struct timespec ts = {us / 1000000, (long)(us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int tt_wait(pid_t pid, int timeout_ms)
{
    uint64_t dl = coord_clock_ns() + (uint64_t)timeout_ms * 1000000;
    unsigned nap = 100;
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return st;
        if (r < 0 && errno != EINTR)
            return -1;
        if (coord_clock_ns() >= dl) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
            }
            return -1;
        }
        tt_sleep_us(nap);
        if (nap < 5000)
            nap *= 2;
    }
}

uint64_t tt_reap_leftovers(void)
{
    uint64_t n = 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)getpid(),
             (int)getpid());
    FILE *f = fopen(path, "r");
    if (f) {
        int pid;
        while (fscanf(f, "%d", &pid) == 1) {
            kill(pid, SIGKILL);
            n++;
        }
        fclose(f);
    }
    /* Zombies are listed there too; reap whatever is left. */
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    if (n)
        while (waitpid(-1, NULL, 0) > 0) {
        }
    return n;
}

uint64_t tt_shm_leftovers(const char *prefix)
{
    DIR *d = opendir("/dev/shm");
    if (!d)
        return 0;
    uint64_t n = 0;
    size_t pl = strlen(prefix);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strncmp(e->d_name, prefix, pl) != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "/dev/shm/%s", e->d_name);
        fprintf(stderr, "torture: left in /dev/shm: %s\n", e->d_name);
        unlink(path);
        n++;
    }
    closedir(d);
    return n;
}

static void usage(void)
{
    printf("usage: coord_torture [--short | --full] [--seed N] "
           "[--pass pool|queue|manager]\n\n"
           "SIGKILLs a running pool's workers, a queue's producers and "
           "consumers, and\nabuses a manager (then kills its streaming "
           "clients while they take turns),\nchecking that nothing is lost, "
           "duplicated or hung and that nothing is left\nbehind. "
           "COORD_TORTURE=short|full chooses the length when no\nflag does "
           "(short: about a minute on 2 cores; full: >= 1,000 pool kills).\n"
           "Exit status 0 when every count that must be 0 is 0.\n");
}

int main(int argc, char **argv)
{
    const char *len = getenv("COORD_TORTURE");
    const char *only = NULL;
    struct tt_plan plan = {0};
    plan.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--short") || !strcmp(argv[i], "--full")) {
            len = argv[i] + 2;
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            plan.seed = strtoull(argv[++i], NULL, 0);
        } else if (!strcmp(argv[i], "--pass") && i + 1 < argc) {
            only = argv[++i];
        } else if (!strcmp(argv[i], "--help")) {
            usage();
            return 0;
        } else {
            fprintf(stderr, "coord_torture: unknown argument '%s'\n",
                    argv[i]);
            return 2;
        }
    }
    if (!len || !*len) {
        printf("torture: skipped: set COORD_TORTURE=short or full (make "
               "torture runs the full pass, CI the short one)\n");
        return 77;
    }
    bool full = !strcmp(len, "full");
    if (!full && strcmp(len, "short")) {
        fprintf(stderr, "coord_torture: COORD_TORTURE is short or full, got "
                        "'%s'\n", len);
        return 2;
    }
    plan.pool_kills = full ? 2000 : 300;
    plan.queue_kills = full ? 2000 : 300;
    plan.manager_ms = full ? 60000 : 10000;
    printf("torture: %s pass, seed %llu\n", full ? "full" : "short",
           (unsigned long long)plan.seed);
    fflush(stdout);

    static const struct {
        const char *name;
        void (*fn)(const struct tt_plan *, struct tt_row *);
    } passes[] = {{"pool", tt_pool}, {"queue", tt_queue},
                  {"manager", tt_manager}};
    struct tt_row rows[3];
    size_t n = 0;
    for (size_t i = 0; i < 3; i++) {
        if (only && strcmp(only, passes[i].name))
            continue;
        struct tt_row *r = &rows[n++];
        memset(r, 0, sizeof *r);
        r->pass = passes[i].name;
        uint64_t t0 = coord_clock_ns();
        passes[i].fn(&plan, r);
        r->secs = (double)(coord_clock_ns() - t0) / 1e9;
        r->zombies += tt_reap_leftovers();
        printf("torture: %s done in %.1f s\n", r->pass, r->secs);
        fflush(stdout);
    }

    printf("\n%-8s %7s %6s %8s %8s %8s %8s %5s %4s %6s %6s %7s %4s\n", "PASS",
           "SECONDS", "KILLS", "ITEMS", "OK", "REPORTED", "RETRIED", "LOST",
           "DUP", "WRONG", "HANGS", "ZOMBIES", "SHM");
    bool bad = false;
    for (size_t i = 0; i < n; i++) {
        const struct tt_row *r = &rows[i];
        printf("%-8s %7.1f %6llu %8llu %8llu %8llu %8llu %5llu %4llu %6llu "
               "%6llu %7llu %4llu\n",
               r->pass, r->secs, (unsigned long long)r->kills,
               (unsigned long long)r->items, (unsigned long long)r->ok,
               (unsigned long long)r->reported,
               (unsigned long long)r->retried, (unsigned long long)r->lost,
               (unsigned long long)r->dup, (unsigned long long)r->wrong,
               (unsigned long long)r->hangs, (unsigned long long)r->zombies,
               (unsigned long long)r->shm_left);
        bad |= r->lost || r->dup || r->wrong || r->hangs || r->zombies ||
               r->shm_left;
    }
    printf("\n");
    for (size_t i = 0; i < n; i++)
        printf("%-8s %s\n", rows[i].pass, rows[i].note);
    printf("\nITEMS: tasks submitted (pool), messages committed (queue), "
           "requests of the healthy\nclient (manager). OK: results with "
           "status 0, messages delivered, answers.\nREPORTED: failures "
           "reported with id and cause. RETRIED: tasks run again after\na "
           "death; messages taken by a consumer killed after its get. "
           "LOST, DUP, WRONG,\nHANGS, ZOMBIES, SHM must be 0.\n");
    printf("torture: %s\n", bad ? "FAILED" : "passed");
    return bad ? 1 : 0;
}
