# shellcheck shell=bash
# Helpers shared by the bench/p*.sh scripts; sourced, not run.
# Every script: `set -euo pipefail`, loopback only, background processes killed on exit.

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
BENCH_PIDS=()
BENCH_TMP="$(mktemp -d "${TMPDIR:-/tmp}/scimcert-bench.XXXXXX")"

# Exit codes: 0 target met, 1 target missed (figure still printed), 2 no measurement.
die() {
    echo "error: $*" >&2
    exit 2
}

# Prints the final figure line and exits 0 when $1 is "met", 1 otherwise.
finish() {
    local verdict=$1
    shift
    echo "$* — target $verdict"
    [ "$verdict" = met ]
}

need() {
    local cmd
    for cmd in "$@"; do
        command -v "$cmd" >/dev/null 2>&1 || die "\`$cmd\` is required (Debian: apt-get install -y $cmd)"
    done
}

bench_cleanup() {
    local pid
    for pid in "${BENCH_PIDS[@]:-}"; do
        [ -n "$pid" ] || continue
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$BENCH_TMP"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# Prints the path of the release binary, building it unless SCIMCERT_BIN names one.
scimcert_bin() {
    if [ -n "${SCIMCERT_BIN:-}" ]; then
        [ -x "$SCIMCERT_BIN" ] || die "SCIMCERT_BIN=$SCIMCERT_BIN is not executable"
        echo "$SCIMCERT_BIN"
        return
    fi
    need cargo
    (cd "$REPO_DIR" && cargo build --release --quiet) >&2 || die "cargo build --release failed"
    local target_dir
    target_dir="$(cd "$REPO_DIR" && cargo metadata --format-version 1 --no-deps |
        sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
    [ -n "$target_dir" ] || target_dir="$REPO_DIR/${CARGO_TARGET_DIR:-target}"
    [ -x "$target_dir/release/scimcert" ] || die "no binary at $target_dir/release/scimcert"
    echo "$target_dir/release/scimcert"
}

# Prints the path of the release build of example $1 (bench/$1.rs), building it unless
# FLOOR_BIN (floor) or BARE_BIN (bare_hyper) names one.
floor_bin() {
    local name=$1 given
    case "$name" in
        floor) given=${FLOOR_BIN:-} ;;
        bare_hyper) given=${BARE_BIN:-} ;;
        *) die "unknown example $name" ;;
    esac
    if [ -n "$given" ]; then
        [ -x "$given" ] || die "$given is not executable"
        echo "$given"
        return
    fi
    need cargo
    (cd "$REPO_DIR" && cargo build --release --quiet --example "$name") >&2 ||
        die "cargo build --release --example $name failed"
    local target_dir
    target_dir="$(cd "$REPO_DIR" && cargo metadata --format-version 1 --no-deps |
        sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
    [ -n "$target_dir" ] || target_dir="$REPO_DIR/${CARGO_TARGET_DIR:-target}"
    [ -x "$target_dir/release/examples/$name" ] || die "no binary at $target_dir/release/examples/$name"
    echo "$target_dir/release/examples/$name"
}

# Waits (at most $3 seconds) until file $1 has a line matching regex $2; prints that line.
wait_for_line() {
    local file=$1 pattern=$2 limit=${3:-10} waited=0 line
    while [ "$waited" -lt $((limit * 10)) ]; do
        line="$(grep -m1 -E "$pattern" "$file" 2>/dev/null || true)"
        if [ -n "$line" ]; then
            echo "$line"
            return 0
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    die "timed out after ${limit}s waiting for /$pattern/ in $file: $(cat "$file" 2>/dev/null)"
}

# Starts `scimcert mock <api>` on a free loopback port; sets MOCK_PID and MOCK_BASE.
start_mock() {
    local bin=$1 api=$2 log="$BENCH_TMP/mock-$2.log" line
    "$bin" mock "$api" --port 0 >"$log" 2>&1 &
    MOCK_PID=$!
    BENCH_PIDS+=("$MOCK_PID")
    line="$(wait_for_line "$log" 'serving at http://127\.0\.0\.1:[0-9]+' 15)"
    MOCK_BASE="http://${line##*http://}"
    case "$MOCK_BASE" in
        http://127.0.0.1:*) ;;
        *) die "mock printed an unexpected address: $line" ;;
    esac
}

# Stops a process started by this script.
stop_pid() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# Resident set size of a process in kB.
rss_kb() {
    awk '/^VmRSS:/ {print $2}' "/proc/$1/status"
}

# Machine line for reports.
machine() {
    local cpu
    cpu="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)"
    echo "nproc=$(nproc) cpu=${cpu:-unknown}"
}

# Bearer token of the built-in simulations (src/sim/mod.rs DEFAULT_TOKEN).
SIM_TOKEN=${SIM_TOKEN:-scimcert-sim-token}

