#!/usr/bin/env bash
# Builds the third-party programs the kit runs natively into a cache outside the repository, keyed by
# version: the OpenTelemetry Collector, Jaeger v2 and k6 for the native stack, and Kubernetes (the
# control plane, kubelet, kube-proxy, kubectl), CoreDNS, kube-router and the pause program for the
# local single-node cluster, and Prometheus 3 (server and promtool, with its web UI when the UI builds).
#
#   tools/toolchain.sh ensure <tool|all|cluster>
#   tools/toolchain.sh path <tool>      prints where the tool would be, exits 1 if it is not built yet
#   tools/toolchain.sh list             the tools and the versions this script builds
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
# Prometheus 3.x is the Go module's v0.3xx.y line: v0.315.0 is Prometheus v3.15.0, the pinned image's.
readonly PROMETHEUS_MODULE=github.com/prometheus/prometheus
readonly PROMETHEUS_MODULE_VERSION=v0.315.0
readonly PROMETHEUS_RELEASE=3.15.0
# The UI is built with pnpm (as the module's Makefile does), from the npm registry.
readonly PNPM_VERSION=10.34.9
readonly K6_MODULE=go.k6.io/k6
readonly K6_VERSION=v1.7.1
# The minor of the kind node image (k8s/kind/cluster.yaml); test/cluster checks that they agree.
readonly KUBERNETES_VERSION=v1.36.3
readonly COREDNS_VERSION=v1.14.7
# kube-router's network-policy controller enforces NetworkPolicy on the local cluster; v2.1.0 is the
# only version the Go module proxy serves (docs/cluster.md says what that means).
readonly KUBE_ROUTER_VERSION=v2.1.0
# The sandbox ("pause") image the kubelet of KUBERNETES_VERSION names by default.
readonly PAUSE_VERSION=3.10.1
readonly GO_MIN_MINOR=26
readonly KUBERNETES_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)

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
  die "usage: tools/toolchain.sh ensure|path <otelcol|jaeger|k6|prometheus|promtool|${KUBERNETES_BINARIES[*]// /|}|coredns|kube-router|pause|all|cluster>, or tools/toolchain.sh list"
}

explain_once() {
  local marker="$CACHE/.explained"
  [[ -e $marker ]] && return 0
  mkdir -p "$CACHE" || die "cannot create the tool cache $CACHE (set QOSLAB_CACHE to a writable directory)"
  cat >&2 <<EOF
toolchain: first run. The kit runs real third-party programs (the OpenTelemetry Collector, k6, Prometheus, Jaeger,
toolchain: and for the local cluster Kubernetes itself) as local programs. They are compiled from their
toolchain: Go modules (fetched through the Go module proxy) into
toolchain:   $CACHE
toolchain: one directory per tool and version, so later runs reuse them. Each build reports the packages
toolchain: compiled so far.
EOF
  : >"$marker"
}

require_go() {
  command -v go >/dev/null 2>&1 || die "Go is not installed; install Go 1.${GO_MIN_MINOR} or newer and run again"
  local version minor
  version=$(go env GOVERSION 2>/dev/null) || die "'go env GOVERSION' failed; check the Go installation"
  minor=$(sed -E 's/^go1\.([0-9]+).*/\1/' <<<"$version")
  [[ $minor =~ ^[0-9]+$ ]] || die "cannot read the Go version from '$version'"
  ((minor >= GO_MIN_MINOR)) || die "Go $version is too old; the tools need Go 1.${GO_MIN_MINOR} or newer"
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
    prometheus) printf '%s %s\n' "$CACHE/prometheus/${PROMETHEUS_RELEASE}-${PROMETHEUS_MODULE_VERSION}" prometheus ;;
    kubernetes) printf '%s %s\n' "$CACHE/kubernetes/${KUBERNETES_VERSION#v}" kubelet ;;
    coredns) printf '%s %s\n' "$CACHE/coredns/${COREDNS_VERSION#v}" coredns ;;
    kube-router) printf '%s %s\n' "$CACHE/kube-router/${KUBE_ROUTER_VERSION#v}" kube-router ;;
    pause) printf '%s %s\n' "$CACHE/pause/${PAUSE_VERSION}-${KUBERNETES_VERSION#v}" pause ;;
    *) return 1 ;;
  esac
}

# The build that makes a tool: the six Kubernetes programs come from one build, promtool from Prometheus's.
build_of() {
  local name=$1
  [[ $name == promtool ]] && { printf 'prometheus\n'; return 0; }
  for binary in "${KUBERNETES_BINARIES[@]}"; do
    [[ $name == "$binary" ]] && { printf 'kubernetes\n'; return 0; }
  done
  printf '%s\n' "$name"
}

