#!/usr/bin/env bash
# vendor/<crate> (rustls, p384, primeorder) is the crate as published on
# crates.io plus the patches listed in vendor/patches/<crate>/series, applied
# in order. This script checks and rebuilds that (vendor/<crate>/PATCHES.md,
# "Changing the fork, moving to a new upstream release").
#
#   scripts/vendor.sh check [CRATE...]    vendor/ == upstream + series, byte for byte
#                                         (run by `make test` as `make vendor-check`)
#   scripts/vendor.sh apply [CRATE...]    rebuild vendor/CRATE from upstream + series
#                                         (after a bump of vendor/patches/CRATE/UPSTREAM)
#   scripts/vendor.sh diff CRATE          unified diff from upstream + series to vendor/CRATE:
#                                         the next patch, after an edit in vendor/CRATE
#   scripts/vendor.sh new CRATE NNNN-name that diff as a new last patch (header to complete)
#   scripts/vendor.sh refresh CRATE PATCH rewrite PATCH's diff from vendor/CRATE, header kept
#
# The version of each crate lives in vendor/patches/CRATE/UPSTREAM ("name
# version"); check also compares it with vendor/CRATE/Cargo.toml and
# Cargo.lock. The .crate file comes from cargo's cache ($CARGO_HOME/registry/
# cache), fetched with `cargo fetch` from crates.io when it is not there
# (checksum verified by cargo). The one file of the published crate that
# vendor/ does not keep: .cargo_vcs_info.json (cargo's note of the upstream
# commit; unused in a path dependency). Nothing else is ignored.
set -euo pipefail
export LC_ALL=C TZ=UTC

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PATCHES=$ROOT/vendor/patches
CARGO=${CARGO:-cargo}
CARGO_HOME=${CARGO_HOME:-$HOME/.cargo}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vendor-sh.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

die() { echo "vendor.sh: $*" >&2; exit 1; }

all_crates() {
  local f
  for f in "$PATCHES"/*/UPSTREAM; do basename "$(dirname "$f")"; done
}

known() {
  [[ $1 =~ ^[A-Za-z0-9_-]+$ && -f $PATCHES/$1/UPSTREAM ]] ||
    die "unknown crate '$1' (known: $(all_crates | tr '\n' ' '))"
  [[ -f $PATCHES/$1/series ]] || die "no vendor/patches/$1/series"
  upstream "$1" > /dev/null
}

# "name version" from vendor/patches/CRATE/UPSTREAM (comments allowed).
upstream() {
  local crate=$1 line
  line=$(grep -v '^[[:space:]]*#' "$PATCHES/$crate/UPSTREAM" | grep -m1 '[^[:space:]]' || true)
  set -- $line
  [[ $# -eq 2 ]] || die "vendor/patches/$crate/UPSTREAM: want one line 'name version'"
  echo "$1 $2"
}

# The patch file names of the series, in order.
series() {
  local f=$PATCHES/$1/series
  [[ -f $f ]] || die "no vendor/patches/$1/series"
  grep -v '^[[:space:]]*#' "$f" | grep '[^[:space:]]' || true
}

crate_file() { # name version -> path of the cached .crate, or nothing
  compgen -G "$CARGO_HOME/registry/cache/*/$1-$2.crate" | head -n1 || true
}

fetch() { # name version -> path of the .crate, fetched if needed
  local name=$1 version=$2 file dir
  file=$(crate_file "$name" "$version")
  if [[ -z $file ]]; then
    dir=$WORK/fetch-$name
    mkdir -p "$dir"
    : > "$dir/lib.rs"
    cat > "$dir/Cargo.toml" <<EOF
[package]
name = "vendor-sh-fetch"
version = "0.0.0"
edition = "2021"
publish = false

[lib]
path = "lib.rs"

[dependencies]
$name = { version = "=$version", default-features = false }

[workspace]
EOF
    echo "vendor.sh: fetching $name $version from crates.io" >&2
    "$CARGO" fetch --quiet --manifest-path "$dir/Cargo.toml" >&2 ||
      die "cargo fetch of $name $version failed"
    file=$(crate_file "$name" "$version")
    [[ -n $file ]] || die "cargo fetched $name $version but no $name-$version.crate in $CARGO_HOME/registry/cache"
  fi
  echo "$file"
}

