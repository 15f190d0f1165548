#!/usr/bin/env bash
# make demo: a verified MQTT round trip over TLS with a client certificate,
# from the unmodified NONOS example `mqtt_tls` running on the host simulator,
# against a local mosquitto that requires client certificates.
set -euo pipefail
cd "$(dirname "$0")/.."
pki=build/pki
bash tests/support/pki.sh "$pki"
work=build/demo
mkdir -p "$work"

# Flash images in the vendor's record format, written by our own tool.
cargo run -q --release --bin espcert -- pack --ca "$pki/ec/root.pem" -o "$work/esp_ca_cert.bin"
cargo run -q --release --bin espcert -- pack --cert "$pki/client/ec.pem" --key "$pki/client/ec.key" \
    -o "$work/esp_cert_private_key.bin"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/mosquitto.conf" <<CONF
listener $port 127.0.0.1
cafile $PWD/$pki/ec/root.pem
certfile $PWD/$pki/ec/chain.pem
keyfile $PWD/$pki/ec/leaf.key
require_certificate true
allow_anonymous true
CONF
mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null || true; wait $broker 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
    sleep 0.1
done

echo "== mosquitto (require_certificate) on 127.0.0.1:$port; running build/host/mqtt_tls"
build/host/mqtt_tls --server 127.0.0.1:$port --hostname localhost \
    --flash-place 0x77:"$work/esp_ca_cert.bin" --flash-place 0x78:"$work/esp_cert_private_key.bin" \
    --ca-sector 0x77 --cert-sector 0x78 --topic espconn_secure/demo --time "$(date +%s)" --run-for 20000
