#!/usr/bin/env bash
# TUI latency on a bench image, in a real terminal (tmux):
#
#   bench/tui.sh [-n PRESSES] [-p POLL] [-q] [-w PAIRS] [IMAGE]
#
# IMAGE is one of bench/gen's (default large, the docker archive), or a
# docker archive or OCI layout given by path (e.g. a shared image,
# /var/cache/stagescope-images/docker-archive/goapp-naive.tar), or
# reg:LAYOUT, an OCI layout pushed to a registry on loopback and read from
# there, or remote:REF, an image already on a registry on loopback (e.g.
# pushed there by bench/registry -push; read with --insecure), so that a
# quiet measurement need not include the push. The script starts `stagescope inspect` in a private tmux server and
# polls the screen every few milliseconds. It prints:
#   paint     time from the start of the program to its first frame
#   tree      time until the Files pane shows real entries (the tree of
#             the layers merged so far), and the CPU the program used
#             until then (user + system, from /proc)
#   whole     time until the tree of every layer is on the screen (the
#             findings follow once the analysis is done)
#   ready     time until the whole tree and findings are on the screen, and
#             the CPU used until then
# each by the program's own clock (STAGESCOPE_TIMELINE: when the frame that
# first showed it was written to the terminal; the harness waits for it
# with shell builtins only, taking no CPU from the program), and when a
# poll of tmux's screen then saw it there, then
#   while-reading  how long key presses (moving through the layers) take to
#             show on the screen while the image is still being read (-q:
#             none are pressed, so that ready and json compare the same work)
#   open      opening the largest top-level directory once ready (l),
#   move      moving down the children of its largest directory (j),
#   layer     switching the tree to the layer below and back ([ and ]), and
#   filter    each key typed into the tree's filter ("libcrypto")
# as median and worst of PRESSES presses (default 20), then
#   json      how long `stagescope inspect -o json` takes on the same image,
#             right after, in the same tmux server (a pane of its own, its
#             output to /dev/null): the whole tree should be on the screen no
#             later. Each run has an empty layer cache of its own.
# With -w PAIRS, only that last comparison, PAIRS times: the browser's whole
# tree against -o json, alternating which runs first, each pair printed and
# then the medians. Both run the same way (a tmux pane each, waited for with
# shell builtins only), because how they run changes the time more than the
# browser does: with the kernel's autogroup scheduling, a program in another
# session than a registry on the same cores reads ~1 s slower (7.0 against
# 8.4 s on rustapp-naive), and a harness that polls with a process 40 times a
# second costs it ~0.3 s. A reg: registry runs in a session of its own, as a
# service would.
# Times count from the program's start (the shell records the clock just
# before exec). Key presses include tmux's own polling (~5 ms); paint, tree
# and ready poll the screen every POLL seconds (default 0.05), as polling
# every few ms costs a loaded 2-core machine more than the program.
set -euo pipefail

n=20
poll=0.05
quiet=
pairs=
while getopts "n:p:qw:" opt; do
	case $opt in
	n) n=$OPTARG ;;
	p) poll=$OPTARG ;;
	q) quiet=1 ;;
	w) pairs=$OPTARG ;;
	*) sed -n 4,52p "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
im=${1:-large}
command -v tmux >/dev/null || { echo "tui.sh: tmux is missing (apt-get install tmux)" >&2; exit 1; }
dir=${STAGESCOPE_BENCH_DIR:-/var/tmp/stagescope-bench}
repo=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
sock="$tmp/tmux.sock"
cleanup() {
	tmux -S "$sock" kill-server 2>/dev/null || true
	jobs -p | xargs -r kill 2>/dev/null || true # the registry, when started
	rm -rf "$tmp"
}
trap cleanup EXIT

