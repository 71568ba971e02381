#!/usr/bin/env bash
# A short probe soak against the Windows build: soak_server (a zaio ROUTER on IOCP) runs
# under wine while the native zaio-probe hits its port with a mix of probes (resets,
# FINs, HTTP requests, corrupt, partial and silent greetings, the silent ones capped
# short) and a native libzmq DEALER (soak_dealer) does round trips through it all along.
# Then the DEALER stops, the server closes and must find its live counters back at zero.
# Usage: run_soak.sh <soak_server.exe> <soak_dealer> <zaio-probe> <probes> [emulator...]
#   (the emulator, e.g. cmake/wine-run.sh and its prefix, starts the .exe)
set -euo pipefail
server=$1 dealer=$2 probe=$3 count=$4
shift 4
for f in "$dealer" "$probe"; do
  [ -x "$f" ] || { echo "run_soak: $f is missing (build the native peers first)"; exit 1; }
done

source "$(dirname "$0")/../binder.sh"
mkfifo "$dir/control"

start=$(date +%s)
# 1000 ms handshake interval: silent and partial probes are dropped by the server
# before the probe's own 3 s cap, so both ways of ending get exercised
start_binder "$@" "$server" 1000 || { echo "run_soak: the server printed no endpoint"; exit 1; }
server_pid=$binder_pid
echo "run_soak: soak_server under wine at $endpoint"

# the DEALER runs until its standard input ends: fd 4 is that input's only writer
"$dealer" "$endpoint" <"$dir/control" >"$dir/dealer.out" &
dealer_pid=$!
pids+=("$dealer_pid")
exec 4>"$dir/control"

# two halves: silent and partial probes capped at 3 s (past the server's handshake
# interval: the server drops them, the timer path), then capped at 300 ms (the probe
# leaves first: a FIN in the middle of the handshake)
half=$(( count / 2 ))
probe_rc=0
for cap in 3s 300ms; do
  "$probe" -t "$endpoint" --mix rst:4,fin:2,http:1,corrupt:1,partial:1,silent:1 \
    --count "$half" -c 64 --silent-max "$cap" --timeout 5s -q >>"$dir/probe.out" || probe_rc=$?
done
exec 4>&-

dealer_rc=0
wait "$dealer_pid" || dealer_rc=$?
# without the DEALER's STOP the server would wait out its idle limit
[ "$dealer_rc" -eq 0 ] || kill "$server_pid" 2>/dev/null || true
server_rc=0
wait "$server_pid" || server_rc=$?
pids=()
tr -d '\r' <&3
exec 3<&-
cat "$dir/dealer.out"
cat "$dir/probe.out"

# every probe must have reached the server: a refused or failed one did not test it
# (the first "total" of each run is its connections table's)
verdict=0
connected=$(awk '/^connections/ { t = 1 } t && $1 == "total" { n += $3; t = 0 } END { print n + 0 }' \
              "$dir/probe.out")
if [ "$probe_rc" -ne 0 ] || [ "$connected" -ne $(( 2 * half )) ]; then
  echo "run_soak: zaio-probe exit $probe_rc, $connected of $(( 2 * half )) probes connected"
  verdict=1
fi
[ "$dealer_rc" -eq 0 ] || { echo "run_soak: the libzmq DEALER failed ($dealer_rc)"; verdict=1; }
[ "$server_rc" -eq 0 ] || { echo "run_soak: soak_server failed ($server_rc)"; verdict=1; }
echo "run_soak: $(( 2 * half )) probes in $(( $(date +%s) - start )) s: $([ $verdict -eq 0 ] && echo passed || echo FAILED)"
exit $verdict
