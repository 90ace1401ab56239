/* SPDX-License-Identifier: MIT */
/* cpuquota.c: the CPU quota of this process's cgroup and its ancestors (cgroup v2 cpu.max, v1 cpu.cfs_quota_us), found as container runtimes find it. */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/*
 * Where the quota is. /proc/self/cgroup names this process's cgroup in
 * each hierarchy ("ID:CONTROLLERS:PATH"); /proc/self/mountinfo says where
 * each hierarchy is mounted and which of its cgroups the mount shows at
 * its mount point (its root, field 4). Only one hierarchy can hold the cpu
 * controller: a v1 one whose controller list names `cpu` (often
 * "cpu,cpuacct"), else the v2 one ("0::PATH"); a hybrid machine's v2
 * hierarchy has no cpu.max. Inside a container without a cgroup namespace
 * the mount's root is the container's own cgroup ("/docker/ID") and the
 * path says the same ("/docker/ID/..."): the root is stripped from the
 * path. With a cgroup namespace both are "/". A path outside the mount's
 * root (another mount of the same hierarchy may show it), one with a ".."
 * component (a cgroup above our namespace's root), or one whose directory
 * is not there (another namespace's mount, a removed cgroup) gives no
 * quota. The quota of a cgroup is the least of its own and its ancestors'
 * (the kernel throttles at every level), up to the mount point: a
 * container sees its own cgroup, where its limit is set, and not above.
 *
 * Cost: /proc/self/cgroup (a read), /proc/self/mountinfo up to the
 * hierarchy's line (one or two reads: the cgroup mounts come early), an
 * access() and one file per level (v1: a second, the period, where a quota
 * is set). A few tens of µs, once per COORD__CPUS_SAMPLE_NS (wait.h) in
 * each process, and once per default worker count.
 */

#define LINE_CAP 4096

/* Lines of a file read through a buffer of LINE_CAP bytes: a line longer
 * than that is skipped whole (no cgroup path or mount line worth reading
 * is that long; cutting one would give a wrong one). */
struct lines {
    int fd;
    size_t start, len; /* unread bytes: buf[start .. len) */
    bool eof;          /* nothing more to read */
    bool skipping;     /* within a line longer than the buffer */
    char buf[LINE_CAP + 1];
};

static bool lines_open(struct lines *r, const char *path)
{
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    r->start = r->len = 0;
    r->eof = r->skipping = false;
    return r->fd >= 0;
}

static void lines_close(struct lines *r)
{
    close(r->fd);
}

/* The next whole line, NUL-terminated without its newline (in r->buf,
 * valid until the next call), or NULL at the end. A read error ends the
 * file, dropping the line it cut. */
static char *lines_next(struct lines *r)
{
    for (;;) {
        char *nl = memchr(r->buf + r->start, '\n', r->len - r->start);
        if (nl) {
            char *line = r->buf + r->start;
            *nl = '\0';
            r->start = (size_t)(nl - r->buf) + 1;
            if (!r->skipping)
                return line;
            r->skipping = false; /* the end of the long line */
            continue;
        }
        if (r->eof) {
            /* A last line without its newline. */
            char *line = r->buf + r->start;
            bool any = r->start < r->len && !r->skipping;
            r->buf[r->len] = '\0';
            r->start = r->len;
            return any ? line : NULL;
        }
        memmove(r->buf, r->buf + r->start, r->len - r->start);
        r->len -= r->start;
        r->start = 0;
        if (r->len == LINE_CAP) { /* no newline in a full buffer */
            r->skipping = true;
            r->len = 0;
        }
        ssize_t n = read(r->fd, r->buf + r->len, LINE_CAP - r->len);
        if (n < 0) {
            r->len = 0;
            n = 0;
        }
        r->len += (size_t)n;
        r->eof = n == 0;
    }
}

/* A whole small file as a string. Returns its length, or -1. */
static ssize_t read_small(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return n;
}

/* ---- parsing ---------------------------------------------------------- */

/* A decimal integer (an optional '-', then digits) at *p, within int64_t;
 * *p moves past it. */
static bool parse_int(const char **p, int64_t *v)
{
    const char *s = *p;
    bool neg = *s == '-';
    s += neg;
    if (*s < '0' || *s > '9')
        return false;
    uint64_t n = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        uint64_t d = (uint64_t)(*s - '0');
        if (n > ((uint64_t)INT64_MAX - d) / 10)
            return false;
        n = n * 10 + d;
    }
    *v = neg ? -(int64_t)n : (int64_t)n;
    *p = s;
    return true;
}

/* Only blanks and newlines left at p? */
static bool at_end(const char *p)
{
    p += strspn(p, " \t\n");
    return *p == '\0';
}

/* `quota` µs of CPU per `period` µs, in whole CPUs both ways. */
static int quota_of(int64_t quota, int64_t period, struct coord__cpuquota *q)
{
    if (quota <= 0 || period <= 0)
        return COORD__QUOTA_BAD; /* the kernel takes neither */
    uint64_t a = (uint64_t)quota, b = (uint64_t)period;
    q->floor = a / b;
    q->ceil = a / b + (a % b != 0);
    return COORD__QUOTA_SET;
}

