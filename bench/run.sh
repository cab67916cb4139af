#!/usr/bin/env bash
# Performance harness: stagescope `inspect -o json` against the limit reader
# (bench/limit) on the images of bench/gen, side by side.
#
#   bench/run.sh [-n RUNS] [-p PARALLEL] [IMAGE...]
#
# IMAGE is medium, large, large-6wh (docker save archives), medium.oci,
# large.oci (OCI layouts with gzip layers) or large.reg (large.oci pushed to
# a registry on loopback); default: all but large.reg. Images are generated
# on first use into $STAGESCOPE_BENCH_DIR (default /var/tmp/stagescope-bench).
# Each side runs RUNS times (default 3), interleaved, after one warm-up read
# that puts the files in the page cache; the table shows the fastest wall
# time, the least CPU time and the largest peak RSS of those runs. The
# sha-s column is the limit reader with -sha256 (it also hashes every layer
# blob, the digest check stagescope always makes), and wall-xs stagescope's
# wall time against it.
set -euo pipefail

runs=3
parallel=""
while getopts "n:p:" opt; do
	case $opt in
	n) runs=$OPTARG ;;
	p) parallel="--parallel=$OPTARG" ;;
	*) sed -n 4,13p "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
images=("$@")
[ ${#images[@]} -gt 0 ] || images=(medium large large-6wh medium.oci large.oci)

[ -x /usr/bin/time ] || { echo "run.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
dir=${STAGESCOPE_BENCH_DIR:-/var/tmp/stagescope-bench}
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$(mktemp -d)
regpid=""
cleanup() {
	[ -z "$regpid" ] || kill "$regpid" 2>/dev/null || true
	rm -rf "$bin"
}
trap cleanup EXIT

(cd "$repo" && go build -o "$bin/stagescope" ./cmd/stagescope && go build -o "$bin/limit" ./bench/limit &&
	go build -o "$bin/gen" ./bench/gen && go build -o "$bin/registry" ./bench/registry)
need=()
for im in "${images[@]}"; do need+=("${im%%.*}"); done
"$bin/gen" -dir "$dir" $(printf '%s\n' "${need[@]}" | sort -u)

# measure CMD... appends "wall cpu rssKB" to $bin/out.
measure() {
	/usr/bin/time -f "%e %U %S %M" -o "$bin/t" "$@" >"$bin/stdout" 2>"$bin/stderr" || {
		echo "run.sh: $* failed:" >&2; cat "$bin/stderr" >&2; exit 1; }
	awk '{printf "%s %.2f %s\n", $1, $2+$3, $4}' "$bin/t"
}

# best RUNS-LINES: min wall, min cpu, max rss
best() { sort -n | awk 'NR==1{w=$1} {if(c==""||$2<c)c=$2; if($3>r)r=$3} END{printf "%s %s %s", w, c, r}'; }

declare -A rss ent
echo "# $(date -u +%FT%TZ) $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), runs $runs $parallel"
printf "%-10s %8s %8s | %7s %7s %7s | %7s %7s %7s | %6s %6s %8s | %7s %7s\n" \
	image entries MB limit-s cpu-s rss-MB stags-s cpu-s rss-MB wall-x cpu-x B/entry sha-s wall-xs
for im in "${images[@]}"; do
	name=${im%%.*}
	case $im in
	*.oci) path="$dir/$name.oci"; ref="oci:$path" ;;
	*.reg)
		path="$dir/$name.oci"
		if [ -z "$regpid" ]; then
			"$bin/registry" -dir "$bin/registry-blobs" >"$bin/registry.addr" 2>"$bin/registry.log" &
			regpid=$!
			for _ in $(seq 100); do [ -s "$bin/registry.addr" ] && break; sleep 0.1; done
		fi
		addr=$(head -1 "$bin/registry.addr")
		"$bin/registry" -push "$path" -to "$addr/bench/$name:latest"
		ref="$addr/bench/$name:latest"
		;;
	*) path="$dir/$name.docker.tar"; ref="$path" ;;
	esac
	cat "$path" "$path"/blobs/sha256/* >/dev/null 2>&1 || true # warm the page cache
	: >"$bin/lim"; : >"$bin/sha"; : >"$bin/ss"
	for _ in $(seq "$runs"); do
		measure "$bin/limit" -sha256 "$path" >>"$bin/sha"
		measure "$bin/limit" "$path" >>"$bin/lim"
		read -r _ _ _ entries _ bytes _ <"$bin/stdout"
		if [ "${im##*.}" = reg ]; then
			measure "$bin/stagescope" inspect -o json --insecure --no-daemon $parallel "$ref" >>"$bin/ss"
		else
			measure "$bin/stagescope" inspect -o json $parallel "$ref" >>"$bin/ss"
		fi
	done
	read -r lw lc lr <<<"$(best <"$bin/lim")"
	read -r hw _ _ <<<"$(best <"$bin/sha")"
	read -r sw sc sr <<<"$(best <"$bin/ss")"
	rss[$im]=$sr
	ent[$im]=$entries
	awk -v im="$im" -v e="$entries" -v b="$bytes" -v lw="$lw" -v lc="$lc" -v lr="$lr" -v sw="$sw" -v sc="$sc" -v sr="$sr" -v hw="$hw" 'BEGIN{
		printf "%-10s %8d %8.0f | %7.2f %7.2f %7.1f | %7.2f %7.2f %7.1f | %6.2f %6.2f %8.0f | %7.2f %7.2f\n",
			im, e, b/1e6, lw, lc, lr/1024, sw, sc, sr/1024, sw/lw, sc/(lc>0?lc:0.01), sr*1024/e, hw, sw/hw }'
done
echo "# wall-x, cpu-x: stagescope / limit reader; B/entry: stagescope peak RSS / tar entries;"
echo "# sha-s: limit reader with -sha256; wall-xs: stagescope / that"
# The cost of one more entry, without the constant: large against medium.
for sfx in "" .oci; do
	m=medium$sfx l=large$sfx
	[ -n "${rss[$m]:-}" ] && [ -n "${rss[$l]:-}" ] || continue
	awk -v a="${rss[$m]}" -v b="${rss[$l]}" -v ea="${ent[$m]}" -v eb="${ent[$l]}" -v p="$l" -v q="$m" \
		'BEGIN{printf "# %s vs %s: %.0f bytes of peak RSS per added entry\n", p, q, (b-a)*1024/(eb-ea)}'
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
