#!/usr/bin/env bash
# bench/secrets-vs-trivy.sh — stagescope's secret scan side by side with trivy's on the same
# image archives: wall and CPU time of each, the secrets each found, matched up.
#
#   bench/secrets-vs-trivy.sh [-n RUNS] [IMAGE.tar ...]
#
# Default images: every naive and multi image of the shared kit ($STAGESCOPE_IMAGES, docker
# archives) and the planted-secrets image (generated into $WORK by
# testdata/secrets-image/generate.go, fresh random fake values). trivy is $TRIVY, else
# /work/bench-bin/trivy, else the one on PATH; build it outside the repo with
#
#   GOEXPERIMENT=jsonv2 GOBIN=/work/bench-bin go install github.com/aquasecurity/trivy/cmd/trivy@v0.74.0
#
# trivy runs as `trivy image --input IMAGE.tar --scanners secret --image-config-scanners secret
# --skip-db-update --skip-java-db-update --offline-scan --format json` with a fresh cache
# directory per run (its layer cache would otherwise answer the second run); stagescope as
# `stagescope inspect -o json --no-cache --no-daemon IMAGE.tar`. Each tool runs RUNS times
# (default 1), alternating; the table shows the fastest wall time and the least CPU time.
#
# Matching: trivy reports a secret by file (Target), layer (DiffID) and line; stagescope by
# path, layer and line. A trivy secret is "also found" when stagescope has a finding in the same
# file of the same layer whose line is within trivy's StartLine..EndLine (or the line before:
# trivy starts a key block after its BEGIN line); a config secret (trivy: no layer) matches
# one of stagescope's config:… findings. stagescope's findings trivy has no counterpart for are split by where
# they are: .git objects, versions a later layer deleted or overwrote (stillShips false), the
# config and history, and other files. The unmatched ones of both sides are listed.
set -euo pipefail

runs=1
while getopts "n:" opt; do
	case $opt in
	n) runs=$OPTARG ;;
	*) sed -n 4,6p "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

ROOT=$(cd "$(dirname "$0")/.." && pwd)
IMAGES=${STAGESCOPE_IMAGES:-/var/cache/stagescope-images}
WORK=${WORK:-/var/tmp/stagescope-secrets-bench}
die() { echo "secrets-vs-trivy: $*" >&2; exit 2; }

TRIVY=${TRIVY:-}
[[ -n $TRIVY ]] || { [[ -x /work/bench-bin/trivy ]] && TRIVY=/work/bench-bin/trivy; } || true
[[ -n $TRIVY ]] || TRIVY=$(command -v trivy || true)
[[ -x $TRIVY ]] || die "no trivy (set TRIVY, or build it into /work/bench-bin: see the header)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (apt-get install time)"

mkdir -p "$WORK/out"
(cd "$ROOT" && go build -o "$WORK/stagescope" ./cmd/stagescope)
SS=$WORK/stagescope

