#!/usr/bin/env bash
# P5: `scimcert run --quiet` (the whole corpus against the built-in simulations) measured
# against its floor, side by side in one run. The floor (bench/floor.rs, built as a
# cargo example) makes the same number of HTTP exchanges, counted from the run's
# report.json, with the same client stack (reqwest as src/run/http.rs builds it, the
# same runtime, allocator and --jobs) against the same front end (hyper, one server per
# profile the run starts, as src/sim/standalone.rs serves them), each answering a fixed
# small SCIM user, in one cold process.
# REPS alternating repetitions of both; the ratios are of the medians, CPU = user + sys.
# Target: CPU(run)/CPU(floor) <= 2.0 and wall(run)/wall(floor) <= 2.0.
# Env: SCIMCERT_BIN and FLOOR_BIN (skip the builds), REPS (default 11), TARGET (2.0).
# Exit: 0 target met, 1 missed, 2 no measurement. The last line is the figure.
set -euo pipefail
source "$(dirname "$0")/common.sh"
need python3 awk
[ -x /usr/bin/time ] || die "GNU time is required (Debian: apt-get install -y time)"

REPS=${REPS:-11}
TARGET=${TARGET:-2.0}
[ "$REPS" -ge 1 ] && [ "$REPS" -le 100 ] || die "REPS must be 1..100"
BIN="$(scimcert_bin)"
FLOOR="$(floor_bin floor)"
cd "$REPO_DIR"
echo "machine: $(machine)"
echo "binaries: $BIN, $FLOOR"

# One run with a report: the number of exchanges and of profiles (one server each).
set +e
timeout 120 "$BIN" run --quiet --report-dir "$BENCH_TMP/report" >"$BENCH_TMP/first.out" 2>&1
first=$?
set -e
case "$first" in
    0 | 1) tail -n 1 "$BENCH_TMP/first.out" ;;
    *) cat "$BENCH_TMP/first.out" >&2; die "scimcert run exited $first" ;;
esac
read -r exchanges servers < <(python3 - "$BENCH_TMP/report/report.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
# Every step that got an answer is one exchange; a resend after a dropped keep-alive
# connection is one more (its note says so).
n = sum(1 + sum("sent again" in note for note in s.get("notes") or [])
        for c in doc["cases"] for s in c["steps"] if s.get("status") is not None)
print(n, len({c["profile"] for c in doc["cases"]}))
PY
) || die "cannot read report.json"
[ "$exchanges" -gt 0 ] || die "the run made no exchanges"
echo "the run: $exchanges HTTP exchanges on $servers simulations"
"$FLOOR" "$exchanges" "$servers" >"$BENCH_TMP/floor.out" 2>&1 || die "floor failed: $(cat "$BENCH_TMP/floor.out")"
cat "$BENCH_TMP/floor.out"

# Appends "wall user sys" (seconds) of one run of the command to file $1.
timed() {
    local out=$1
    shift
    /usr/bin/time -f '%e %U %S' -o "$BENCH_TMP/time" "$@" >/dev/null 2>&1 || {
        local rc=$?
        # scimcert exits 1 when a case fails: a corpus result, still timed.
        [ "$rc" -eq 1 ] || die "$* exited $rc"
    }
    tail -n 1 "$BENCH_TMP/time" >>"$out"
}
for i in $(seq 1 "$REPS"); do
    # Alternate which goes first, so drift on a shared machine hits both alike.
    if [ $((i % 2)) -eq 1 ]; then
        timed "$BENCH_TMP/run.times" timeout 120 "$BIN" run --quiet
        timed "$BENCH_TMP/floor.times" timeout 120 "$FLOOR" "$exchanges" "$servers"
    else
        timed "$BENCH_TMP/floor.times" timeout 120 "$FLOOR" "$exchanges" "$servers"
        timed "$BENCH_TMP/run.times" timeout 120 "$BIN" run --quiet
    fi
done

# Median of column $2 (1 wall, 2 CPU) of file $1.
median() {
    awk -v col="$2" '{ print (col == 1) ? $1 : $2 + $3 }' "$1" | sort -g |
        awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
run_wall="$(median "$BENCH_TMP/run.times" 1)"
run_cpu="$(median "$BENCH_TMP/run.times" 2)"
floor_wall="$(median "$BENCH_TMP/floor.times" 1)"
floor_cpu="$(median "$BENCH_TMP/floor.times" 2)"
echo "scimcert run: wall $run_wall s, CPU $run_cpu s (medians of $REPS)"
echo "floor:        wall $floor_wall s, CPU $floor_cpu s (medians of $REPS)"
read -r cpu_ratio wall_ratio verdict < <(awk -v rc="$run_cpu" -v fc="$floor_cpu" \
    -v rw="$run_wall" -v fw="$floor_wall" -v t="$TARGET" 'BEGIN {
        if (fc <= 0 || fw <= 0) { print "0 0 none"; exit }
        c = rc / fc; w = rw / fw
        printf "%.2f %.2f %s\n", c, w, (c <= t && w <= t) ? "met" : "missed" }')
[ "$verdict" != none ] || die "the floor took no measurable time"
finish "$verdict" "P5 floor ratio: CPU ${cpu_ratio}x, wall ${wall_ratio}x ($exchanges exchanges; run $run_cpu s CPU / $run_wall s wall, floor $floor_cpu s / $floor_wall s; medians of $REPS alternating; target <= ${TARGET}x)"