(cd "$repo" && go build -o "$tmp/stagescope" ./cmd/stagescope && go build -o "$tmp/gen" ./bench/gen && go build -o "$tmp/registry" ./bench/registry)
flags=""
case $im in
reg:*)
	layout=${im#reg:}
	mkdir "$tmp/blobs"
	setsid "$tmp/registry" -dir "$tmp/blobs" >"$tmp/registry.addr" 2>"$tmp/registry.log" &
	for _ in $(seq 100); do [ -s "$tmp/registry.addr" ] && break; sleep 0.1; done
	ref="$(head -1 "$tmp/registry.addr")/bench/$(basename "$layout"):latest"
	"$tmp/registry" -push "$layout" -to "$ref" >&2
	flags="--insecure --no-daemon"
	cat "$tmp/blobs"/* >/dev/null 2>&1 || true
	;;
remote:*)
	ref=${im#remote:}
	flags="--insecure --no-daemon"
	;;
*/*) ref=$im; if [ -d "$im" ]; then ref="oci:$im"; cat "$im"/blobs/sha256/* >/dev/null; else cat "$im" >/dev/null; fi ;;
*)
	name=${im%%.*}
	"$tmp/gen" -dir "$dir" "$name" >&2
	case $im in
	*.oci) ref="oci:$dir/$name.oci"; cat "$dir/$name.oci"/blobs/sha256/* >/dev/null ;;
	*) ref="$dir/$name.docker.tar"; cat "$ref" >/dev/null ;;
	esac
	;;
esac

now() { date +%s%N; }
ms() { echo $((($2 - $1) / 1000000)); }
screen() { tmux -S "$sock" capture-pane -p -e; } # -e: the selection is only an attribute
# wait_for REGEX: polls the screen's text (without attributes: one process
# less per poll) until it matches; prints the time.
wait_for() {
	local deadline=$(($(now) + 300000000000))
	until tmux -S "$sock" capture-pane -p | grep -Eq "$1"; do
		[ "$(now)" -lt "$deadline" ] || { echo "tui.sh: the screen never showed /$1/:" >&2; screen >&2; exit 1; }
		sleep "$poll"
	done
	now
}
# cpu_ms: the CPU time (user + system) the program has used so far, in ms:
# on a loaded machine it tells what the wall clock cannot, how much work
# came before a state.
cpu_ms() {
	local pid
	pid=$(tmux -S "$sock" display-message -p '#{pane_pid}')
	awk -v hz="$(getconf CLK_TCK)" '{sub(/.*\) /, ""); print int(($12 + $13) * 1000 / hz)}' "/proc/$pid/stat"
}
# press KEY: sends it and prints how long until the screen changed (ms).
press() {
	local before t0 t
	before=$(screen)
	t0=$(now)
	tmux -S "$sock" send-keys "$1"
	while [ "$(screen)" = "$before" ]; do
		t=$(now)
		[ $((t - t0)) -lt 5000000000 ] || { echo "tui.sh: $1 changed nothing on the screen:" >&2; screen >&2; echo 5000; return; }
	done
	ms "$t0" "$(now)"
}
stats() { sort -n | awk '{a[NR]=$1} END{printf "median %d ms, worst %d ms (%d presses)", a[int((NR+1)/2)], a[NR], NR}'; }

# nap: 20 ms, with a builtin (read's timeout on a pipe no one writes to):
# sleep(1) would start a process 50 times a second, taking CPU from the
# program.
exec {nap_fd}<> <(:)
nap() { read -rt 0.02 -u "$nap_fd" || :; }
# wait_event EVENT: waits, with shell builtins only (no process takes CPU
# from the program meanwhile), until the program's timeline has EVENT.
wait_event() {
	local events=()
	until [ -s "$tmp/timeline" ] && mapfile -t events <"$tmp/timeline" && [[ " ${events[*]} " == *" $1 "* ]]; do nap; done
}
# start_browser: the browser in a new tmux session, its timeline in
# $tmp/timeline. The shell writes the clock just before it becomes the
# program (exec), so every time counts from the program's start, not tmux's.
# Each run has a session and an empty cache of its own ($run: runs are in
# subshells, so a counter would not count).
start_browser() {
	run=$(basename "$(mktemp -d "$tmp/cache-tui-XXXXXX")")
	rm -f "$tmp/t0" "$tmp/timeline"
	tmux -S "$sock" new-session -d -s "$run" -x 160 -y 48 -e TERM=screen sh -c "date +%s%N >$tmp/t0; STAGESCOPE_TIMELINE=$tmp/timeline exec $tmp/stagescope inspect --cache $tmp/$run $flags $ref"
	until [ -s "$tmp/t0" ]; do nap; done
	t0=$(cat "$tmp/t0")
}
# json_ms: runs `inspect -o json` as the browser runs (a tmux pane of its
# own, an empty cache of its own, waited for with builtins) and prints how
# long it took.
json_ms() {
	local run
	run=$(basename "$(mktemp -d "$tmp/cache-json-XXXXXX")")
	rm -f "$tmp/j0" "$tmp/j1"
	tmux -S "$sock" new-session -d -s "$run" -x 160 -y 48 -e TERM=screen sh -c "date +%s%N >$tmp/j0; $tmp/stagescope inspect -o json --cache $tmp/$run $flags $ref >/dev/null 2>$tmp/json.err; date +%s%N >$tmp/j1"
	until [ -s "$tmp/j1" ]; do nap; done
	while tmux -S "$sock" has-session -t "$run" 2>/dev/null; do nap; done
	ms "$(cat "$tmp/j0")" "$(cat "$tmp/j1")"
}
# at EVENT: the program's own time of EVENT (STAGESCOPE_TIMELINE: when the
# frame that first showed it had been written to the terminal).
at() { awk -v e="$1" '$1 == e { print $2 }' "$tmp/timeline"; }
# whole_ms: runs the browser until its whole tree is on the screen, quits
# it and prints when that was.
whole_ms() {
	start_browser
	wait_event whole
	at whole
	tmux -S "$sock" send-keys -t "$run" q
	while tmux -S "$sock" has-session -t "$run" 2>/dev/null; do nap; done
}
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

if [ -n "$pairs" ]; then
	echo "# $(date -u +%FT%TZ) $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), image $im, $pairs pairs"
	: >"$tmp/wholes"
	: >"$tmp/jsons"
	for i in $(seq "$pairs"); do
		if [ $((i % 2)) = 1 ]; then
			w=$(whole_ms)
			j=$(json_ms)
		else
			j=$(json_ms)
			w=$(whole_ms)
		fi
		echo "$w" >>"$tmp/wholes"
		echo "$j" >>"$tmp/jsons"
		echo "pair $i: whole tree $w ms, -o json $j ms"
	done
	echo "median: whole tree $(median <"$tmp/wholes") ms, -o json $(median <"$tmp/jsons") ms"
	exit 0
fi

start_browser
wait_event paint
paint=$(wait_for 'Layers')
wait_event tree
tree_cpu=$(cpu_ms)
# Then the screen must show it: a row of the Files pane (size, layer, mark,
# a directory's arrow).
tree=$(wait_for '[0-9] [kMGT]?B +[0-9]{1,3} [-+~ ][ !] +[▸▾] [^ ]')
# While reading: j/k in the layers pane; the screen also changes with
# progress, so these are upper bounds on a key's latency.
: >"$tmp/reading"
wait_for 'reading layers|layers · ' >/dev/null
for i in $(seq 6); do
	if [ -z "$quiet" ] && screen | grep -q 'reading layers'; then
		press k >>"$tmp/reading"; press j >>"$tmp/reading"
	fi
done
# The whole tree and findings: the program's word, then the screen's.
wait_event ready
ready_cpu=$(cpu_ms)
ready=$(wait_for ' layers · [0-9,]+ files')
sleep 0.5
tmux -S "$sock" send-keys G Tab g # the last layer; the tree, its first row (the largest directory)
sleep 0.2
: >"$tmp/open"
for i in $(seq "$n"); do
	press l >>"$tmp/open" # opens it…
	press h >/dev/null    # …and closes it
done
press l >/dev/null # /usr open…
press j >/dev/null
press l >/dev/null # …and its largest directory (usr/lib: hundreds of rows)
: >"$tmp/move"
for i in $(seq "$n"); do press j >>"$tmp/move"; done
: >"$tmp/layer"
for i in $(seq "$n"); do
	press '[' >>"$tmp/layer" # the tree as of the layer below…
	press ']' >>"$tmp/layer" # …and back
done
: >"$tmp/filter"
tmux -S "$sock" send-keys /
sleep 0.2
for c in l i b c r y p t o; do press "$c" >>"$tmp/filter"; done
echo "# $(date -u +%FT%TZ) $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), image $im"
echo "paint          $(at paint) ms after start (on tmux's screen by $(ms "$t0" "$paint") ms)"
echo "tree           $(at tree) ms after start (on tmux's screen by $(ms "$t0" "$tree") ms), after $tree_cpu ms of CPU"
echo "whole          $(at whole) ms after start (the tree of every layer, before the findings)"
echo "ready          $(at ready) ms after start (on tmux's screen by $(ms "$t0" "$ready") ms), after $ready_cpu ms of CPU"
if [ -s "$tmp/reading" ]; then echo "while-reading  $(stats <"$tmp/reading")"; else echo "while-reading  (read before a key could be sent)"; fi
echo "open           $(stats <"$tmp/open")"
echo "move           $(stats <"$tmp/move")"
echo "layer          $(stats <"$tmp/layer")"
echo "filter         $(stats <"$tmp/filter")"
tmux -S "$sock" kill-session -t "$run" 2>/dev/null || true
echo "json           $(json_ms) ms (-o json, after the browser quit, run as the browser was)"
