#!/usr/bin/env bash
# P3: `scimcert mock scim` and `scimcert mock idm` PATCH throughput under wrk:
# USERS users created with curl, then If-Match-free PATCH replaces round-robin over
# their ids (bench/common.sh writes the Lua), CONNS connections, DURATION seconds.
# Reports req/s and p99 latency per API; there is no target, only figures.
# Env: SCIMCERT_BIN, USERS (100), CONNS (64), THREADS (2), DURATION (10).
# Exit: 0 measured, 2 no measurement. The last line is the figure.
set -euo pipefail
source "$(dirname "$0")/common.sh"
need wrk curl awk

USERS=${USERS:-100}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
DURATION=${DURATION:-10}
BIN="$(scimcert_bin)"
echo "machine: $(machine)"

summary=""
for api in scim idm; do
    start_mock "$BIN" "$api"
    echo "mock $api at $MOCK_BASE: creating $USERS users"
    prepare_patch_load "$api" "$MOCK_BASE" "$USERS"
    run_wrk "$THREADS" "$CONNS" "$DURATION" "$BENCH_TMP/$api.lua" "$MOCK_BASE" "$BENCH_TMP/wrk-$api.out"
    cat "$BENCH_TMP/wrk-$api.out"
    read -r requests rps p50 p99 < <(wrk_figures "$BENCH_TMP/wrk-$api.out") || die "cannot read wrk output"
    echo "mock $api: $requests requests, $rps req/s, p50 $p50, p99 $p99"
    summary="$summary mock $api $rps req/s p99 $p99;"
    stop_pid "$MOCK_PID"
done
echo "P3 PATCH under wrk (-t$THREADS -c$CONNS -d${DURATION}s, $USERS users):${summary%;} — no target (figures only)"
