#!/usr/bin/env bash
# scripts/third-party-licenses.sh [--check] — write THIRD_PARTY_LICENSES.md
# and NOTICE from the packages the stagescope binary is built from.
#
# THIRD_PARTY_LICENSES.md: go-licenses' report (.ci/third-party-licenses.tpl),
# after `go-licenses check` has refused forbidden, restricted (copyleft) and
# unidentified licences. NOTICE: stagescope's own notice, then the NOTICE
# file of every module in the binary that ships one (Apache-2.0 section 4(d)
# asks that they be passed on), in module path order.
#
# With --check, nothing is written: the files are generated into a
# temporary directory and compared with the checked-in ones (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

GO_LICENSES_VERSION=v1.6.0
PKG=./cmd/stagescope
check=false
[[ ${1:-} == --check ]] && check=true

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# go-licenses looks up each module's source URL for its own report columns;
# this report uses none of them, and without network that lookup only logs.
go-licenses check "$PKG" --disallowed_types=forbidden,restricted,unknown 2>"$out/check.log" || {
	grep -v '^W' "$out/check.log" >&2
	echo "third-party-licenses: go-licenses check refused a licence (above)" >&2
	exit 1
}
go-licenses report "$PKG" --template .ci/third-party-licenses.tpl >"$out/THIRD_PARTY_LICENSES.md" 2>"$out/report.log" || {
	cat "$out/report.log" >&2
	exit 1
}

{
	cat <<'NOTICE'
stagescope
Copyright 2026 The stagescope Authors

This product is licensed under the Apache License, Version 2.0 (LICENSE).
It includes software from the third parties listed in
THIRD_PARTY_LICENSES.md. The notices those of them that ship a NOTICE file
ask to be passed on follow, each under the module it comes from.
NOTICE
	go list -deps -f '{{with .Module}}{{if not .Main}}{{.Path}}@{{.Version}} {{.Dir}}{{end}}{{end}}' "$PKG" |
		sort -u | while read -r mod dir; do
		for f in "$dir"/NOTICE "$dir"/NOTICE.txt "$dir"/NOTICE.md; do
			if [[ -f $f ]]; then
				printf '\n-------- %s --------\n\n' "$mod"
				sed -e '$a\' "$f"
			fi
		done
	done
} >"$out/NOTICE"

if $check; then
	status=0
	for f in THIRD_PARTY_LICENSES.md NOTICE; do
		if ! diff -u "$f" "$out/$f"; then
			echo "third-party-licenses: $f is not what go.mod gives: run scripts/third-party-licenses.sh" >&2
			status=1
		fi
	done
	[[ $status == 0 ]] && echo "third-party-licenses: THIRD_PARTY_LICENSES.md and NOTICE match go.mod"
	exit $status
fi
cp "$out/THIRD_PARTY_LICENSES.md" "$out/NOTICE" .
echo "third-party-licenses: wrote THIRD_PARTY_LICENSES.md and NOTICE"
