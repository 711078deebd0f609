#!/usr/bin/env bash
# P6: wall time per HTTP request of `scimcert run --api scim --profile rfc7644` against
# `scimcert mock scim --profile rfc7644` on loopback, next to the independent
# scim2-tester (PyPI, pinned as in .ci/independent-clients.sh) against the same mock.
# Each repetition starts a fresh mock with --client-report, times one client process
# from start to exit (loading included), and reads the number of requests the mock
# received from its client report; REPS alternating repetitions, medians.
# Target: scimcert at least 10x faster per request.
# Env: SCIMCERT_BIN (skip the build), PEER_VENV (a venv that has the pinned packages;
#      default: a new one), REPS (default 5), TARGET (10).
# Exit: 0 target met, 1 missed, 2 no measurement. The last line is the figure.
set -euo pipefail
source "$(dirname "$0")/common.sh"
need python3 awk

REPS=${REPS:-5}
TARGET=${TARGET:-10}
[ "$REPS" -ge 1 ] && [ "$REPS" -le 50 ] || die "REPS must be 1..50"
# The same pins as .ci/independent-clients.sh.
PEER_PACKAGES=(scim2-tester==0.5.2 scim2-client==0.13.2 scim2-models==0.12.3 httpx2==2.16.2 pydantic==2.14.4)
BIN="$(scimcert_bin)"
cd "$REPO_DIR"
echo "machine: $(machine)"

VENV=${PEER_VENV:-$BENCH_TMP/venv}
if [ ! -x "$VENV/bin/python" ]; then
    echo "installing ${PEER_PACKAGES[*]} into $VENV"
    python3 -m venv "$VENV" || die "cannot create a venv"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    "${PEER_PACKAGES[@]}" >"$BENCH_TMP/pip.log" 2>&1 || die "pip install failed: $(tail -n 5 "$BENCH_TMP/pip.log")"

cat >"$BENCH_TMP/peer.py" <<'PY'
import sys
from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import check_server

http = Client(base_url=sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]}, timeout=10)
client = SyncSCIMClient(http)
client.discover()
results = check_server(client)
print(f"scim2-tester: {len(results)} checks")
PY

# Starts a fresh mock (MOCK_PID, MOCK_BASE) that counts its client's requests.
fresh_mock() {
    local log="$BENCH_TMP/mock.log" line
    "$BIN" mock scim --profile rfc7644 --port 0 --client-report "$BENCH_TMP/client-report" \
        >"$log" 2>&1 &
    MOCK_PID=$!
    BENCH_PIDS+=("$MOCK_PID")
    line="$(wait_for_line "$log" 'serving at http://127\.0\.0\.1:[0-9]+' 15)"
    # The mock prints its API base URL; the control endpoints are at the root.
    MOCK_BASE="$(printf '%s' "$line" | grep -Eo 'http://127\.0\.0\.1:[0-9]+' | head -n 1)"
    [ -n "$MOCK_BASE" ] || die "mock printed an unexpected address: $line"
}
# Requests the mock received so far (control endpoints excluded).
mock_requests() {
    python3 - "$MOCK_BASE/_scimcert/client-report" "$SIM_TOKEN" <<'PY'
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]})
with urllib.request.urlopen(req, timeout=5) as resp:
    print(json.load(resp)["summary"]["requests"])
PY
}
# Appends "wall_seconds requests" of one client run to file $1; $2 is scimcert|peer.
measure() {
    local out=$1 who=$2 base rc=0 start end n
    fresh_mock
    base="$MOCK_BASE/usergroup/t/my-tenant/scim/v2"
    start=$(date +%s%N)
    if [ "$who" = scimcert ]; then
        SCIMCERT_TOKEN="$SIM_TOKEN" timeout 300 "$BIN" run --quiet --target "$base" --api scim \
            --profile rfc7644 >"$BENCH_TMP/client.out" 2>&1 || rc=$?
    else
        timeout 600 "$VENV/bin/python" "$BENCH_TMP/peer.py" "$base" "$SIM_TOKEN" \
            >"$BENCH_TMP/client.out" 2>&1 || rc=$?
    fi
    end=$(date +%s%N)
    # scimcert exits 1 when a case fails: a result, still timed; anything else is not.
    [ "$rc" -eq 0 ] || { [ "$who" = scimcert ] && [ "$rc" -eq 1 ]; } ||
        die "$who exited $rc: $(tail -n 20 "$BENCH_TMP/client.out")"
    n="$(mock_requests)" || die "cannot read the mock's client report"
    [ "$n" -gt 0 ] || die "$who sent no request"
    stop_pid "$MOCK_PID"
    echo "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", (b - a) / 1e9 }') $n" >>"$out"
    echo "  $who: $(tail -n 1 "$BENCH_TMP/client.out"); $(tail -n 1 "$out" | awk '{ printf "%s s, %d requests", $1, $2 }')"
}

for i in $(seq 1 "$REPS"); do
    if [ $((i % 2)) -eq 1 ]; then
        measure "$BENCH_TMP/scimcert.times" scimcert
        measure "$BENCH_TMP/peer.times" peer
    else
        measure "$BENCH_TMP/peer.times" peer
        measure "$BENCH_TMP/scimcert.times" scimcert
    fi
done

# Median of wall/requests in µs, and the median request count, of file $1.
per_request() {
    awk '{ print $1 / $2 * 1e6, $2, $1 }' "$1" | sort -g | awk '
        { us[NR] = $1; n[NR] = $2; w[NR] = $3 }
        END { m = int((NR + 1) / 2); printf "%.0f %d %.2f\n", us[m], n[m], w[m] }'
}
read -r own_us own_n own_wall < <(per_request "$BENCH_TMP/scimcert.times")
read -r peer_us peer_n peer_wall < <(per_request "$BENCH_TMP/peer.times")
echo "scimcert run: $own_us µs per request ($own_n requests in $own_wall s; median of $REPS)"
echo "scim2-tester: $peer_us µs per request ($peer_n requests in $peer_wall s; median of $REPS)"
read -r ratio verdict < <(awk -v a="$own_us" -v b="$peer_us" -v t="$TARGET" 'BEGIN {
    if (a <= 0) { print "0 none"; exit }
    r = b / a; printf "%.1f %s\n", r, (r >= t) ? "met" : "missed" }')
[ "$verdict" != none ] || die "no time measured"
finish "$verdict" "P6 peer ratio: scimcert ${ratio}x faster per request than scim2-tester ($own_us µs vs $peer_us µs, loading included; medians of $REPS alternating; target >= ${TARGET}x)"
