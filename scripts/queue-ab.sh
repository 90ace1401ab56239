#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# queue-ab.sh BASE NEW: two versions of the queue side by side: callgrind instructions per
# put + get (exact), then `coord_bench queue` alternated BASE, NEW, BASE, NEW ... (medians).
#
# BASE and NEW are git revisions of this repository (a commit, a branch, HEAD) or WORK for the
# working tree as it is. Each is exported with `git archive` (WORK: copied) into
# $AB_DIR/<name>/src and built Release there, -j$(nproc), so the two are built the same way.
#
# Environment (all optional):
#   AB_DIR=DIR       where the trees and builds go (default /tmp/queue-ab)
#   AB_ROUNDS=N      alternations (default 5)
#   AB_ARGS="..."    the coord_bench arguments (default: the 2-core regression check,
#                    queue --producers 1,2,4 --consumers 1,2,4 --size 8 --seconds 2 --runs 3)
#   AB_CALLGRIND=0   skip the instruction count (it needs valgrind)
#   AB_IR=batch      count a manager batch of 100 gets instead of a queue put + get: the
#                    client's and the server's instructions per get, each process apart
#                    (with AB_ARGS="manager --seconds 2 --runs 3" for the timings)
#   AB_REUSE=1       reuse the two builds already in $AB_DIR (run the rounds again)
# Output: the per-round rows in $AB_DIR/rounds.txt, and on stdout the load before and after, the
# instructions per put + get of each, and one line per case:
#   case  BASE-median  NEW-median  NEW/BASE   (ns per message: the median of the rounds' p50s)
# Needs bash, git, cmake, a C compiler, awk; valgrind for the instruction count.
set -eu
if [ $# -ne 2 ]; then
  echo "usage: scripts/queue-ab.sh BASE NEW   (git revisions, or WORK for the working tree)" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${AB_DIR:-/tmp/queue-ab}
rounds=${AB_ROUNDS:-5}
args=${AB_ARGS:-queue --producers 1,2,4 --consumers 1,2,4 --size 8 --seconds 2 --runs 3}
jobs=$(nproc 2>/dev/null || echo 2)
. "$root/scripts/ab-dir.sh"
dir=$(ab_own_dir queue-ab "$dir" "set AB_DIR") || exit 2
# BASE and NEW are revisions of this source tree's own git checkout.
ab_own_checkout queue-ab.sh "$root" "BASE and NEW (WORK too) need one" || exit 2

# build NAME REV: the tree of REV in $dir/NAME/src, built Release in $dir/NAME/build.
build() {
  local name=$1 rev=$2 src=$dir/$1/src
  rm -rf "$dir/$name"
  mkdir -p "$src"
  ab_export "$root" "$rev" "$src"
  cmake -S "$src" -B "$dir/$name/build" -DCMAKE_BUILD_TYPE=Release > "$dir/$name/cmake.log"
  cmake --build "$dir/$name/build" -j"$jobs" --target coord_bench coord_static \
    > "$dir/$name/build.log" 2>&1 ||
    cmake --build "$dir/$name/build" -j"$jobs" >> "$dir/$name/build.log" 2>&1
}

if [ "${AB_REUSE:-0}" = 1 ] && [ -x "$dir/base/build/coord_bench" ] &&
  [ -x "$dir/new/build/coord_bench" ]; then
  echo "reusing the builds in $dir"
else
  build base "$1"
  build new "$2"
fi
echo "base: $1 ($(git -C "$root" rev-parse --short "$1" 2>/dev/null || echo work tree))"
echo "new:  $2 ($(git -C "$root" rev-parse --short "$2" 2>/dev/null || echo work tree))"
echo "load before: $(cat /proc/loadavg)"

# Instructions per put + get: N pairs with timeout 0 in one process, linked statically; the
# difference between N = 20,000 and N = 10,000, over 10,000, removes start-up and setup.
if [ "${AB_CALLGRIND:-1}" != 0 ] && command -v valgrind > /dev/null &&
  [ "${AB_IR:-queue}" = queue ]; then
  cat > "$dir/cg.c" << 'EOF'
#include <stdlib.h>
#include <coord.h>
int main(int argc, char **argv)
{
    long n = atol(argv[1]);
    coord_queue *q;
    if (coord_queue_create(&q, 64, 8) != 0)
        return 1;
    for (long i = 0; i < n; i++) {
        long x = i, y;
        size_t len;
        if (coord_queue_put(q, &x, 8, 0) != 0 ||
            coord_queue_get(q, &y, 8, &len, 0) != 0 || y != i)
            return 1;
    }
    coord_queue_destroy(q);
    return 0;
}
EOF
  for v in base new; do
    cc -O2 -I"$dir/$v/src/include" -I"$dir/$v/build/include" "$dir/cg.c" \
      "$dir/$v/build/libcoord.a" -lpthread -o "$dir/$v/cg"
    ir() {
      valgrind --tool=callgrind --callgrind-out-file=/dev/null "$dir/$v/cg" "$1" 2>&1 |
        awk '/Collected/ {print $NF}'
    }
    a=$(ir 10000)
    b=$(ir 20000)
    echo "callgrind $v: $(( (b - a) / 10000 )) instructions per put + get"
  done
fi

if [ "${AB_CALLGRIND:-1}" != 0 ] && command -v valgrind > /dev/null &&
  [ "${AB_IR:-queue}" = batch ]; then
  # N batches of 100 gets of one key, client and server in their own processes; the
  # difference between N = 2,200 and N = 200, over 200,000 gets, removes start-up and setup.
  cat > "$dir/cgb.c" << 'EOF'
#include <stdlib.h>
#include <coord.h>
int main(int argc, char **argv)
{
    long n = atol(argv[1]);
    coord_manager *m;
    coord_mclient *c;
    coord_mval seven = coord_mval_i64(7);
    coord_mreq q[100] = {{0}};
    if (coord_manager_start(&m, NULL, NULL) != 0 ||
        coord_mclient_connect(&c, coord_manager_path(m), 5000) != 0 ||
        coord_mclient_set(c, "d", "k", &seven, 5000) != 0)
        return 1;
    for (int k = 0; k < 100; k++) {
        q[k].op = COORD_MOP_GET;
        q[k].name = "d";
        q[k].key = "k";
    }
    for (long i = 0; i < n; i++)
        if (coord_mclient_batch(c, q, 100, 5000) != 0 || q[99].result.i != 7)
            return 1;
    coord_mclient_close(c);
    return coord_manager_stop(m, 5000) != 0;
}
EOF
  for v in base new; do
    cc -O2 -I"$dir/$v/src/include" -I"$dir/$v/build/include" "$dir/cgb.c" \
      "$dir/$v/build/libcoord.a" -lpthread -o "$dir/$v/cgb"
    # The client's own work (coord_mclient_batch less the round trip's
    # waiting) and the server's (coord__mstore_exec), each inclusive: the
    # processes' totals would count their spins too, which vary.
    irb() {
      rm -rf "$dir/$v/cgout"
      mkdir -p "$dir/$v/cgout"
      valgrind --tool=callgrind --trace-children=yes \
        --callgrind-out-file="$dir/$v/cgout/%p" "$dir/$v/cgb" "$1" > /dev/null 2>&1
      for f in "$dir/$v/cgout"/*; do
        callgrind_annotate --inclusive=yes "$f" 2> /dev/null
      done | awk '{ gsub(",", "", $1) }
        / [^ ]*:coord_mclient_batch / { b = $1 }
        / [^ ]*:coord__mcli_roundtrip / { t = $1 }
        / [^ ]*:coord__mstore_exec / { s = $1 }
        END { print b - t, s }'
    }
    read -r ca sa <<< "$(irb 200)"
    read -r cb sb <<< "$(irb 2200)"
    echo "callgrind $v: a batched get: client $(( (cb - ca) / 200000 )), server" \
      "$(( (sb - sa) / 200000 )) instructions (coord_mclient_batch less its" \
      "round trip; coord__mstore_exec)"
  done
fi

: > "$dir/rounds.txt"
for r in $(seq 1 "$rounds"); do
  for v in base new; do
    # shellcheck disable=SC2086
    "$dir/$v/build/coord_bench" $args 2>&1 | grep '^bench=' |
      sed "s/^/round=$r side=$v /" >> "$dir/rounds.txt"
  done
done
echo "load after: $(cat /proc/loadavg)"
echo "case  base  new  new/base   (ns per message, median over $rounds rounds of the p50)"
awk '
  { for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    k = f["case"]; if (!(k in seen)) { seen[k] = 1; order[++n] = k }
    v[k, f["side"], ++c[k, f["side"]]] = f["ns_op_p50"] }
  function med(k, s,   m, i, j, t, a) {
    m = c[k, s]; for (i = 1; i <= m; i++) a[i] = v[k, s, i]
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 }
  END { for (i = 1; i <= n; i++) { k = order[i]; b = med(k, "base"); w = med(k, "new")
          printf "%-22s %9.1f %9.1f  %5.2f\n", k, b, w, (b > 0 ? w / b : 0) } }
' "$dir/rounds.txt"
