#!/usr/bin/env bash
# Builds local stand-ins for the third-party images the compose file pins, from programs built or
# installed on this machine, since no registry is reachable here:
#
#   scaffolding/images/standins.sh [postgres|otelcol|jaeger|prometheus|k6]...   (default: all)
#
# Prints, for each image, the variable that docker-compose.yml reads to override the public image
# (e.g. OTELCOL_IMAGE=qoslab-local/otelcol-contrib:0.162.0-ab12cd34ef56), plus NODE_IMAGE for the
# service builds; the output can be used as an env file. Progress goes to stderr. An image whose
# inputs (Dockerfile, binary, base image) are unchanged is not rebuilt.
# Grafana has no stand-in: there is no Grafana package or buildable module here.
set -euo pipefail
SCRIPT_NAME=standins.sh
# shellcheck source=scaffolding/images/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STANDINS_DIR="$IMAGES_DIR/standins"
CA_BUNDLE="${QOSLAB_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
ALL=(postgres otelcol jaeger prometheus k6)

toolchain() {
  "$REPO_ROOT/tools/toolchain.sh" ensure "$1" | tail -n1
}

# build NAME TAG CONTEXT_FILE... : docker build of standins/NAME with the extra files copied in.
build() {
  local name="$1" tag="$2"
  shift 2
  local key
  key="$(printf '%s\n' "$BASE_TAG" "$(hash_files "$STANDINS_DIR/$name/"* "$@")" | sha256sum | cut -c1-12)"
  if image_current "$tag" "$key"; then
    return 0
  fi
  local ctx
  ctx="$(mktemp -d "$QOSLAB_CACHE/images/.$name-XXXXXX")"
  cp -p "$STANDINS_DIR/$name/"* "$ctx/"
  local file
  for file in "$@"; do
    cp -p "$file" "$ctx/"
  done
  log "building $tag"
  if ! docker build --quiet --build-arg "BASE_IMAGE=$BASE_TAG" --label "qoslab.inputs=$key" -t "$tag" "$ctx" \
    >"$QOSLAB_CACHE/images/$name-build.log" 2>&1; then
    rm -rf "$ctx"
    die "building $tag failed; see $QOSLAB_CACHE/images/$name-build.log"
  fi
  rm -rf "$ctx"
}

# The tool cache directory of a binary names its version (e.g. k6/1.7.1/k6).
version_dir() {
  basename "$(dirname "$1")"
}

standin() {
  local name="$1" tag bin
  case "$name" in
    postgres)
      tag="$LOCAL_PREFIX/postgres:15-bookworm"
      build postgres "$tag"
      printf 'POSTGRES_IMAGE=%s\n' "$tag"
      ;;
    otelcol)
      bin="$(toolchain otelcol)"
      tag="$LOCAL_PREFIX/otelcol-contrib:$(version_dir "$bin")"
      local work
      work="$(mktemp -d "$QOSLAB_CACHE/images/.otelcol-files-XXXXXX")"
      cp -p "$REPO_ROOT/otel-collector/config.yaml" "$work/config.yaml"
      cp -p "$CA_BUNDLE" "$work/ca-certificates.crt"
      cp -p "$bin" "$work/otelcol"
      build otelcol "$tag" "$work/otelcol" "$work/config.yaml" "$work/ca-certificates.crt"
      rm -rf "$work"
      printf 'OTELCOL_IMAGE=%s\n' "$tag"
      ;;
    jaeger)
      bin="$(toolchain jaeger)"
      tag="$LOCAL_PREFIX/jaeger:$(version_dir "$bin")"
      build jaeger "$tag" "$bin"
      printf 'JAEGER_IMAGE=%s\n' "$tag"
      ;;
    prometheus)
      bin="$(toolchain prometheus)"
      tag="$LOCAL_PREFIX/prometheus:$(version_dir "$bin")"
      build prometheus "$tag" "$bin" "$(dirname "$bin")/promtool"
      printf 'PROMETHEUS_IMAGE=%s\n' "$tag"
      ;;
    k6)
      bin="$(toolchain k6)"
      tag="$LOCAL_PREFIX/k6:$(version_dir "$bin")"
      build k6 "$tag" "$bin"
      printf 'K6_IMAGE=%s\n' "$tag"
      ;;
    *) die "unknown stand-in '$name'; choose from: ${ALL[*]}" ;;
  esac
}

require_docker
[[ -f "$CA_BUNDLE" ]] || die "no CA bundle at $CA_BUNDLE (set QOSLAB_CA_BUNDLE)"
mkdir -p "$QOSLAB_CACHE/images"
base_images="$("$IMAGES_DIR/base.sh")"
mapfile -t bases <<<"$base_images"
BASE_TAG="${bases[0]}"
printf 'NODE_IMAGE=%s\n' "${bases[1]}"
(($# > 0)) || set -- "${ALL[@]}"
for name in "$@"; do
  standin "$name"
done