images=("$@")
if ((${#images[@]} == 0)); then
	for v in naive multi; do
		for app in goapp capp webapp rustapp; do
			[[ -f $IMAGES/docker-archive/$app-$v.tar ]] && images+=("$IMAGES/docker-archive/$app-$v.tar")
		done
	done
	if [[ ! -f $WORK/planted.tar ]]; then
		(cd "$ROOT" && go run ./testdata/secrets-image/generate.go -o "$WORK") 2>/dev/null
	fi
	images+=("$WORK/planted.tar")
fi

# timed OUT ERR CMD...: runs CMD, stdout to OUT, stderr to ERR; prints "wall cpu" seconds.
timed() {
	local out=$1 err=$2 tf=$WORK/out/time.txt
	shift 2
	/usr/bin/time -f '%e %U %S' -o "$tf" "$@" > "$out" 2> "$err" || { echo "secrets-vs-trivy: $1 failed, see $err" >&2; return 1; }
	awk '{printf "%s %.2f\n", $1, $2+$3}' "$tf"
}

printf '%-22s %9s %8s %9s %8s %6s %6s %6s %7s  %s\n' image trivy-s cpu-s stage-s cpu-s ratio trivy found missed extra "extra by kind (git/deleted/config/other)"
for img in "${images[@]}"; do
	name=$(basename "$img" .tar)
	tbest= tcpu= sbest= scpu=
	for ((i = 0; i < runs; i++)); do
		cache=$(mktemp -d "$WORK/trivy-cache.XXXX")
		read -r w c < <(timed "$WORK/out/$name.trivy.json" "$WORK/out/$name.trivy.err" \
			"$TRIVY" image --quiet --input "$img" --scanners secret --image-config-scanners secret \
			--skip-db-update --skip-java-db-update --offline-scan --cache-dir "$cache" --format json)
		rm -rf "$cache"
		tbest=$(python3 -c "print(min(x for x in [$w, ${tbest:-$w}]))") tcpu=$(python3 -c "print(min(x for x in [$c, ${tcpu:-$c}]))")
		read -r w c < <(timed "$WORK/out/$name.stagescope.json" "$WORK/out/$name.stagescope.err" \
			"$SS" inspect -o json --no-cache --no-daemon "$img")
		sbest=$(python3 -c "print(min(x for x in [$w, ${sbest:-$w}]))") scpu=$(python3 -c "print(min(x for x in [$c, ${scpu:-$c}]))")
	done
	python3 - "$name" "$tbest" "$tcpu" "$sbest" "$scpu" "$WORK/out/$name.trivy.json" "$WORK/out/$name.stagescope.json" "$WORK/out/$name.unmatched.txt" <<'EOF'
import json, sys
name, tw, tc, sw, sc, tpath, spath, upath = sys.argv[1:]
t = json.load(open(tpath))
s = json.load(open(spath))
diff_ids = [l.get("diffId", "") for l in s["layers"]]

def layer_of(diff_id):
    return diff_ids.index(diff_id) if diff_id in diff_ids else -1

# trivy: one entry per secret, with its file, layer and lines
tsecrets = []
for res in t.get("Results") or []:
    for sec in res.get("Secrets") or []:
        lay = sec.get("Layer") or {}
        target = res.get("Target", "")
        if not lay.get("DiffID"):
            where = "config"  # the image config (--image-config-scanners secret): no layer
        else:
            where = target.lstrip("/")
        tsecrets.append(dict(rule=sec.get("RuleID", ""), path=where, layer=layer_of(lay.get("DiffID", "")),
                             start=sec.get("StartLine", 0), end=sec.get("EndLine", 0), createdBy=lay.get("CreatedBy", "")))

sfind = (s.get("secrets") or {}).get("findings") or []
used = set()

def match(ts):
    for slack in (0, 1):  # the exact lines first, then from the line before
        for i, f in enumerate(sfind):
            if i in used:
                continue
            p = f.get("path", "")
            if ts["path"] == "config":
                ok = p.startswith("config:")
            else:
                ok = p.lstrip("/") == ts["path"] and (ts["layer"] < 0 or f.get("layer") == ts["layer"]) \
                    and (ts["start"] == 0 or ts["start"] - slack <= f.get("line", 0) <= max(ts["end"], ts["start"]))
            if ok:
                used.add(i)
                return True
    return False

missed = [ts for ts in tsecrets if not match(ts)]
extra = [f for i, f in enumerate(sfind) if i not in used]
kinds = {"git": 0, "deleted": 0, "config": 0, "other": 0}
for f in extra:
    p = f.get("path", "")
    if f.get("gitObject") or "/.git/" in "/" + p:
        kinds["git"] += 1
    elif p.startswith("config:"):
        kinds["config"] += 1
    elif not f.get("stillShips", True):
        kinds["deleted"] += 1
    else:
        kinds["other"] += 1
ratio = float(sw) / float(tw) if float(tw) > 0 else 0
print("%-22s %9.2f %8.2f %9.2f %8.2f %6.2f %6d %6d %6d %7d  %d/%d/%d/%d" % (
    name, float(tw), float(tc), float(sw), float(sc), ratio, len(tsecrets), len(tsecrets) - len(missed), len(missed),
    len(extra), kinds["git"], kinds["deleted"], kinds["config"], kinds["other"]))
with open(upath, "w") as u:
    for ts in missed:
        u.write("trivy only\t%s\t%s\tlayer %d\tlines %d-%d\n" % (ts["rule"], ts["path"], ts["layer"], ts["start"], ts["end"]))
    for f in extra:
        u.write("stagescope only\t%s\t%s\tlayer %s\tline %s\tstillShips %s\n" % (f.get("ruleId"), f.get("path"), f.get("layer"), f.get("line"), f.get("stillShips")))
EOF
done
echo "(seconds: fastest wall, least user+sys CPU of $runs run(s); ratio = stagescope wall / trivy wall; unmatched findings: $WORK/out/*.unmatched.txt)"
