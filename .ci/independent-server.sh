#!/usr/bin/env bash
# Runs the SCIM corpus against an independent open-source SCIM 2.0 server, so the
# suite is checked against an implementation we did not write: scim2-server (PyPI,
# python-scim2 project, built on scim2-models), in memory, on loopback.
#
# Passes when the run completes with no `error` verdict (a verdict could be reached
# for every case). `fail`/`warn` verdicts are the server's deviations; README.md
# ("Against an independent server") lists them with the RFC text each one breaks.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned: the deviations in README.md are those of exactly these versions.
readonly SERVER_PACKAGES=(scim2-server==0.8.3 scim2-models==0.12.3 pydantic==2.14.3)
readonly TOKEN="scimcert-ci-independent"

work="$(mktemp -d "${TMPDIR:-/tmp}/scimcert-independent.XXXXXX")"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "independent server: installing ${SERVER_PACKAGES[*]} into a temporary venv"
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    "${SERVER_PACKAGES[@]}"

# A free loopback port: bind port 0, read it back, release it for the server.
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
base_url="http://127.0.0.1:${port}/v2"

"$work/venv/bin/scim2-server" --hostname 127.0.0.1 --port "$port" --bearer-token "$TOKEN" \
    >"$work/server.log" 2>&1 &
server_pid=$!

# Ready when /ServiceProviderConfig answers 200 (at most 30 s).
ready=""
for _ in $(seq 1 150); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
        break
    fi
    if python3 - "$base_url/ServiceProviderConfig" "$TOKEN" <<'PY' 2>/dev/null; then
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]})
with urllib.request.urlopen(req, timeout=2) as resp:
    sys.exit(0 if resp.status == 200 else 1)
PY
        ready=1
        break
    fi
    sleep 0.2
done
if [[ -z "$ready" ]]; then
    echo "independent server: scim2-server did not come up on $base_url; its log:" >&2
    cat "$work/server.log" >&2
    exit 1
fi

# SCIMCERT_BIN runs a given binary (e.g. a release build) instead of building one.
if [[ -n "${SCIMCERT_BIN:-}" ]]; then
    scimcert="$SCIMCERT_BIN"
else
    cargo build --quiet --bin scimcert
    scimcert="${CARGO_TARGET_DIR:-target}/debug/scimcert"
fi

# Exit code 1 (some `fail`) is expected: the server has deviations. 2 (usage) and
# 3 (runtime errors) are not; the report check below names any `error` verdict.
echo "independent server: scimcert run --target $base_url --api scim --profile rfc7644"
set +e
SCIMCERT_TOKEN="$TOKEN" NO_COLOR=1 timeout 600 "$scimcert" run \
    --target "$base_url" --api scim --profile rfc7644 \
    --report-dir "$work/reports" --quiet \
    >"$work/console.txt" 2>&1
status=$?
set -e
if [[ $status -ne 0 && $status -ne 1 ]]; then
    echo "independent server: scimcert exited with $status; its output:" >&2
    cat "$work/console.txt" >&2
    exit 1
fi

python3 - "$work/reports" "${SERVER_PACKAGES[0]}" <<'PY'
import json
import os
import sys

reports = sys.argv[1]
for name in ("junit.xml", "report.json", "report.md"):
    if not os.path.isfile(os.path.join(reports, name)):
        sys.exit(f"independent server: FAILED: --report-dir wrote no {name}")
with open(os.path.join(reports, "report.json"), encoding="utf-8") as f:
    report = json.load(f)
summary = report["summary"]
cases = report["cases"]
ran = [c for c in cases if c["verdict"] != "skip"]
print(
    f"independent server: {sys.argv[2]} verdicts: "
    f"pass={summary['passed']} fail={summary['failed']} warn={summary['warned']} "
    f"skip={summary['skipped']} error={summary['errors']}"
)
for c in ran:
    if c["verdict"] != "pass":
        print(f"  {c['verdict']:5} {c['id']}: {c['reason'] or ''}")
problems = []
if not ran:
    problems.append("no case ran against the server")
errors = [c for c in cases if c["verdict"] == "error"]
if errors or summary["errors"]:
    problems.append(f"{len(errors)} case(s) ended in `error` (no verdict possible)")
if problems:
    for p in problems:
        print(f"independent server: FAILED: {p}", file=sys.stderr)
    sys.exit(1)
PY
