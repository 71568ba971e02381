#!/usr/bin/env bash
# req_correlate.c in all four pairings of REP and REQ, zaio and libzmq.
# Usage: run_req_correlate.sh <req_correlate_zaio> <req_correlate_libzmq>
set -euo pipefail
source "$(dirname "$0")/../binder.sh"
for rep in "$1" "$2"; do
  for req in "$1" "$2"; do
    start_binder "$rep" rep || { echo "$(basename "$rep") printed no endpoint"; exit 1; }
    "$req" req "$endpoint"
    wait "$binder_pid"
    pids=()
    echo "REP $(basename "$rep"), REQ $(basename "$req"): q2's reply, q1's dropped"
  done
done
