/* SPDX-License-Identifier: MIT */
/* earlyexit.c: prime work, Python runner, gnuplot runner and number formatting for the experiments. */
#include <errno.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "datadir.h"
#include "earlyexit.h"

extern char **environ;

/* The same test in 32-bit arithmetic: a 32-bit division costs a third
 * of a 64-bit one on x86-64, and most experiments stay below 2^32. */
static bool is_prime32(uint32_t n)
{
    if (n < 4)
        return n >= 2;
    if (n % 2 == 0 || n % 3 == 0)
        return false;
    for (uint32_t d = 5; d <= n / d; d += 6)
        if (n % d == 0 || n % (d + 2) == 0)
            return false;
    return true;
}

bool ee_is_prime(uint64_t n)
{
    if (n <= UINT32_MAX)
        return is_prime32((uint32_t)n);
    if (n < 4)
        return n >= 2;
    if (n % 2 == 0 || n % 3 == 0)
        return false;
    for (uint64_t d = 5; d <= n / d; d += 6)
        if (n % d == 0 || n % (d + 2) == 0)
            return false;
    return true;
}

uint64_t ee_next_prime(uint64_t n)
{
    while (!ee_is_prime(n))
        n++;
    return n;
}

bool ee_probe_prime(uint64_t n, void *result, void *arg)
{
    const struct ee_prime_search *s = arg;
    bool p = ee_is_prime(n);
    if (p && (s->any || n == s->target)) {
        *(uint64_t *)result = n;
        return true;
    }
    return false;
}

uint8_t *ee_sieve(uint64_t len)
{
    uint8_t *s = malloc(len ? len : 1);
    if (!s)
        return NULL;
    memset(s, 1, len);
    for (uint64_t i = 0; i < len && i < 2; i++)
        s[i] = 0;
    for (uint64_t p = 2; p * p < len; p++)
        if (s[p])
            for (uint64_t m = p * p; m < len; m += p)
                s[m] = 0;
    return s;
}

bool ee_probe_cheap(uint64_t i, void *result, void *arg)
{
    const struct ee_work *w = arg;
    /* The index wraps over the sieve (a power of two long, so a mask and
     * not a division), so any range length works. */
    uint64_t n = i & (w->sieve_len - 1);
    bool p = w->sieve[n] != 0;
    if (i == w->hit) {
        *(uint64_t *)result = i;
        return true;
    }
    return p && n == 0; /* never: keeps the lookup from being dropped */
}

bool ee_probe_heavy(uint64_t i, void *result, void *arg)
{
    const struct ee_work *w = arg;
    uint64_t n = w->base + i;
    uint64_t divisors = 0;
    for (uint64_t d = 3; d <= n / d; d += 2)
        divisors += n % d == 0;
    if (i == w->hit) {
        *(uint64_t *)result = divisors;
        return true;
    }
    return divisors == UINT64_MAX; /* never */
}

bool ee_have(const char *name)
{
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    char buf[4096];
    while (*path) {
        const char *end = strchr(path, ':');
        size_t len = end ? (size_t)(end - path) : strlen(path);
        if (len > 0 && len + strlen(name) + 2 < sizeof buf) {
            snprintf(buf, sizeof buf, "%.*s/%s", (int)len, path, name);
            if (access(buf, X_OK) == 0)
                return true;
        }
        path += len;
        if (*path == ':')
            path++;
    }
    return false;
}

