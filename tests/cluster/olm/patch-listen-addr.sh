#!/usr/bin/env bash
# Usage: patch-listen-addr.sh DIR. Copies the pinned OLM and operator-registry modules into DIR with two small
# patches and prints the path of a go.work file that builds this folder's module against those copies.
# Why: the local test cluster runs olm, catalog and opm as host processes, and upstream binds them to every
# interface with no flag to change it. Unset, the variables below keep upstream behaviour.
# - OLM pkg/lib/server (olm and catalog health/metrics server, hard-coded ":8080", ":8443" with TLS):
#   listens on $OLM_HEALTH_ADDR when set.
# - operator-registry cmd/opm/serve (`opm serve -p PORT` listens on ":PORT"): listens on $OPM_SERVE_HOST:PORT.
# Go refuses `-overlay` for files in the module cache, hence the copies (about 50 MB).
set -euo pipefail
dir=$1
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
olm_mod=github.com/operator-framework/operator-lifecycle-manager
reg_mod=github.com/operator-framework/operator-registry

copy_module() { # module -> path of its writable copy
  local src dst
  # `go mod download -json` downloads the pinned version when the module cache is cold (`go list -m` would
  # print an empty Dir there).
  src=$(go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -d $src ]] || { echo "patch-listen-addr.sh: cannot find the source of $1" >&2; exit 1; }
  dst="$dir/$(basename "$1")"
  rm -rf "$dst" && mkdir -p "$dir" && cp -r "$src" "$dst" && chmod -R u+w "$dst"
  echo "$dst"
}

patch() { # file sed-expression expected-count
  sed -i "$2" "$1"
  [[ $(grep -c "$4" "$1") == "$3" ]] || {
    echo "patch-listen-addr.sh: upstream $1 changed; update its sed pattern" >&2; exit 1; }
}

olm=$(copy_module $olm_mod)
server="$olm/pkg/lib/server"
patch "$server/server.go" 's/return ":\(8080\|8443\)"/return healthAddr(":\1")/' 2 'return healthAddr('
cat > "$server/health_addr.go" <<'GO'
package server

import "os"

// healthAddr returns $OLM_HEALTH_ADDR when set (patch of olm-gather's local test cluster build).
func healthAddr(def string) string {
	if a := os.Getenv("OLM_HEALTH_ADDR"); a != "" {
		return a
	}
	return def
}
GO

reg=$(copy_module $reg_mod)
patch "$reg/cmd/opm/serve/serve.go" 's/net.Listen("tcp", ":"+s.port)/net.Listen("tcp", os.Getenv("OPM_SERVE_HOST")+":"+s.port)/' \
  1 'os.Getenv("OPM_SERVE_HOST")'

cat > "$dir/go.work" <<WORK
go $(sed -n 's/^go //p' go.mod)

use $here

replace $olm_mod => $olm

replace $reg_mod => $reg
WORK
echo "$dir/go.work"
