/* SPDX-License-Identifier: MIT */
/* datadir.c: where the tool finds its installed data (the Python scripts). */
#include "datadir.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *cli_python_dir(void)
{
    static char dir[4096];
    if (dir[0])
        return dir;
    const char *env = getenv("COORD_PYTHON_DIR");
    if (env && *env) {
        snprintf(dir, sizeof dir, "%s", env);
        return dir;
    }
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            int len = snprintf(dir, sizeof dir, "%s/%s", exe,
                               COORD_PYDIR_FROM_BIN);
            if (len > 0 && (size_t)len < sizeof dir && is_dir(dir))
                return dir;
        }
    }
    snprintf(dir, sizeof dir, "%s", COORD_SOURCE_DIR "/bench/python");
    return dir;
}

const char *cli_build_python_pkg(void)
{
    static char dir[4096];
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    char probe[4200];
    int len = snprintf(dir, sizeof dir, "%.4000s/python", exe);
    if (len <= 0 || (size_t)len >= sizeof dir)
        return NULL;
    snprintf(probe, sizeof probe, "%s/coord/__init__.py", dir);
    return access(probe, R_OK) == 0 ? dir : NULL;
}
