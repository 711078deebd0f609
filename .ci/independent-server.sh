#!/usr/bin/env bash
# Runs the SCIM corpus against independent open-source SCIM 2.0 servers, so the suite is
# checked against implementations we did not write, from three ecosystems:
#   scim2-server   (PyPI; python-scim2, built on scim2-models), in memory
#   scimmy         (npm; SCIMMY + scimmy-routers on Express 4; in-memory store in .ci/scimmy/)
#   django-scim2   (PyPI; django-scim2 on Django with sqlite; project in .ci/django_scim2/)
# Each is installed pinned from its registry into a temporary folder and started on
# 127.0.0.1; `check_server` runs the corpus against it.
#
# A server passes when the run completes with no `error` verdict (a verdict could be reached
# for every case) and no user whose userName starts with `scimcert-` is left on it afterwards.
# `fail`/`warn` verdicts are the servers' deviations; README.md ("Against independent
# servers") lists them with the RFC text each one breaks.
#
# ONLY=<name> checks one server (scim2-server, scimmy or django-scim2); SCIMCERT_BIN=<path>
# runs a given scimcert binary (e.g. a release build) instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

# Pinned: the deviations in README.md are those of exactly these versions (npm versions are
# pinned by .ci/scimmy/package-lock.json, Django's by .ci/django_scim2/requirements.txt).
readonly SCIM2_SERVER_PACKAGES=(scim2-server==0.8.3 scim2-models==0.12.3 pydantic==2.14.3)
readonly TOKEN="scimcert-ci-independent"

