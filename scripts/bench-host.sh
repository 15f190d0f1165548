#!/usr/bin/env bash
# Host figures from the simulator's heap counters (requested bytes of the
# SDK heap, the same accounting as the README's table). Peer: a TLS 1.2 server
# (Python ssl over OpenSSL) answering the 100-byte-class request with 100
# bytes, or with one 16 KB record for record16k (in 1 KB records for
# record16k_mfl, where the client asks for them); every case at the simulator's
# default heap (40 KB, the chip's free heap at connect).
#   bench case=NAME heap_peak=N allocs=N min_heap=N
#   bench case=ca_bundle heap_peak=N allocs=N min_heap=N roots=N flash_bytes=N bytes_per_root=N
# min_heap: the smallest --heap at which the case completes, for every case.
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

# Whether a run's output shows the case completed: no RECONNECT line and a
# line matching each of the caller's `pass` patterns (grep -E; default: the
# handshake).
passes() { # output
    local re
    grep -q '^RECONNECT' <<<"$1" && return 1
    for re in "${pass[@]:-^HANDSHAKE OK}"; do
        grep -Eq "$re" <<<"$1" || return 1
    done
}

# The smallest --heap (to 64 bytes) at which `cmd... --heap N` completes
# (`passes`): the handshake, the whole response and a clean close. Binary
# search between the run's heap peak (a lower bound) and `hi`, which must
# pass. The boundary is ragged by a few hundred bytes: how the records
# arrive (TCP segments, what waits in the receive buffer) moves the peak.
min_heap() { # lo hi cmd...
    local lo=$1 hi=$2 mid out
    shift 2
    while ((hi - lo > 64)); do
        mid=$(((lo + hi) / 2))
        out=$("$@" --heap "$mid" || true)
        if passes "$out"; then
            hi=$mid
        else
            lo=$mid
        fi
    done
    echo "$hi"
}

