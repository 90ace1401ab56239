#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ir-table.sh REV...: instructions per operation of the hot paths, one column per revision,
# counted by valgrind's callgrind (exact and repeatable on a loaded machine, where timings are
# not): the regression check "nothing gets slower" without a timing benchmark.
#
# Each REV (a commit, a branch, HEAD, or WORK for the working tree as it is) is exported with
# `git archive` (WORK: copied) into $IR_DIR/<n>/src and built Release there, so every column is
# built the same way. A small driver runs N and 2N operations of each path; the difference of
# the two counts over N removes start-up and setup.
#
# Rows (instructions per operation):
#   queue put+get         coord_queue_put + coord_queue_get of 8 bytes, one process
#   queue many/msg        put_many 32 + get_many 32, per message
#   flag is_set loop      a loop's iteration with coord_flag_is_set (the plain loop's beside it)
#   value lock+unlock     coord_value_lock + coord_value_unlock, uncontended
#   value set+get         coord_value_set (takes the lock) + coord_value_get
#   array set+get         coord_array_set + coord_array_get of one element
#   mgr get client/server coord_mclient_get less its round trip's wait / coord__mstore_exec
#                         (each process apart; the client's varies by about 0.2 %)
#   pool submit+result    the parent's coord_pool_submit + coord_pool_result per task, 1
#                         worker, every result in before it is collected (varies about 1 %:
#                         the worker's spin)
#
# Environment (all optional):
#   IR_DIR=DIR     where the trees and builds go (default /tmp/ir-table)
#   IR_REUSE=1     reuse the builds already in $IR_DIR
# Needs bash, git, cmake, a C compiler, valgrind (callgrind_annotate), awk.
set -eu
if [ $# -lt 1 ]; then
  echo "usage: scripts/ir-table.sh REV...   (git revisions, or WORK for the working tree)" >&2
  exit 2
fi
command -v valgrind > /dev/null || { echo "ir-table.sh: needs valgrind" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
. "$root/scripts/ab-dir.sh"
dir=$(ab_own_dir ir-table "${IR_DIR:-/tmp/ir-table}" "set IR_DIR") || exit 2
ab_own_checkout ir-table.sh "$root" "the revisions (WORK too) need one" || exit 2

cat > "$dir/ir.c" << 'EOF'
#include <coord.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static volatile long sink;
static _Atomic long *shared; /* [0]: tasks run, [1]: go */

static void nap(void)
{
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
}

/* The worker holds its first task until every task is queued, so the
 * parent's submits and results never wait. */
static int echo(const void *task, size_t len, void *res, size_t cap,
                size_t *rlen, void *arg)
{
    (void)cap;
    (void)arg;
    while (!atomic_load(&shared[1]))
        nap();
    atomic_fetch_add(&shared[0], 1);
    memcpy(res, task, len);
    *rlen = len;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 9;
    const char *c = argv[1];
    long n = atol(argv[2]);
    coord_scalar s;
    if (!strcmp(c, "queue") || !strcmp(c, "many")) {
        coord_queue *q;
        long x[32], y[32];
        const void *p[32];
        size_t l[32], gl[32], done, got;
        if (coord_queue_create(&q, 64, 8))
            return 1;
        for (int k = 0; k < 32; k++) {
            p[k] = &x[k];
            l[k] = 8;
        }
        for (long i = 0; i < n; i++) {
            if (c[0] == 'q') {
                if (coord_queue_put(q, &i, 8, 0) ||
                    coord_queue_get(q, y, 8, gl, 0) || y[0] != i)
                    return 1;
                continue;
            }
            for (int k = 0; k < 32; k++)
                x[k] = i + k;
            if (coord_queue_put_many(q, p, l, 32, &done, 0) || done != 32 ||
                coord_queue_get_many(q, y, 8, 32, gl, &got, 0) || got != 32 ||
                y[31] != i + 31)
                return 1;
        }
        coord_queue_destroy(q);
    } else if (!strcmp(c, "flag") || !strcmp(c, "plain")) {
        coord_flag *f;
        if (coord_flag_create(&f))
            return 1;
        for (long i = 0; i < n; i++) {
            sink = i;
            if (c[0] == 'f' && coord_flag_is_set(f))
                break;
        }
        coord_flag_destroy(f);
    } else if (!strcmp(c, "lock") || !strcmp(c, "value")) {
        coord_value *v;
        if (coord_value_create(&v, COORD_I64))
            return 1;
        for (long i = 0; i < n; i++) {
            s.i = i;
            if (c[0] == 'l' ? coord_value_lock(v, -1) || coord_value_unlock(v)
                            : coord_value_set(v, s) ||
                                  coord_value_get(v, &s) || s.i != i)
                return 1;
        }
        coord_value_destroy(v);
    } else if (!strcmp(c, "array")) {
        coord_array *a;
        if (coord_array_create(&a, COORD_I64, 16))
            return 1;
        for (long i = 0; i < n; i++) {
            s.i = i;
            if (coord_array_set(a, 5, s) || coord_array_get(a, 5, &s) || s.i != i)
                return 1;
        }
        coord_array_destroy(a);
    } else if (!strcmp(c, "pool")) {
        coord_pool *p;
        coord_pool_opts o;
        coord_pool_opts_init(&o);
        o.workers = 1;
        o.max_task = o.max_result = 8;
        o.queue_capacity = 4096;
        shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (shared == MAP_FAILED || n > 4000 ||
            coord_pool_start(&p, &o, echo, NULL))
            return 1;
        for (long i = 0; i < n; i++)
            if (coord_pool_submit(p, &i, 8, NULL, -1))
                return 1;
        atomic_store(&shared[1], 1);
        while (atomic_load(&shared[0]) < n)
            nap();
        for (long i = 0; i < n; i++) {
            coord_task_result r;
            long y;
            if (coord_pool_result(p, &r, &y, 8, -1) || r.status)
                return 1;
        }
        if (coord_pool_shutdown(p, -1))
            return 1;
        coord_pool_destroy(p);
    } else if (!strcmp(c, "mgr")) {
        coord_manager *m;
        coord_mclient *cl;
        coord_mval seven = coord_mval_i64(7), out;
        if (coord_manager_start(&m, NULL, NULL) ||
            coord_mclient_connect(&cl, coord_manager_path(m), 5000) ||
            coord_mclient_set(cl, "d", "k", &seven, 5000))
            return 1;
        for (long i = 0; i < n; i++)
            if (coord_mclient_get(cl, "d", "k", &out, 5000) || out.i != 7)
                return 1;
        coord_mclient_close(cl);
        return coord_manager_stop(m, 5000) != 0;
    } else {
        return 9;
    }
    return 0;
}
EOF

# build N REV: REV's tree in $dir/N/src, built Release in $dir/N/build, the driver beside.
build() {
  local n=$1 rev=$2 src=$dir/$1/src
  if [ "${IR_REUSE:-0}" = 1 ] && [ -x "$dir/$n/ir" ]; then
    return 0
  fi
  rm -rf "${dir:?}/$n"
  mkdir -p "$src"
  ab_export "$root" "$rev" "$src"
  cmake -S "$src" -B "$dir/$n/build" -DCMAKE_BUILD_TYPE=Release -DCOORD_PYTHON=OFF \
    > "$dir/$n/cmake.log"
  cmake --build "$dir/$n/build" -j"$jobs" --target coord_static > "$dir/$n/build.log" 2>&1
  cc -O2 -I"$src/include" -I"$dir/$n/build/include" "$dir/ir.c" "$dir/$n/build/libcoord.a" \
    -lpthread -o "$dir/$n/ir"
}

# total N CASE K: the whole process's count of K operations.
total() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$dir/$1/ir" "$2" "$3" 2>&1 |
    awk '/Collected/ { print $NF }'
}

# inclusive N CASE K SPEC: the sum over the processes of the named functions' inclusive
# counts, SPEC "+f -g ..." (callgrind_annotate; static functions too).
inclusive() {
  local out=$dir/$1/cg-$2
  rm -rf "$out"
  mkdir -p "$out"
  valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$out/%p" \
    "$dir/$1/ir" "$2" "$3" > /dev/null 2>&1
  for f in "$out"/*; do
    callgrind_annotate --inclusive=yes --threshold=100 "$f" 2> /dev/null
  done | awk -v spec="$4" '
    BEGIN { k = split(spec, part, " ") }
    { gsub(",", "", $1)
      for (i = 1; i <= k; i++) if (index($0, ":" substr(part[i], 2) " ")) v[i] += $1 }
    END { for (i = 1; i <= k; i++) s += (substr(part[i], 1, 1) == "-" ? -v[i] : v[i])
          print s }'
}

# per N ROW: instructions per operation of ROW in build N.
per() {
  local a b
  case $2 in
    queue | flag | plain | lock | value | array)
      a=$(total "$1" "$2" 10000); b=$(total "$1" "$2" 20000)
      awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", (b - a) / 10000 }' ;;
    many)
      a=$(total "$1" many 1000); b=$(total "$1" many 2000)
      awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", (b - a) / 32000 }' ;;
    pool)
      a=$(inclusive "$1" pool 200 "+coord_pool_submit +coord_pool_result")
      b=$(inclusive "$1" pool 1200 "+coord_pool_submit +coord_pool_result")
      awk -v a="$a" -v b="$b" 'BEGIN { printf "%.0f", (b - a) / 1000 }' ;;
    mgr-client | mgr-server)
      local spec="+coord_mclient_get -coord__mcli_roundtrip"
      [ "$2" = mgr-server ] && spec="+coord__mstore_exec"
      a=$(inclusive "$1" mgr 200 "$spec"); b=$(inclusive "$1" mgr 2200 "$spec")
      awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", (b - a) / 2000 }' ;;
  esac
}

i=0
names=()
for rev in "$@"; do
  i=$((i + 1))
  build "$i" "$rev"
  names+=("$(git -C "$root" rev-parse --short "$rev" 2> /dev/null || echo "$rev")")
done
printf '%-22s' "instructions per op"
printf ' %16s' "${names[@]}"
echo
for row in queue many flag plain lock value array mgr-client mgr-server pool; do
  case $row in
    queue) label="queue put+get 8 B" ;;
    many) label="queue many, a msg" ;;
    flag) label="flag is_set loop" ;;
    plain) label="plain loop" ;;
    lock) label="value lock+unlock" ;;
    value) label="value set+get" ;;
    array) label="array set+get" ;;
    mgr-client) label="mgr get, client" ;;
    mgr-server) label="mgr get, server" ;;
    pool) label="pool submit+result" ;;
  esac
  printf '%-22s' "$label"
  for n in $(seq 1 "$i"); do
    printf ' %16s' "$(per "$n" "$row")"
  done
  echo
done