work="$(mktemp -d "${TMPDIR:-/tmp}/scimcert-independent.XXXXXX")"
server_pid=""
stop_server() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
}
cleanup() {
    stop_server
    # KEEP_REPORTS=<dir> keeps each server's report folder (to update README's lists).
    if [[ -n "${KEEP_REPORTS:-}" ]]; then
        mkdir -p "$KEEP_REPORTS"
        for reports in "$work"/*/reports; do
            [[ -d "$reports" ]] && cp -r "$reports" "$KEEP_REPORTS/$(basename "$(dirname "$reports")")"
        done
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=lib.sh
source .ci/lib.sh

# check_server NAME BASE_URL: runs the corpus against the server at BASE_URL and checks the
# verdicts (no `error`) and what the run left behind (no `scimcert-` user).
check_server() {
    local name="$1" base_url="$2"
    local out="$work/$name"
    mkdir -p "$out"
    echo "independent server: $name: scimcert run --target $base_url --api scim --profile rfc7644"
    local started status
    started=$(date +%s)
    set +e
    SCIMCERT_TOKEN="$TOKEN" NO_COLOR=1 timeout 600 "$scimcert" run \
        --target "$base_url" --api scim --profile rfc7644 \
        --report-dir "$out/reports" --quiet \
        >"$out/console.txt" 2>&1
    status=$?
    set -e
    echo "independent server: $name: run took $(($(date +%s) - started)) s, exit code $status"
    # Exit code 1 (some `fail`) is expected: the servers have deviations. 2 (usage) and 3
    # (runtime errors) are not; the report check below names any `error` verdict.
    if [[ $status -ne 0 && $status -ne 1 && $status -ne 3 ]]; then
        echo "independent server: $name: scimcert exited with $status; its output:" >&2
        cat "$out/console.txt" >&2
        return 1
    fi
    python3 - "$out/reports" "$name" "$base_url" "$TOKEN" <<'PY'
import json
import os
import sys
import urllib.parse
import urllib.request

reports, name, base_url, token = sys.argv[1:5]
prefix = "independent server: " + name + ":"
for file in ("junit.xml", "report.json", "report.md"):
    if not os.path.isfile(os.path.join(reports, file)):
        sys.exit(f"{prefix} FAILED: --report-dir wrote no {file}")
with open(os.path.join(reports, "report.json"), encoding="utf-8") as f:
    report = json.load(f)
summary = report["summary"]
cases = report["cases"]
ran = [c for c in cases if c["verdict"] != "skip"]
print(
    f"{prefix} verdicts: pass={summary['passed']} fail={summary['failed']} "
    f"warn={summary['warned']} skip={summary['skipped']} error={summary['errors']}"
)
for c in ran:
    if c["verdict"] != "pass":
        print(f"  {c['verdict']:5} {c['id']}: {c['reason'] or ''}")


def get(url):
    req = urllib.request.Request(
        url, headers={"Authorization": "Bearer " + token, "Accept": "application/scim+json"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


# Every user on the server, page by page (a server may cap `count`); a fresh server holds
# only what the run created, so a full listing does not depend on the server's filter.
left = []
start, seen = 1, 0
try:
    while True:
        query = urllib.parse.urlencode({"startIndex": start, "count": 100})
        page = get(f"{base_url}/Users?{query}")
        resources = page.get("Resources") or []
        seen += len(resources)
        left += [u for u in resources if str(u.get("userName", "")).startswith("scimcert-")]
        if not resources or seen >= int(page.get("totalResults", 0)):
            break
        start += len(resources)
except Exception as e:  # the listing itself failing is a failed check, not a crash
    sys.exit(f"{prefix} FAILED: could not list the users on the server: {e}")
print(f"{prefix} users left behind: {len(left)}")
for u in left:
    print(f"  left: {u.get('id')} {u.get('userName')}")

problems = []
if not ran:
    problems.append("no case ran against the server")
errors = [c for c in cases if c["verdict"] == "error"]
if errors or summary["errors"]:
    problems.append(f"{len(errors)} case(s) ended in `error` (no verdict possible)")
if left:
    problems.append(f"{len(left)} user(s) named scimcert-… left on the server")
for p in problems:
    print(f"{prefix} FAILED: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
PY
}

# run_scim2_server PORT: scim2-server (PyPI) in a venv; base URL /v2.
run_scim2_server() {
    local port="$1"
    echo "independent server: scim2-server: installing ${SCIM2_SERVER_PACKAGES[*]}"
    python3 -m venv "$work/scim2-venv" || return 1
    "$work/scim2-venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        "${SCIM2_SERVER_PACKAGES[@]}" || return 1
    "$work/scim2-venv/bin/scim2-server" --hostname 127.0.0.1 --port "$port" \
        --bearer-token "$TOKEN" >"$work/scim2-server.log" 2>&1 &
    server_pid=$!
    wait_ready "$server_pid" "independent server: scim2-server" "http://127.0.0.1:$port/v2" "$TOKEN" "$work/scim2-server.log"
}

# run_scimmy PORT: SCIMMY + scimmy-routers (npm, `npm ci` from the lock file); base URL /scim/v2.
run_scimmy() {
    local port="$1" dir="$work/scimmy"
    echo "independent server: scimmy: npm ci (.ci/scimmy/package-lock.json)"
    mkdir -p "$dir"
    cp "$repo/.ci/scimmy/package.json" "$repo/.ci/scimmy/package-lock.json" \
        "$repo/.ci/scimmy/server.js" "$dir/" || return 1
    (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null) || return 1
    node "$dir/server.js" "$port" "$TOKEN" >"$work/scimmy.log" 2>&1 &
    server_pid=$!
    wait_ready "$server_pid" "independent server: scimmy" "http://127.0.0.1:$port/scim/v2" "$TOKEN" "$work/scimmy.log"
}

# run_django_scim2 PORT: django-scim2 (PyPI) in a minimal Django project on sqlite; base URL
# /scim/v2. The project is copied so its generated migration stays out of the repository.
run_django_scim2() {
    local port="$1" dir="$work/django"
    echo "independent server: django-scim2: installing .ci/django_scim2/requirements.txt"
    python3 -m venv "$work/django-venv" || return 1
    "$work/django-venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        -r "$repo/.ci/django_scim2/requirements.txt" || return 1
    cp -r "$repo/.ci/django_scim2" "$dir" || return 1
    local django=(env PYTHONPATH="$dir" DJANGO_SETTINGS_MODULE=scimapp.settings
        SCIMCERT_CI_DB="$work/django.sqlite3" SCIMCERT_CI_TOKEN="$TOKEN"
        "$work/django-venv/bin/python" -m django)
    "${django[@]}" makemigrations scimapp >/dev/null || return 1
    "${django[@]}" migrate >/dev/null || return 1
    "${django[@]}" runserver "127.0.0.1:$port" --noreload >"$work/django-scim2.log" 2>&1 &
    server_pid=$!
    wait_ready "$server_pid" "independent server: django-scim2" "http://127.0.0.1:$port/scim/v2" "$TOKEN" "$work/django-scim2.log"
}

if [[ -n "${SCIMCERT_BIN:-}" ]]; then
    scimcert="$SCIMCERT_BIN"
else
    cargo build --quiet --bin scimcert
    scimcert="$repo/${CARGO_TARGET_DIR:-target}/debug/scimcert"
fi

# name, start function, base path: one server at a time (CI machines have few cores).
servers=(
    "scim2-server run_scim2_server /v2"
    "scimmy run_scimmy /scim/v2"
    "django-scim2 run_django_scim2 /scim/v2"
)
failed=()
for entry in "${servers[@]}"; do
    read -r name start base_path <<<"$entry"
    if [[ -n "${ONLY:-}" && "$ONLY" != "$name" ]]; then
        continue
    fi
    port="$(free_port)"
    if ! "$start" "$port" || ! check_server "$name" "http://127.0.0.1:$port$base_path"; then
        failed+=("$name")
    fi
    stop_server
done
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "independent server: FAILED on: ${failed[*]}" >&2
    exit 1
fi
echo "independent server: all servers passed"