run_case() { # name chain_dir server_kind client_key(no/ec/rsa) [ca_image] [fragment_length]
    local name=$1 chain=$2 kind=$3 mtls=$4 frag=${6:-} port pid out
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
    [ -n "$frag" ] && extra+=(--fragment-length "$frag")
    local get=(build/host/https_get --server 127.0.0.1:"$port" --hostname localhost
        --flash-place 0x77:"$work/ca-$name.bin" --ca-sector 0x77 "${extra[@]}" --time "$(date +%s)" --run-for 20000)
    out=$("${get[@]}" --heap "$heap" || true)
    if ! grep -q '^HANDSHAKE OK' <<<"$out" ||
        { [ -n "$frag" ] && ! grep -q "^FRAGMENT LENGTH $frag\$" <<<"$out"; }; then
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
# record16k_mfl: as record16k, but the client asks for 1 KB records
# (espconn_secure_set_fragment_length; the peer, OpenSSL, honours
# max_fragment_length): the 16 KB come in 16 records of 1 KB.
run_case record16k_mfl ec big no "" 1024
# chain15k: as ec, with a 15 KB chain (tests/support/pki.sh big/: a 14.5 KB
# intermediate) that the server sends in one record.
run_case chain15k big reply no

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
    boot() { # [--heap N]: one boot from the saved first boot's RTC memory
        cp "$rtc.first" "$rtc"
        build/host/https_get --server 127.0.0.1:"$port" --hostname localhost \
            --flash-place 0x77:"$work/ca-$name.bin" --ca-sector 0x77 --session-cache 1 --sleep \
            --rtc "$rtc" --time "$(date +%s)" --run-for 20000 "$@"
    }
    build/host/https_get --server 127.0.0.1:"$port" --hostname localhost \
        --flash-place 0x77:"$work/ca-$name.bin" --ca-sector 0x77 --session-cache 1 --sleep \
        --rtc "$rtc" --time "$(date +%s)" --run-for 20000 >/dev/null || true
    cp "$rtc" "$rtc.first"
    out=$(boot || true)
    if ! grep -q '^RESUMED yes' <<<"$out"; then
        kill $pid 2>/dev/null || true
        echo "bench case=$name FAILED (not resumed)" >&2
        echo "$out" >&2
        return 1
    fi
    local peak least pass=('^RESUMED yes')
    peak=$(grep '^heap_peak=' <<<"$out" | tail -1); peak=${peak#heap_peak=}; peak=${peak%% *}
    least=$(min_heap "$peak" 40960 boot)
    kill $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
    report "$name" "$out" "min_heap=$least"
}

run_resume_case

# server_ec: build/host/https_server with the EC chain (P-256) serving one
# TLS 1.2 client (openssl s_client, one request, ~250-byte page). The peak
# includes the copies of the default certificate and key.
# server_resume: the same server with a one-entry session cache
# (espconn_secure_set_server_session_cache) serving the client twice; the
# second connection resumes the first one's TLS 1.2 session ticket, and its
# peak alone is reported (the heap peak restarts after the first client;
# the cache's entry is included).
# One run of the server case: the server and its client(s), the server's
# output on stdout. A run whose server cannot start or serve ends after
# `run_for` ms.
server_run() { # name resume [--heap N]
    local name=$1 resume=$2 port log=$work/$1.out i
    shift 2
    local extra=() clients=1
    [ -n "$resume" ] && extra=(--session-cache 1 --reset-peak-after 1) && clients=2
    # Port 0: the server takes what the kernel gives it and prints it, so no
    # other process can race for a port chosen in advance.
    : >"$log"
    build/host/https_server --port 0 --cert "$pki/ec/chain.pem" --key "$pki/ec/leaf.key" \
        --clients "$clients" "${extra[@]}" --time "$(date +%s)" --run-for "${run_for:-20000}" "$@" >"$log" 2>&1 &
    local pid=$!
    for i in $(seq 200); do grep -q '^LISTENING port=' "$log" && break; sleep 0.05; done
    port=$(sed -n 's/^LISTENING port=//p' "$log")
    rm -f "$work/$name.sess"
    for i in $(seq "$clients"); do
        [ -n "$port" ] || break
        local sess=(-sess_out "$work/$name.sess")
        [ "$i" -gt 1 ] && sess=(-sess_in "$work/$name.sess")
        [ -n "$resume" ] || sess=()
        printf 'GET /bench HTTP/1.0\r\n\r\n' | timeout 10 openssl s_client -connect 127.0.0.1:"$port" -tls1_2 \
            -CAfile "$pki/ec/root.pem" "${sess[@]}" -ign_eof >/dev/null 2>&1 || true
    done
    wait $pid 2>/dev/null || true
    cat "$log"
}

run_server_case() { # name [resume]
    local name=$1 resume=${2:-} out peak least
    local pass=('^HANDSHAKE OK' '^DELETE ret=0')
    [ -n "$resume" ] && pass+=('^HANDSHAKE OK .* resumed=1')
    out=$(server_run "$name" "$resume")
    if ! passes "$out"; then
        echo "bench case=$name FAILED" >&2
        echo "$out" >&2
        return 1
    fi
    peak=$(grep '^heap_peak=' <<<"$out" | tail -1); peak=${peak#heap_peak=}; peak=${peak%% *}
    # With --reset-peak-after the peak is the second client's alone: the
    # first one's connection may need more, so the search starts lower.
    [ -n "$resume" ] && peak=$((peak / 2))
    least=$(run_for=6000 min_heap "$peak" 40960 server_run "$name" "$resume")
    report "$name" "$out" "min_heap=$least"
}

run_server_case server_ec
run_server_case server_resume resume

# ota_s_server, ota_nginx: build/host/https_ota downloading a 300 KB image
# (random bytes) over TLS 1.3 in 16 KB records from `openssl s_server -WWW`
# or nginx (`ssl_buffer_size 16k`), writing it into the inactive partition,
# checking its SHA-256 and rebooting into it. The peak is the connection's
# (the update itself takes no heap).
run_ota_case() { # name server(s_server/nginx)
    local name=$1 kind=$2 port pid out top=$PWD
    local dir=$top/$work/$1 ec=$top/$pki/ec
    rm -rf "$dir"; mkdir -p "$dir/www" "$dir/tmp"
    head -c 307200 /dev/urandom >"$dir/www/firmware.bin"
    record "$dir/ca.bin" "TLS.ca_x509.cer=$ec/root.pem"
    port=$(free_port)
    if [ "$kind" = nginx ]; then
        cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process off;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 16; }
http {
  access_log off;
  client_body_temp_path $dir/tmp; proxy_temp_path $dir/tmp;
  fastcgi_temp_path $dir/tmp; uwsgi_temp_path $dir/tmp; scgi_temp_path $dir/tmp;
  server {
    listen 127.0.0.1:$port ssl;
    ssl_certificate $ec/chain.pem; ssl_certificate_key $ec/leaf.key;
    ssl_buffer_size 16k;
    root $dir/www;
  }
}
EOF
        nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" >/dev/null 2>&1 &
    else
        (cd "$dir/www" && exec openssl s_server -accept "$port" -cert "$ec/leaf.pem" \
            -key "$ec/leaf.key" -cert_chain "$ec/int.pem" -WWW -quiet </dev/null >/dev/null 2>&1) &
    fi
    pid=$!
    wait_port "$port"
    local sha
    sha=$(sha256sum "$dir/www/firmware.bin" | cut -d' ' -f1)
    ota() { # [--heap N]: one update into a fresh flash image
        rm -f "$dir/flash.bin"
        build/host/https_ota --flash "$dir/flash.bin" --flash-place 0x77:"$dir/ca.bin" --ca-sector 0x77 \
            --hostname localhost --server 127.0.0.1:"$port" --path /firmware.bin --image-size 307200 \
            --sha256 "$sha" --time "$(date +%s)" --run-for 30000 "$@"
    }
    out=$(ota || true)
    local pass=('^OTA OK size=307200') peak least
    if ! passes "$out"; then
        kill $pid 2>/dev/null || true
        echo "bench case=$name FAILED" >&2
        grep -v '^OTA WRITTEN' <<<"$out" >&2
        return 1
    fi
    peak=$(grep '^heap_peak=' <<<"$out" | tail -1); peak=${peak#heap_peak=}; peak=${peak%% *}
    least=$(min_heap "$peak" 40960 ota)
    kill $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
    report "$name" "$out" "min_heap=$least"
}

run_ota_case ota_s_server s_server
run_ota_case ota_nginx nginx
