/* SPDX-License-Identifier: MIT */
/* datadir.h: where the tool finds its installed data (the Python scripts). */
#ifndef COORD_CLI_DATADIR_H
#define COORD_CLI_DATADIR_H

/*
 * cli_python_dir: the folder holding the Python comparison scripts
 * (bench/python/ in the source tree, <prefix>/share/coord/python when
 * installed). In order: $COORD_PYTHON_DIR when set and not empty; the
 * installed folder relative to this executable (/proc/self/exe, so a
 * moved install tree still works); the source tree's bench/python (the
 * build tree's fallback). When none exists the last is returned, and the
 * caller reports its scripts as not found. Concurrency: the first call
 * fills a static buffer; call it from one thread. Never NULL.
 */
const char *cli_python_dir(void);

/* The Python package built beside this coord binary (<its dir>/python, as
 * in a build tree), or NULL when there is none: the package that matches
 * this build, handed to the Python scripts as COORD_BUILD_PYTHON so they do
 * not import a stale one from another build. */
const char *cli_build_python_pkg(void);

#endif
