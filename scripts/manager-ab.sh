#!/usr/bin/env bash
# manager-ab.sh: the manager's spin gate, two versions side by side (issue 12, item 3).
#
#   scripts/manager-ab.sh BASE NEW [OUTDIR]
#
# BASE and NEW are git revisions of this repository (commit ids, branches).
# Each is exported (git archive) and built (RelWithDebInfo, the default) under
# OUTDIR (default /tmp/manager-ab), with peer-bench's mgrlat
# (PEER_BENCH=, default /work/shared/peer-bench). Then, ROUNDS times, BASE then
# NEW, each under `timeout`, with nothing added beside them (pass "plain"):
#   mgrlat --clients $CLIENTS --secs $SECS        p50 per get and aggregate gets/s
#   coord_bench manager --clients $CLIENTS ...    aggregate ns per get, spin and _block
# and with two busy loops (`yes > /dev/null`, twice) beside them (pass "busy"):
#   mgrlat --clients 1,2 (spinning) and mgrlat --block (both ends sleep at once)
#   coord_bench manager --clients 1,2             its _block rows are the sleeping case
# Every line of output is tagged with the version, the round and the load
# average at its start; results.txt holds them all, summary.txt the medians.
# Environment: ROUNDS (3), SECS (0.5), CLIENTS (1,2,4,8,16), BENCH_SECONDS (2),
# BENCH_RUNS (3), BUSY (1: run the busy-loop pass; 0: skip it), JOBS (2).
set -eu
[ $# -ge 2 ] || { echo "usage: scripts/manager-ab.sh BASE NEW [OUTDIR]" >&2; exit 2; }
base=$1 new=$2 out=${3:-/tmp/manager-ab}
rounds=${ROUNDS:-3} secs=${SECS:-0.5} clients=${CLIENTS:-1,2,4,8,16}
bsecs=${BENCH_SECONDS:-2} bruns=${BENCH_RUNS:-3} busy=${BUSY:-1} jobs=${JOBS:-2}
peer=${PEER_BENCH:-/work/shared/peer-bench}
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/ab-dir.sh"
out=$(ab_own_dir manager-ab "$out" "give OUTDIR") || exit 2
# BASE and NEW are revisions of this source tree's own git checkout.
ab_own_checkout manager-ab.sh "$repo" "BASE and NEW must be git revisions of one" || exit 2
res=$out/results.txt
: >"$res"

build() { # build TAG REV
    local dir=$out/$1
    rm -rf "$dir" && mkdir -p "$dir"
    git -C "$repo" archive "$2" | tar -x -C "$dir"
    cmake -S "$dir" -B "$dir/build" >/dev/null
    cmake --build "$dir/build" -j"$jobs" --target coord_bench coord_static >"$out/build-$1.log" 2>&1 ||
        cmake --build "$dir/build" -j"$jobs" >>"$out/build-$1.log" 2>&1
    make -s -C "$peer" COORD="$dir" BUILD="$dir/build" "$dir/build/peer-bench/mgrlat" >>"$out/build-$1.log" 2>&1
    echo "$1 = $2 ($(git -C "$repo" rev-parse --short "$2"))" >>"$out/versions.txt"
}
: >"$out/versions.txt"
build base "$base"
build new "$new"

load() { cut -d' ' -f1-4 /proc/loadavg; }
# run TAG ROUND PASS CMD...: one measurement, each output line tagged.
run() {
    local tag=$1 round=$2 pass=$3
    shift 3
    local l
    l=$(load)
    timeout 300 "$@" 2>&1 | sed "s|^|$tag round=$round pass=$pass load=[$l] |" | tee -a "$res"
}

measure() { # measure PASS ROUND
    for tag in base new; do
        local b=$out/$tag/build
        if [ "$1" = plain ]; then
            run $tag "$2" "$1" "$b/peer-bench/mgrlat" --clients "$clients" --secs "$secs"
            run $tag "$2" "$1" "$b/coord_bench" manager --clients "$clients" --seconds "$bsecs" --runs "$bruns"
        else
            run $tag "$2" "$1" "$b/peer-bench/mgrlat" --clients 1,2 --secs "$secs"
            run $tag "$2" "$1" "$b/peer-bench/mgrlat" --clients 1,2 --secs "$secs" --block
            run $tag "$2" "$1" "$b/coord_bench" manager --clients 1,2 --seconds "$bsecs" --runs "$bruns"
        fi
    done
}

for r in $(seq 1 "$rounds"); do measure plain "$r"; done

if [ "$busy" = 1 ]; then
    pids=()
    stop_busy() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
    trap stop_busy EXIT
    for _ in 1 2; do
        yes >/dev/null &
        pids+=($!)
    done
    for r in $(seq 1 "$rounds"); do measure busy "$r"; done
    stop_busy
    trap - EXIT
fi

# The medians over the rounds: mgrlat's p50 and aggregate gets/s per client
# count, and coord_bench's rows (its own median of --runs, then the median of
# the rounds).
python3 - "$res" >"$out/summary.txt" <<'EOF'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    tag = line.split()[0]
    pas = re.search(r"pass=(\w+)", line).group(1)
    m = re.search(r"coord(_block)? clients=(\d+) ok=1 .*p50_ns=(\d+) .*agg_gets_per_s=(\d+)", line)
    if m:
        k = (pas, "mgrlat%s" % (m.group(1) or ""), int(m.group(2)))
        rows.setdefault(k, {}).setdefault(tag, []).append((int(m.group(3)), int(m.group(4))))
        continue
    m = re.search(r"bench=manager case=clients(\d+)_get_aggregate(_block)? ns_op_p50=([\d.]+)", line)
    if m:
        k = (pas, "bench" + (m.group(2) or ""), int(m.group(1)))
        rows.setdefault(k, {}).setdefault(tag, []).append((float(m.group(3)), 1e9 / float(m.group(3))))
print("%-5s %-13s %7s | %12s %12s | %14s %14s" % ("pass", "what", "clients", "base p50/ns", "new p50/ns", "base gets/s", "new gets/s"))
for k in sorted(rows):
    v = rows[k]
    def med(tag, i):
        xs = [x[i] for x in v.get(tag, [])]
        return "%.0f" % statistics.median(xs) if xs else "-"
    p50b = med("base", 0) if k[1].startswith("mgrlat") else "-"
    p50n = med("new", 0) if k[1].startswith("mgrlat") else "-"
    print("%-5s %-13s %7d | %12s %12s | %14s %14s" % (k[0], k[1], k[2], p50b, p50n, med("base", 1), med("new", 1)))
# The steadier measure of how the aggregate holds up with many clients: the
# most clients' aggregate over 1 client's in the same mgrlat run (the host's
# state changes between runs more than within one), per round, and its median.
runs = {}
for line in open(sys.argv[1]):
    if "pass=plain" not in line:
        continue
    m = re.search(r"^(\w+) round=(\d+) .*coord clients=(\d+) ok=1 .*agg_gets_per_s=(\d+)", line)
    if m:
        runs.setdefault((m.group(1), int(m.group(2))), {})[int(m.group(3))] = int(m.group(4))
for tag in ("base", "new"):
    rs = []
    for (t, r), agg in sorted(runs.items()):
        if t == tag and 1 in agg and len(agg) > 1:
            rs.append(agg[max(agg)] / agg[1])
            most = max(agg)
    if rs:
        print("%s: %d-client / 1-client aggregate in the same run, per round: %s; median %.2f" %
              (tag, most, " ".join("%.2f" % x for x in rs), statistics.median(rs)))
EOF
cat "$out/summary.txt"
