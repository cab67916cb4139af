#!/usr/bin/env bash
# scripts/own-image.sh — build stagescope's own image from ./Dockerfile with
# buildah and gate it with stagescope itself (.ci/run runs this).
#
#   scripts/own-image.sh [OUT_DIR]     (default /var/tmp/stagescope-own-image)
#
# The Dockerfile's builder (GO_IMAGE) is normally golang:1.26 from Docker Hub,
# which this CI machine cannot reach. So the builder is made here from the
# machine's own Go (/usr/local/go, statically linked), busybox-static for
# the shell RUN needs, and the machine's CA certificates (go mod download
# fetches from the module proxy over HTTPS). Nothing is pulled.
#
# Then: buildah bud (chroot isolation, no OCI runtime needed; RUN
# --mount=type=cache keeps the module and build caches between runs), an
# export as a docker-archive, and `stagescope inspect` on it with the gate of
# .ci/own-image.stagescope.yaml (efficiency >= 0.99, no wasted bytes, no leftovers).
#
# Needs root, buildah and busybox-static. Uses a containers-storage of its own
# under OUT_DIR, so it never touches another build's images.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=${1:-/var/tmp/stagescope-own-image}
GO_VERSION=$(go env GOVERSION)
BUILDER=localhost/stagescope-go-builder:$GO_VERSION
IMAGE=localhost/stagescope:ci

mkdir -p "$OUT"
printf '%s\n' '[storage]' 'driver = "overlay"' "graphroot = \"$OUT/storage\"" "runroot = \"$OUT/run\"" >"$OUT/storage.conf"
export CONTAINERS_STORAGE_CONF=$OUT/storage.conf
# buildah keeps RUN --mount=type=cache directories under TMPDIR.
export TMPDIR=$OUT/tmp
mkdir -p "$TMPDIR"

log() { printf 'own-image: %s\n' "$*"; }

# make_builder: an image with the machine's Go, a shell and CA certificates.
make_builder() {
	if buildah inspect --type image "$BUILDER" >/dev/null 2>&1; then
		log "builder $BUILDER already there"
		return
	fi
	local ctr mnt
	ctr=$(buildah from --pull=never scratch)
	mnt=$(buildah mount "$ctr")
	mkdir -p "$mnt/usr/local" "$mnt/bin" "$mnt/etc/ssl/certs" "$mnt/tmp" "$mnt/root"
	chmod 1777 "$mnt/tmp"
	cp -a "$(go env GOROOT)" "$mnt/usr/local/go"
	cp /bin/busybox "$mnt/bin/busybox"
	chroot "$mnt" /bin/busybox --install -s /bin
	cp /etc/ssl/certs/ca-certificates.crt "$mnt/etc/ssl/certs/"
	echo 'root:x:0:0:root:/root:/bin/sh' >"$mnt/etc/passwd"
	buildah umount "$ctr" >/dev/null
	buildah config --env PATH=/usr/local/go/bin:/root/go/bin:/bin --env HOME=/root \
		--env GOPROXY="$(go env GOPROXY)" --env GOSUMDB="$(go env GOSUMDB)" "$ctr"
	buildah commit --quiet --rm "$ctr" "$BUILDER" >/dev/null
	log "builder $BUILDER made from $(go env GOROOT) ($GO_VERSION)"
}

build_image() {
	local commit date version
	commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
	date=$(git log -1 --format=%cI 2>/dev/null || echo unknown)
	version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
	buildah bud --quiet --layers --isolation chroot --pull=never --format oci \
		--build-arg GO_IMAGE="$BUILDER" --build-arg VERSION="$version" \
		--build-arg COMMIT="$commit" --build-arg DATE="$date" \
		-t "$IMAGE" -f Dockerfile . >/dev/null
	rm -f "$OUT/stagescope.tar"
	buildah push --quiet "$IMAGE" "docker-archive:$OUT/stagescope.tar:stagescope:ci" >/dev/null
	log "built $IMAGE ($version) -> $OUT/stagescope.tar ($(du -h "$OUT/stagescope.tar" | cut -f1))"
}

# gate: the image's own report, with .stagescope.yaml's thresholds; the
# binary inspects itself in the image it ships in.
gate() {
	go build -o "$OUT/stagescope" ./cmd/stagescope
	"$OUT/stagescope" inspect -o json "$OUT/stagescope.tar" >"$OUT/report.json"
	"$OUT/stagescope" inspect -o text --config .ci/own-image.stagescope.yaml "$OUT/stagescope.tar"
}

make_builder
build_image
gate
