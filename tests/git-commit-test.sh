#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The commit coord_bench's rows name (cmake/git-commit.cmake) and the
# scripts' "commit:" lines are coord's own, or "unknown": a release tarball
# unpacked inside another git repository (a home directory kept in git, a
# packaging repository) named that repository's commit. Needs git.
# Usage: git-commit-test.sh SRC BUILD.
set -u
src=$(cd "$1" && pwd)
command -v git >/dev/null || { echo "SKIP: no git"; exit 77; }
scratch=$(mktemp -d "${TMPDIR:-/tmp}/coord-git-commit-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
g() { git -c user.name=test -c user.email=test@invalid -c init.defaultBranch=main "$@"; }
fail=0
stamp() { # stamp DIR: the commit git-commit.cmake writes for a source tree DIR
  rm -f "$scratch/h"
  cmake -DSRC="$1" -DOUT="$scratch/h" -P "$src/cmake/git-commit.cmake" >/dev/null 2>&1 || echo ERROR
  sed -n 's/^#define COORD_GIT_COMMIT "\(.*\)"$/\1/p' "$scratch/h" 2>/dev/null
}
expect() { # expect WHAT GOT WANT
  [ "$2" = "$3" ] || { echo "FAIL: $1: '$2', not '$3'"; fail=1; }
}
# A tree outside any repository (GIT_CEILING_DIRECTORIES: whatever holds
# the scratch directory is not looked at).
export GIT_CEILING_DIRECTORIES=$scratch
mkdir -p "$scratch/plain/coord"
echo x >"$scratch/plain/coord/file"
expect "a tree outside git" "$(stamp "$scratch/plain/coord")" unknown
# The same tree unpacked inside another repository.
mkdir -p "$scratch/outer"
g -C "$scratch/outer" init -q
echo outer >"$scratch/outer/README"
g -C "$scratch/outer" add README && g -C "$scratch/outer" commit -qm outer
mkdir -p "$scratch/outer/vendor/coord"
echo x >"$scratch/outer/vendor/coord/file"
expect "a tarball inside another repository" "$(stamp "$scratch/outer/vendor/coord")" unknown
# A checkout of its own: its commit, -dirty after an edit of a tracked file.
mkdir -p "$scratch/own"
echo x >"$scratch/own/file"
g -C "$scratch/own" init -q
g -C "$scratch/own" add file && g -C "$scratch/own" commit -qm own
head=$(git -C "$scratch/own" rev-parse --short HEAD)
expect "a checkout" "$(stamp "$scratch/own")" "$head"
ln -s "$scratch/own" "$scratch/own-link"
expect "a checkout reached through a link" "$(stamp "$scratch/own-link")" "$head"
echo y >"$scratch/own/file"
expect "an edited checkout" "$(stamp "$scratch/own")" "$head-dirty"
# scripts/scaling.sh and scripts/peer-link.sh name the commit the same way
# (scripts/git-commit.sh).
for d in "$scratch/plain/coord" "$scratch/outer/vendor/coord" "$scratch/own"; do
  want=$(stamp "$d")
  got=$(bash "$src/scripts/git-commit.sh" "$d")
  expect "scripts/git-commit.sh $d" "$got" "$want"
done
# Another user's checkout, which git refuses to read ("dubious ownership"):
# unknown, and git's words, which say how to allow it (safe.directory), on
# stderr (queue-ab.sh and manager-ab.sh: ab-dir-test.sh). They said
# nothing. Needs root, to give a checkout to another user, and a git with
# that check (2.35.2 or later).
theirs=$scratch/own
if [ "$(id -u)" != 0 ]; then
  echo "note: not root: another user's checkout (git's dubious ownership) not made, that case not run"
elif chmod 755 "$scratch" && chown -R "$(id -u nobody 2>/dev/null || echo 65534)" "$theirs" &&
  ! git -C "$theirs" rev-parse --show-toplevel 2>&1 | grep -q "dubious ownership"; then
  echo "note: this git reads another user's checkout (no safe.directory check): that case not run"
else
  got=$(bash "$src/scripts/git-commit.sh" "$theirs" 2>"$scratch/err")
  expect "scripts/git-commit.sh, another user's checkout" "$got" unknown
  grep -q safe.directory "$scratch/err" ||
    { cat "$scratch/err"; echo "FAIL: scripts/git-commit.sh: git's reason (safe.directory) not passed on"; fail=1; }
  rm -f "$scratch/h"
  cmake -DSRC="$theirs" -DOUT="$scratch/h" -P "$src/cmake/git-commit.cmake" >/dev/null 2>"$scratch/err"
  got=$(sed -n 's/^#define COORD_GIT_COMMIT "\(.*\)"$/\1/p' "$scratch/h" 2>/dev/null)
  expect "cmake/git-commit.cmake, another user's checkout" "$got" unknown
  grep -q safe.directory "$scratch/err" ||
    { cat "$scratch/err"; echo "FAIL: cmake/git-commit.cmake: git's reason (safe.directory) not passed on"; fail=1; }
fi
[ $fail = 0 ] && echo "the commit is coord's own checkout's, or unknown"
exit $fail
