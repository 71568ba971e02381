#!/usr/bin/env bash
# req_correlate.c in all four pairings of REP and REQ, zaio and libzmq.
# Usage: run_req_correlate.sh <req_correlate_zaio> <req_correlate_libzmq>
set -euo pipefail
impls=("$1" "$2")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for rep in "${impls[@]}"; do
  for req in "${impls[@]}"; do
    rm -f "$dir/ep"
    mkfifo "$dir/ep"
    "$rep" rep >"$dir/ep" &
    rpid=$!
    exec 3<"$dir/ep"
    read -r endpoint <&3 || { echo "$(basename "$rep") printed no endpoint"; exit 1; }
    "$req" req "$endpoint"
    wait $rpid
    exec 3<&-
    echo "REP $(basename "$rep"), REQ $(basename "$req"): q2's reply, q1's dropped"
  done
done
