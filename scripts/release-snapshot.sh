#!/usr/bin/env bash
# scripts/release-snapshot.sh — the whole release, as a tag would make it,
# without publishing anything: every archive (linux, darwin, windows x amd64,
# arm64), checksums.txt and one SBOM per archive, into dist/.
#
#   scripts/release-snapshot.sh                  # the whole release snapshot
#   scripts/release-snapshot.sh --single-target  # what .ci/run does: check the
#                                                # config, build this platform's
#                                                # binary only (no syft needed)
#
# Installs the pinned GoReleaser and syft (GoReleaser's SBOM tool) first
# (scripts/release-tools.sh: `go install`, only when missing; the first time
# on a machine that takes many minutes). Then checks what came out: the
# binary for this platform prints the version, commit, date and Go version
# the release's ldflags set; and for the whole release, the checksums verify,
# every archive has its SBOM, and every archive carries the binary, the
# licences, the man pages and completions.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(go env GOPATH)/bin:$PATH"

fail() {
	echo "release-snapshot: $*" >&2
	exit 1
}

# check_version BIN: `BIN version` names the snapshot version of this
# commit, the commit, its date (GoReleaser's CommitDate: UTC, RFC 3339) and
# the Go version.
check_version() {
	local out want
	out=$("$1" version)
	echo "$out"
	for want in "-snapshot+$(git rev-parse --short HEAD)" "commit:   $(git rev-parse HEAD)" \
		"date:     $(TZ=UTC git log -1 --date=format-local:%Y-%m-%dT%H:%M:%SZ --format=%cd)" \
		"go:       $(go env GOVERSION)"; do
		grep -qF -- "$want" <<<"$out" || fail "'$1 version' lacks '$want'"
	done
}

# GoReleaser reads the remote's URL, and in a snapshot drops all of the git
# information (commit, date: "none") when there is no remote, as in a
# worktree of a local clone. Then the project's URL is named, in this
# process's environment only.
if [[ -z $(git remote) ]]; then
	export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url GIT_CONFIG_VALUE_0=https://github.com/stagescope/stagescope.git
fi

case ${1:-} in
--single-target)
	scripts/release-tools.sh goreleaser
	goreleaser check
	goreleaser build --snapshot --clean --single-target --output dist/stagescope
	check_version dist/stagescope
	echo "release-snapshot: config valid; dist/stagescope ($(go env GOOS)/$(go env GOARCH)) built by GoReleaser"
	exit 0
	;;
"") ;;
*)
	echo "usage: scripts/release-snapshot.sh [--single-target]" >&2
	exit 2
	;;
esac

scripts/release-tools.sh goreleaser syft
goreleaser check
goreleaser release --snapshot --clean

check_version "$(find dist -type f -name stagescope -path "dist/stagescope_$(go env GOOS)_$(go env GOARCH)*")"
cd dist
sha256sum --check --strict checksums.txt
archives=(stagescope_*.tar.gz stagescope_*.zip)
((${#archives[@]} == 6)) || fail "${#archives[@]} archives, want 6"
for a in "${archives[@]}"; do
	[[ -s $a.sbom.json ]] || fail "no SBOM for $a"
	case $a in
	*.zip) list=$(unzip -Z1 "$a") ;;
	*) list=$(tar -tzf "$a") ;;
	esac
	for want in LICENSE NOTICE THIRD_PARTY_LICENSES.md man/man1/stagescope.1 man/man1/stagescope-inspect.1 \
		completions/stagescope.bash completions/stagescope.zsh completions/stagescope.fish completions/stagescope.ps1; do
		grep -qx "$want" <<<"$list" || fail "$a lacks $want"
	done
	grep -Eqx 'stagescope(\.exe)?' <<<"$list" || fail "$a lacks the binary"
done
echo "release-snapshot: ${#archives[@]} archives, checksums and SBOMs in dist/"
