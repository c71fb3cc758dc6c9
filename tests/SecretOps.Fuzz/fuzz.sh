#!/usr/bin/env bash
# Coverage-guided fuzzing of what outsiders feed SecretOps, with afl++ and SharpFuzz.
#
#   tests/SecretOps.Fuzz/fuzz.sh HARNESS|all [SECONDS]
#
# Builds the harness driver, instruments SecretOps.Core and YamlDotNet with SharpFuzz (a copy, in
# out/fuzz/bin; the normal build is untouched), runs afl-fuzz on each harness for SECONDS (default 60;
# long mode is just a larger number, e.g. 3600), then reports afl's executions, corpus, crashes and
# hangs per harness. Crashing and hanging inputs are copied to regressions/HARNESS/, where the in-process
# smoke test (SecretOps.Core.Tests, FuzzSmokeTests) replays them on every test run until they are fixed.
# Needs afl++ (apt-get install afl++) and NuGet for the SharpFuzz.CommandLine tool. Runs at nice 19.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
harnesses=(client-secret config duration names pem policy store vault-parameters)
target=${1:-}
seconds=${2:-60}
out=${FUZZ_OUT:-$root/out/fuzz}

if [[ -z "$target" || ! "$seconds" =~ ^[0-9]+$ ]]; then
    echo "usage: $0 HARNESS|all [SECONDS]   (harnesses: ${harnesses[*]})" >&2
    exit 2
fi
if [[ "$target" == all ]]; then selected=("${harnesses[@]}"); else selected=("$target"); fi
for h in "${selected[@]}"; do
    [[ " ${harnesses[*]} " == *" $h "* ]] || { echo "unknown harness '$h' (harnesses: ${harnesses[*]})" >&2; exit 2; }
done
command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install afl++" >&2; exit 2; }

mkdir -p "$out"
# Instrumented code runs only under afl-fuzz; seeds and replays use the plain build.
plain="$root/out/build/SecretOps.Fuzz/bin/Release/net8.0/SecretOps.Fuzz.dll"
# FUZZ_NO_BUILD=1 reuses the instrumented copy from the last run (campaigns of several calls).
if [[ -z "${FUZZ_NO_BUILD:-}" || ! -f "$out/bin/SecretOps.Fuzz.dll" ]]; then
    if [[ ! -x "$out/tools/sharpfuzz" ]]; then
        dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$out/tools" >/dev/null
    fi
    nice -n 19 dotnet build "$here/SecretOps.Fuzz.csproj" -c Release -v quiet -nologo >/dev/null
    rm -rf "$out/bin"
    cp -r "$(dirname "$plain")" "$out/bin"
    for assembly in SecretOps.Core.dll YamlDotNet.dll; do
        "$out/tools/sharpfuzz" "$out/bin/$assembly" >/dev/null
    done
fi

export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# The harnesses' work folders (a store and a configuration file per process) stay under out/, not /tmp:
# afl ends its target with SIGKILL, so they cannot remove them.
export TMPDIR="$out/tmp"
mkdir -p "$TMPDIR"

stat() { sed -n "s/^$2 *: *//p" "$1" | head -n 1; }
summary=()
status=0
for h in "${selected[@]}"; do
    seeds="$here/seeds/$h"
    if [[ "$h" == store ]]; then
        # The store seed is made by the current code, so it always has the current format.
        seeds="$out/seeds-store"
        rm -rf "$seeds" && mkdir -p "$seeds"
        dotnet "$plain" store-seed "$seeds/store.db"
    fi
    rm -rf "$out/$h"
    echo "== $h: afl-fuzz for $seconds s (output in $out/$h)"
    # -t: an input taking over 5 s (10 s for a store file) is a hang. -V: stop after SECONDS.
    timeout=5000; [[ "$h" == store ]] && timeout=10000
    nice -n 19 afl-fuzz -V "$seconds" -t "$timeout" -m none -i "$seeds" -o "$out/$h" \
        -- dotnet "$out/bin/SecretOps.Fuzz.dll" "$h" > "$out/$h.log" 2>&1 || { echo "afl-fuzz failed; see $out/$h.log" >&2; tail -n 20 "$out/$h.log" >&2; status=1; continue; }
    stats="$out/$h/default/fuzzer_stats"
    execs=$(stat "$stats" execs_done); corpus=$(stat "$stats" corpus_count)
    crashes=$(stat "$stats" saved_crashes); hangs=$(stat "$stats" saved_hangs)
    speed=$(stat "$stats" execs_per_sec); run=$(stat "$stats" run_time)
    for kind in crashes hangs; do
        for file in "$out/$h/default/$kind"/id:*; do
            [[ -e "$file" ]] || continue
            mkdir -p "$here/regressions/$h"
            cp "$file" "$here/regressions/$h/${kind%es}-$(sha1sum "$file" | cut -c1-12)"
        done
    done
    summary+=("$(printf '%-17s %6ss %12s execs %9s/s %7s corpus %4s crashes %4s hangs' "$h" "$run" "$execs" "$speed" "$corpus" "$crashes" "$hangs")")
    if [[ "$crashes" != 0 || "$hangs" != 0 ]]; then status=1; fi
done

echo
echo "harness            time          executions       speed    corpus    crashes    hangs"
printf '%s\n' "${summary[@]}"
if [[ $status != 0 ]]; then
    echo "Findings were copied to $here/regressions/HARNESS/; replay one with:"
    echo "  dotnet $plain check HARNESS FILE"
fi
exit $status
