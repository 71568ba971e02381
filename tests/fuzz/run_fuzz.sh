#!/usr/bin/env bash
# Builds tests/fuzz with clang in BUILD_DIR and fuzzes the codec for SECONDS with one
# worker, starting from a scratch copy of the seed corpus (the repository is never
# written). Crash, leak or timeout inputs land in BUILD_DIR/artifacts/.
# Usage: run_fuzz.sh BUILD_DIR [SECONDS] [CLANG]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run_fuzz.sh BUILD_DIR [SECONDS] [CLANG]}
seconds=${2:-60}
clang=${3:-clang}

cmake -S "$here" -B "$build" -DCMAKE_C_COMPILER="$clang" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/zaio-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$build/artifacts"
cp "$here"/corpus/* "$work/corpus/"
seeds=$(ls "$work/corpus" | wc -l)

"$build/fuzz_zmtp" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
  -print_final_stats=1 -artifact_prefix="$build/artifacts/" "$work/corpus"

echo "fuzz_zmtp: ${seconds}s, seed corpus $seeds files, final corpus $(ls "$work/corpus" | wc -l) files"
