#!/usr/bin/env bash
# beside-busy.sh: run a command beside N busy loops (processes that never sleep, as `yes > /dev/null`
# is), then stop them: how the wait policy's claims "beside busy loops" in docs/results.md and
# docs/scaling.md are measured.
#
#   scripts/beside-busy.sh [-t SECONDS] N COMMAND [ARG...]
#
# The loops start first and run for 0.5 s before the command, so that the scheduler has settled
# them; the command runs under `timeout` (-t, default 600 s); the loops are killed however it
# ends (Ctrl-C included). Exit status: the command's; 124 when it ran out of time; 2 for a usage
# error. Examples (2 CPUs; issue 12's "beside two busy loops"):
#   scripts/beside-busy.sh 2 ./build/coord_bench manager --clients 2 --stalls --seconds 2 --runs 5
#   scripts/beside-busy.sh 1 build-peer/mgrlat --clients 1 --secs 0.5
set -eu
limit=600
usage() { echo "usage: scripts/beside-busy.sh [-t SECONDS] N COMMAND [ARG...]" >&2; exit 2; }
if [ "${1:-}" = -t ]; then
    [ $# -ge 2 ] || usage
    limit=$2
    shift 2
fi
[ $# -ge 2 ] || usage
n=$1
shift
case $limit in '' | *[!0-9]*) echo "beside-busy.sh: -t wants whole seconds, not '$limit'" >&2; exit 2 ;; esac
case $n in '' | *[!0-9]*) echo "beside-busy.sh: N must be a whole number of loops, not '$n'" >&2; exit 2 ;; esac
[ "$n" -le 1024 ] || { echo "beside-busy.sh: N is at most 1024, not $n" >&2; exit 2; }
pids=()
stop() {
    [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true
    [ ${#pids[@]} -eq 0 ] || wait "${pids[@]}" 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT TERM
for _ in $(seq "$n"); do
    # A subshell that only spins, holding none of our descriptors: a caller
    # reading our output, as $(...) does, sees its end when we exit.
    ( while :; do :; done ) </dev/null >/dev/null 2>&1 &
    pids+=($!)
done
[ "$n" -eq 0 ] || sleep 0.5
set +e
timeout "$limit" "$@"
rc=$?
set -e
exit $rc