# unpack CRATE DEST: the published crate, without .cargo_vcs_info.json, as DEST.
unpack() {
  local name version file tmp
  read -r name version <<< "$(upstream "$1")"
  file=$(fetch "$name" "$version") || exit 1
  [[ -f $file ]] || die "no .crate file for $name $version"
  tmp=$WORK/unpack.$$.$RANDOM
  mkdir -p "$tmp"
  tar -xzf "$file" -C "$tmp"
  [[ -d $tmp/$name-$version ]] || die "$file does not hold $name-$version/"
  rm -f "$tmp/$name-$version/.cargo_vcs_info.json"
  mv "$tmp/$name-$version" "$2"
  rmdir "$tmp"
}

# apply_strict DIR PATCHFILE [-R]: exactly, no fuzz, no reject files; prints
# patch's messages on failure.
apply_strict() {
  local out
  if ! out=$(patch -p1 -F0 -N -t -s --no-backup-if-mismatch -r - ${3:-} -d "$1" -i "$2" 2>&1); then
    echo "$out" >&2
    return 1
  fi
}

# build CRATE DEST [N]: upstream + the first N patches of the series (all
# by default), exactly.
build() {
  local crate=$1 dest=$2 n=${3:--1} i=0 p
  unpack "$crate" "$dest"
  while read -r p; do
    [[ $n -ge 0 && $i -ge $n ]] && break
    apply_strict "$dest" "$PATCHES/$crate/$p" ||
      die "vendor/patches/$crate/$p does not apply exactly (no fuzz) to upstream + the patches before it"
    i=$((i + 1))
  done < <(series "$crate")
}

# tree_diff A B: unified diff from directory A to directory B, paths a/ b/,
# no timestamps, /dev/null for created and deleted files.
tree_diff() {
  local d=$WORK/td.$RANDOM rc=0
  mkdir -p "$d"
  ln -s "$1" "$d/a"
  ln -s "$2" "$d/b"
  (cd "$d" && diff -ruN a/ b/) > "$d/out" || rc=$?
  [[ $rc -le 1 ]] || die "diff failed"
  sed -E \
    -e 's#^diff -ruN a/+(.*) b/+#diff -ruN a/\1 b/#' \
    -e 's#^(---|\+\+\+) ([ab])/+([^\t]*)\t1970-01-01 00:00:00.*$#\1 /dev/null#' \
    -e 's#^(---|\+\+\+) ([ab])/+([^\t]*)\t.*$#\1 \2/\3#' \
    "$d/out"
  rm -rf "$d"
}

# The lines of a patch file before its diff: Subject, Section, Files, Why.
header() { awk '/^(diff |--- )/ { exit } { print }' "$1"; }