fmt_duration() {
  local s=$1
  if ((s >= 60)); then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}

# Reads `go build -v` output (one package per line as it is compiled) on stdin, copies it to the
# build log, and reports "<label> <n>/<total> packages, elapsed, about <eta> left" on fd 3: in place
# on a terminal, otherwise one line every 10 s. A warm build cache compiles fewer than <total>.
progress() {
  local label=$1 total=$2 count=0 started=$SECONDS last=-10 line elapsed eta tty=0
  [[ -t 3 ]] && tty=1
  while IFS= read -r line; do
    printf '%s\n' "$line"
    [[ $line =~ ^[A-Za-z0-9._~/-]+$ ]] || continue
    count=$((count + 1))
    elapsed=$((SECONDS - started))
    if ((tty || elapsed - last >= 10)); then
      last=$elapsed
      eta=""
      ((count > 20 && count < total)) && eta=", about $(fmt_duration $((elapsed * (total - count) / count))) left"
      if ((tty)); then
        printf '\rtoolchain: %s: %d/%d packages compiled, %s%s\033[K' "$label" "$count" "$total" "$(fmt_duration "$elapsed")" "$eta" >&3
      else
        printf 'toolchain: %s: %d/%d packages compiled, %s%s\n' "$label" "$count" "$total" "$(fmt_duration "$elapsed")" "$eta" >&3
      fi
    fi
  done
  ((tty)) && printf '\n' >&3
  return 0
}

# go build with progress: go_build <label> <go build args...> (run in the module directory).
go_build() {
  local label=$1 total
  shift
  local packages=()
  local arg skip=0
  for arg in "$@"; do
    if ((skip)); then skip=0; continue; fi
    case $arg in
      -o | -ldflags | -tags | -gcflags) skip=1 ;;
      -*) ;;
      *) packages+=("$arg") ;;
    esac
  done
  total=$(go list -deps "${packages[@]}" | wc -l)
  say "$label: compiling up to $total packages"
  set -o pipefail
  go build -v "$@" 2>&1 | progress "$label" "$total"
}

