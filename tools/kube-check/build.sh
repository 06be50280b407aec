#!/usr/bin/env bash
# Builds the manifest checks into the tool cache and prints the path of kube-check:
#   <cache>/kube-check/<versions>-<source hash>/{kube-check,kube-check-schema,schemas/}
# The schemas are the OpenAPI v3 documents (api/openapi-spec/v3) of the k8s.io/kubernetes module
# at the version of the kind node image, taken from the Go module proxy, so validation runs
# offline against the API the workshop cluster serves.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache_root=${QOSLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qoslab}

# The Kubernetes version of the kind node image; the schemas must match the API the cluster serves.
kube_version=$(sed -n 's#^[[:space:]]*image:[[:space:]]*kindest/node:\(v[0-9.]*\)@.*#\1#p' "$repo/k8s/kind/cluster.yaml" | head -n1)
if [[ -z $kube_version ]]; then
  echo "kube-check: cannot read the kindest/node version from k8s/kind/cluster.yaml" >&2
  exit 1
fi

module_version() { # module version as required in a go.mod
  awk -v m="$2" '$1 == m { print $2; exit }' "$1"
}
psa_version=$(module_version "$here/go.mod" k8s.io/pod-security-admission)
kv_version=$(module_version "$here/schema/go.mod" sigs.k8s.io/kubectl-validate)
source_hash=$(
  cd "$here"
  { go version; cat go.mod go.sum ./*.go schema/go.mod schema/go.sum schema/*.go; } | sha256sum | cut -c1-12
)
key="psa-${psa_version}_kubectl-validate-${kv_version}_k8s-${kube_version}-${source_hash}"
dest="$cache_root/kube-check/$key"

if [[ -x $dest/kube-check && -x $dest/kube-check-schema && -f $dest/schemas/api/v1.json ]]; then
  echo "$dest/kube-check"
  exit 0
fi

mkdir -p "$cache_root/kube-check"
work=$(mktemp -d "$cache_root/kube-check/.build.XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

echo "kube-check: building Pod Security checks (k8s.io/pod-security-admission $psa_version)" >&2
(cd "$here" && go build -trimpath -o "$work/kube-check" .)
echo "kube-check: building schema validation (sigs.k8s.io/kubectl-validate $kv_version)" >&2
(cd "$here/schema" && go build -trimpath -o "$work/kube-check-schema" .)

echo "kube-check: fetching the OpenAPI documents of Kubernetes $kube_version" >&2
k8s_dir=$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$kube_version" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
spec="$k8s_dir/api/openapi-spec/v3"
if [[ ! -f $spec/api__v1_openapi.json ]]; then
  echo "kube-check: no OpenAPI documents in $spec" >&2
  exit 1
fi
# api__v1_openapi.json -> api/v1.json; apis__apps__v1_openapi.json -> apis/apps/v1.json;
# the discovery documents (api_openapi.json, apis__apps_openapi.json, ...) are skipped.
for file in "$spec"/*_openapi.json; do
  name=$(basename "$file" _openapi.json)
  IFS=' ' read -r -a parts <<<"${name//__/ }"
  case "${parts[0]}:${#parts[@]}" in
    api:2) target="api/${parts[1]}.json" ;;
    apis:3) target="apis/${parts[1]}/${parts[2]}.json" ;;
    *) continue ;;
  esac
  mkdir -p "$work/schemas/$(dirname "$target")"
  cp "$file" "$work/schemas/$target"
done
chmod -R u+w "$work/schemas"
printf '%s\n' "$kube_version" >"$work/schemas/VERSION"

rm -rf "$dest"
mv "$work" "$dest"
trap - EXIT
echo "$dest/kube-check"
