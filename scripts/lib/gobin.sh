#!/usr/bin/env bash
# The Go-built binaries the tests and `npm run stack` run: an OpenTelemetry Collector built with the
# Collector builder (ocb) from scripts/lib/otelcol-builder.yaml, and Jaeger v2. Built once per
# machine into a cache folder outside the repo, then reused:
#
#   ${SI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/service-infrastructure}/
#     bin/otelcol-si-<version>-<manifest hash>/otelcol-si
#     bin/jaeger-<version>/jaeger
#     go/mod, go/build      Go module and build caches used for these builds (GOMODCACHE, GOCACHE)
#     logs/                 the last build's output, shown when a build fails
#
# Sourced: `ensure_go_binaries` sets and exports SI_OTELCOL_BIN and SI_JAEGER_BIN.
# Run:     `bash scripts/lib/gobin.sh` builds what is missing and prints `otelcol=<path>` and
#          `jaeger=<path>` (the tests call it this way).
# Present binaries cost two stat calls. Concurrent runs (several test runs on one machine) wait for
# each other on a lock instead of building twice.

SI_OTELCOL_VERSION=0.165.0
SI_OCB_MODULE=go.opentelemetry.io/collector/cmd/builder@v0.165.0
SI_JAEGER_MODULE=github.com/jaegertracing/jaeger
SI_JAEGER_VERSION=v1.76.0

si_cache_dir() {
  echo "${SI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/service-infrastructure}"
}

_si_gobin_paths() {
  local here cache hash
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  cache="$(si_cache_dir)"
  SI_OTELCOL_MANIFEST="$here/otelcol-builder.yaml"
  hash=$(sha256sum "$SI_OTELCOL_MANIFEST" | cut -c1-10)
  SI_OTELCOL_BIN="$cache/bin/otelcol-si-$SI_OTELCOL_VERSION-$hash/otelcol-si"
  SI_JAEGER_BIN="$cache/bin/jaeger-${SI_JAEGER_VERSION#v}/jaeger"
  export SI_OTELCOL_BIN SI_JAEGER_BIN
}

# Runs go with the cache folder's module and build caches, stripped and reproducible builds, and the
# installed toolchain (no toolchain downloads).
_si_go() {
  local cache
  cache="$(si_cache_dir)"
  GOMODCACHE="$cache/go/mod" GOCACHE="$cache/go/build" GOPATH="$cache/go/path" GOTOOLCHAIN=local \
    GOFLAGS="-trimpath -modcacherw -buildvcs=false" CGO_ENABLED=0 go "$@"
}

_si_fail() {
  local log="$1" what="$2"
  echo "error: $what failed; last lines of $log:" >&2
  tail -n 25 "$log" >&2
  if grep -qiE 'dial tcp|no such host|i/o timeout|connection refused|proxyconnect|TLS handshake|reading https?://' "$log"; then
    echo "error: the Go module proxy ($(_si_go env GOPROXY)) could not be reached. The Collector and Jaeger are built from" >&2
    echo "       Go modules; set GOPROXY to a reachable proxy (or a file:// mirror) and run again." >&2
  fi
  return 1
}

_si_build_jaeger() {
  local cache log dir tmp
  cache="$(si_cache_dir)"
  log="$cache/logs/jaeger.log"
  # Jaeger's go.mod has a replace directive, so `go install module@version` refuses it: download the
  # module and build its cmd/jaeger inside it (with the versions its go.mod and go.sum pin).
  dir=$(_si_go mod download -json "$SI_JAEGER_MODULE@$SI_JAEGER_VERSION" 2>"$log" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') || true
  [ -n "$dir" ] && [ -d "$dir" ] || { _si_fail "$log" "downloading $SI_JAEGER_MODULE@$SI_JAEGER_VERSION"; return 1; }
  tmp="$SI_JAEGER_BIN.tmp.$$"
  mkdir -p "$(dirname "$SI_JAEGER_BIN")"
  (cd "$dir" && _si_go build -ldflags='-s -w' -o "$tmp" ./cmd/jaeger) >>"$log" 2>&1 ||
    { rm -f "$tmp"; _si_fail "$log" "building Jaeger $SI_JAEGER_VERSION"; return 1; }
  mv -f "$tmp" "$SI_JAEGER_BIN"
}

_si_build_otelcol() {
  local cache log ocb out
  cache="$(si_cache_dir)"
  log="$cache/logs/otelcol.log"
  ocb="$cache/bin/ocb-$SI_OTELCOL_VERSION/builder"
  if [ ! -x "$ocb" ]; then
    GOBIN="$(dirname "$ocb")" _si_go install -ldflags='-s -w' "$SI_OCB_MODULE" >"$log" 2>&1 ||
      { _si_fail "$log" "installing the Collector builder ($SI_OCB_MODULE)"; return 1; }
  fi
  out="$cache/build/$(basename "$(dirname "$SI_OTELCOL_BIN")")"
  rm -rf "$out" && mkdir -p "$out"
  sed "s#OUTPUT_PATH#$out#" "$SI_OTELCOL_MANIFEST" >"$out/manifest.yaml"
  # ocb generates the distribution's sources, resolves modules and runs `go build -trimpath
  # -ldflags="-s -w"` itself.
  (cd "$out" && GOMODCACHE="$cache/go/mod" GOCACHE="$cache/go/build" GOPATH="$cache/go/path" GOTOOLCHAIN=local \
    GOFLAGS="-modcacherw -buildvcs=false" CGO_ENABLED=0 "$ocb" --config "$out/manifest.yaml") >>"$log" 2>&1 ||
    { _si_fail "$log" "building the Collector from scripts/lib/otelcol-builder.yaml"; return 1; }
  mkdir -p "$(dirname "$SI_OTELCOL_BIN")"
  mv -f "$out/otelcol-si" "$SI_OTELCOL_BIN.tmp.$$" && mv -f "$SI_OTELCOL_BIN.tmp.$$" "$SI_OTELCOL_BIN"
  rm -rf "$out"
}

ensure_go_binaries() {
  _si_gobin_paths
  [ -x "$SI_OTELCOL_BIN" ] && [ -x "$SI_JAEGER_BIN" ] && return 0
  if ! command -v go >/dev/null 2>&1; then
    echo "error: Go (1.26 or later) is not installed; it is needed once to build the OpenTelemetry Collector and Jaeger into $(si_cache_dir)/bin" >&2
    return 1
  fi
  local cache start rc=0
  cache="$(si_cache_dir)"
  mkdir -p "$cache/logs" "$cache/bin"
  exec {_si_lock}>"$cache/build.lock"
  flock "$_si_lock"
  start=$SECONDS
  if [ ! -x "$SI_OTELCOL_BIN" ] || [ ! -x "$SI_JAEGER_BIN" ]; then
    echo "building the OpenTelemetry Collector $SI_OTELCOL_VERSION (ocb) and Jaeger $SI_JAEGER_VERSION into $cache/bin (once per machine, a few minutes)..."
    if [ ! -x "$SI_OTELCOL_BIN" ]; then _si_build_otelcol || rc=1; fi
    if [ "$rc" = 0 ] && [ ! -x "$SI_JAEGER_BIN" ]; then _si_build_jaeger || rc=1; fi
    [ "$rc" = 0 ] && echo "built in $((SECONDS - start)) s: $SI_OTELCOL_BIN, $SI_JAEGER_BIN"
  fi
  flock -u "$_si_lock"
  exec {_si_lock}>&-
  return "$rc"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  ensure_go_binaries >&2
  echo "otelcol=$SI_OTELCOL_BIN"
  echo "jaeger=$SI_JAEGER_BIN"
fi
