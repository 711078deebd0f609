#!/usr/bin/env bash
# P4: resident memory of `scimcert mock` after about 1 million requests: USERS users
# created with curl, then wrk rounds of CHUNK seconds (the P3 PATCH Lua, CONNS
# connections) until TOTAL requests have been answered or MAX_SECONDS have passed;
# VmRSS is read from /proc/<pid>/status after every round.
# Target: VmRSS under 50 MB after ~1M requests.
# Env: SCIMCERT_BIN, API (scim|idm, default scim), TOTAL (1000000), USERS (100),
#      CONNS (64), THREADS (2), CHUNK (10), MAX_SECONDS (300), TARGET_MB (50).
# Exit: 0 target met, 1 missed, 2 no measurement. The last line is the figure.
set -euo pipefail
source "$(dirname "$0")/common.sh"
need wrk curl awk

API=${API:-scim}
TOTAL=${TOTAL:-1000000}
USERS=${USERS:-100}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
CHUNK=${CHUNK:-10}
MAX_SECONDS=${MAX_SECONDS:-300}
TARGET_MB=${TARGET_MB:-50}
[ "$TOTAL" -ge 1 ] && [ "$TOTAL" -le 100000000 ] || die "TOTAL must be 1..100000000"
[ "$MAX_SECONDS" -le 3600 ] || die "MAX_SECONDS must be at most 3600"
BIN="$(scimcert_bin)"
echo "machine: $(machine)"

start_mock "$BIN" "$API"
echo "mock $API at $MOCK_BASE (pid $MOCK_PID): VmRSS at start $(rss_kb "$MOCK_PID") kB"
prepare_patch_load "$API" "$MOCK_BASE" "$USERS"
echo "after creating $USERS users: VmRSS $(rss_kb "$MOCK_PID") kB"

done_requests=0
started=$(date +%s)
round=0
while [ "$done_requests" -lt "$TOTAL" ]; do
    elapsed=$(($(date +%s) - started))
    [ "$elapsed" -lt "$MAX_SECONDS" ] || die "only $done_requests of $TOTAL requests in ${MAX_SECONDS}s"
    round=$((round + 1))
    run_wrk "$THREADS" "$CONNS" "$CHUNK" "$BENCH_TMP/$API.lua" "$MOCK_BASE" "$BENCH_TMP/wrk.out"
    read -r requests rps _ p99 < <(wrk_figures "$BENCH_TMP/wrk.out") || die "cannot read wrk output"
    done_requests=$((done_requests + requests))
    kill -0 "$MOCK_PID" 2>/dev/null || die "the mock died"
    echo "round $round: +$requests ($rps req/s, p99 $p99) = $done_requests requests, VmRSS $(rss_kb "$MOCK_PID") kB"
done
# Let in-flight work settle, then read the figure.
sleep 1
rss="$(rss_kb "$MOCK_PID")"
hwm="$(awk '/^VmHWM:/ {print $2}' "/proc/$MOCK_PID/status")"
verdict=missed
[ "$rss" -lt $((TARGET_MB * 1024)) ] && verdict=met
finish "$verdict" "P4 mock $API memory: VmRSS $((rss / 1024)) MB ($rss kB, peak $((hwm / 1024)) MB) after $done_requests requests in $(($(date +%s) - started)) s (target < $TARGET_MB MB)"
