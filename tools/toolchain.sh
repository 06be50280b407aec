#!/usr/bin/env bash
# Builds the third-party programs the kit runs natively (OpenTelemetry Collector, Jaeger v2, k6) into a
# cache outside the repository, keyed by version, and installs Prometheus/promtool from Debian.
#
#   tools/toolchain.sh ensure <otelcol|jaeger|k6|prometheus|promtool|all>
#   tools/toolchain.sh path <tool>      prints where the tool would be, exits 1 if it is not built yet
#
# `ensure` prints the absolute path of each binary on stdout (one per line) and progress on stderr.
# Cache: ${QOSLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qoslab}/<tool>/<version>/<binary>.
set -euo pipefail

readonly OTELCOL_VERSION=0.162.0
# Jaeger v2 is built from the Go module github.com/jaegertracing/jaeger; see docs/pipeline.md for why
# this is the v1.76.0 module version (Jaeger v2.13.0) and not the v2.21.0 of the pinned image.
readonly JAEGER_MODULE=github.com/jaegertracing/jaeger
readonly JAEGER_MODULE_VERSION=v1.76.0
readonly JAEGER_RELEASE=2.13.0
readonly K6_MODULE=go.k6.io/k6
readonly K6_VERSION=v1.7.1
readonly GO_MIN_MINOR=26

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly MANIFEST="$ROOT/otel-collector/builder-config.yaml"
CACHE=${QOSLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qoslab}
readonly CACHE

die() {
  printf 'toolchain: %s\n' "$*" >&2
  exit 1
}

say() {
  printf 'toolchain: %s\n' "$*" >&2
}

usage() {
  die "usage: tools/toolchain.sh ensure|path <otelcol|jaeger|k6|prometheus|promtool|all>"
}

explain_once() {
  local marker="$CACHE/.explained"
  [[ -e $marker ]] && return 0
  mkdir -p "$CACHE" || die "cannot create the tool cache $CACHE (set QOSLAB_CACHE to a writable directory)"
  cat >&2 <<EOF
toolchain: first run. The kit runs the real OpenTelemetry Collector, Jaeger and k6 as local programs.
toolchain: They are compiled from their Go modules (fetched through the Go module proxy) into
toolchain:   $CACHE
toolchain: one directory per tool and version, so later runs reuse them. A fresh build takes minutes
toolchain: per tool (the Collector is the largest). Prometheus comes from Debian's package (apt-get).
EOF
  : >"$marker"
}

require_go() {
  command -v go >/dev/null 2>&1 || die "Go is not installed; install Go 1.${GO_MIN_MINOR} or newer and run again"
  local version minor
  version=$(go env GOVERSION 2>/dev/null) || die "'go env GOVERSION' failed; check the Go installation"
  minor=$(sed -E 's/^go1\.([0-9]+).*/\1/' <<<"$version")
  [[ $minor =~ ^[0-9]+$ ]] || die "cannot read the Go version from '$version'"
  ((minor >= GO_MIN_MINOR)) || die "Go $version is too old; the Collector ${OTELCOL_VERSION} needs Go 1.${GO_MIN_MINOR} or newer"
}

# The manifest and the local modules it points to decide what the Collector build contains.
manifest_hash() {
  (
    cd "$ROOT/otel-collector"
    find builder-config.yaml stubs servicegraphconnector -type f -not -name '*_test.go' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
  ) | sha256sum | cut -c1-12
}

# Prints "<directory> <binary name>" for a tool built into the cache.
cache_entry() {
  case $1 in
    otelcol) printf '%s %s\n' "$CACHE/otelcol/${OTELCOL_VERSION}-$(manifest_hash)" otelcol ;;
    jaeger) printf '%s %s\n' "$CACHE/jaeger/${JAEGER_RELEASE}-${JAEGER_MODULE_VERSION}" jaeger ;;
    k6) printf '%s %s\n' "$CACHE/k6/${K6_VERSION#v}" k6 ;;
    *) return 1 ;;
  esac
}

# Runs "$@" (a build writing into $tmp) under a per-tool lock, then renames $tmp into place, so an
# interrupted build never leaves a half-written cache entry and parallel callers build only once.
build_atomically() {
  local tool=$1 dir=$2 binary=$3
  shift 3
  mkdir -p "$(dirname "$dir")"
  exec {lock}>"$(dirname "$dir")/.lock"
  flock "$lock"
  if [[ -x $dir/$binary ]]; then
    exec {lock}>&-
    return 0
  fi
  explain_once
  # Holding the lock, any other build directory is what a killed build left behind.
  rm -rf "$(dirname "$dir")"/.build.*
  local tmp
  tmp=$(mktemp -d "$(dirname "$dir")/.build.XXXXXX")
  chmod 755 "$tmp"
  # shellcheck disable=SC2064 # expand $tmp now: it is local
  trap "rm -rf '$tmp' '$tmp.log'" EXIT
  local started=$SECONDS
  say "building $tool into $dir (this takes minutes)"
  local status=0
  # A subshell outside any condition, so `set -e` stops the build at its first failing step.
  set +e
  (
    set -e
    "$@" "$tmp"
  ) >"$tmp.log" 2>&1
  status=$?
  set -e
  if ((status != 0)) || [[ ! -x $tmp/$binary ]]; then
    tail -n 40 "$tmp.log" >&2
    local log="$CACHE/$tool-build-failed.log"
    mv "$tmp.log" "$log"
    die "building $tool failed (last lines above, full log in $log)"
  fi
  rm -f "$tmp.log"
  rm -rf "$dir"
  mv -T "$tmp" "$dir"
  trap - EXIT
  exec {lock}>&-
  say "built $tool in $((SECONDS - started)) s ($(du -h "$dir/$binary" | cut -f1))"
}