int ee_python(const char *script, const char *const *args, char *out,
              size_t cap, char *why, size_t why_cap)
{
    char path[4096];
    const char *dir = cli_python_dir();
    snprintf(path, sizeof path, "%s/%s", dir, script);
    if (!ee_have("python3") || access(path, R_OK) != 0) {
        snprintf(why, why_cap, "%s", !ee_have("python3")
                                         ? "no python3"
                                         : "script not found");
        return 1;
    }
    const char *argv[64];
    size_t n = 0;
    argv[n++] = "python3";
    argv[n++] = path;
    for (; args && args[n - 2] && n < 63; n++)
        argv[n] = args[n - 2];
    argv[n] = NULL;
    int pfd[2];
    if (pipe(pfd) != 0) {
        snprintf(why, why_cap, "pipe: %s", strerror(errno));
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, pfd[0]);
    posix_spawn_file_actions_addclose(&fa, pfd[1]);
    pid_t pid;
    fflush(NULL);
    int e = posix_spawnp(&pid, "python3", &fa, NULL, (char *const *)argv,
                         environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pfd[1]);
    if (e != 0) {
        close(pfd[0]);
        snprintf(why, why_cap, "cannot start python3: %s", strerror(e));
        return -1;
    }
    size_t len = 0;
    for (;;) {
        char tmp[4096];
        ssize_t r = read(pfd[0], tmp, sizeof tmp);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        size_t take = (size_t)r;
        if (len + take >= cap)
            take = cap - 1 - len;
        memcpy(out + len, tmp, take);
        len += take;
    }
    out[len] = '\0';
    close(pfd[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        snprintf(why, why_cap, "python3 %s failed (status %d)", script,
                 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        return -1;
    }
    return 0;
}

bool ee_json_num(const char *s, const char *key, double *out)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = s ? strstr(s, pat) : NULL;
    if (!p)
        return false;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    char *end;
    double v = strtod(p, &end);
    if (end == p)
        return false;
    *out = v;
    return true;
}

static const char *ext_of(const char *file)
{
    const char *dot = file ? strrchr(file, '.') : NULL;
    return dot ? dot + 1 : "";
}

bool ee_plot_ext_ok(const char *file)
{
    const char *e = ext_of(file);
    return !strcmp(e, "png") || !strcmp(e, "svg");
}

int ee_gnuplot(const char *cmd, const char *file, const char *script)
{
    if (!ee_plot_ext_ok(file)) {
        cli_error(cmd, "--plot: '%s' must end in .png or .svg", file);
        return 1;
    }
    if (!ee_have("gnuplot")) {
        cli_error(cmd, "--plot needs gnuplot, which is not installed "
                       "(scripts/deps.sh installs gnuplot-nox)");
        return 1;
    }
    FILE *gp = popen("gnuplot", "w");
    if (!gp) {
        cli_error(cmd, "cannot run gnuplot: %s", strerror(errno));
        return 1;
    }
    if (!strcmp(ext_of(file), "svg"))
        fprintf(gp, "set terminal svg size 1000,420 dynamic font 'sans,11'\n");
    else
        fprintf(gp, "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) "
                    "{ set terminal pngcairo size 1000,420 font 'sans,10' } "
                    "else { set terminal png size 1000,420 }\n");
    fprintf(gp, "set output '");
    for (const char *p = file; *p; p++)
        fputs(*p == '\'' ? "''" : (char[]){*p, 0}, gp);
    fprintf(gp, "'\n%s\nset output\n", script);
    int st = pclose(gp);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        cli_error(cmd, "gnuplot failed to draw %s", file);
        return 1;
    }
    return 0;
}

void ee_runs_add(struct ee_runs *r, const coord_search_stats *st)
{
    if (r->n == EE_MAX_RUNS)
        return;
    r->wall_ns[r->n] = (double)st->wall_ns;
    r->iterations[r->n] = (double)st->iterations;
    r->wasted[r->n] = (double)st->wasted;
    r->stop_ns[r->n] = (double)st->stop_latency_ns;
    r->every[r->n] = (double)st->check_every;
    r->n++;
}

struct ee_figures ee_runs_median(struct ee_runs *r)
{
    return (struct ee_figures){
        .wall_ns = cli_percentile(r->wall_ns, r->n, 50),
        .iterations = cli_percentile(r->iterations, r->n, 50),
        .wasted = cli_percentile(r->wasted, r->n, 50),
        .stop_ns = cli_percentile(r->stop_ns, r->n, 50),
        .every = cli_percentile(r->every, r->n, 50),
    };
}

const char *ee_commas(uint64_t v, char *buf, size_t cap)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < n && o + 2 < cap; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}

const char *ee_dur(double ns, char *buf, size_t cap)
{
    if (!isfinite(ns) || ns < 0)
        snprintf(buf, cap, "-");
    else if (ns < 1000)
        snprintf(buf, cap, "%.0f ns", ns);
    else if (ns < 1e6)
        snprintf(buf, cap, "%.1f us", ns / 1e3);
    else if (ns < 1e9)
        snprintf(buf, cap, "%.2f ms", ns / 1e6);
    else
        snprintf(buf, cap, "%.2f s", ns / 1e9);
    return buf;
}
