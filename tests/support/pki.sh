#!/usr/bin/env bash
# Generates the test PKI with openssl into DIR (default: build/pki):
#   ec/    root -> intermediate -> server leaf, EC P-256 (SAN localhost, 127.0.0.1)
#   rsa/   the same with RSA-2048
#   rsa1024/ the same with RSA-1024 (must be rejected)
#   selfsigned/ a self-signed EC leaf for localhost
#   other/ an unrelated EC root (for "unknown CA")
#   client/ EC and RSA client certificates issued by ec/root
#   ku_nocertsign/ an EC chain whose intermediate has keyUsage without
#          keyCertSign (must be rejected); ku_none/ one whose intermediate has
#          no keyUsage at all (accepted)
#   big/   an EC chain with a ~14.5 KB intermediate (a private non-critical
#          extension of 14 000 bytes, which verifiers ignore): a ~15 KB
#          chain, which a server sends in one record
# Each chain dir has root.pem, int.pem, leaf.pem, leaf.key, chain.pem (leaf+int).
set -euo pipefail
dir=${1:-build/pki}
mkdir -p "$dir"
cd "$dir"
[ -f .done-v3 ] && exit 0

days=3650
ext_ca="basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash"
ext_leaf="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,DNS:server.test,IP:127.0.0.1
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid"
ext_client="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid"

newkey() { # kind out
    case $1 in
    ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2" 2>/dev/null ;;
    ec384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$2" 2>/dev/null ;;
    rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$2" 2>/dev/null ;;
    rsa1024) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$2" 2>/dev/null ;;
    esac
}

sign() { # csr_key subj ext issuer_cert issuer_key out
    openssl req -new -key "$1" -subj "$2" -out tmp.csr
    printf '%s\n' "$3" > tmp.ext
    openssl x509 -req -in tmp.csr -CA "$4" -CAkey "$5" -CAcreateserial -days $days \
        -sha256 -extfile tmp.ext -out "$6" 2>/dev/null
}

chain() { # dir kind [intermediate extensions]
    mkdir -p "$1"
    newkey "$2" "$1/root.key"
    printf '%s\n' "$ext_ca" > tmp.ext
    openssl req -new -x509 -key "$1/root.key" -subj "/CN=Test Root $1/O=espconn_secure tests" \
        -days $days -sha256 -extensions v3 -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n[v3]\n%s\n' "$ext_ca") \
        -out "$1/root.pem"
    newkey "$2" "$1/int.key"
    sign "$1/int.key" "/CN=Test Intermediate $1" "${3:-$ext_ca}
authorityKeyIdentifier=keyid" "$1/root.pem" "$1/root.key" "$1/int.pem"
    newkey "$2" "$1/leaf.key"
    sign "$1/leaf.key" "/CN=localhost" "$ext_leaf" "$1/int.pem" "$1/int.key" "$1/leaf.pem"
    cat "$1/leaf.pem" "$1/int.pem" > "$1/chain.pem"
}

chain ec ec
chain rsa rsa
chain rsa1024 rsa1024
chain ec384 ec384
chain other ec
chain ku_nocertsign ec "basicConstraints=critical,CA:TRUE
keyUsage=critical,digitalSignature,cRLSign
subjectKeyIdentifier=hash"
chain big ec "$ext_ca
1.3.6.1.4.1.55555.1=ASN1:UTF8String:$(printf '%*s' 14000 '' | tr ' ' x)"
chain ku_none ec "basicConstraints=critical,CA:TRUE
subjectKeyIdentifier=hash"

mkdir -p selfsigned
newkey ec selfsigned/leaf.key
openssl req -new -x509 -key selfsigned/leaf.key -subj "/CN=localhost" -days $days -sha256 \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -out selfsigned/leaf.pem
cp selfsigned/leaf.pem selfsigned/chain.pem

mkdir -p client
for k in ec rsa; do
    newkey $k client/$k.key
    sign client/$k.key "/CN=device-$k" "$ext_client" ec/root.pem ec/root.key client/$k.pem
done
# A key that belongs to no certificate here, to test the mismatch check.
newkey ec client/stray.key
# Test keys only: readable by peers that drop privileges (mosquitto).
chmod 644 ./*/*.key
rm -f tmp.csr tmp.ext ./*.srl ./*/*.srl
touch .done-v3
