#!/usr/bin/env bash
# bench/fix-build.sh — proves `stagescope fix` on the shared kit's naive apps: for each app it
# rewrites apps/<app>/Dockerfile.naive from the naive image, builds the rewrite with buildah
# against the same build context as the kit, and checks that it builds, that it holds the
# runtime files the app needs (its entrypoint and what that loads), and that its size (the
# layers, uncompressed) is within 1.15x of the kit's hand-written Dockerfile.multi image.
#
#   sudo bench/fix-build.sh                 # goapp capp webapp rustapp
#   sudo bench/fix-build.sh webapp goapp    # only these
#
# Needs root, buildah and git (the kit's build.sh installs them), the images of
# ../shared/images/build.sh ($STAGESCOPE_IMAGES) and the network the kit's builds use (npm
# registry, Debian mirror). It uses its own containers-storage under $WORK (deleted at the
# end unless KEEP=1) and never touches the kit's. The base images are loaded from the kit's
# docker archives; buildah runs with --isolation chroot --pull=never. Building takes minutes:
# it is not part of .ci/run, which tests the rewriter with golden Dockerfiles.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
IMAGES=${STAGESCOPE_IMAGES:-/var/cache/stagescope-images}
KIT=${STAGESCOPE_KIT:-$(cd "$ROOT/../shared/images" 2>/dev/null && pwd || echo /work/shared/images)}
WORK=${WORK:-/var/tmp/stagescope-fix-bench}
LIMIT=1.15
apps=("$@")
((${#apps[@]})) || apps=(goapp capp webapp rustapp)

die() { echo "fix-build: $*" >&2; exit 2; }
[[ -f $IMAGES/images.tsv || -d $IMAGES/docker-archive ]] || die "no shared images in $IMAGES (run ../shared/images/build.sh)"
command -v buildah >/dev/null || die "buildah is not installed"

mkdir -p "$WORK"/{ctx,out,storage,run}
cat > "$WORK/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$WORK/storage"
runroot = "$WORK/run"
EOF
export CONTAINERS_STORAGE_CONF=$WORK/storage.conf
SVC=
cleanup() {
  [[ -n $SVC ]] && kill "$SVC" 2>/dev/null
  ((${KEEP:-0})) || { buildah rm --all >/dev/null 2>&1 || true; rm -rf "$WORK/storage" "$WORK/run"; }
}
trap cleanup EXIT

(cd "$ROOT" && go build -o "$WORK/stagescope" ./cmd/stagescope)
SS=$WORK/stagescope

# the runtime files each app needs: its entrypoint and what that loads
declare -A need=(
  [goapp]="usr/local/bin/goapp"
  [capp]="usr/local/bin/gzstat usr/bin/sh usr/bin/head usr/lib/x86_64-linux-gnu/libz.so.1"
  [webapp]="usr/bin/node app/package.json app/dist/server.js app/node_modules/express/package.json app/node_modules/pino/package.json app/public/docs/swagger-ui.css"
  [rustapp]="usr/local/bin/rustapp usr/src/rustapp/static/bootstrap.min.css"
)

load_base() { # the kit's base images, from its docker archives
  local ref=$1 name
  buildah inspect --type image "$ref" >/dev/null 2>&1 && return
  name=${ref#localhost/}; name=${name//[:\/]/-}
  [[ -f $IMAGES/docker-archive/$name.tar ]] || die "base $ref: no $IMAGES/docker-archive/$name.tar"
  buildah pull --quiet "docker-archive:$IMAGES/docker-archive/$name.tar" >/dev/null
}

context() { # the build context as the kit's build.sh makes it
  local app=$1 ctx=$WORK/ctx/$1
  rm -rf "$ctx"; mkdir -p "$ctx"; cp -a "$KIT/apps/$app/." "$ctx/"
  [[ -f $ctx/gitignore ]] && mv "$ctx/gitignore" "$ctx/.gitignore"
  [[ -f $ctx/dummy.env ]] && mv "$ctx/dummy.env" "$ctx/.env"
  if grep -q id_ed25519 "$ctx/Dockerfile.naive"; then
    ssh-keygen -q -t ed25519 -N '' -C stagescope-dummy -f "$ctx/id_ed25519"; rm -f "$ctx/id_ed25519.pub"
  fi
  (cd "$ctx" && GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@stagescope.invalid GIT_COMMITTER_NAME=bench \
    GIT_COMMITTER_EMAIL=bench@stagescope.invalid git init -q -b main . && git add -A && git commit -q -m import)
  echo "$ctx"
}

layer_bytes() { "$SS" inspect -o json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["layerBytes"])'; }

has_files() { # every path of $2.. is a file or link in the image $1 (whiteouts applied)
  python3 - "$@" <<'EOF'
import json, sys, tarfile
img, want = sys.argv[1], sys.argv[2:]
present = set()
with tarfile.open(img) as t:
    m = json.load(t.extractfile("manifest.json"))[0]
    for l in m["Layers"]:
        with tarfile.open(fileobj=t.extractfile(l)) as lt:
            for e in lt:
                n = e.name.lstrip("./")
                d, _, b = n.rpartition("/")
                if b.startswith(".wh."):
                    gone = (d + "/" if d else "") + b[4:]
                    present = {p for p in present if p != gone and not p.startswith(gone + "/")}
                elif not e.isdir():
                    present.add(n)
missing = [w for w in want if w not in present]
if missing:
    print("missing: " + " ".join(missing)); sys.exit(1)
EOF
}

# The kit's bases, served by podman's Docker API over this storage: `stagescope fix` asks the
# engine whether the base's slim variant exists, as it would ask a user's engine.
bases=(debian:bookworm debian:bookworm-slim)
[[ " ${apps[*]} " == *" webapp "* ]] && bases+=(node:18)
[[ " ${apps[*]} " == *" goapp "* ]] && bases+=(golang:1.19)
for b in "${bases[@]}"; do load_base "localhost/$b"; done
if command -v podman >/dev/null; then
  podman system service --time=0 "unix://$WORK/podman.sock" > "$WORK/podman.log" 2>&1 &
  SVC=$!
  for _ in $(seq 50); do [[ -S $WORK/podman.sock ]] && break; sleep 0.2; done
  export DOCKER_HOST=unix://$WORK/podman.sock
fi

printf '%-8s %-6s %12s %12s %7s  %s\n' app build rewrite multi ratio "runtime files"
fail=0
for app in "${apps[@]}"; do
  naive=$IMAGES/docker-archive/$app-naive.tar multi=$IMAGES/docker-archive/$app-multi.tar
  [[ -f $naive && -f $multi ]] || { echo "$app: the kit's images are not built, skipped"; continue; }
  ctx=$(context "$app")
  df=$WORK/out/$app.Dockerfile
  "$SS" fix --dockerfile "$KIT/apps/$app/Dockerfile.naive" "$naive" > "$df" 2> "$WORK/out/$app.notes"
  for b in $(grep -ohE '^FROM +localhost/[^ ]+' "$df" | awk '{print $2}' | sort -u); do load_base "$b"; done
  ref=localhost/stagescope-fix/$app:latest
  if ! buildah bud --layers --format docker --isolation chroot --pull=never -f "$df" -t "$ref" "$ctx" > "$WORK/out/$app.build.log" 2>&1; then
    printf '%-8s %-6s (log: %s)\n' "$app" FAILED "$WORK/out/$app.build.log"; fail=1; continue
  fi
  tar=$WORK/out/$app-fix.tar
  rm -f "$tar"; buildah push --quiet "$ref" "docker-archive:$tar:$ref" >/dev/null
  got=$(layer_bytes "$tar") want=$(layer_bytes "$multi")
  ratio=$(python3 -c "print(f'{$got/$want:.3f}')")
  files=ok
  # shellcheck disable=SC2086
  files=$(has_files "$tar" ${need[$app]} && echo ok) || { files=$(has_files "$tar" ${need[$app]} || true); fail=1; }
  python3 -c "import sys; sys.exit(0 if $got <= $LIMIT*$want else 1)" || { fail=1; ratio="$ratio!"; }
  printf '%-8s %-6s %12d %12d %7s  %s\n' "$app" ok "$got" "$want" "$ratio" "$files"
done
exit $fail
