#!/usr/bin/env bash
# Builds the local test cluster's binaries from the pinned Go modules in this folder and caches them outside the
# repo, one folder per component keyed by its pins: a warm machine reuses them, only a cold one pays the build.
# Usage: build.sh [component...]   (components: kube etcd kwok olm; default: all). Prints nothing on a cache hit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/versions.env"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
cache_root="${OLM_GATHER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/olm-gather}/cluster"

# Bump a component's recipe revision when its build command below changes in a way that changes the binaries.
declare -A RECIPE=([kube]=1 [etcd]=1 [kwok]=1 [olm]=4)

# The key covers the component's pinned module files and recipe, so any change of pin or flag gives a new folder
# (and Go's own build cache keeps such a rebuild to the packages that changed).
component_dir() {
  local c=$1 sum
  sum=$( (cat "$here/$c/go.mod" "$here/$c/go.sum"; echo "${RECIPE[$c]}") | sha256sum | cut -c1-12)
  echo "$cache_root/$c-$sum"
}

build() {
  local c=$1 dir out
  dir=$(component_dir "$c")
  [[ -f "$dir/.complete" ]] && return 0
  out="$dir/bin"
  mkdir -p "$out"
  echo "building $c into $out (cold build, see README for timings)" >&2
  local start=$SECONDS
  cd "$here/$c"
  case $c in
    kube)
      local minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
      local pkg=k8s.io/component-base/version
      local ld="-s -w -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
      ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
      # One invocation so the commands share compilation of the common packages.
      CGO_ENABLED=0 go build -trimpath -ldflags "$ld" -o "$out/" \
        k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
        k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl ;;
    etcd)
      CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3 ;;
    kwok)
      local ld="-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION"
      CGO_ENABLED=0 go build -trimpath -ldflags "$ld" -o "$out/" sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl ;;
    olm)
      local ld="-s -w -X github.com/operator-framework/operator-lifecycle-manager/pkg/version.OLMVersion=${OLM_VERSION#v}"
      # Upstream binds these host processes to every interface with no flag to change it: build them against
      # copies of the modules patched to read the listen address from the environment (see the script).
      local work
      work=$("$here/olm/patch-listen-addr.sh" "$dir/src")
      GOWORK=$work GOFLAGS= CGO_ENABLED=0 go build -trimpath -tags json1 -ldflags "$ld" -o "$out/" \
        github.com/operator-framework/operator-lifecycle-manager/cmd/olm \
        github.com/operator-framework/operator-lifecycle-manager/cmd/catalog
      # opm embeds sqlite through cgo.
      GOWORK=$work GOFLAGS= CGO_ENABLED=1 go build -trimpath -tags json1,containers_image_openpgp -ldflags "-s -w" \
        -o "$out/opm" github.com/operator-framework/operator-registry/cmd/opm
      # An unpatched binary would bind *:8080 and clash with other processes: refuse to cache one.
      for b in olm catalog; do
        grep -q OLM_HEALTH_ADDR "$out/$b" || { echo "build.sh: $b was built without the listen patch" >&2; return 1; }
      done
      grep -q OPM_SERVE_HOST "$out/opm" || { echo "build.sh: opm was built without the listen patch" >&2; return 1; } ;;
    *) echo "unknown component $c" >&2; return 2 ;;
  esac
  echo "built $c in $((SECONDS - start))s" >&2
  touch "$dir/.complete"
}

# Prints the bin folder of a component (building it first if needed).
if [[ ${1:-} == --bin ]]; then
  build "$2"  # not in an && list: set -e must stay in force inside build
  echo "$(component_dir "$2")/bin"
  exit
fi
for c in "${@:-kube etcd kwok olm}"; do
  for one in $c; do build "$one"; done
done
