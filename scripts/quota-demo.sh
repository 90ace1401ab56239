#!/usr/bin/env bash
# quota-demo.sh: run a command inside a temporary cgroup with a CPU quota (as Docker's --cpus or a Kubernetes CPU limit would give it), then remove the cgroup.
#
#   scripts/quota-demo.sh [-t SECONDS] CPUS COMMAND [ARG...]
#
# CPUS is the quota in CPUs (1, 1.5, 0.5: CPUS * 100 ms of CPU time per
# 100 ms period, at least 1 ms). The cgroup, coord-quota-PID, is made below
# this shell's own cgroup of the hierarchy holding the cpu controller: a
# cgroup v1 hierarchy whose controllers include cpu (cpu.cfs_quota_us,
# cpu.cfs_period_us), else the cgroup v2 one (cpu.max; the cpu controller
# must be enabled in our cgroup's cgroup.subtree_control). The command moves
# itself in (its children follow) and runs under `timeout` (-t, default
# 600 s). Afterwards whatever is left in the cgroup is SIGKILLed and the
# cgroup removed, however the command ended (Ctrl-C included).
#
# Exit status: the command's; 124 when it ran out of time; 2 for a usage
# error; 77 when no cgroup can be made here (not root, no cpu controller,
# read-only): one line on stderr says why (tests/python/test_pool.py uses
# this to skip, saying so). Example, coord's manager latency under 1 CPU of
# quota on a bigger machine:
#   sudo scripts/quota-demo.sh 1 ./build/coord_bench manager --clients 1,4
set -eu
limit=600
if [ "${1:-}" = -t ]; then
    [ $# -ge 2 ] || { echo "usage: scripts/quota-demo.sh [-t SECONDS] CPUS COMMAND [ARG...]" >&2; exit 2; }
    limit=$2
    shift 2
fi
[ $# -ge 2 ] || { echo "usage: scripts/quota-demo.sh [-t SECONDS] CPUS COMMAND [ARG...]" >&2; exit 2; }
cpus=$1
shift
case $limit in '' | *[!0-9]*) echo "quota-demo.sh: -t wants whole seconds, not '$limit'" >&2; exit 2 ;; esac
quota=$(awk -v c="$cpus" 'BEGIN { if (c !~ /^[0-9]+(\.[0-9]+)?$/) exit 1; q = int(c * 100000 + 0.5); if (q < 1000) exit 1; print q }') || {
    echo "quota-demo.sh: CPUS must be a number of CPUs of at least 0.01, not '$cpus'" >&2
    exit 2
}
cannot() { echo "quota-demo.sh: cannot make a cgroup here: $*" >&2; exit 77; }
[ "$(id -u)" = 0 ] || cannot "not root"

# Our cgroup: the v1 hierarchy with the cpu controller, else v2's.
kind=v1
path=$(awk '{ n = index($0, ":"); ids = substr($0, 1, n - 1); rest = substr($0, n + 1)
              m = index(rest, ":"); ctl = substr(rest, 1, m - 1)
              if (ids != "0" && ("," ctl ",") ~ /,cpu,/) { print substr(rest, m + 1); exit } }' /proc/self/cgroup)
if [ -z "$path" ]; then
    kind=v2
    path=$(awk '/^0::\// { print substr($0, 4); exit }' /proc/self/cgroup)
fi
[ -n "$path" ] || cannot "no cgroup with the cpu controller in /proc/self/cgroup"
# Its directory: the mount of that hierarchy, the mount's root stripped.
dir=$(awk -v kind="$kind" -v path="$path" '{
        for (i = 7; i <= NF && $i != "-"; i++) {}
        type = $(i + 1); super = "," $(i + 3) ","
        if (kind == "v1" ? type != "cgroup" || super !~ /,cpu,/ : type != "cgroup2") next
        root = $4; point = $5; gsub(/\\040/, " ", point)
        if (root == "/") root = ""
        if (path != root && index(path, root "/") != 1) next
        rest = substr(path, length(root) + 1); if (rest == "/") rest = ""
        print point rest; exit }' /proc/self/mountinfo)
[ -n "$dir" ] && [ -d "$dir" ] || cannot "no $kind cgroup mount shows $path"
cg=$dir/coord-quota-$$

cleanup() {
    [ -d "$cg" ] || return 0
    for _ in $(seq 1 200); do
        rmdir "$cg" 2>/dev/null && return 0
        while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done <"$cg/cgroup.procs"
        sleep 0.05
    done
    echo "quota-demo.sh: could not remove $cg" >&2
}
mkdir "$cg" 2>/dev/null || cannot "mkdir $cg failed (read-only, or no permission)"
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ "$kind" = v2 ]; then
    [ -e "$cg/cpu.max" ] || cannot "the cpu controller is not enabled in $dir/cgroup.subtree_control"
    echo "$quota 100000" >"$cg/cpu.max"
else
    echo 100000 >"$cg/cpu.cfs_period_us"
    echo "$quota" >"$cg/cpu.cfs_quota_us"
fi
echo "quota-demo.sh: $cpus CPUs of quota ($kind, $cg)" >&2
status=0
timeout -k 5 "$limit" sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" "$@" || status=$?
exit "$status"
