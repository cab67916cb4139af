#!/usr/bin/env bash
# engine-e2e.sh — run the engine-source tests against a real Docker engine.
#
# Starts a private dockerd (Debian's docker.io: vfs storage, no bridge, no
# iptables, its own socket, data and exec dirs under a temp dir), runs the
# layers tests that need an engine (TestEngine*), then stops that dockerd
# only and removes its dirs. Needs root. Extra arguments go to `go test`.
#
#   sudo scripts/engine-e2e.sh            # apt-get install -y docker.io first
#   sudo scripts/engine-e2e.sh -v
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

if ! command -v dockerd >/dev/null; then
	echo "engine-e2e: dockerd not found: apt-get install -y docker.io" >&2
	exit 1
fi

D=$(mktemp -d /var/tmp/stagescope-engine.XXXXXX)
SOCK="$D/docker.sock"
dockerd --storage-driver vfs --iptables=false --ip-masq=false --bridge=none \
	--data-root "$D/data" --exec-root "$D/exec" --pidfile "$D/dockerd.pid" \
	-H "unix://$SOCK" >"$D/dockerd.log" 2>&1 &
PID=$!

cleanup() {
	kill "$PID" 2>/dev/null || true
	wait "$PID" 2>/dev/null || true
	umount "$D/exec/netns/default" 2>/dev/null || true
	rm -rf "$D"
}
trap cleanup EXIT

for _ in $(seq 120); do
	if curl -sf --unix-socket "$SOCK" http://engine/_ping >/dev/null 2>&1; then
		break
	fi
	if ! kill -0 "$PID" 2>/dev/null; then
		echo "engine-e2e: dockerd exited:" >&2
		tail -20 "$D/dockerd.log" >&2
		exit 1
	fi
	sleep 0.5
done
if ! curl -sf --unix-socket "$SOCK" http://engine/_ping >/dev/null; then
	echo "engine-e2e: dockerd did not answer on $SOCK within 60s:" >&2
	tail -20 "$D/dockerd.log" >&2
	exit 1
fi
echo "engine-e2e: dockerd $(curl -s --unix-socket "$SOCK" http://engine/version | sed -n 's/.*"Version":"\([^"]*\)".*/\1/p' | head -1) on unix://$SOCK"

STAGESCOPE_TEST_DOCKER_HOST="unix://$SOCK" go test -count=1 -run '^TestEngine' "$@" ./layers
