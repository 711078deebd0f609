#!/usr/bin/env bash
# Points two independent SCIM clients at `scimcert mock scim --profile rfc7644`, so the
# mock cannot drift away from what real clients expect:
#   - scim2-tester (PyPI, python-scim project): every check passes except the three
#     that PATCH with a bare extension URN as `path` (add/remove/replace of
#     `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`). The RFC 7644
#     path grammar does not allow that path (P-29; README "Against independent
#     clients"), so the mock rejects it with 400 invalidPath under rfc7644.
#   - scim-sanity's `probe` (PyPI): 0 failures, 0 errors.
# Fails when that outcome changes in either direction: a new failure, or one of the
# three expected ones passing (then the P-29 decision changed and README must say so).
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned, with their dependencies that shape requests and answers.
readonly CLIENT_PACKAGES=(
    scim2-tester==0.5.2 scim2-client==0.13.2 scim2-models==0.12.3 httpx2==2.16.2
    pydantic==2.14.4 scim-sanity==0.7.4
)
readonly TOKEN="scimcert-ci-clients"

work="$(mktemp -d "${TMPDIR:-/tmp}/scimcert-clients.XXXXXX")"
mock_pid=""
cleanup() {
    if [[ -n "$mock_pid" ]] && kill -0 "$mock_pid" 2>/dev/null; then
        kill "$mock_pid" 2>/dev/null || true
        wait "$mock_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "independent clients: installing ${CLIENT_PACKAGES[*]} into a temporary venv"
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    "${CLIENT_PACKAGES[@]}"

# SCIMCERT_BIN runs a given binary (e.g. a release build) instead of building one.
if [[ -n "${SCIMCERT_BIN:-}" ]]; then
    scimcert="$SCIMCERT_BIN"
else
    cargo build --quiet --bin scimcert
    scimcert="${CARGO_TARGET_DIR:-target}/debug/scimcert"
fi

# shellcheck source=lib.sh
source .ci/lib.sh
port="$(free_port)"
"$scimcert" mock scim --profile rfc7644 --port "$port" --token "$TOKEN" \
    >"$work/mock.log" 2>&1 &
mock_pid=$!
base_url="http://127.0.0.1:${port}/usergroup/t/my-tenant/scim/v2"

wait_ready "$mock_pid" "independent clients: the mock" "$base_url" "$TOKEN" "$work/mock.log" || exit 1

echo "independent clients: scim2-tester against $base_url"
timeout 600 "$work/venv/bin/python" - "$base_url" "$TOKEN" <<'PY'
import collections
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
# P-29: a bare extension URN is not a `path` in RFC 7644's grammar.
EXPECTED_ERRORS = {"check_add_attribute", "check_remove_attribute", "check_replace_attribute"}
PASSING = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}

base_url, token = sys.argv[1], sys.argv[2]
http = Client(base_url=base_url, headers={"Authorization": "Bearer " + token}, timeout=10)
client = SyncSCIMClient(http)
client.discover()
results = check_server(client)

counts = collections.Counter(r.status.name for r in results)
print("independent clients: scim2-tester: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
problems = []
p29 = set()
for r in results:
    if r.status in PASSING or r.status == Status.SKIPPED:
        continue
    if (
        r.status == Status.ERROR
        and r.title in EXPECTED_ERRORS
        and f"'{ENTERPRISE}'" in (r.reason or "")
    ):
        p29.add(r.title)
        print(f"  expected (P-29) {r.title}: {r.reason}")
        continue
    problems.append(f"{r.status.name} {r.title}: {r.reason}")
if p29 != EXPECTED_ERRORS:
    problems.append(
        f"the P-29 checks {sorted(EXPECTED_ERRORS - p29)} no longer fail: "
        "the bare-URN path decision changed; update README and this script"
    )
searched = [r for r in results if r.title == "search_with_attributes"]
if not searched or any(r.status not in PASSING for r in searched):
    problems.append("search_with_attributes (POST /.search) did not pass")
if sum(counts[s.name] for s in PASSING) < 100:
    problems.append(f"only {sum(counts[s.name] for s in PASSING)} checks passed; expected 100 or more")
for p in problems:
    print(f"independent clients: FAILED: scim2-tester: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
PY

echo "independent clients: scim-sanity probe against $base_url"
set +e
timeout 600 "$work/venv/bin/scim-sanity" probe "$base_url" --token "$TOKEN" \
    --i-accept-side-effects --json-output >"$work/sanity.json" 2>"$work/sanity.err"
sanity_status=$?
set -e
python3 - "$work/sanity.json" "$sanity_status" <<'PY'
import json
import sys

try:
    with open(sys.argv[1], encoding="utf-8") as f:
        report = json.load(f)
except (OSError, ValueError) as error:
    sys.exit(f"independent clients: FAILED: scim-sanity wrote no JSON report ({error})")
summary = report["summary"]
print(
    "independent clients: scim-sanity: "
    + ", ".join(f"{k}={summary[k]}" for k in ("passed", "failed", "warnings", "skipped", "errors"))
)
for r in report["results"]:
    if r["status"] not in ("pass", "skip"):
        print(f"  {r['status']:5} {r['name']}: {r.get('message', '')}")
problems = []
if summary["failed"] or summary["errors"]:
    problems.append(f"{summary['failed']} failure(s), {summary['errors']} error(s)")
if summary["passed"] < 15:
    problems.append(f"only {summary['passed']} checks passed; expected 15 or more")
if sys.argv[2] != "0":
    problems.append(f"scim-sanity exited with {sys.argv[2]}")
for p in problems:
    print(f"independent clients: FAILED: scim-sanity: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
PY
echo "independent clients: OK"
