# SPDX-License-Identifier: MIT
# ab-dir.sh: sourced by queue-ab.sh and manager-ab.sh: their work directory, checked once.
#
# ab_own_dir NAME DIR HINT: print DIR (made if missing) when it is a directory
# of ours reached by no link of another user; else say so, naming the script
# NAME and what to set (HINT), and return 2. Use: d=$(ab_own_dir ...) || exit 2.
# DIR is by default a fixed name in /tmp, and these scripts are often run as
# root: a directory or link another user put there was written through (root
# removed DIR/base and wrote its logs and results into the link's target).
# "DIR/" and "DIR/." name what a link at DIR leads to: [ -L ] and stat then
# looked at the link's target (root's own) and let another user's link
# through, so they are stripped first and the name itself is looked at.
ab_own_dir() {
  local name=$1 d=$2 hint=$3
  while :; do
    case $d in
      ?*/) d=${d%/} ;;
      ?*/.) d=${d%/.} ;;
      *) break ;;
    esac
  done
  mkdir -p "$d" 2>/dev/null || true
  if [ ! -d "$d" ] || [ ! -O "$d" ] ||
    { [ -L "$d" ] && [ "$(stat -c %u "$d")" != "$(id -u)" ]; }; then
    echo "$name: $d is not a directory of yours (another user's, or a link of theirs): $hint" >&2
    return 2
  fi
  printf '%s\n' "$d"
}
