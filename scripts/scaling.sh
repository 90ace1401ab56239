#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scaling.sh OUTDIR: the scaling benchmarks of issue 12 on one machine, in one sitting.
#
# Builds coord (Release, -j$(nproc)) and runs, each step under `timeout`:
#   queue    producers x consumers 1,2,4,8 x 1,2,4,8, 8-byte and 64-byte messages (1->1 included);
#            1,4,16,64 sleeping consumers fed one message at a time
#   pool     workers 1,2,4,8,15: map and streaming
#   manager  clients 1,2,4,8,16,32 (32: more clients than member slots, so turns) (coord_bench, with
#            its stall rows, and peer-bench mgrlat when it builds); 64 and 1,024 idle connections
#   search   workers 1,2,4,8,15, one-shot and persistent (Example 27.1's shape)
#   primes   coord primes --vs-python --json (Example 27.1, fork-to-join and persistent)
#   peers    peer-bench qpeer (coord_queue beside Concurrency Kit's ck_ring) and poolbench
# and writes at most 8 files into OUTDIR:
#   system.txt queue.txt pool.txt manager.txt search.txt primes.json peers.txt run.log
# Needs only bash, gcc, cmake, make and python3 (for the Python side of primes); no network.
#
# Environment:
#   SCALING_QUICK=1   tiny settings (a smoke test of the script: seconds, not minutes)
#   SCALING_BUILD=DIR the build directory (default build-scaling in the checkout)
#   PEER_BENCH=DIR    the peer-bench sources (default: shared/peer-bench in or beside the
#                     checkout, or /work/shared/peer-bench); skipped with a message when absent
#   QPEER=PATH        a qpeer binary built elsewhere (e.g. linked statically where Concurrency
#                     Kit's headers are installed), used when qpeer cannot be built here
#   MGRLAT=PATH, POOLBENCH=PATH  the same for mgrlat and poolbench
#   Without these, statically linked copies in build-peer/ of the checkout (an ignored folder,
#   made where peer-bench builds, by scripts/peer-link.sh) are used when present; their coord
#   side is that of the commit they were linked against, which run.log names.
# The budget: about 6-8 minutes on a 16-core machine (build included); every step has its own
# timeout, and a step that fails or times out is reported in run.log and the rest go on.
set -u
if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: scripts/scaling.sh OUTDIR" >&2
  exit 2
fi
out=$1
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out" || { echo "scaling.sh: cannot create $out" >&2; exit 2; }
out=$(cd "$out" && pwd)
bd=${SCALING_BUILD:-$root/build-scaling}
jobs=$(nproc 2>/dev/null || echo 2)
log=$out/run.log
: > "$log"
quick=${SCALING_QUICK:-0}

say() { echo "scaling.sh: $*" | tee -a "$log" >&2; }

# step NAME SECONDS OUTFILE CMD...: run CMD under timeout, append its stdout to OUTFILE and a
# header with the command, the load and the outcome to both.
step() {
  local name=$1 secs=$2 file=$3
  shift 3
  local t0 rc
  t0=$(date +%s.%N)
  # A .json file stays one JSON document: its header goes to run.log only.
  local hdr=$file
  case $file in *.json) hdr=/dev/null ;; esac
  {
    echo "# $name: $*"
    echo "# load: $(cat /proc/loadavg 2>/dev/null)"
  } | tee -a "$log" >> "$hdr"
  timeout --kill-after=10 "$secs" "$@" >> "$file" 2>> "$log"
  rc=$?
  local dt
  dt=$(python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" \
       "$t0" "$(date +%s.%N)" 2>/dev/null || echo "?")
  case $rc in
    0) say "$name: ok (${dt} s)" ;;
    124|137) say "$name: TIMED OUT after $secs s (partial output kept)"; echo "# TIMED OUT" >> "$hdr" ;;
    *) say "$name: FAILED (exit $rc, ${dt} s)"; echo "# FAILED: exit $rc" >> "$hdr" ;;
  esac
  return 0
}

if [ "$quick" = 1 ]; then
  sides=1,2; sizes="8"; qsecs=1; workers=1,2; clients=1,2; runs=3; psecs=1; prange=20000
  mgr_secs=0.2; qpeer_cases=1x1,1x2; qpeer_secs=0.1
else
  sides=1,2,4,8; sizes="8 64"; qsecs=16; workers=1,2,4,8,15; clients=1,2,4,8,16,32; runs=5
  psecs=8; prange=100000; mgr_secs=1; qpeer_cases=1x1,1x2,1x4,2x2,4x4,8x8; qpeer_secs=0.5
fi

# ---- the machine --------------------------------------------------------------------------
{
  echo "# scaling.sh $(date -u +%Y-%m-%dT%H:%M:%SZ) quick=$quick"
  echo "commit: $(bash "$root/scripts/git-commit.sh" "$root")"
  echo "nproc: $(nproc 2>/dev/null)"
  echo "loadavg: $(cat /proc/loadavg 2>/dev/null)"
  echo "kernel: $(uname -srm)"
  echo "gcc: $(gcc --version 2>/dev/null | head -1)"
  echo "python3: $(python3 --version 2>&1)"
  echo "## lscpu"
  lscpu 2>/dev/null || echo "(no lscpu)"
} > "$out/system.txt"

