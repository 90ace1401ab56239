#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installed data: the Python comparison scripts install to
# <prefix>/share/coord/python, and the installed `coord` finds them relative
# to its own location. The install tree is moved after installing, and the
# source tree's bench/python is hidden (a private mount namespace lays an
# empty tmpfs over it; nothing is deleted), so only the installed copy can
# serve: `coord spectrum --quick --vs-python --json` must still have its
# Python rows. Usage: install-python-test.sh SRC BUILD. Exit 77 = skipped.
src=$1
build=$2
. "$src/tests/install-lib.sh"
command -v python3 >/dev/null || { echo "SKIP: no python3 (the rows would say 'skipped: no python3')"; exit 77; }
if unshare -m true 2>/dev/null; then
  ns=(unshare -m)
elif unshare -rm true 2>/dev/null; then
  ns=(unshare -rm)
else
  echo "SKIP: cannot make a mount namespace (unshare) to hide the source tree's scripts"; exit 77
fi
unset COORD_PYTHON_DIR
# coord spectrum stores its result in the per-user cache: not the real one.
export XDG_CACHE_HOME="$scratch/cache"
coord_install "$scratch/a"
for f in "$src"/bench/python/*.py; do
  [ -f "$scratch/a/share/coord/python/$(basename "$f")" ] ||
    { echo "FAIL: $(basename "$f") not installed to share/coord/python"; exit 1; }
done
mv "$scratch/a" "$scratch/moved"
"${ns[@]}" bash -c '
  set -eu
  mount -t tmpfs -o size=1m coord-hidden "$1/bench/python"
  [ ! -e "$1/bench/python/spectrum.py" ] || { echo "FAIL: could not hide $1/bench/python"; exit 1; }
  "$2/bin/coord" spectrum --quick --runs 3 --vs-python --json >"$3/spectrum.json"
' hide "$src" "$scratch/moved" "$scratch"
python3 - "$scratch/spectrum.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
py = [r for r in d["rows"] if r.get("impl") == "python"]
if d.get("python") != "ran" or not py:
    sys.exit("FAIL: no Python rows from the installed copy: python=%r" % d.get("python"))
print("installed coord ran %d Python rows (e.g. %s: %.1f ns)"
      % (len(py), py[0]["mechanism"], py[0]["per_op_p50_ps"] / 1000))
PY
