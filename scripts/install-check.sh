#!/usr/bin/env bash
# scripts/install-check.sh [VERSION] — README's `go install` line, as
# written, against this checkout (#18).
#
# The module is not on the public proxy, so this serves it from a local
# module proxy (GOPROXY=file://…, the machine's proxy behind it for the
# dependencies): HEAD's files (git archive) as VERSION (default v0.1.0, the
# first release). Then, in a clean GOPATH (so a clean module cache), it runs
# README's install line exactly as README has it and the `stagescope
# version` line after it, which must name VERSION and the Go version.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=${1:-v0.1.0}
MOD=github.com/stagescope/stagescope

install_line=$(grep -m1 -E "^ *go install $MOD/cmd/stagescope@latest\$" README.md) ||
	{ echo "install-check: README.md has no 'go install $MOD/cmd/stagescope@latest' line" >&2; exit 1; }
version_line=$(grep -m1 -E '^ *stagescope version$' README.md) ||
	{ echo "install-check: README.md has no 'stagescope version' line" >&2; exit 1; }

work=$(mktemp -d /var/tmp/stagescope-install.XXXXXX)
# the module cache is read-only; make it removable
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

# The proxy: list, .info, .mod and the module zip of VERSION.
at=$work/proxy/$MOD/@v
mkdir -p "$at" "$work/src"
git archive --format=tar HEAD | tar -xf - -C "$work/src"
echo "$VERSION" >"$at/list"
printf '{"Version":"%s","Time":"%s"}\n' "$VERSION" "$(git log -1 --format=%cI | sed 's/+00:00$/Z/')" >"$at/$VERSION.info"
cp go.mod "$at/$VERSION.mod"
python3 - "$work/src" "$at/$VERSION.zip" "$MOD@$VERSION" <<'PY'
import os, sys, zipfile
src, out, prefix = sys.argv[1:]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for root, dirs, files in os.walk(src):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(root, f)
            if os.path.isfile(p) and not os.path.islink(p):
                z.write(p, prefix + "/" + os.path.relpath(p, src))
PY

export GOPATH=$work/gopath GOMODCACHE=$work/gopath/pkg/mod
export GOPROXY="file://$work/proxy,$(go env GOPROXY)"
export GONOSUMDB=$MOD GOFLAGS=-mod=mod
export PATH="$GOPATH/bin:$PATH"
echo "install-check: $install_line  (GOPROXY=$GOPROXY, clean GOPATH $GOPATH)"
eval "$install_line"
out=$(eval "$version_line")
echo "$out"
grep -q "$VERSION" <<<"$out" || { echo "install-check: 'stagescope version' does not name $VERSION" >&2; exit 1; }
grep -q "$(go env GOVERSION)" <<<"$out" || { echo "install-check: 'stagescope version' does not name $(go env GOVERSION)" >&2; exit 1; }
echo "install-check: README's install lines work ($VERSION from a local module proxy)"
