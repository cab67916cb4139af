#!/usr/bin/env bash
# engine-e2e.sh — run the engine-source tests against real engines.
#
# Starts a private dockerd (Debian's docker.io: vfs storage, no bridge, no
# iptables, its own socket, data and exec dirs under a temp dir), runs the
# layers tests that need an engine (TestEngine*) against it, and stops that
# dockerd only. When podman is installed, does the same with a private
# `podman system service` (Podman's Docker-compatible API). Needs root.
# Extra arguments go to `go test`.
#
#   sudo apt-get install -y docker.io curl    # podman optional
#   sudo scripts/engine-e2e.sh -v
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

if ! command -v dockerd >/dev/null; then
	echo "engine-e2e: dockerd not found: apt-get install -y docker.io" >&2
	exit 1
fi

D=$(mktemp -d /var/tmp/stagescope-engine.XXXXXX)
PID=""
stop_engine() {
	if [[ -n $PID ]]; then
		kill "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
		PID=""
	fi
}
cleanup() {
	stop_engine
	umount "$D/docker/exec/netns/default" 2>/dev/null || true
	rm -rf "$D"
}
trap cleanup EXIT

# wait_for SOCK LOG: until the engine answers /_ping (60 s at most).
wait_for() {
	local sock=$1 log=$2
	for _ in $(seq 120); do
		if curl -sf --unix-socket "$sock" http://engine/_ping >/dev/null 2>&1; then
			echo "engine-e2e: $(curl -s --unix-socket "$sock" http://engine/version |
				sed -n 's/.*"Version":"\([^"]*\)".*/\1/p' | head -1) on unix://$sock"
			return
		fi
		if ! kill -0 "$PID" 2>/dev/null; then
			echo "engine-e2e: the engine exited:" >&2
			tail -20 "$log" >&2
			return 1
		fi
		sleep 0.5
	done
	echo "engine-e2e: no answer on $sock within 60s:" >&2
	tail -20 "$log" >&2
	return 1
}

run_tests() {
	STAGESCOPE_TEST_DOCKER_HOST="unix://$1" go test -count=1 -run '^TestEngine' "${@:2}" ./layers
}

mkdir -p "$D/docker"
dockerd --storage-driver vfs --iptables=false --ip-masq=false --bridge=none \
	--data-root "$D/docker/data" --exec-root "$D/docker/exec" --pidfile "$D/docker/dockerd.pid" \
	-H "unix://$D/docker/docker.sock" >"$D/docker/dockerd.log" 2>&1 &
PID=$!
wait_for "$D/docker/docker.sock" "$D/docker/dockerd.log"
run_tests "$D/docker/docker.sock" "$@"
stop_engine

if command -v podman >/dev/null; then
	mkdir -p "$D/podman"
	podman --root "$D/podman/root" --runroot "$D/podman/run" --storage-driver vfs \
		system service --time=0 "unix://$D/podman/podman.sock" >"$D/podman/podman.log" 2>&1 &
	PID=$!
	wait_for "$D/podman/podman.sock" "$D/podman/podman.log"
	run_tests "$D/podman/podman.sock" "$@"
	stop_engine
fi