# ---- build --------------------------------------------------------------------------------
say "building Release into $bd with -j$jobs"
if ! timeout 300 cmake -S "$root" -B "$bd" -DCMAKE_BUILD_TYPE=Release -DCOORD_MPI=OFF \
       >> "$log" 2>&1 ||
   ! timeout 300 cmake --build "$bd" -j"$jobs" >> "$log" 2>&1; then
  say "BUILD FAILED (see the end of $log)"
  exit 1
fi
say "build ok"
bench=$bd/coord_bench
coord=$bd/coord

# ---- coord's own benchmarks ----------------------------------------------------------------
: > "$out/queue.txt"
for s in $sizes; do
  step "queue ${s}B" $((qsecs * 3 + 30)) "$out/queue.txt" \
    "$bench" queue --producers "$sides" --consumers "$sides" --size "$s" \
    --seconds "$qsecs" --runs "$runs"
done
step "queue sleepers" 60 "$out/queue.txt" \
  "$bench" queue --sleepers 1,4,16,64 --seconds "$qsecs" --runs 3
: > "$out/pool.txt"
step pool $((psecs * 4 + 30)) "$out/pool.txt" \
  "$bench" pool --workers "$workers" --seconds "$psecs" --runs "$runs"
: > "$out/manager.txt"
step manager 120 "$out/manager.txt" \
  "$bench" manager --clients "$clients" --stalls --seconds "$psecs" --runs "$runs"
step "manager idle" 60 "$out/manager.txt" \
  "$bench" manager --idle 64,1024 --seconds 2 --runs "$runs"
: > "$out/search.txt"
step search 120 "$out/search.txt" \
  "$bench" search --workers "$workers" --seconds "$psecs" --runs "$runs"
: > "$out/primes.json"
step primes 150 "$out/primes.json" \
  "$coord" primes --vs-python --json --runs "$runs" --range "$prange"

# ---- peer-bench ----------------------------------------------------------------------------
pb=${PEER_BENCH:-}
if [ -z "$pb" ]; then
  for d in "$root/shared/peer-bench" "$root/../shared/peer-bench" /work/shared/peer-bench; do
    [ -f "$d/Makefile" ] && { pb=$d; break; }
  done
fi
pbout=$bd/peer-bench
: > "$out/peers.txt"
if [ -n "$pb" ] && [ -f "$pb/Makefile" ]; then
  for p in mgrlat poolbench qpeer; do
    # One at a time: qpeer needs Concurrency Kit's headers, the others only coord.
    if timeout 120 make -C "$pb" COORD="$root" BUILD="$bd" OUTDIR="$pbout" "$pbout/$p" \
         >> "$log" 2>&1; then
      say "peer-bench $p: built"
    else
      say "peer-bench $p: cannot be built here (see $log)"
    fi
  done
else
  say "peer-bench sources not found (set PEER_BENCH): built copies only"
fi
# A program: the one built here, else the one named in the environment, else a static copy in
# build-peer/.
prog() {
  local name=$1 env=$2
  if [ -x "$pbout/$name" ]; then echo "$pbout/$name"
  elif [ -n "$env" ] && [ -x "$env" ]; then echo "$env"
  elif [ -x "$root/build-peer/$name" ]; then
    echo "$root/build-peer/$name"
    say "$name: using the static copy in build-peer/ ($(cat "$root/build-peer/COMMIT" 2>/dev/null || echo 'commit unknown'))"
  fi
}
mgrlat=$(prog mgrlat "${MGRLAT:-}")
poolbench=$(prog poolbench "${POOLBENCH:-}")
qpeer=$(prog qpeer "${QPEER:-}")
if [ -n "$mgrlat" ]; then
  step "mgrlat" 120 "$out/manager.txt" "$mgrlat" --clients "$clients" --secs "$mgr_secs"
else
  say "mgrlat: skipped (not built, MGRLAT not set)"
fi
if [ -n "$qpeer" ]; then
  for s in $sizes; do
    step "qpeer ${s}B" 150 "$out/peers.txt" "$qpeer" tput --reps 3 --sizes "$s" \
      --cases "$qpeer_cases" --secs "$qpeer_secs"
  done
else
  say "qpeer: skipped (Concurrency Kit's headers are missing here and QPEER is not set)"
  echo "# qpeer: skipped (no Concurrency Kit headers, QPEER not set)" >> "$out/peers.txt"
fi
if [ -n "$poolbench" ]; then
  for w in ${workers//,/ }; do
    step "poolbench ${w}w" 60 "$out/peers.txt" "$poolbench" tput --workers "$w" \
      --tasks $([ "$quick" = 1 ] && echo 20000 || echo 200000)
  done
else
  say "poolbench: skipped (not built, POOLBENCH not set)"
fi
echo "loadavg at the end: $(cat /proc/loadavg 2>/dev/null)" >> "$out/system.txt"
say "done: $(ls "$out" | tr '\n' ' ')"
