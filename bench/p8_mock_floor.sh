#!/usr/bin/env bash
# P8: `scimcert mock scim` PATCH throughput under wrk against its floor, a bare hyper
# server (bench/bare_hyper.rs: same runtime and hyper connection builder, no handler)
# answering a body of the same size as the mock's PATCH answer, in the same run. The
# mock gets the P3 load (USERS users, If-Match-free PATCH replaces round-robin, see
# bench/common.sh); the bare server gets the same requests. ROUNDS alternating rounds
# of DURATION seconds each; the ratio is of the median req/s; p99 printed for both.
# Target: the mock at least 0.6x the bare server's throughput.
# Env: SCIMCERT_BIN and BARE_BIN (skip the builds), USERS (100), CONNS (64),
#      THREADS (2), DURATION (5), ROUNDS (3), TARGET (0.6).
# Exit: 0 target met, 1 missed, 2 no measurement. The last line is the figure.
set -euo pipefail
source "$(dirname "$0")/common.sh"
need wrk curl awk

USERS=${USERS:-100}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
TARGET=${TARGET:-0.6}
[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 20 ] || die "ROUNDS must be 1..20"
BIN="$(scimcert_bin)"
BARE="$(floor_bin bare_hyper)"
echo "machine: $(machine)"

start_mock "$BIN" scim
MOCK_ROOT="$(printf '%s' "$MOCK_BASE" | grep -Eo 'http://127\.0\.0\.1:[0-9]+' | head -n 1)"
echo "mock scim at $MOCK_BASE: creating $USERS users"
prepare_patch_load scim "$MOCK_BASE" "$USERS"
# The size of the mock's answer to one such PATCH (its ids all have the same length).
size="$(curl -sS --max-time 5 -o /dev/null -w '%{size_download}' -X PATCH \
    "$MOCK_BASE/Users/$(grep -o '"[^"]*"' "$BENCH_TMP/scim.lua" | sed -n 2p | tr -d '"')" \
    -H "Authorization: Bearer $SIM_TOKEN" -H "Content-Type: application/scim+json" \
    --data-binary '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"nickName","value":"nick-0"}]}')" ||
    die "cannot PATCH the mock"
[ "$size" -gt 2 ] || die "the mock answered a PATCH with $size bytes"
echo "the mock answers a PATCH with $size bytes"

"$BARE" "$size" >"$BENCH_TMP/bare.log" 2>&1 &
BARE_PID=$!
BENCH_PIDS+=("$BARE_PID")
line="$(wait_for_line "$BENCH_TMP/bare.log" 'serving at http://127\.0\.0\.1:[0-9]+' 15)"
BARE_ROOT="http://${line##*http://}"
echo "bare hyper at $BARE_ROOT"

for i in $(seq 1 "$ROUNDS"); do
    for who in mock bare; do
        # Alternate which goes first.
        [ $((i % 2)) -eq 1 ] || who=$([ "$who" = mock ] && echo bare || echo mock)
        root=$([ "$who" = mock ] && echo "$MOCK_ROOT" || echo "$BARE_ROOT")
        run_wrk "$THREADS" "$CONNS" "$DURATION" "$BENCH_TMP/scim.lua" "$root" "$BENCH_TMP/wrk.out"
        read -r requests rps p50 p99 < <(wrk_figures "$BENCH_TMP/wrk.out") || die "cannot read wrk output"
        echo "round $i $who: $requests requests, $rps req/s, p50 $p50, p99 $p99"
        echo "$rps $p99" >>"$BENCH_TMP/$who.figures"
    done
done

# Median req/s of file $1 and the p99 of that round.
median_round() {
    sort -g "$1" | awk '{ r[NR] = $1; p[NR] = $2 } END { m = int((NR + 1) / 2); print r[m], p[m] }'
}
read -r mock_rps mock_p99 < <(median_round "$BENCH_TMP/mock.figures")
read -r bare_rps bare_p99 < <(median_round "$BENCH_TMP/bare.figures")
read -r ratio verdict < <(awk -v m="$mock_rps" -v b="$bare_rps" -v t="$TARGET" 'BEGIN {
    if (b <= 0) { print "0 none"; exit }
    r = m / b; printf "%.2f %s\n", r, (r >= t) ? "met" : "missed" }')
[ "$verdict" != none ] || die "the bare server answered nothing"
finish "$verdict" "P8 mock vs bare hyper: ${ratio}x (mock $mock_rps req/s, p99 $mock_p99; bare hyper $bare_rps req/s, p99 $bare_p99; ${size}-byte answers; wrk -t$THREADS -c$CONNS, median of $ROUNDS ${DURATION}s rounds alternating; target >= ${TARGET}x)"