check_crate() {
  local crate=$1 name version v lockv p n=0 tree bad=0
  read -r name version <<< "$(upstream "$crate")"
  local vd=$ROOT/vendor/$crate
  [[ -d $vd ]] || die "no vendor/$crate"

  # The version in one place: UPSTREAM; the manifest and the lock agree.
  v=$(awk '/^\[package\]/ { p = 1; next } /^\[/ { p = 0 } p && /^version *=/ { gsub(/[" ]/, ""); sub(/^version=/, ""); print; exit }' "$vd/Cargo.toml")
  [[ $v == "$version" ]] ||
    { echo "vendor-check: vendor/$crate/Cargo.toml has version $v, vendor/patches/$crate/UPSTREAM says $version: run scripts/vendor.sh apply $crate" >&2; return 1; }
  lockv=$(awk -v n="$name" '$0 == "name = \"" n "\"" { getline; gsub(/[" ]/, ""); sub(/^version=/, ""); print; exit }' "$ROOT/Cargo.lock")
  [[ -z $lockv || $lockv == "$version" ]] ||
    { echo "vendor-check: Cargo.lock has $name $lockv, vendor/patches/$crate/UPSTREAM says $version: run cargo update -p $name" >&2; return 1; }

  # The series and the directory agree; each patch has its reason.
  while read -r p; do
    [[ -f $PATCHES/$crate/$p ]] || { echo "vendor-check: vendor/patches/$crate/series names $p, which does not exist" >&2; bad=1; continue; }
    if ! header "$PATCHES/$crate/$p" | grep -q '^Subject: ' ||
       ! header "$PATCHES/$crate/$p" | grep -q '^Why:' ||
       header "$PATCHES/$crate/$p" | grep -q 'TODO'; then
      echo "vendor-check: vendor/patches/$crate/$p: its header needs a Subject: and a Why: (no TODO)" >&2
      bad=1
    fi
    n=$((n + 1))
  done < <(series "$crate")
  for p in "$PATCHES/$crate"/*; do
    p=$(basename "$p")
    [[ $p == UPSTREAM || $p == series ]] && continue
    series "$crate" | grep -qxF "$p" ||
      { echo "vendor-check: vendor/patches/$crate/$p is not in the series (a leftover .rej, or a patch to list in series)" >&2; bad=1; }
  done
  [[ $bad -eq 0 ]] || return 1

  tree=$WORK/check-$crate
  build "$crate" "$tree"
  if ! diff -rq "$tree" "$vd" > "$WORK/q-$crate" 2>&1; then
    {
      echo "vendor-check: FAILED: vendor/$crate is not $name $version + vendor/patches/$crate/series"
      sed -e "s#$tree#upstream+series#g; s#$ROOT/##g" "$WORK/q-$crate"
      echo "--- the difference (scripts/vendor.sh diff $crate prints all of it):"
      tree_diff "$tree" "$vd" > "$WORK/d-$crate"
      if command -v diffstat > /dev/null; then diffstat -p1 "$WORK/d-$crate"; fi
      head -n 60 "$WORK/d-$crate"
      [[ $(wc -l < "$WORK/d-$crate") -le 60 ]] || echo "[... $(wc -l < "$WORK/d-$crate") lines in all]"
      echo "An edit in vendor/$crate belongs in a patch: scripts/vendor.sh refresh $crate PATCH (a change"
      echo "to an existing patch) or scripts/vendor.sh new $crate NNNN-name (vendor/$crate/PATCHES.md)."
    } >&2
    return 1
  fi
  echo "vendor-check: vendor/$crate = $name $version + $n patches"
}

cmd_check() {
  local c fail=0
  [[ $# -gt 0 ]] || set -- $(all_crates)
  for c in "$@"; do known "$c"; done
  for c in "$@"; do check_crate "$c" || fail=1; done
  return $fail
}

cmd_apply() {
  local crate name version tree p out rc failed fuzzed vd
  [[ $# -gt 0 ]] || set -- $(all_crates)
  for crate in "$@"; do known "$crate"; done
  for crate in "$@"; do
    read -r name version <<< "$(upstream "$crate")"
    rm -f "$PATCHES/$crate"/*.rej
    tree=$WORK/apply-$crate
    unpack "$crate" "$tree"
    failed=() fuzzed=()
    while read -r p; do
      rc=0
      out=$(patch -p1 -N -t --no-backup-if-mismatch -r "$PATCHES/$crate/${p%.patch}.rej" \
        -d "$tree" -i "$PATCHES/$crate/$p" 2>&1) || rc=$?
      if [[ $rc -ne 0 ]]; then
        failed+=("$p")
        echo "$p: FAILED"; echo "$out" | sed 's/^/    /'
      elif grep -q 'with fuzz' <<< "$out"; then
        fuzzed+=("$p")
        echo "$p: applied with fuzz"; echo "$out" | grep 'fuzz' | sed 's/^/    /'
      else
        echo "$p: ok"
      fi
    done < <(series "$crate")
    vd=$ROOT/vendor/$crate
    rm -rf "$vd"
    cp -a "$tree" "$vd"
    echo "vendor/$crate: $name $version + vendor/patches/$crate/series"
    if [[ ${#failed[@]} -gt 0 || ${#fuzzed[@]} -gt 0 ]]; then
      echo "To finish (in series order): make the rejected changes by hand in vendor/$crate"
      echo "(vendor/patches/$crate/*.rej, then delete them), check the fuzzed ones, and run"
      for p in $(printf '%s\n' "${failed[@]}" "${fuzzed[@]}" | grep . | sort); do
        echo "  scripts/vendor.sh refresh $crate $p"
      done
      echo "then scripts/vendor.sh check $crate."
      return 1
    fi
  done
  cmd_check "$@"
}

cmd_diff() {
  [[ $# -eq 1 ]] || die "usage: vendor.sh diff CRATE"
  known "$1"
  build "$1" "$WORK/base"
  tree_diff "$WORK/base" "$ROOT/vendor/$1"
}

cmd_new() {
  [[ $# -eq 2 ]] || die "usage: vendor.sh new CRATE NNNN-short-name"
  local crate=$1 name=${2%.patch}
  known "$crate"
  [[ $name =~ ^[0-9]{4}-[a-z0-9-]+$ ]] || die "patch name: NNNN-short-name (lower case), got $name"
  [[ ! -e $PATCHES/$crate/$name.patch ]] || die "vendor/patches/$crate/$name.patch exists"
  build "$crate" "$WORK/base"
  tree_diff "$WORK/base" "$ROOT/vendor/$crate" > "$WORK/body"
  [[ -s $WORK/body ]] || die "vendor/$crate does not differ from upstream + series: nothing to add"
  {
    echo "Subject: TODO what the patch does, one line"
    echo "Section: vendor/$crate/PATCHES.md, \"TODO its section\""
    echo "Files: $(sed -n 's#^+++ b/##p; s#^--- a/\(.*\)#\1#p' "$WORK/body" | sort -u | paste -sd, - | sed 's/,/, /g')"
    echo
    echo "Why:"
    echo "TODO the reason, from that section of PATCHES.md."
    echo
    cat "$WORK/body"
  } > "$PATCHES/$crate/$name.patch"
  echo "$name.patch" >> "$PATCHES/$crate/series"
  echo "wrote vendor/patches/$crate/$name.patch and added it to the series: complete its header (TODO)"
}

cmd_refresh() {
  [[ $# -eq 2 ]] || die "usage: vendor.sh refresh CRATE PATCH"
  local crate=$1 target=${2##*/} idx=-1 i=0 p list=()
  known "$crate"
  [[ $target == *.patch ]] || target=$target.patch
  while read -r p; do
    list+=("$p")
    [[ $p == "$target" ]] && idx=$i
    i=$((i + 1))
  done < <(series "$crate")
  [[ $idx -ge 0 ]] || die "$target is not in vendor/patches/$crate/series"
  # vendor/CRATE without the patches after TARGET (taken out in reverse order).
  cp -a "$ROOT/vendor/$crate" "$WORK/t"
  for ((i = ${#list[@]} - 1; i > idx; i--)); do
    apply_strict "$WORK/t" "$PATCHES/$crate/${list[i]}" -R ||
      die "cannot take ${list[i]} out of vendor/$crate: the change overlaps it (refresh that one, or edit it too)"
  done
  build "$crate" "$WORK/base" "$idx"
  header "$PATCHES/$crate/$target" > "$WORK/new"
  tree_diff "$WORK/base" "$WORK/t" >> "$WORK/new"
  if cmp -s "$WORK/new" "$PATCHES/$crate/$target"; then
    echo "vendor/patches/$crate/$target: unchanged"
  else
    mv "$WORK/new" "$PATCHES/$crate/$target"
    echo "vendor/patches/$crate/$target: rewritten"
  fi
  cmd_check "$crate"
}

cmd=${1:-}
[[ $# -gt 0 ]] && shift
case $cmd in
  check) cmd_check "$@" ;;
  apply) cmd_apply "$@" ;;
  diff) cmd_diff "$@" ;;
  new) cmd_new "$@" ;;
  refresh) cmd_refresh "$@" ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac
