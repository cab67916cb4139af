#!/usr/bin/env bash
# scripts/own-image.sh — build stagescope's own image from ./Dockerfile with
# buildah and gate it with stagescope itself (.ci/run runs this).
#
#   scripts/own-image.sh [OUT_DIR]     (default /var/tmp/stagescope-own-image)
#
# The Dockerfile's builder (GO_IMAGE) is normally golang:1.26 from Docker Hub,
# which this CI machine cannot reach. So the builder is made here: busybox-
# static for the shell RUN needs, the machine's CA certificates (go mod
# download fetches from the module proxy over HTTPS) and the machine's own Go
# (statically linked), which every RUN gets read-only at /usr/local/go
# (buildah bud --volume) rather than as a 270 MB copy in a layer. Nothing is
# pulled.
#
# The Dockerfile's cache mounts (RUN --mount=type=cache: the module cache and
# the build cache) are the machine's own Go caches, as a warm BuildKit cache
# would be: go mod download finds what `go mod download` on the host
# fetched, and packages already compiled with the same flags are not compiled
# again. Every step of the Dockerfile still runs.
#
# Then: buildah bud (chroot isolation, no OCI runtime needed), an export as a
# docker-archive, and the image's own stagescope binary runs `stagescope
# inspect` on it with the gate of .ci/own-image.stagescope.yaml (efficiency
# >= 0.99, no wasted bytes, no leftovers).
#
# Needs root, buildah and busybox-static. Uses a containers-storage of its own
# under OUT_DIR, so it never touches another build's images.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=${1:-/var/tmp/stagescope-own-image}
GOROOT=$(go env GOROOT)
BUILDER=localhost/stagescope-go-builder:busybox
IMAGE=localhost/stagescope:ci

mkdir -p "$OUT"
printf '%s\n' '[storage]' 'driver = "overlay"' "graphroot = \"$OUT/storage\"" "runroot = \"$OUT/run\"" >"$OUT/storage.conf"
export CONTAINERS_STORAGE_CONF=$OUT/storage.conf
# buildah keeps RUN --mount=type=cache directories under $TMPDIR/buildah-cache,
# one per target path.
export TMPDIR=$OUT/tmp
CACHES=$TMPDIR/buildah-cache
mkdir -p "$TMPDIR"

log() { printf 'own-image: %s\n' "$*"; }

# make_builder: an image with a shell, CA certificates and Go's PATH; Go
# itself is mounted into each RUN by build_image.
make_builder() {
	if buildah inspect --type image "$BUILDER" >/dev/null 2>&1; then
		log "builder $BUILDER already there"
		return
	fi
	local ctr mnt
	ctr=$(buildah from --pull=never scratch)
	mnt=$(buildah mount "$ctr")
	mkdir -p "$mnt/usr/local/go" "$mnt/bin" "$mnt/etc/ssl/certs" "$mnt/tmp" "$mnt/root"
	chmod 1777 "$mnt/tmp"
	cp /bin/busybox "$mnt/bin/busybox"
	chroot "$mnt" /bin/busybox --install -s /bin
	cp /etc/ssl/certs/ca-certificates.crt "$mnt/etc/ssl/certs/"
	echo 'root:x:0:0:root:/root:/bin/sh' >"$mnt/etc/passwd"
	buildah umount "$ctr" >/dev/null
	buildah config --env PATH=/usr/local/go/bin:/root/go/bin:/bin --env HOME=/root \
		--env GOPROXY="$(go env GOPROXY)" --env GOSUMDB="$(go env GOSUMDB)" "$ctr"
	buildah commit --quiet --rm "$ctr" "$BUILDER" >/dev/null
	log "builder $BUILDER made (busybox, CA certificates; Go $(go env GOVERSION) from $GOROOT at build time)"
}

# link_caches: the Dockerfile's two cache mounts are the host's Go caches.
link_caches() {
	local target host
	for target in root/go/pkg/mod root/.cache/go-build; do
		case $target in
		*/mod) host=$(go env GOMODCACHE) ;;
		*) host=$(go env GOCACHE) ;;
		esac
		mkdir -p "$host" "$(dirname "$CACHES/$target")"
		ln -sfn "$host" "$CACHES/$target"
	done
}

# caches_used: warns when buildah made cache directories of its own (another
# buildah version's layout): the build then ran with cold caches.
caches_used() {
	local other
	other=$(find "$TMPDIR" -mindepth 1 ! -type l | grep -vxF -e "$CACHES" -e "$CACHES/root" \
		-e "$CACHES/root/go" -e "$CACHES/root/go/pkg" -e "$CACHES/root/.cache" || true)
	if [[ -n $other ]]; then
		log "warning: buildah kept cache mounts of its own ($(echo $other)), not the host's Go caches: the build ran cold"
	fi
}

build_image() {
	local commit date version start=$SECONDS
	commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
	date=$(git log -1 --format=%cI 2>/dev/null || echo unknown)
	version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
	buildah bud --quiet --layers --isolation chroot --pull=never --format oci \
		--volume "$GOROOT:/usr/local/go:ro" \
		--build-arg GO_IMAGE="$BUILDER" --build-arg VERSION="$version" \
		--build-arg COMMIT="$commit" --build-arg DATE="$date" \
		-t "$IMAGE" -f Dockerfile . >/dev/null
	caches_used
	rm -f "$OUT/stagescope.tar"
	buildah push --quiet "$IMAGE" "docker-archive:$OUT/stagescope.tar:stagescope:ci" >/dev/null
	log "built $IMAGE ($version) in $((SECONDS - start))s -> $OUT/stagescope.tar ($(du -h "$OUT/stagescope.tar" | cut -f1))"
}

# gate: the image's own binary reads the image it ships in, with the
# thresholds of .ci/own-image.stagescope.yaml.
gate() {
	local ctr mnt
	ctr=$(buildah from --pull=never "$IMAGE")
	mnt=$(buildah mount "$ctr")
	cp "$mnt/usr/local/bin/stagescope" "$OUT/stagescope"
	buildah rm "$ctr" >/dev/null
	"$OUT/stagescope" version
	"$OUT/stagescope" inspect -o json "$OUT/stagescope.tar" >"$OUT/report.json"
	"$OUT/stagescope" inspect -o text --config .ci/own-image.stagescope.yaml "$OUT/stagescope.tar"
}

make_builder
link_caches
build_image
gate
