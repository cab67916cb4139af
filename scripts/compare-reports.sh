#!/usr/bin/env bash
# compare-reports.sh — write every report stagescope makes of the fixture
# images into a directory, so that a refactor can be checked byte for byte:
#
#   scripts/compare-reports.sh /tmp/before          # on the commit before
#   scripts/compare-reports.sh /tmp/after           # on the commit after
#   diff -r /tmp/before /tmp/after                  # must print nothing
#
# or, with a second argument, write OUTDIR and compare it with BASELINE:
#
#   scripts/compare-reports.sh /tmp/after /tmp/before
#
# Images: testdata/leftovers.tar, dive's test images (testdata/dive, as
# analyze/dive_test.go opens them) and every docker archive of the shared
# images ($STAGESCOPE_IMAGES, default /var/cache/stagescope-images) that is
# built. For each: -o json, -o text and -o sarif; -o json and -o text again
# with a CI gate (a config file and flags), ignored rules and path globs (exit status 1 from
# a failed gate is expected and recorded). Diffs: leftovers.tar against dive's
# docker image, and each shared app's naive build against its multi build,
# as text and as JSON with every path (--max-paths 0). Every file records the
# exit status on its last line; stderr goes beside it (.err).
#
# COMPARE_SHARED, a shell glob, picks the shared images (default "*", all of
# them); e.g. COMPARE_SHARED='*-multi' for a quicker run on the small ones.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 OUTDIR [BASELINE]" >&2
	exit 2
fi
out=$1
base=${2:-}
images=${STAGESCOPE_IMAGES:-/var/cache/stagescope-images}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=$tmp/stagescope
go build -o "$bin" ./cmd/stagescope
cat >"$tmp/gate.yaml" <<'YAML'
rules:
  lowestEfficiency: 0.999
  highestWastedBytes: 1000
  highestUserWastedPercent: 0.001
  highestImageBytes: 100MB
  highestLeftoverBytes: 1MB
  highestCategoryBytes:
    toolchain: 0
    secret: 0
  forbiddenRules: [secret.dotenv, vcs.git]
ignore:
  rules: [build-cache.tmp]
  paths: ["**/*.map", "usr/share/man/**", "app/node_modules/*"]
YAML

# run NAME ARGS...: stdout to OUTDIR/NAME, stderr to OUTDIR/NAME.err, the
# exit status appended to stdout's file.
run() {
	local name=$1
	shift
	local rc=0
	"$bin" "$@" >"$out/$name" 2>"$out/$name.err" </dev/null || rc=$?
	echo "exit $rc" >>"$out/$name"
}

# inspect NAME REF [FLAGS...]: every inspect report of one image.
inspect() {
	local name=$1 ref=$2
	shift 2
	for f in json text sarif; do
		run "$name.$f" inspect --no-daemon -o "$f" "$@" "$ref"
	done
	for f in json text; do
		run "$name.gate-ignore.$f" inspect --no-daemon -o "$f" "$@" --config "$tmp/gate.yaml" \
			--highest-category-bytes docs=10kB --ignore docs.man --ignore 'usr/share/doc' "$ref"
	done
}

inspect leftovers testdata/leftovers.tar
inspect dive-docker docker-archive:testdata/dive/test-docker-image.tar
inspect dive-kaniko docker-archive:testdata/dive/test-kaniko-image.tar
inspect dive-oci-docker docker-archive:testdata/dive/test-oci-docker-image.tar.gz
inspect dive-oci-zstd oci-archive:testdata/dive/test-oci-zstd-image.tar --platform linux/arm64
run diff-leftovers-dive.text diff --no-daemon testdata/leftovers.tar docker-archive:testdata/dive/test-docker-image.tar
run diff-leftovers-dive.json diff --no-daemon -o json --max-paths 0 testdata/leftovers.tar docker-archive:testdata/dive/test-docker-image.tar

shared=0
for tar in "$images"/docker-archive/${COMPARE_SHARED:-*}.tar; do
	[ -e "$tar" ] || continue
	name=$(basename "$tar" .tar)
	inspect "shared-$name" "docker-archive:$tar"
	shared=$((shared + 1))
	case $name in
	*-naive)
		multi="$images/docker-archive/${name%-naive}-multi.tar"
		if [ -e "$multi" ]; then
			run "diff-$name.text" diff --no-daemon "docker-archive:$tar" "docker-archive:$multi"
			run "diff-$name.json" diff --no-daemon -o json --max-paths 0 "docker-archive:$tar" "docker-archive:$multi"
		fi
		;;
	esac
done
echo "compare-reports: $(find "$out" -type f ! -name '*.err' | wc -l) reports in $out ($shared shared images)"

if [ -n "$base" ]; then
	# Only the reports both runs made: the shared images may have grown.
	status=0
	for f in "$base"/*; do
		n=$(basename "$f")
		if [ -e "$out/$n" ]; then
			cmp -s "$f" "$out/$n" || { echo "differs: $n" >&2; status=1; }
		fi
	done
	for f in "$out"/*; do
		[ -e "$base/$(basename "$f")" ] || echo "compare-reports: new, not compared: $(basename "$f")" >&2
	done
	if [ $status -ne 0 ]; then
		echo "compare-reports: reports differ from $base" >&2
		exit 1
	fi
	echo "compare-reports: identical to $base"
fi
