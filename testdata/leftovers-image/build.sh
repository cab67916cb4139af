#!/usr/bin/env bash
# build.sh — rebuilds testdata/leftovers.tar from the Dockerfile and context
# beside it. Run as root on Debian bookworm:
#
#   sudo testdata/leftovers-image/build.sh [OUTPUT.tar]
#
# Everything in the image comes from Debian packages (apt-get download) or
# from context/. The build uses its own buildah storage under a temporary
# directory, so it neither needs nor touches other images, and it can be run
# again at any time; the output differs only where Debian has published newer
# package versions. Tests compare against goldens made from the committed tar:
# after a rebuild, run `go test ./... -update` and review the diff.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../leftovers.tar}
out=$(realpath -m "$out")
tag=localhost/stagescope-testdata/leftovers:1

# Debian packages: the rootfs, the "build dependencies", and the node modules.
rootfs_pkgs=(busybox-static base-files)
build_pkgs=(libyaml-0-2 libyaml-dev)
# Pinned because package-lock.json names their versions.
node_pkgs=("node-ms=2.1.3+~cs0.7.31-3" "node-isexe=2.0.0+~2.0.1-5")
# busybox applets the Dockerfile's RUN steps use.
applets=(sh cat cp dpkg ln ls mkdir mv rm)

need=()
for tool in buildah git dpkg-deb apt-get; do
	command -v "$tool" >/dev/null || need+=("$tool")
done
if ((${#need[@]})); then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends buildah git ca-certificates
fi

work=$(mktemp -d /var/tmp/stagescope-testdata.XXXXXX)
store=(--root "$work/storage" --runroot "$work/run" --storage-driver overlay)
cleanup() {
	buildah "${store[@]}" rm --all >/dev/null 2>&1 || true
	buildah "${store[@]}" rmi --all --force >/dev/null 2>&1 || true
	umount -R "$work/storage/overlay" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

ctx=$work/context
cp -a "$here/context" "$ctx"
mkdir -p "$work/debs"
(cd "$work/debs" && apt-get download -q "${rootfs_pkgs[@]}" "${build_pkgs[@]}" "${node_pkgs[@]}" 2>&1 |
	grep -v 'Download is performed unsandboxed')

# register extracts a .deb into a root and records it in the dpkg database
# (status entry and file list), as dpkg --unpack would.
register() {
	local deb=$1 root=$2 pkg
	pkg=$(dpkg-deb -f "$deb" Package)
	dpkg-deb -x "$deb" "$root"
	mkdir -p "$root/var/lib/dpkg/info"
	{
		dpkg-deb -f "$deb" Package Source Version Architecture Maintainer Installed-Size \
			Depends Pre-Depends Section Priority Multi-Arch Homepage Description
		echo "Status: install ok installed"
		echo
	} >>"$root/var/lib/dpkg/status"
	dpkg-deb --fsys-tarfile "$deb" | tar -t | sed -e 's|^\./|/|' -e 's|/$||' -e 's|^$|/.|' \
		>"$root/var/lib/dpkg/info/$pkg.list"
}

# The rootfs: busybox-static (with the applet links the RUN steps use) and
# base-files.
root=$ctx/rootfs
mkdir -p "$root/var/lib/dpkg/info" "$root/tmp" "$root/root"
: >"$root/var/lib/dpkg/status"
for p in "${rootfs_pkgs[@]}"; do
	register "$work/debs/${p}_"*.deb "$root"
done
for a in "${applets[@]}"; do
	ln -s busybox "$root/bin/$a"
done
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"

# apt's leftovers: the .debs in its cache, and the lists of what it fetched
# (here only the stanzas of the packages installed).
mkdir -p "$ctx/apt/cache/apt/archives" "$ctx/apt/lib/apt/lists"
for p in "${build_pkgs[@]}"; do
	cp "$work/debs/${p}_"*.deb "$ctx/apt/cache/apt/archives/"
	apt-cache show --no-all-versions "$p" >>"$ctx/apt/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages"
done

# The app: node_modules from Debian's node packages, the .env and a .git.
app=$ctx/app
for p in "${node_pkgs[@]}"; do
	deb=$(echo "$work/debs/${p%%=*}_"*.deb)
	dpkg-deb -x "$deb" "$work/node"
done
for m in ms isexe @types/ms @types/isexe; do
	mkdir -p "$app/node_modules/$m"
	cp -a "$work/node/usr/share/nodejs/$m/." "$app/node_modules/$m/"
done
mv "$app/dot-env" "$app/.env"
(
	cd "$app"
	export GIT_AUTHOR_NAME=stagescope GIT_AUTHOR_EMAIL=stagescope@example.invalid
	export GIT_COMMITTER_NAME=stagescope GIT_COMMITTER_EMAIL=stagescope@example.invalid
	export GIT_AUTHOR_DATE=2024-01-01T00:00:00Z GIT_COMMITTER_DATE=2024-01-01T00:00:00Z
	git init -q -b main
	git add package.json package-lock.json config.json config.prod.json src
	git commit -q -m "leftovers demo app"
)

buildah "${store[@]}" bud --quiet --layers --isolation chroot --format docker \
	--timestamp 0 --pull=never -f "$here/Dockerfile" -t "$tag" "$ctx" >/dev/null
rm -f "$out"
buildah "${store[@]}" push --quiet "$tag" "docker-archive:$out:$tag"
echo "wrote $out ($(du -h "$out" | cut -f1))"
