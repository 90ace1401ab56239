#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# git-commit.sh DIR: prints the short commit of the git checkout whose top is
# DIR, with "-dirty" when tracked files differ from it, or "unknown" (no
# git, no checkout, or DIR only lies inside another repository: a release
# tarball unpacked in a home directory kept in git). The same rule as
# cmake/git-commit.cmake, which names the commit in coord_bench's rows.
# A checkout git refuses to read (another user's: "dubious ownership") is
# unknown too, and git's own words, which say how to allow it
# (safe.directory), go to stderr: it was silently unknown.
dir=${1:-.}
if ! top=$(git -C "$dir" rev-parse --show-toplevel 2>/dev/null); then
  why=$(git -C "$dir" rev-parse --show-toplevel 2>&1 >/dev/null)
  case $why in
    *"dubious ownership"*|*safe.directory*)
      echo "git-commit.sh: git will not read $dir, so its commit is unknown: $why" >&2 ;;
  esac
  echo unknown; exit 0
fi
if [ "$(cd "$top" && pwd -P)" != "$(cd "$dir" && pwd -P)" ]; then
  echo unknown; exit 0
fi
c=$(git -C "$dir" rev-parse --short HEAD 2>/dev/null) || { echo unknown; exit 0; }
git -C "$dir" diff --quiet HEAD -- 2>/dev/null || c=$c-dirty
echo "$c"