# Creates $3 users on the mock of api $1 at base URL $2 with curl, then writes a wrk
# Lua script ($BENCH_TMP/$1.lua) sending If-Match-free PATCH replaces that round-robin
# over their ids (each wrk thread starts at a different offset; values vary per request).
prepare_patch_load() {
    local api=$1 base=$2 count=$3 i body out id ids="" path ctype patch
    need curl
    [ "$count" -ge 1 ] && [ "$count" -le 10000 ] || die "user count must be 1..10000"
    case "$api" in
        scim)
            path="$base/Users"
            ctype="application/scim+json"
            # %d: a per-request counter, so every PATCH changes the user.
            patch='{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"nickName","value":"nick-%d"}]}'
            ;;
        idm)
            path="$base/user"
            ctype="application/json"
            patch='{"profile":"Subscriber","Operations":[{"operation":"replace","path":"scimAttributes:name","value":{"givenName":"given-%d","familyName":"Jensen"}}]}'
            ;;
        *) die "unknown api $api" ;;
    esac
    for i in $(seq 1 "$count"); do
        if [ "$api" = scim ]; then
            body="{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"bench-$i\",\"name\":{\"givenName\":\"Barbara\",\"familyName\":\"Jensen\"},\"emails\":[{\"value\":\"bench-$i@example.com\",\"type\":\"work\",\"primary\":true}]}"
        else
            body="{\"profile\":\"Subscriber\",\"scimAttributes\":{\"userName\":\"bench-$i\",\"name\":{\"givenName\":\"Barbara\",\"familyName\":\"Jensen\"}},\"customAttributes\":{\"workspace\":\"ws-1\"}}"
        fi
        out="$(curl -sS --max-time 5 -X POST "$path" -H "Authorization: Bearer $SIM_TOKEN" \
            -H "Content-Type: $ctype" --data-binary "$body" -w '\n%{http_code}')" ||
            die "cannot create user $i at $path"
        case "${out##*$'\n'}" in 200 | 201) ;; *) die "creating user $i answered ${out##*$'\n'}: ${out%$'\n'*}" ;;
        esac
        id="$(printf '%s' "${out%$'\n'*}" | grep -o '"id" *: *"[^"]*"' | head -n 1 | sed 's/.*"\([^"]*\)"$/\1/')"
        [ -n "$id" ] || die "no id in the answer to creating user $i: $out"
        ids="$ids\"$id\","
    done
    # The first PATCH must succeed before wrk measures anything.
    out="$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -X PATCH "$path/$id" \
        -H "Authorization: Bearer $SIM_TOKEN" -H "Content-Type: $ctype" \
        --data-binary "$(printf "$patch" 0)")" || die "probe PATCH failed"
    [ "$out" = 200 ] || [ "$out" = 204 ] || die "probe PATCH answered $out"
    local url_path="/${path#http://*/}"
    cat >"$BENCH_TMP/$api.lua" <<LUA
-- generated by bench/common.sh: PATCH replaces round-robin over pre-created users
local ids = { ${ids%,} }
local path = "$url_path/"
local template = '$patch'
local headers = { ["Authorization"] = "Bearer $SIM_TOKEN", ["Content-Type"] = "$ctype" }
local next_thread = 0
function setup(thread)
    thread:set("offset", next_thread * 7919)
    next_thread = next_thread + 1
end
local counter = 0
function request()
    counter = counter + 1
    local n = (offset or 0) + counter
    return wrk.format("PATCH", path .. ids[(n % #ids) + 1], headers, string.format(template, n))
end
LUA
}

# Runs wrk ($1 threads, $2 connections, $3 seconds) with lua $4 against $5; output in $6.
# Fails on socket errors or non-2xx answers: those figures would not be PATCH figures.
run_wrk() {
    local threads=$1 conns=$2 secs=$3 lua=$4 url=$5 out=$6 bad
    [ "$secs" -ge 1 ] && [ "$secs" -le 300 ] || die "wrk duration must be 1..300 s"
    timeout $((secs + 30)) wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 5s --latency \
        -s "$lua" "$url" >"$out" 2>&1 || die "wrk failed: $(cat "$out")"
    bad="$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")"
    [ -z "$bad" ] || die "wrk saw $bad non-2xx answers: $(cat "$out")"
    if grep -q 'Socket errors' "$out"; then
        die "wrk saw socket errors: $(cat "$out")"
    fi
}

# From wrk output $1: prints `requests req_per_s p50 p99` (latencies as wrk prints them).
wrk_figures() {
    awk '
        / requests in / { n = $1 }
        /^Requests\/sec:/ { r = $2 }
        $1 == "50%" { p50 = $2 }
        $1 == "99%" { p99 = $2 }
        END { if (n == "" || r == "") exit 1; print n, r, p50, p99 }' "$1"
}