# A module whose go.mod has replace or exclude lines cannot be built with `go install m@v`; a wrapper
# module that requires it and repeats those lines (plus any given as "old => new" arguments after the
# packages) builds the same program.
#   wrapper_module <dir> <module> <version> <package>... [-- <replace>...]
wrapper_module() {
  local dir=$1 module=$2 version=$3
  shift 3
  local packages=() replaces=()
  while (($#)); do
    if [[ $1 == -- ]]; then
      shift
      replaces=("$@")
      break
    fi
    packages+=("$1")
    shift
  done
  mkdir -p "$dir"
  local modfile
  modfile=$(cd "$dir" && GOFLAGS=-mod=mod go mod download -json "${module}@${version}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  [[ -f $modfile ]] || return 1
  {
    printf 'module qoslab.local/build\n\ngo 1.%s\n\nrequire %s %s\n\n' "$GO_MIN_MINOR" "$module" "$version"
    # Local-path replacements (staging directories) cannot be repeated; the caller gives their versions.
    awk '/^(replace|exclude) \(/{block=$1; next} block && /^\)/{block=""; next} block{print block " " $0; next} /^(replace|exclude) /{print}' "$modfile" |
      grep -v '=> \.' || true
    local r
    for r in ${replaces[@]+"${replaces[@]}"}; do printf 'replace %s\n' "$r"; done
  } >"$dir/go.mod"
  {
    printf '//go:build tools\n\npackage tools\n\nimport (\n'
    local p
    for p in "${packages[@]}"; do printf '\t_ "%s"\n' "$p"; done
    printf ')\n'
  } >"$dir/tools.go"
  (cd "$dir" && go mod tidy)
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
  say "building $tool into $dir"
  local status=0
  # A subshell outside any condition, so `set -e` stops the build at its first failing step. Progress
  # goes to fd 3 (this script's stderr); everything else to the build log.
  set +e
  (
    set -e
    "$@" "$tmp"
  ) 3>&2 >"$tmp.log" 2>&1
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
  say "built $tool in $(fmt_duration $((SECONDS - started))) ($(du -sh "$dir" | cut -f1))"
}

build_otelcol() {
  local out=$1 work
  work="$out/.work"
  mkdir -p "$work"
  GOBIN="$work/bin" CGO_ENABLED=0 go install "go.opentelemetry.io/collector/cmd/builder@v${OTELCOL_VERSION}"
  cp "$MANIFEST" "$out/builder-config.yaml"
  cp -R "$ROOT/otel-collector/stubs" "$work/stubs"
  cp -R "$ROOT/otel-collector/servicegraphconnector" "$work/servicegraphconnector"
  # The builder generates the sources and tidies the module; the compilation (with the builder's
  # own flags) is ours, so that it can report progress.
  (cd "$work" && "$work/bin/builder" --config "$out/builder-config.yaml" --skip-compilation)
  (cd "$work/build" && CGO_ENABLED=0 go_build otelcol -trimpath -ldflags='-s -w' -o "$out/otelcol" .)
  rm -rf "$work"
}

build_jaeger() {
  local out=$1 work="$1/.work"
  wrapper_module "$work" "$JAEGER_MODULE" "$JAEGER_MODULE_VERSION" "${JAEGER_MODULE}/cmd/jaeger"
  (cd "$work" && CGO_ENABLED=0 go_build jaeger -trimpath -o "$out/jaeger" "${JAEGER_MODULE}/cmd/jaeger")
  cp "$work/go.mod" "$out/wrapper.go.mod"
  rm -rf "$work"
}

build_k6() {
  local out=$1 work="$1/.work"
  wrapper_module "$work" "$K6_MODULE" "$K6_VERSION" "$K6_MODULE"
  (cd "$work" && CGO_ENABLED=0 go_build k6 -trimpath -o "$out/k6" "$K6_MODULE")
  rm -rf "$work"
}

# Prometheus with its web UI embedded (the builtinassets tag), as its release binaries are: the UI is
# built from the module's web/ui sources with pnpm, compressed and listed in web/ui/embed.go by the
# module's own scripts/compress_assets.sh. Without a UI build (no npm registry) the server still
# runs, with the UI pages answering that the assets are missing.
build_prometheus() {
  local out=$1 work="$1/.work" dir tags=""
  mkdir -p "$work"
  dir=$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "${PROMETHEUS_MODULE}@${PROMETHEUS_MODULE_VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -d $dir ]] || return 1
  cp -R "$dir" "$work/src"
  chmod -R u+w "$work/src"
  if prometheus_ui "$work/src"; then
    tags="-tags=builtinassets"
  else
    say "prometheus: the web UI did not build (see the build log); building without it" >&3
  fi
  wrapper_module "$work/mod" "$PROMETHEUS_MODULE" "$PROMETHEUS_MODULE_VERSION" "$PROMETHEUS_MODULE/cmd/prometheus" "$PROMETHEUS_MODULE/cmd/promtool" -- "$PROMETHEUS_MODULE => ../src"
  local stamp="-X github.com/prometheus/common/version.Version=${PROMETHEUS_RELEASE} -X github.com/prometheus/common/version.Revision=${PROMETHEUS_MODULE_VERSION} -X github.com/prometheus/common/version.Branch=module-proxy"
  (cd "$work/mod" && CGO_ENABLED=0 go_build prometheus -trimpath ${tags:+"$tags"} -ldflags="-s -w $stamp" -o "$out/" "$PROMETHEUS_MODULE/cmd/prometheus" "$PROMETHEUS_MODULE/cmd/promtool")
  [[ -n $tags ]] && : >"$out/ui-embedded"
  rm -rf "$work"
}

prometheus_ui() {
  local src=$1 node_bin
  node_bin=$(dirname "$(readlink -f "$ROOT/node_modules/.bin/node" 2>/dev/null || command -v node)")
  (
    set -e
    export PATH="$node_bin:$PATH" CI=""
    cd "$src/web/ui"
    say "prometheus: installing the web UI's dependencies (pnpm ${PNPM_VERSION}, npm registry)" >&3
    npx --yes "pnpm@${PNPM_VERSION}" install --frozen-lockfile
    say "prometheus: building the web UI" >&3
    npx --yes "pnpm@${PNPM_VERSION}" run build:module
    npx --yes "pnpm@${PNPM_VERSION}" run build:mantine-ui
    cd "$src"
    bash scripts/compress_assets.sh
  )
}

# k8s.io/kubernetes replaces its 33 staging modules (k8s.io/api, k8s.io/client-go, ...) with local
# directories; the proxy serves each of them as its own module at v0.<minor>.<patch>.
build_kubernetes() {
  local out=$1 work="$1/.work" staging=() modfile name
  mkdir -p "$work"
  modfile=$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@${KUBERNETES_VERSION}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  while read -r name; do
    staging+=("$name => $name v0${KUBERNETES_VERSION#v1}")
  done < <(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => \./staging/src/.*#\1#p' "$modfile")
  ((${#staging[@]} > 0)) || return 1
  local packages=() binary
  for binary in "${KUBERNETES_BINARIES[@]}"; do packages+=("k8s.io/kubernetes/cmd/$binary"); done
  wrapper_module "$work" k8s.io/kubernetes "$KUBERNETES_VERSION" "${packages[@]}" -- "${staging[@]}"
  local minor=${KUBERNETES_VERSION#v1.}
  minor=${minor%%.*}
  local stamp="-X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor}"
  stamp+=" -X k8s.io/client-go/pkg/version.gitVersion=${KUBERNETES_VERSION} -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=${minor}"
  (cd "$work" && CGO_ENABLED=0 go_build kubernetes -trimpath -ldflags="-s -w $stamp" -o "$out/" "${packages[@]}")
  cp "$work/go.mod" "$out/wrapper.go.mod"
  rm -rf "$work"
}

build_coredns() {
  local out=$1 work="$1/.work"
  wrapper_module "$work" github.com/coredns/coredns "$COREDNS_VERSION" github.com/coredns/coredns
  (cd "$work" && CGO_ENABLED=0 go_build coredns -trimpath -ldflags='-s -w' -o "$out/coredns" github.com/coredns/coredns)
  rm -rf "$work"
}

build_kube-router() {
  local out=$1 work="$1/.work" module=github.com/cloudnativelabs/kube-router/v2
  wrapper_module "$work" "$module" "$KUBE_ROUTER_VERSION" "$module/cmd/kube-router"
  (cd "$work" && CGO_ENABLED=0 go_build kube-router -trimpath -ldflags='-s -w' -o "$out/kube-router" "$module/cmd/kube-router")
  rm -rf "$work"
}

# The sandbox program every pod starts with, from the Kubernetes module's own source, linked statically.
build_pause() {
  local out=$1 dir
  command -v gcc >/dev/null 2>&1 || return 1
  dir=$(cd "$out" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@${KUBERNETES_VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  gcc -Os -Wall -Werror -static -DVERSION="v${PAUSE_VERSION}" -o "$out/pause" "$dir/build/pause/linux/pause.c"
  strip "$out/pause"
}

ensure_go_tool() {
  local tool=$1 build dir binary
  build=$(build_of "$tool")
  read -r dir binary < <(cache_entry "$build")
  if [[ ! -x $dir/$binary ]]; then
    require_go
    build_atomically "$build" "$dir" "$binary" "build_$build"
  fi
  [[ $build == kubernetes || $build == prometheus ]] && binary=$tool
  printf '%s\n' "$dir/$binary"
}

is_go_tool() {
  case $(build_of "$1") in
    otelcol | jaeger | k6 | prometheus | kubernetes | coredns | kube-router | pause) return 0 ;;
    *) return 1 ;;
  esac
}

ensure() {
  local tool
  case $1 in
    # In the order that gets the native stack up soonest: the Collector first, k6 (small) before Jaeger.
    all) for tool in otelcol k6 prometheus jaeger; do ensure "$tool"; done ;;
    cluster) for tool in "${KUBERNETES_BINARIES[@]}" coredns kube-router pause; do ensure "$tool"; done ;;
    *)
      is_go_tool "$1" || usage
      ensure_go_tool "$1"
      ;;
  esac
}

path_of() {
  local dir binary build
  case $1 in
    *)
      is_go_tool "$1" || usage
      build=$(build_of "$1")
      read -r dir binary < <(cache_entry "$build")
      [[ $build == kubernetes || $build == prometheus ]] && binary=$1
      [[ -x $dir/$binary ]] || exit 1
      printf '%s\n' "$dir/$binary"
      ;;
  esac
}

list() {
  printf '%s\t%s\n' otelcol "$OTELCOL_VERSION" jaeger "$JAEGER_RELEASE (module $JAEGER_MODULE_VERSION)" k6 "${K6_VERSION#v}" \
    prometheus "$PROMETHEUS_RELEASE (module $PROMETHEUS_MODULE_VERSION)" \
    kubernetes "${KUBERNETES_VERSION#v}" coredns "${COREDNS_VERSION#v}" kube-router "${KUBE_ROUTER_VERSION#v}" pause "$PAUSE_VERSION"
}

case ${1:-} in
  ensure) [[ $# -eq 2 ]] || usage; ensure "$2" ;;
  path) [[ $# -eq 2 ]] || usage; path_of "$2" ;;
  list) [[ $# -eq 1 ]] || usage; list ;;
  *) usage ;;
esac
