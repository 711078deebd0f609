#!/usr/bin/env bash
# P2: per-request overhead of the runner against a trivial loopback server.
# A std-only Rust server (bench/loopback_server.rs, built with rustc) answers every
# request at once with a fixed SCIM User. Two generated case files (few and many
# requests, each step a templated PATCH checked for status, body and schema) run with
# `--jobs 1`, so requests are sequential; the marginal time per request
# (T_many - T_few) / (N_many - N_few) removes start-up and loading. The server's own
# round trip is `wrk -t1 -c1` against the same server with the same PATCH (one
# connection: time per request = 1 / req/s). Runner share = marginal - server.
# Target: runner share under 100 µs per request.
# Env: SCIMCERT_BIN, RUNS (default 5), CASES_MANY (default 500), STEPS (default 4).
# Exit: 0 target met, 1 missed, 2 no measurement. The last line is the figure.
set -euo pipefail
source "$(dirname "$0")/common.sh"
need wrk rustc awk

RUNS=${RUNS:-5}
STEPS=${STEPS:-4}
CASES_FEW=${CASES_FEW:-25}
CASES_MANY=${CASES_MANY:-500}
TARGET_US=${TARGET_US:-100}
[ "$CASES_MANY" -le 5000 ] && [ "$CASES_MANY" -gt "$CASES_FEW" ] || die "need CASES_FEW < CASES_MANY <= 5000"
[ "$RUNS" -ge 1 ] && [ "$RUNS" -le 50 ] || die "RUNS must be 1..50"
BIN="$(scimcert_bin)"
echo "machine: $(machine)"

rustc -O --edition 2021 "$BENCH_DIR/loopback_server.rs" -o "$BENCH_TMP/loopback_server" ||
    die "cannot build bench/loopback_server.rs"
"$BENCH_TMP/loopback_server" 0 >"$BENCH_TMP/server.log" 2>&1 &
BENCH_PIDS+=("$!")
SERVER_PID=$!
line="$(wait_for_line "$BENCH_TMP/server.log" '^listening on 127\.0\.0\.1:[0-9]+$' 10)"
ADDR="${line#listening on }"
BASE="http://$ADDR/scim/v2"

PATCH_BODY='{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"nickName","value":"Babs"}]}'

# Server-only time per request, same request shape, one connection.
cat >"$BENCH_TMP/patch.lua" <<LUA
wrk.method = "PATCH"
wrk.body = '$PATCH_BODY'
wrk.headers["Content-Type"] = "application/scim+json"
wrk.headers["Authorization"] = "Bearer x"
LUA
timeout 30 wrk -t1 -c1 -d5s -s "$BENCH_TMP/patch.lua" "$BASE/Users/u1" >"$BENCH_TMP/wrk.out" ||
    die "wrk failed: $(cat "$BENCH_TMP/wrk.out")"
server_rps="$(awk '/^Requests\/sec:/ {print $2}' "$BENCH_TMP/wrk.out")"
[ -n "$server_rps" ] || die "no Requests/sec in wrk output: $(cat "$BENCH_TMP/wrk.out")"
server_us="$(awk -v r="$server_rps" 'BEGIN { printf "%.1f", 1e6 / r }')"
echo "server only (wrk -t1 -c1 -d5s): $server_rps req/s = $server_us µs per request"

# Case files: $1 cases of $STEPS PATCH steps each.
write_cases() {
    local count=$1 file=$2 i s
    {
        for i in $(seq 1 "$count"); do
            cat <<YAML
- id: bench-$i
  title: runner overhead $i
  rules: [X-01]
  level: MUST
  api: scim
  steps:
YAML
            for s in $(seq 1 "$STEPS"); do
                cat <<YAML
    - name: patch $s
      request:
        method: PATCH
        path: /Users/u1
        headers: {X-Bench: "{{ run_id }}-{{ uuid }}"}
        body:
          schemas: [urn:ietf:params:scim:api:messages:2.0:PatchOp]
          Operations: [{op: replace, path: nickName, value: Babs}]
      expect:
        status: 200
        headers: {ETag: {present: true}}
        body: {id: "#string", nickName: Babs, active: true, meta: {version: "#string"}}
        schema: scim-user
YAML
            done
        done
    } >"$file"
}
mkdir -p "$BENCH_TMP/few" "$BENCH_TMP/many"
write_cases "$CASES_FEW" "$BENCH_TMP/few/cases.yaml"
write_cases "$CASES_MANY" "$BENCH_TMP/many/cases.yaml"
N_FEW=$((CASES_FEW * STEPS))
N_MANY=$((CASES_MANY * STEPS))

run_once() {
    timeout 120 "$BIN" run --quiet --jobs 1 --target "$BASE" --api scim --profile rfc7644 \
        --schemas "$REPO_DIR/schemas" --cases "$1" >"$BENCH_TMP/run.out" 2>&1
}
# Every step must pass: a failing step takes the (slower) diff-rendering path.
for set in few many; do
    run_once "$BENCH_TMP/$set" || die "run against the loopback server did not pass: $(tail -n 40 "$BENCH_TMP/run.out")"
done

# Mean wall time in ms of $RUNS runs over case folder $1.
time_runs() {
    local total=0 start end _
    for _ in $(seq 1 "$RUNS"); do
        start=$(date +%s%N)
        run_once "$1" || die "run failed: $(tail -n 20 "$BENCH_TMP/run.out")"
        end=$(date +%s%N)
        total=$((total + end - start))
    done
    echo $((total / RUNS / 1000))
}
# Loading the case files (YAML parse, validation) grows with the step count too; it is
# timed on its own with `scimcert list` so it is not counted as per-request overhead.
time_list() {
    local total=0 start end _
    for _ in $(seq 1 "$RUNS"); do
        start=$(date +%s%N)
        timeout 60 "$BIN" list --schemas "$REPO_DIR/schemas" --cases "$1" >/dev/null 2>&1 ||
            die "scimcert list failed"
        end=$(date +%s%N)
        total=$((total + end - start))
    done
    echo $((total / RUNS / 1000))
}
few_us="$(time_runs "$BENCH_TMP/few")"
many_us="$(time_runs "$BENCH_TMP/many")"
few_load_us="$(time_list "$BENCH_TMP/few")"
many_load_us="$(time_list "$BENCH_TMP/many")"
echo "runner, $N_FEW requests: $((few_us / 1000)) ms; $N_MANY requests: $((many_us / 1000)) ms (mean of $RUNS cold runs each)"
echo "loading alone (scimcert list): $((few_load_us / 1000)) ms; $((many_load_us / 1000)) ms"

read -r marginal_us load_us runner_us rps overall_rps < <(awk -v a="$few_us" -v b="$many_us" \
    -v la="$few_load_us" -v lb="$many_load_us" \
    -v na="$N_FEW" -v nb="$N_MANY" -v s="$server_us" 'BEGIN {
        m = (b - a) / (nb - na)
        l = (lb - la) / (nb - na)
        printf "%.1f %.1f %.1f %.0f %.0f\n", m, l, m - l - s, 1e6 / (m - l), nb / (b / 1e6) }')
echo "marginal time per request: $marginal_us µs, of which loading its step $load_us µs ($overall_rps req/s including start-up for $N_MANY)"
verdict="$(awk -v r="$runner_us" -v t="$TARGET_US" 'BEGIN { print (r < t) ? "met" : "missed" }')"
finish "$verdict" "P2 runner overhead: $runner_us µs per request (marginal $marginal_us µs - loading $load_us µs - server $server_us µs; $rps req/s sequential at --jobs 1; target < $TARGET_US µs)"