int coord__cpuquota_parse_max(const char *text, struct coord__cpuquota *q)
{
    int64_t quota, period;
    const char *p = text;
    /* "max PERIOD": no quota, whatever the period. */
    if (strncmp(p, "max", 3) == 0 && (p[3] == ' ' || at_end(p + 3)))
        return COORD__QUOTA_NONE;
    if (!parse_int(&p, &quota) || *p != ' ')
        return COORD__QUOTA_BAD;
    p++;
    if (!parse_int(&p, &period) || !at_end(p))
        return COORD__QUOTA_BAD;
    return quota_of(quota, period, q);
}

int coord__cpuquota_parse_cfs(const char *quota, const char *period,
                              struct coord__cpuquota *q)
{
    int64_t qv, pv;
    if (!parse_int(&quota, &qv) || !at_end(quota))
        return COORD__QUOTA_BAD;
    if (qv == -1)
        return COORD__QUOTA_NONE;
    if (!period || !parse_int(&period, &pv) || !at_end(period))
        return COORD__QUOTA_BAD;
    return quota_of(qv, pv, q);
}

/* Does the comma-separated list `list` (of `len` bytes) hold `word`? */
static bool list_has(const char *list, size_t len, const char *word)
{
    size_t w = strlen(word);
    const char *end = list + len;
    while (list < end) {
        const char *comma = memchr(list, ',', (size_t)(end - list));
        const char *item_end = comma ? comma : end;
        if ((size_t)(item_end - list) == w && memcmp(list, word, w) == 0)
            return true;
        list = item_end + 1;
    }
    return false;
}

int coord__cgroup_line(const char *line, const char **path)
{
    /* "ID:CONTROLLERS:PATH"; the path may itself hold colons. */
    const char *c1 = strchr(line, ':');
    if (!c1 || c1 == line)
        return 0;
    const char *c2 = strchr(c1 + 1, ':');
    if (!c2 || c2[1] != '/')
        return 0;
    *path = c2 + 1;
    if (c1 - line == 1 && line[0] == '0' && c2 == c1 + 1)
        return COORD__CGROUP_V2;
    for (const char *d = line; d < c1; d++)
        if (*d < '0' || *d > '9')
            return 0;
    return list_has(c1 + 1, (size_t)(c2 - c1 - 1), "cpu") ? COORD__CGROUP_V1
                                                          : 0;
}

/* Undo mountinfo's escapes (\040 for a space, \011, \012, \134) in place. */
static void unescape(char *s)
{
    char *out = s;
    for (; *s; s++) {
        if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
            s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
            *out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
                            (s[3] - '0'));
            s += 3;
        } else {
            *out++ = *s;
        }
    }
    *out = '\0';
}

/* The next space-separated field of *p, NUL-terminated in place, or NULL. */
static char *field(char **p)
{
    char *s = *p;
    if (!s || !*s)
        return NULL;
    char *sp = strchr(s, ' ');
    if (sp) {
        *sp = '\0';
        *p = sp + 1;
    } else {
        *p = NULL;
    }
    return s;
}

bool coord__cgroup_mount(char *line, int kind, char **root, char **point)
{
    /* "ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - TYPE SOURCE
     * SUPER-OPTIONS" (proc(5)). */
    char *p = line, *f[5];
    for (int i = 0; i < 5; i++)
        if (!(f[i] = field(&p)))
            return false;
    if (!field(&p)) /* the mount options */
        return false;
    char *sep;
    while ((sep = field(&p)) && strcmp(sep, "-") != 0) {
    }
    char *type = field(&p), *source = field(&p), *super = field(&p);
    if (!sep || !type || !source || !super)
        return false;
    if (kind == COORD__CGROUP_V2 ? strcmp(type, "cgroup2") != 0
                                 : strcmp(type, "cgroup") != 0 ||
                                       !list_has(super, strlen(super), "cpu"))
        return false;
    unescape(f[3]);
    unescape(f[4]);
    if (f[3][0] != '/' || f[4][0] != '/')
        return false;
    *root = f[3];
    *point = f[4];
    return true;
}

int coord__cgroup_dir(const char *point, const char *root, const char *path,
                      char *out, size_t cap)
{
    size_t r = strlen(root);
    while (r > 0 && root[r - 1] == '/')
        r--; /* "/" and "/docker/ID/" strip as "" and "/docker/ID" */
    if (strncmp(path, root, r) != 0 || (path[r] != '/' && path[r] != '\0'))
        return -1; /* not below the mount's root */
    const char *rest = path + r;
    /* No way up: a cgroup above our namespace's root shows as "/..". */
    for (const char *s = rest; (s = strstr(s, "/..")) != NULL; s += 3)
        if (s[3] == '/' || s[3] == '\0')
            return -1;
    size_t p = strlen(point);
    while (p > 1 && point[p - 1] == '/')
        p--;
    if (strcmp(rest, "/") == 0)
        rest = "";
    if (p == 1 && *rest)
        p = 0; /* mounted on "/": "/a", not "//a" */
    int n = snprintf(out, cap, "%.*s%s", (int)p, point, rest);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    /* No trailing slash: the walk up reads each level once. */
    while (n > 1 && out[n - 1] == '/')
        out[--n] = '\0';
    return n;
}

