#!/usr/bin/env bash
# Host figures from the simulator's heap counters (requested bytes of the
# SDK heap, the same accounting as the README's table). Peer: a TLS 1.2 server
# (Python ssl over OpenSSL) answering the 100-byte-class request with 100
# bytes, or with one 16 KB record for record16k; every case at the simulator's
# default heap (40 KB, the chip's free heap at connect).
#   bench case=NAME heap_peak=N allocs=N [min_heap=N]
#   bench case=ca_bundle heap_peak=N allocs=N min_heap=N roots=N flash_bytes=N bytes_per_root=N
# min_heap: the smallest --heap at which the case completes (the client cases;
# resume_ec and server_ec print the peak only).
set -euo pipefail
cd "$(dirname "$0")/.."
pki=build/pki
bash tests/support/pki.sh "$pki" >/dev/null
work=build/bench
mkdir -p "$work"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
record() { python3 - "$@" <<'PY'
import struct, sys
out = sys.argv[1]
data = b""
for pair in sys.argv[2:]:
    name, path = pair.split("=", 1)
    payload = open(path, "rb").read()
    data += name.encode().ljust(32, b"\0") + struct.pack("<H", len(payload)) + payload
open(out, "wb").write(data)
PY
}
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# The bench line from a run's final `heap_peak=N heap_in_use=N allocs=N`.
# With a third argument (min_heap=N) it is appended to the line.
report() { # name output [extra]
    local heap peak allocs
    heap=$(grep '^heap_peak=' <<<"$2" | tail -1)
    peak=${heap#heap_peak=}; peak=${peak%% *}
    allocs=${heap##*allocs=}
    echo "bench case=$1 heap_peak=$peak allocs=$allocs${3:+ $3}"
}

# The smallest --heap (to 64 bytes) at which `cmd... --heap N` completes: the
# handshake, the whole response and a clean close (no RECONNECT line).
# Binary search between the run's heap peak (a lower bound) and `hi`, which
# must pass.
min_heap() { # lo hi cmd...
    local lo=$1 hi=$2 mid out
    shift 2
    while ((hi - lo > 64)); do
        mid=$(((lo + hi) / 2))
        out=$("$@" --heap "$mid" || true)
        if grep -q '^HANDSHAKE OK' <<<"$out" && ! grep -q '^RECONNECT' <<<"$out"; then
            hi=$mid
        else
            lo=$mid
        fi
    done
    echo "$hi"
}

run_case() { # name chain_dir server_kind client_key(no/ec/rsa) [ca_image]
    local name=$1 chain=$2 kind=$3 mtls=$4 port pid out
    port=$(free_port)
    if [ -n "${5:-}" ]; then
        cp "$5" "$work/ca-$name.bin"
    else
        record "$work/ca-$name.bin" "TLS.ca_x509.cer=$pki/$chain/root.pem"
    fi
    local extra=()
    local size=100 heap=40960 verify=()
    [ "$kind" = big ] && size=16384
    [ "$mtls" != no ] && verify=(--ca "$pki/ec/root.pem")
    python3 tests/support/tls_peer.py --port "$port" --cert "$pki/$chain/chain.pem" \
        --key "$pki/$chain/leaf.key" --mode reply --size "$size" "${verify[@]}" >/dev/null 2>&1 &
    pid=$!
    wait_port "$port"
    if [ "$mtls" != no ]; then
        record "$work/id-$name.bin" "certificate=$pki/client/$mtls.pem" "private_key=$pki/client/$mtls.key"
        extra=(--flash-place 0x78:"$work/id-$name.bin" --cert-sector 0x78)
    fi
    local get=(build/host/https_get --server 127.0.0.1:"$port" --hostname localhost
        --flash-place 0x77:"$work/ca-$name.bin" --ca-sector 0x77 "${extra[@]}" --time "$(date +%s)" --run-for 20000)
    out=$("${get[@]}" --heap "$heap" || true)
    if ! grep -q '^HANDSHAKE OK' <<<"$out"; then
        kill $pid 2>/dev/null || true
        echo "bench case=$name FAILED" >&2
        echo "$out" >&2
        return 1
    fi
    local peak
    peak=$(grep '^heap_peak=' <<<"$out" | tail -1); peak=${peak#heap_peak=}; peak=${peak%% *}
    local least
    least=$(min_heap "$peak" "$heap" "${get[@]}")
    kill $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
    report "$name" "$out" "min_heap=$least"
}

run_case ec ec reply no
run_case rsa rsa reply no
run_case mtls_ec ec reply ec
run_case mtls_rsa ec reply rsa
run_case record16k ec big no

# ca_bundle: as `ec`, the CA being a bundle of Debian's ca-certificates set
# plus the test roots (espcert bundle --system), ~140 roots over 17 sectors;
# the handshake reads the index entries and the one root the chain names.
run_bundle_case() {
    local img=$work/ca-bundle-src.bin line roots bytes
    ${CARGO:-cargo} run -q --release --bin espcert -- bundle --system \
        "$pki/ec/root.pem" "$pki/rsa/root.pem" -o "$img" 2>/dev/null >"$work/bundle.out"
    roots=$(sed -n 's/.*: \([0-9]*\) roots.*/\1/p' "$work/bundle.out")
    bytes=$(stat -c %s "$img")
    line=$(run_case ca_bundle ec reply no "$img")
    echo "$line roots=$roots flash_bytes=$bytes bytes_per_root=$((bytes / roots))"
}
run_bundle_case

# resume_ec: as `ec`, but the handshake resumes a TLS 1.2 session (ticket)
# saved to RTC memory by a first boot (full handshake, then deep sleep); the
# figures are the second boot's, which starts with empty RAM and heap and
# includes the one-entry session cache (~0.5 KB).
run_resume_case() {
    local name=resume_ec port pid out rtc=$work/rtc-resume.bin i
    port=$(free_port)
    rm -f "$rtc"
    record "$work/ca-$name.bin" "TLS.ca_x509.cer=$pki/ec/root.pem"
    python3 tests/support/tls_peer.py --port "$port" --cert "$pki/ec/chain.pem" \
        --key "$pki/ec/leaf.key" --mode reply --size 100 >/dev/null 2>&1 &
    pid=$!
    wait_port "$port"
    for i in 1 2; do
        out=$(build/host/https_get --server 127.0.0.1:"$port" --hostname localhost \
            --flash-place 0x77:"$work/ca-$name.bin" --ca-sector 0x77 --session-cache 1 --sleep \
            --rtc "$rtc" --time "$(date +%s)" --run-for 20000 || true)
    done
    kill $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
    if ! grep -q '^RESUMED yes' <<<"$out"; then
        echo "bench case=$name FAILED (not resumed)" >&2
        echo "$out" >&2
        return 1
    fi
    report "$name" "$out"
}

run_resume_case

# server_ec: build/host/https_server with the EC chain (P-256) serving one
# TLS 1.2 client (openssl s_client, one request, ~250-byte page). The peak
# includes the copies of the default certificate and key.
run_server_case() {
    local name=server_ec port out log=$work/server.out i
    # Port 0: the server takes what the kernel gives it and prints it, so no
    # other process can race for a port chosen in advance.
    : >"$log"
    build/host/https_server --port 0 --cert "$pki/ec/chain.pem" --key "$pki/ec/leaf.key" \
        --clients 1 --time "$(date +%s)" --run-for 20000 >"$log" 2>&1 &
    local pid=$!
    for i in $(seq 200); do grep -q '^LISTENING port=' "$log" && break; sleep 0.05; done
    port=$(sed -n 's/^LISTENING port=//p' "$log")
    printf 'GET /bench HTTP/1.0\r\n\r\n' | openssl s_client -connect 127.0.0.1:"$port" -tls1_2 \
        -CAfile "$pki/ec/root.pem" -ign_eof >/dev/null 2>&1 || true
    wait $pid 2>/dev/null || true
    out=$(cat "$log")
    if ! grep -q '^HANDSHAKE OK' <<<"$out" || ! grep -q '^DELETE ret=0' <<<"$out"; then
        echo "bench case=$name FAILED" >&2
        echo "$out" >&2
        return 1
    fi
    report "$name" "$out"
}

run_server_case
