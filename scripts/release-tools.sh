#!/usr/bin/env bash
# scripts/release-tools.sh TOOL... — installs the pinned release tools into
# $(go env GOPATH)/bin with `go install`, each only when that exact version
# is not already there. TOOL is goreleaser or syft (GoReleaser's SBOM tool).
#
# Neither has a Debian package, and GoReleaser's npm package downloads its
# binary from GitHub, which CI cannot reach: both are compiled from the Go
# module proxy. That is large (GoReleaser alone is some 300 modules), so the
# first install on a machine takes many minutes; see README, "CI".
# .ci/run installs goreleaser; scripts/release-snapshot.sh both.
set -euo pipefail

GORELEASER_VERSION=v2.17.0
SYFT_VERSION=v1.57.2

bin=$(go env GOPATH)/bin

# install MODULE VERSION BINARY
install() {
	local have
	# No binary yet is no version: go version -m fails, which under
	# pipefail and -e would end the script silently on a fresh machine.
	have=$(go version -m "$bin/$3" 2>/dev/null | awk '$1 == "mod" { print $2 "@" $3 }') || have=""
	if [[ $have == "$1@$2" ]]; then
		echo "release-tools: $3 $2 already installed"
		return
	fi
	local pkg=$1${4:+/$4}@$2 start=$SECONDS
	echo "release-tools: go install $pkg"
	# Static (CGO_ENABLED=0): .ci/run starts this while apt may still be
	# installing gcc.
	CGO_ENABLED=0 go install "$pkg"
	echo "release-tools: $3 $2 installed in $((SECONDS - start))s"
}

for tool in "$@"; do
	case $tool in
	goreleaser) install github.com/goreleaser/goreleaser/v2 "$GORELEASER_VERSION" goreleaser ;;
	syft) install github.com/anchore/syft "$SYFT_VERSION" syft cmd/syft ;;
	*)
		echo "release-tools: unknown tool $tool (want goreleaser or syft)" >&2
		exit 2
		;;
	esac
done