/* ---- reading ---------------------------------------------------------- */

/* The quota set in directory `dir` (kind: COORD__CGROUP_V1 or _V2). */
static int quota_in(const char *dir, int kind, struct coord__cpuquota *q)
{
    char file[COORD__CGROUP_PATH_MAX + 32], quota[64], period[64];
    const char *name =
        kind == COORD__CGROUP_V2 ? "cpu.max" : "cpu.cfs_quota_us";
    snprintf(file, sizeof file, "%s/%s", dir, name);
    if (read_small(file, quota, sizeof quota) < 0)
        return COORD__QUOTA_NONE;
    if (kind == COORD__CGROUP_V2)
        return coord__cpuquota_parse_max(quota, q);
    /* The period only where a quota is set (-1 needs none). */
    int r = coord__cpuquota_parse_cfs(quota, NULL, q);
    if (r != COORD__QUOTA_BAD)
        return r;
    snprintf(file, sizeof file, "%s/cpu.cfs_period_us", dir);
    if (read_small(file, period, sizeof period) < 0)
        return COORD__QUOTA_NONE;
    return coord__cpuquota_parse_cfs(quota, period, q);
}

int coord__cpuquota_walk(const char *top, const char *dir, int kind,
                         struct coord__cpuquota *q)
{
    char d[COORD__CGROUP_PATH_MAX];
    size_t t = strlen(top), n = strlen(dir);
    while (t > 1 && top[t - 1] == '/')
        t--; /* "/sys/fs/cgroup/" as "/sys/fs/cgroup"; "/" stays */
    bool under = t == 1 ? top[0] == '/' && dir[0] == '/'
                        : strncmp(dir, top, t) == 0 &&
                              (dir[t] == '/' || dir[t] == '\0');
    if (t == 0 || n >= sizeof d || !under || access(dir, F_OK) != 0)
        return COORD__QUOTA_NONE; /* no such cgroup here: no quota known */
    memcpy(d, dir, n + 1);
    int found = COORD__QUOTA_NONE;
    for (;;) {
        struct coord__cpuquota here;
        /* A level whose file is missing or malformed (the root cgroup has
         * none) adds no quota; the others still count. The least of each
         * rounding is the rounding of the least quota (both are
         * monotonic). */
        if (quota_in(d, kind, &here) == COORD__QUOTA_SET) {
            if (found != COORD__QUOTA_SET || here.floor < q->floor)
                q->floor = here.floor;
            if (found != COORD__QUOTA_SET || here.ceil < q->ceil)
                q->ceil = here.ceil;
            found = COORD__QUOTA_SET;
        }
        if (n <= t)
            return found;
        /* Up one level: "/top/a/b" -> "/top/a" -> "/top". */
        size_t k = n;
        while (k > t && d[k - 1] != '/')
            k--;
        n = k > t ? k - 1 : t;
        d[n] = '\0';
    }
}

int coord__cpuquota_find(const char *cgroup, const char *mountinfo,
                         struct coord__cpuquota *q)
{
    struct lines r;
    char path[COORD__CGROUP_PATH_MAX], dir[COORD__CGROUP_PATH_MAX];
    int kind = 0;
    if (!lines_open(&r, cgroup))
        return COORD__QUOTA_NONE;
    for (char *line; (line = lines_next(&r)) != NULL;) {
        const char *p;
        int k = coord__cgroup_line(line, &p);
        /* A v1 cpu hierarchy holds the controller; v2 only without one. */
        if (k && (k == COORD__CGROUP_V1 || kind == 0) &&
            strlen(p) < sizeof path) {
            memcpy(path, p, strlen(p) + 1);
            kind = k;
        }
    }
    lines_close(&r);
    if (!kind || !lines_open(&r, mountinfo))
        return COORD__QUOTA_NONE;
    /* The first mount of that hierarchy that shows our cgroup. */
    char top[COORD__CGROUP_PATH_MAX];
    bool found = false;
    for (char *line; !found && (line = lines_next(&r)) != NULL;) {
        char *root, *point;
        if (coord__cgroup_mount(line, kind, &root, &point) &&
            coord__cgroup_dir(point, root, path, dir, sizeof dir) >= 0 &&
            strlen(point) < sizeof top) {
            memcpy(top, point, strlen(point) + 1);
            found = true;
        }
    }
    lines_close(&r);
    return found ? coord__cpuquota_walk(top, dir, kind, q) : COORD__QUOTA_NONE;
}

int coord__cpuquota_self(struct coord__cpuquota *q)
{
    return coord__cpuquota_find("/proc/self/cgroup", "/proc/self/mountinfo",
                                q);
}