build_otelcol() {
  local out=$1 work
  work="$out/.work"
  mkdir -p "$work"
  GOBIN="$work/bin" CGO_ENABLED=0 go install "go.opentelemetry.io/collector/cmd/builder@v${OTELCOL_VERSION}"
  cp "$MANIFEST" "$out/builder-config.yaml"
  cp -R "$ROOT/otel-collector/stubs" "$work/stubs"
  cp -R "$ROOT/otel-collector/servicegraphconnector" "$work/servicegraphconnector"
  (cd "$work" && CGO_ENABLED=0 "$work/bin/builder" --config "$out/builder-config.yaml")
  mv "$work/build/otelcol" "$out/otelcol"
  rm -rf "$work"
}

# Jaeger's go.mod has replace directives, which `go install module@version` refuses; a small wrapper
# module that requires Jaeger and repeats its replace lines builds the same program.
build_jaeger() {
  local out=$1 work modfile
  work="$out/.work"
  mkdir -p "$work"
  modfile=$(go mod download -json "${JAEGER_MODULE}@${JAEGER_MODULE_VERSION}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  [[ -f $modfile ]] || return 1
  {
    printf 'module qoslab.local/jaeger-build\n\ngo 1.%s\n\nrequire %s %s\n\n' "$GO_MIN_MINOR" "$JAEGER_MODULE" "$JAEGER_MODULE_VERSION"
    awk '/^replace \(/{block=1; next} block && /^\)/{block=0; next} block{print "replace " $0; next} /^replace /{print}' "$modfile"
  } >"$work/go.mod"
  printf 'package main\n\nimport _ "%s/cmd/jaeger"\n' "$JAEGER_MODULE" >"$work/tools.go"
  (cd "$work" && go mod tidy && CGO_ENABLED=0 go build -trimpath -o "$out/jaeger" "${JAEGER_MODULE}/cmd/jaeger")
  cp "$work/go.mod" "$out/wrapper.go.mod"
  rm -rf "$work"
}

build_k6() {
  local out=$1
  GOBIN="$out" CGO_ENABLED=0 go install -trimpath "${K6_MODULE}@${K6_VERSION}"
}

ensure_go_tool() {
  local tool=$1 dir binary
  read -r dir binary < <(cache_entry "$tool")
  if [[ ! -x $dir/$binary ]]; then
    require_go
    build_atomically "$tool" "$dir" "$binary" "build_$tool"
  fi
  printf '%s\n' "$dir/$binary"
}

ensure_prometheus() {
  local binary=$1
  if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 || die "prometheus is not installed and apt-get is missing; install Prometheus 2.42+ (prometheus and promtool on PATH)"
    [[ $(id -u) -eq 0 ]] || die "prometheus is not installed; run as root (for apt-get) or: sudo apt-get install prometheus"
    explain_once
    say "installing Debian's prometheus package (apt-get)"
    local policy=/usr/sbin/policy-rc.d created_policy=0
    # Keep the package's postinst from starting a system-wide Prometheus on 9090.
    if [[ ! -e $policy ]]; then
      printf '#!/bin/sh\nexit 101\n' >"$policy"
      chmod 755 "$policy"
      created_policy=1
    fi
    local status=0
    {
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus >&2 ||
        { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus >&2; }
    } || status=$?
    ((created_policy)) && rm -f "$policy"
    ((status == 0)) || die "apt-get install prometheus failed (see above)"
    stop_system_prometheus
  fi
  command -v "$binary"
}

stop_system_prometheus() {
  if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    systemctl disable --now prometheus >/dev/null 2>&1 || true
  elif [[ -x /etc/init.d/prometheus ]]; then
    /etc/init.d/prometheus stop >/dev/null 2>&1 || true
  fi
}

ensure() {
  case $1 in
    otelcol | jaeger | k6) ensure_go_tool "$1" ;;
    prometheus | promtool) ensure_prometheus "$1" ;;
    all)
      local tool
      for tool in prometheus promtool otelcol jaeger k6; do ensure "$tool"; done
      ;;
    *) usage ;;
  esac
}

path_of() {
  local dir binary
  case $1 in
    otelcol | jaeger | k6)
      read -r dir binary < <(cache_entry "$1")
      [[ -x $dir/$binary ]] || exit 1
      printf '%s\n' "$dir/$binary"
      ;;
    prometheus | promtool) command -v "$1" || exit 1 ;;
    *) usage ;;
  esac
}

[[ $# -eq 2 ]] || usage
case $1 in
  ensure) ensure "$2" ;;
  path) path_of "$2" ;;
  *) usage ;;
esac
