#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# git-commit.sh DIR: prints the short commit of the git checkout whose top is
# DIR, with "-dirty" when tracked files differ from it, or "unknown" (no
# git, no checkout, or DIR only lies inside another repository: a release
# tarball unpacked in a home directory kept in git). The same rule as
# cmake/git-commit.cmake, which names the commit in coord_bench's rows.
dir=${1:-.}
top=$(git -C "$dir" rev-parse --show-toplevel 2>/dev/null) || { echo unknown; exit 0; }
if [ "$(cd "$top" && pwd -P)" != "$(cd "$dir" && pwd -P)" ]; then
  echo unknown; exit 0
fi
c=$(git -C "$dir" rev-parse --short HEAD 2>/dev/null) || { echo unknown; exit 0; }
git -C "$dir" diff --quiet HEAD -- 2>/dev/null || c=$c-dirty
echo "$c"
