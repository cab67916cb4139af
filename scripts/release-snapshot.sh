#!/usr/bin/env bash
# scripts/release-snapshot.sh — the whole release, as a tag would make it,
# without publishing anything: every archive (linux, darwin, windows x amd64,
# arm64), checksums.txt and one SBOM per archive, into dist/.
#
# Installs the pinned GoReleaser and syft (GoReleaser's SBOM tool) with
# `go install` when they are missing: both are large, and compiling them
# takes several minutes on a small machine the first time. Then checks what
# came out: the checksums verify, every archive has its SBOM, and every
# archive carries the binary, the licences, the man pages and completions.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(go env GOPATH)/bin:$PATH"

GORELEASER_VERSION=v2.17.0
SYFT_VERSION=v1.57.2

install() { # MODULE@VERSION BINARY
	local have
	have=$(go version -m "$(go env GOPATH)/bin/$2" 2>/dev/null | awk '$1 == "mod" { print $2 "@" $3 }')
	[[ $have == "$1" ]] || go install "$1"
}
install "github.com/goreleaser/goreleaser/v2@${GORELEASER_VERSION}" goreleaser
install "github.com/anchore/syft/cmd/syft@${SYFT_VERSION}" syft

goreleaser check
goreleaser release --snapshot --clean

cd dist
sha256sum --check --strict checksums.txt
archives=(stagescope_*.tar.gz stagescope_*.zip)
((${#archives[@]} == 6)) || { echo "release-snapshot: ${#archives[@]} archives, want 6" >&2; exit 1; }
for a in "${archives[@]}"; do
	[[ -s $a.sbom.json ]] || { echo "release-snapshot: no SBOM for $a" >&2; exit 1; }
	case $a in
	*.zip) list=$(unzip -Z1 "$a") ;;
	*) list=$(tar -tzf "$a") ;;
	esac
	for want in LICENSE NOTICE THIRD_PARTY_LICENSES.md man/man1/stagescope.1 man/man1/stagescope-inspect.1 \
		completions/stagescope.bash completions/stagescope.zsh completions/stagescope.fish completions/stagescope.ps1; do
		grep -qx "$want" <<<"$list" || { echo "release-snapshot: $a lacks $want" >&2; exit 1; }
	done
	grep -Eqx 'stagescope(\.exe)?' <<<"$list" || { echo "release-snapshot: $a lacks the binary" >&2; exit 1; }
done
echo "release-snapshot: ${#archives[@]} archives, checksums and SBOMs in dist/"
