/* SPDX-License-Identifier: MIT */
/* advise-cache.h: the per-user cache of the last `coord spectrum` result, which `coord advise` prices mechanisms from. */
#ifndef COORD_CLI_ADVISE_CACHE_H
#define COORD_CLI_ADVISE_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "advise-model.h"

#define ADV_CACHE_SCHEMA "coord.spectrum-cache/1"

/* One measured row to store. */
struct adv_cache_row {
    const char *mechanism;
    const char *impl; /* "coord" | "python" */
    double ns_p50;
};

/*
 * adv_cache_path: $XDG_CACHE_HOME/coord/spectrum.json ($XDG_CACHE_HOME only
 * when absolute), else $HOME/.cache/coord/spectrum.json. Returns false when
 * neither variable gives an absolute path or the path does not fit.
 */
bool adv_cache_path(char *buf, size_t cap);

/* The machine's boot time (btime of /proc/stat, seconds since the epoch),
 * or -1 when unknown. */
long long adv_boot_time(void);

/*
 * adv_cache_write: stores `rows` at adv_cache_path(): creates the folder
 * (0700), writes a temporary file (0600) in it, flushes it to disk and
 * renames it over the old one, so that a reader sees the old or the new
 * file, never a part. Returns 0, or a negative errno (nothing replaced).
 */
int adv_cache_write(const struct adv_cache_row *rows, size_t n, bool quick,
                    int runs);

/*
 * adv_cache_read: reads and checks a spectrum result at `path`: a regular
 * file of this user (or any file when `fixed`, a file the user named), at
 * most 1 MiB, that parses, and (unless `fixed`) has the cache schema and
 * was written after the machine last booted. The file is untrusted:
 * adv_costs_from_json validates every figure. Returns true and fills
 * *costs and *age_s (seconds since written; -1 when the file does not
 * say), or false with the reason in why[cap].
 */
bool adv_cache_read(const char *path, bool fixed, struct adv_costs *costs,
                    double *age_s, char *why, size_t cap);

/*
 * adv_calibrate: runs this coord binary's `spectrum --quick --json` (which
 * also refreshes the cache) and reads its costs from the output. Blocks for
 * a few seconds. Returns true, or false with the reason in why[cap].
 */
bool adv_calibrate(struct adv_costs *costs, char *why, size_t cap);

#endif
