# SPDX-License-Identifier: MIT
# ab-dir.sh: sourced by queue-ab.sh, manager-ab.sh and ir-table.sh: their work directory, checked once, their source tree's git checkout, and a revision's tree exported.
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

# ab_own_checkout NAME TREE WHAT: return 0 when TREE is the top of a git
# checkout of its own; else say why, naming the script NAME and what needs
# one (WHAT), and return 2. A release tarball has none (and one unpacked
# inside another repository must not export that repository's revisions);
# a checkout git refuses to read (another user's, "dubious ownership")
# gets git's own words, which say how to allow it (safe.directory).
ab_own_checkout() {
  local name=$1 tree=$2 what=$3 top why
  top=$(git -C "$tree" rev-parse --show-toplevel 2>/dev/null)
  [ -n "$top" ] && [ "$top" = "$(cd "$tree" && pwd -P)" ] && return 0
  why=$(git -C "$tree" rev-parse --show-toplevel 2>&1 >/dev/null)
  case $why in
    *"dubious ownership"*|*safe.directory*)
      echo "$name: git will not read $tree: $why" >&2 ;;
    *)
      echo "$name: $tree is not a git checkout (a release tarball?): $what" >&2 ;;
  esac
  return 2
}

# ab_export ROOT REV SRC: the tree of REV (a git revision of the checkout at ROOT, or WORK
# for its working tree as it is: tracked and untracked files git does not ignore) into the
# empty directory SRC.
ab_export() {
  if [ "$2" = WORK ]; then
    (cd "$1" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$3")
  else
    git -C "$1" archive "$2" | tar -x -C "$3"
  fi
}
