/* SPDX-License-Identifier: MIT */
/* advise-cache.c: the per-user cache of the last `coord spectrum` result, which `coord advise` prices mechanisms from. */
#include "advise-cache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <coord.h>

#include "cli.h"
#include "json.h"
#include "launch.h"

#define CACHE_MAX (1 << 20)
/* A quick spectrum takes seconds; only a hung one is killed. */
#define CALIBRATE_TIMEOUT_MS (5 * 60 * 1000)

bool adv_cache_path(char *buf, size_t cap)
{
    const char *x = getenv("XDG_CACHE_HOME");
    int n;
    if (x && x[0] == '/') {
        n = snprintf(buf, cap, "%s/coord/spectrum.json", x);
    } else {
        const char *h = getenv("HOME");
        if (!h || h[0] != '/')
            return false;
        n = snprintf(buf, cap, "%s/.cache/coord/spectrum.json", h);
    }
    return n > 0 && (size_t)n < cap;
}

long long adv_boot_time(void)
{
    return cli_boot_time_s();
}

int adv_cache_write(const struct adv_cache_row *rows, size_t n, bool quick,
                    int runs)
{
    char path[PATH_MAX], why[PATH_MAX + 128];
    if (!adv_cache_path(path, sizeof path))
        return -ENOENT;
    /* The folders are walked as every output path's are (cli_dir_open):
     * made 0700 where missing, and a link on the way that another user
     * owns is refused. Made and followed by name, a link planted where
     * $XDG_CACHE_HOME may be written by others (XDG_CACHE_HOME=/tmp, and
     * /tmp/coord a link to a directory of the victim's) took the file, and
     * the rename replaced the victim's spectrum.json. The file is then
     * replaced whole (cli_output_stream_at), as every output file is. */
    char *slash = strrchr(path, '/');
    *slash = '\0';
    int dir = cli_dir_open_mode(path, true, 0700, why, sizeof why);
    if (dir < 0)
        return dir;
    /* The cache is a file, never a link: one of ours at its name is
     * replaced by the file, not followed (advise reads no link: it
     * calibrated again at every call). Only one of ours: the folder is
     * not checked to be ours alone (an existing one is taken as it is),
     * and another user's link there is theirs, refused below as every
     * output refuses it, never removed. */
    struct stat lst;
    if (fstatat(dir, "spectrum.json", &lst, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISLNK(lst.st_mode) && lst.st_uid == geteuid())
        unlinkat(dir, "spectrum.json", 0);
    struct cli_output out;
    int r;
    FILE *f = cli_output_stream_at(&out, dir, path, "spectrum.json", &r, why,
                                   sizeof why);
    close(dir); /* the output holds its own */
    if (!f)
        return r;
    /* The cache keeps its own schema (ADV_CACHE_SCHEMA): a cost per
     * operation as a fraction of a nanosecond, as adv_costs_from_json
     * reads it. */
    struct jw w;
    jw_init(&w, f);
    jw_object(&w);
    jw_kstr(&w, "schema", ADV_CACHE_SCHEMA);
    jw_kstr(&w, "coord_version", coord_version_string());
    jw_kint(&w, "written_at_s", (long long)time(NULL));
    jw_kint(&w, "boot_time_s", adv_boot_time());
    jw_kbool(&w, "quick", quick);
    jw_kint(&w, "runs", runs);
    jw_karray(&w, "rows");
    for (size_t i = 0; i < n; i++) {
        jw_object(&w);
        jw_kstr(&w, "mechanism", rows[i].mechanism);
        jw_kstr(&w, "impl", rows[i].impl);
        jw_knum(&w, "ns_per_op_p50", rows[i].ns_p50);
        jw_object_end(&w);
    }
    jw_array_end(&w);
    jw_object_end(&w);
    jw_finish(&w);
    /* On disk before it replaces the last one: a crash leaves one of the
     * two whole. */
    r = fflush(f) == 0 && fchmod(fileno(f), 0600) == 0 &&
                fsync(fileno(f)) == 0
            ? 0
            : -errno;
    return cli_output_end(&out, f, r, why, sizeof why);
}

/* The whole file, NUL-terminated (free it), or NULL with why. */
static char *slurp(const char *path, bool fixed, size_t *len, char *why,
                   size_t cap)
{
    /* Non-blocking: a FIFO planted at the path would block the open until
     * a writer came (it is then refused as not a regular file). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (fixed ? 0 : O_NOFOLLOW));
    if (fd < 0) {
        snprintf(why, cap, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    const char *bad = NULL;
    if (fstat(fd, &st) != 0)
        bad = "cannot stat it";
    else if (!S_ISREG(st.st_mode))
        bad = "not a regular file";
    else if (!fixed && st.st_uid != geteuid())
        bad = "owned by another user";
    else if (st.st_size > CACHE_MAX)
        bad = "larger than 1 MiB";
    char *buf = bad ? NULL : malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (buf && got < (size_t)st.st_size) {
        ssize_t k = read(fd, buf + got, (size_t)st.st_size - got);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fd);
    if (bad || !buf) {
        snprintf(why, cap, "%s: %s", path, bad ? bad : "out of memory");
        free(buf);
        return NULL;
    }
    buf[got] = '\0';
    *len = got;
    return buf;
}

bool adv_cache_read(const char *path, bool fixed, struct adv_costs *costs,
                    double *age_s, char *why, size_t cap)
{
    size_t len;
    char *text = slurp(path, fixed, &len, why, cap);
    if (!text)
        return false;
    struct json *j = NULL;
    char err[160];
    int r = json_parse(text, len, &j, err, sizeof err);
    free(text);
    if (r) {
        snprintf(why, cap, "%s is not JSON (%s)", path, err);
        return false;
    }
    bool ok = false;
    const char *schema = json_str(json_get(j, "schema"));
    double at = json_num(json_get(j, "written_at_s"), NAN);
    long long boot = adv_boot_time();
    const char *missing = NULL;
    if (!fixed && (!schema || strcmp(schema, ADV_CACHE_SCHEMA)))
        snprintf(why, cap, "%s: not a spectrum cache (schema)", path);
    else if (!fixed && !isfinite(at))
        snprintf(why, cap, "%s: no written_at_s", path);
    else if (!fixed && boot > 0 && at < (double)boot)
        snprintf(why, cap, "%s is older than the machine's boot", path);
    else if (!adv_costs_from_json(j, costs, &missing))
        snprintf(why, cap, "%s: no valid %s row", path, missing);
    else
        ok = true;
    if (ok)
        *age_s = isfinite(at) ? fmax(0, (double)time(NULL) - at) : -1;
    json_free(j);
    return ok;
}

bool adv_calibrate(struct adv_costs *costs, char *why, size_t cap)
{
    char self[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
    if (k <= 0) {
        snprintf(why, cap, "cannot find the coord binary (/proc/self/exe)");
        return false;
    }
    self[k] = '\0';
    size_t capb = CACHE_MAX + 1;
    char *buf = malloc(capb);
    int rc = -ENOMEM;
    const char *argv[] = {self, "spectrum", "--quick", "--json", NULL};
    struct launch l = {.argv = argv, .timeout_ms = CALIBRATE_TIMEOUT_MS,
                       .out = {.to = LAUNCH_CAPTURE, .buf = buf, .cap = capb},
                       /* its own progress and errors show as they come */
                       .err = {.to = LAUNCH_INHERIT}};
    char lwhy[200] = "out of memory";
    if (buf)
        rc = launch_run(&l, lwhy, sizeof lwhy);
    size_t got = l.out.len;
    int st = l.status;
    bool ok = false;
    if (rc != 0) {
        snprintf(why, cap, "coord spectrum --quick: %s", lwhy);
    } else if (st != 0) {
        snprintf(why, cap, "coord spectrum --quick failed (status %d)", st);
    } else {
        struct json *j = NULL;
        char err[160];
        const char *missing = NULL;
        if (json_parse(buf, got, &j, err, sizeof err) != 0)
            snprintf(why, cap, "coord spectrum printed no JSON (%s)", err);
        else if (!adv_costs_from_json(j, costs, &missing))
            snprintf(why, cap, "coord spectrum gave no %s row", missing);
        else
            ok = true;
        json_free(j);
    }
    free(buf);
    return ok;
}
