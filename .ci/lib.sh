# shellcheck shell=bash
# Helpers the .ci/independent-*.sh scripts share; sourced, not run.

# A free loopback port: bind port 0, read it back, release it for the server.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_ready PID WHAT URL TOKEN LOG: ready when URL/ServiceProviderConfig answers 200 to
# the bearer TOKEN (at most 30 s); otherwise says so, shows LOG and returns 1.
wait_ready() {
    local pid="$1" what="$2" base_url="$3" token="$4" log="$5"
    for _ in $(seq 1 150); do
        if ! kill -0 "$pid" 2>/dev/null; then
            break
        fi
        if python3 - "$base_url/ServiceProviderConfig" "$token" <<'PY' 2>/dev/null; then
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]})
with urllib.request.urlopen(req, timeout=2) as resp:
    sys.exit(0 if resp.status == 200 else 1)
PY
            return 0
        fi
        sleep 0.2
    done
    echo "$what did not come up on $base_url; its log:" >&2
    cat "$log" >&2
    return 1
}
