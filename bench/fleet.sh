#!/usr/bin/env bash
# Fleet benchmark: the shared images (../shared/images, 12 images sharing
# base layers) inspected in one run, through the layer cache.
#
#   bench/fleet.sh [-r | -d]
#
# 1. cold: an empty cache directory; every distinct layer is read once
#    (stagescope prints the bytes of the layers it read; the fleet report's
#    uniqueLayerBytes is the sum of the distinct layers, to compare).
# 2. warm: the same run again on that directory: no layer is read.
# 3. Redis: two processes with two cache directories of their own, one after
#    the other, on one redis-server on loopback (started here, stopped at
#    the end): the second reads no layer, the first one's results serve it.
#
# Images come from $STAGESCOPE_IMAGES (default /var/cache/stagescope-images)
# as oci:… layouts (content-addressed blobs, which the cache serves); with
# -d as their docker-archive:… files instead, whose layers are always read
# (a docker save only claims its digests), so the warm run reads them all
# again; with -r from the registry that ../shared/images/serve.sh runs on
# $STAGESCOPE_REGISTRY_ADDR (default 127.0.0.1:5000), through --catalog.
set -euo pipefail

use_registry=""
column=9 # images.tsv: oci_layout
prefix=oci
while getopts "rd" opt; do
	case $opt in
	r) use_registry=1 ;;
	d) column=8 prefix=docker-archive ;; # docker_archive
	*) sed -n 4,22p "$0"; exit 2 ;;
	esac
done

images=${STAGESCOPE_IMAGES:-/var/cache/stagescope-images}
[ -f "$images/images.tsv" ] || { echo "fleet.sh: $images/images.tsv is missing (see ../shared/images)" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "fleet.sh: redis-server is missing (apt-get install redis-server)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "fleet.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /var/tmp/stagescope-fleet.XXXXXX)
redis_pid=""
cleanup() {
	[ -z "$redis_pid" ] || kill "$redis_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

(cd "$repo" && go build -o "$work/stagescope" ./cmd/stagescope)
bin=$work/stagescope

if [ -n "$use_registry" ]; then
	src=(--insecure --no-daemon --catalog "${STAGESCOPE_REGISTRY_ADDR:-127.0.0.1:5000}" --tags all)
else
	awk -F'\t' -v c="$column" 'NR > 1 && $c != "" { print $c }' "$images/images.tsv" | while read -r p; do
		# images.tsv names the archive or layout relative to $images or absolutely
		[ -e "$p" ] || p=$images/$p
		echo "$prefix:$p"
	done >"$work/refs.txt"
	src=(--refs "$work/refs.txt")
fi

# run NAME ARGS...: one inspect of the fleet; prints wall seconds, the
# bytes of layers read, layers from the cache and read.
run() {
	local name=$1
	shift
	/usr/bin/time -f '%e %M %U %S' -o "$work/$name.time" "$bin" inspect -o json "${src[@]}" "$@" \
		>"$work/$name.jsonl" 2>"$work/$name.err" || { cat "$work/$name.err" >&2; return 1; }
	local line wall rss user sys cpu
	line=$(grep -E '^stagescope: [0-9]+ images?:' "$work/$name.err")
	read -r wall rss user sys <"$work/$name.time"
	cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
	# "stagescope: 12 images: H layers from the layer cache, R read (B bytes, …)"
	local hits readn bytes
	hits=$(sed -E 's/.*: ([0-9]+) layers? from.*/\1/' <<<"$line")
	readn=$(sed -E 's/.* ([0-9]+) read \(.*/\1/' <<<"$line")
	bytes=$(sed -E 's/.*read \(([0-9]+) bytes.*/\1/' <<<"$line")
	printf '%-16s %8s s wall %8s CPU-s %6d MB RSS %4d cached %4d read %12d layer bytes read\n' "$name" "$wall" "$cpu" $((rss / 1024)) "$hits" "$readn" "$bytes"
	echo "$wall $bytes $cpu" >"$work/$name.sum"
}

echo "images: $(wc -l <"$work/refs.txt" 2>/dev/null || echo catalog) ($images)"
run cold --cache "$work/cache"
"$bin" merge -o json "$work/cold.jsonl" >"$work/fleet.json"
unique=$(grep -o '"uniqueLayerBytes": [0-9]*' "$work/fleet.json" | grep -o '[0-9]*$')
total=$(grep -o '"layerBytes": [0-9]*' "$work/fleet.json" | tail -1 | grep -o '[0-9]*$')
echo "fleet: $total bytes of layers, $unique bytes in distinct layers"
run warm --cache "$work/cache"
# same_reports NAME: NAME's reports are the cold run's, byte for byte (one
# binary made both).
same_reports() {
	cmp -s "$work/cold.jsonl" "$work/$1.jsonl" && echo "$1 reports: byte-identical to cold" || { echo "$1 reports DIFFER from cold" >&2; exit 1; }
}
same_reports warm
read -r cold_wall cold_bytes cold_cpu <"$work/cold.sum"
read -r warm_wall warm_bytes warm_cpu <"$work/warm.sum"
[ "$cold_bytes" = "$unique" ] && echo "cold read each distinct layer once ($cold_bytes bytes)" || echo "cold read $cold_bytes bytes, distinct layers hold $unique" >&2
# On a busy machine the wall times follow the load; CPU time does not.
echo "warm/cold wall time: $(awk -v w="$warm_wall" -v c="$cold_wall" 'BEGIN { printf "%.1f%% (goal: at most 5%%)", 100 * w / c }'), CPU time: $(awk -v w="$warm_cpu" -v c="$cold_cpu" 'BEGIN { printf "%.1f%%", 100 * w / c }') (load average now: $(cut -d' ' -f1 /proc/loadavg))"
[ "$warm_bytes" = 0 ] && echo "warm read no layer bytes" || echo "warm read $warm_bytes layer bytes, want 0" >&2
du -sb "$work/cache" | awk '{ printf "disk cache: %d bytes\n", $1 }'

# Redis: a free loopback port, no persistence.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/redis"
redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$work/redis" --logfile "$work/redis/log" &
redis_pid=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done
XDG_CACHE_HOME=$work/machine-a run redis-machine-a --cache "redis://127.0.0.1:$port/0"
XDG_CACHE_HOME=$work/machine-b run redis-machine-b --cache "redis://127.0.0.1:$port/0"
same_reports redis-machine-a
same_reports redis-machine-b
redis-cli -p "$port" info memory | grep -E '^used_memory:' | sed 's/^/redis /'
echo
"$bin" merge "$work/cold.jsonl"
