#!/usr/bin/env bash
# Coverage-guided fuzzing of the library (docs/FUZZING.md): builds the
# cargo-fuzz targets in fuzz/ and runs each for FUZZ_SECONDS (default 600),
# all at once under `nice`, starting from the committed seeds in fuzz/seeds/
# and the corpus kept in fuzz/corpus/ between runs. Crashes land in
# fuzz/artifacts/<target>/; the exit status is the number of targets that
# found one.
#
# usage: fuzz.sh [TARGET...]      (default: every target)
# Environment: FUZZ_SECONDS, FUZZ_SANITIZER (address | none; default address).
# cargo-fuzz passes nightly-only flags (-Zsanitizer, sancov); on the stable
# toolchain RUSTC_BOOTSTRAP=1 allows them for this build only.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${FUZZ_SECONDS:-600}
sanitizer=${FUZZ_SANITIZER:-address}
targets=("$@")
((${#targets[@]})) || targets=(flash_format loaders record_path server_path)

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
export RUSTC_BOOTSTRAP=1
for t in "${targets[@]}"; do cargo fuzz build -O -s "$sanitizer" "$t"; done

# Largest input per target: a flash image is at most 8192 bytes; the record
# path needs room for a 16 KB record plus the handshake.
declare -A max_len=([flash_format]=9000 [loaders]=9000 [record_path]=24000 [server_path]=24000)
pids=()
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
    nice cargo fuzz run -O -s "$sanitizer" "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
        -max_total_time="$seconds" -max_len="${max_len[$t]:-4096}" -print_final_stats=1 \
        -artifact_prefix="fuzz/artifacts/$t/" >"fuzz/artifacts/$t.log" 2>&1 &
    pids+=($!)
done
failed=0
for i in "${!targets[@]}"; do
    t=${targets[$i]}
    if wait "${pids[$i]}"; then
        status=ok
    else
        status=FOUND
        failed=$((failed + 1))
    fi
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "fuzz/artifacts/$t.log" | grep -o '[0-9]*$' || echo 0)
    cov=$(grep -o 'cov: [0-9]*' "fuzz/artifacts/$t.log" | tail -1 | grep -o '[0-9]*' || echo 0)
    echo "fuzz target=$t seconds=$seconds runs=$runs cov=$cov corpus=$(ls "fuzz/corpus/$t" | wc -l) result=$status (log fuzz/artifacts/$t.log)"
done
exit "$failed"
