#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/queue-ab.sh and scripts/manager-ab.sh put their trees, builds and
# results under a fixed name in /tmp by default (/tmp/queue-ab,
# /tmp/manager-ab), and are often run as root: a directory another user
# made there, or a link of theirs, must be refused, not written through
# (root removed DIR/base and truncated DIR/results.txt in the link's
# target). Needs root, to make another user's directory and link.
# Usage: ab-dir-test.sh SRC BUILD.
set -u
src=$(cd "$1" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (another user's directory and link)"; exit 77; }
command -v git >/dev/null || { echo "SKIP: no git"; exit 77; }
scratch=$(mktemp -d "${TMPDIR:-/tmp}/coord-ab-dir-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
chmod 755 "$scratch"
other=$(id -u nobody 2>/dev/null || echo 65534)
fail=0
fill() { # fill DIR: a base/ and a results.txt that must stay as they are
  mkdir -p "$1/base"
  echo precious >"$1/base/keep"
  echo precious >"$1/results.txt"
}
intact() {
  [ "$(cat "$1/base/keep" 2>/dev/null)" = precious ] &&
    [ "$(cat "$1/results.txt" 2>/dev/null)" = precious ]
}
mkdir "$scratch/victim"
ln -s "$scratch/victim" "$scratch/link"
chown -h "$other" "$scratch/link"
mkdir "$scratch/theirs"
# "link/" and "link/." (a shell's completion adds the slash) lead through
# the link before [ -L ] looks: they were let through, and written through.
for d in theirs link link/ link/.; do
  for s in queue-ab manager-ab; do
    fill "$scratch/victim"; fill "$scratch/theirs"; chown -R "$other" "$scratch/theirs"
    if [ $s = queue-ab ]; then
      (cd "$src" && AB_DIR="$scratch/$d" AB_CALLGRIND=0 timeout 60 bash scripts/queue-ab.sh nosuchrev nosuchrev) \
        >"$scratch/out" 2>&1
    else
      (cd "$src" && timeout 60 bash scripts/manager-ab.sh nosuchrev nosuchrev "$scratch/$d") \
        >"$scratch/out" 2>&1
    fi
    rc=$?
    t=$scratch/theirs; [ $d != theirs ] && t=$scratch/victim
    intact "$t" || { echo "FAIL: $s wrote through $d (another user's)"; fail=1; }
    [ $rc = 2 ] && grep -q "is not a directory of yours" "$scratch/out" ||
      { cat "$scratch/out"; echo "FAIL: $s with $d (another user's): exit $rc, not refused"; fail=1; }
  done
done
# The uses the check must let through: a directory not made yet, our own
# one reached through our own link (with the slash too), and for queue-ab
# a relative AB_DIR. Each then stops at the missing revision, not at the
# check.
mkdir "$scratch/mine"
ln -s "$scratch/mine" "$scratch/mylink"
for d in new/sub mylink mylink/ rel; do
  for s in queue-ab manager-ab; do
    [ $d = rel ] && [ $s = manager-ab ] && continue
    if [ $s = queue-ab ]; then
      w=$scratch/$d; [ $d = rel ] && w=rel
      (cd "$scratch" && AB_DIR="$w" AB_CALLGRIND=0 timeout 60 bash "$src/scripts/queue-ab.sh" nosuchrev nosuchrev) \
        >"$scratch/out" 2>&1
    else
      (cd "$src" && timeout 60 bash scripts/manager-ab.sh nosuchrev nosuchrev "$scratch/$d") \
        >"$scratch/out" 2>&1
    fi
    if grep -q "is not a directory of yours" "$scratch/out"; then
      cat "$scratch/out"; echo "FAIL: $s refused $d (ours)"; fail=1
    fi
  done
done
# A source tree that is no git checkout of its own (a release tarball, here
# one unpacked inside another repository): both scripts say so, exit 2,
# and export nothing of the repository around it.
mkdir -p "$scratch/outer/coord/scripts"
git -C "$scratch/outer" init -q
cp "$src"/scripts/queue-ab.sh "$src"/scripts/manager-ab.sh "$src"/scripts/ab-dir.sh \
  "$scratch/outer/coord/scripts/"
for s in queue-ab manager-ab; do
  if [ $s = queue-ab ]; then
    (cd "$scratch" && AB_DIR="$scratch/t-$s" timeout 60 bash outer/coord/scripts/$s.sh HEAD HEAD)
  else
    (cd "$scratch/outer" && timeout 60 bash coord/scripts/$s.sh HEAD HEAD "$scratch/t-$s")
  fi >"$scratch/out" 2>&1
  rc=$?
  [ $rc = 2 ] && grep -q "is not a git checkout" "$scratch/out" ||
    { cat "$scratch/out"; echo "FAIL: $s outside a git checkout of its own: exit $rc, not said"; fail=1; }
done
# A checkout of another user's, which git refuses to read ("dubious
# ownership"): both scripts pass on git's words (how to allow it), not
# "is not a git checkout". Skipped where git has no such check (< 2.35.2).
mkdir -p "$scratch/owned/scripts"
git -C "$scratch/owned" init -q
cp "$src"/scripts/queue-ab.sh "$src"/scripts/manager-ab.sh "$src"/scripts/ab-dir.sh \
  "$scratch/owned/scripts/"
chown -R "$other" "$scratch/owned"
if git -C "$scratch/owned" rev-parse --show-toplevel 2>&1 | grep -q "dubious ownership"; then
  for s in queue-ab manager-ab; do
    if [ $s = queue-ab ]; then
      (cd "$scratch" && AB_DIR="$scratch/o-$s" timeout 60 bash owned/scripts/$s.sh HEAD HEAD)
    else
      (cd "$scratch" && timeout 60 bash owned/scripts/$s.sh HEAD HEAD "$scratch/o-$s")
    fi >"$scratch/out" 2>&1
    rc=$?
    [ $rc = 2 ] && grep -q "safe.directory" "$scratch/out" ||
      { cat "$scratch/out"; echo "FAIL: $s in another user's checkout: exit $rc, git's reason not passed on"; fail=1; }
  done
else
  echo "note: this git reads another user's checkout (no safe.directory check): that case not run"
fi
[ -d "$scratch/new/sub" ] && [ -d "$scratch/rel" ] ||
  { echo "FAIL: a work directory not made yet was not made"; fail=1; }
[ $fail = 0 ] && echo "queue-ab.sh and manager-ab.sh refuse another user's directory or link"
exit $fail
