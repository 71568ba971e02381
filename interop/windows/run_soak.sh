#!/usr/bin/env bash
# A short probe soak against the Windows build: soak_server (a zaio ROUTER on IOCP) runs
# under wine while the native zaio-probe hits its port with a mix of probes (resets,
# FINs, HTTP requests, corrupt, partial and silent greetings, the silent ones capped
# short) and a native libzmq DEALER (soak_dealer) does round trips through it all along.
# Then the DEALER stops, the server closes and must find its live counters back at zero.
# Between bursts of probes the server samples its live counters and RSS (through the
# DEALER, so the sample sits in the traffic's order); every sample must come back.
# Usage: run_soak.sh <soak_server.exe> <soak_dealer> <zaio-probe> <probes> [emulator...]
#   (the emulator, e.g. cmake/wine-run.sh and its prefix, starts the .exe)
# Environment, for long runs by hand:
#   SOAK_CHUNK=N     probes in bursts of N (default: one burst each half)
#   SOAK_OUT=PREFIX  keep the samples as PREFIX.csv and plot them as PREFIX.png (gnuplot)
set -euo pipefail
server=$1 dealer=$2 probe=$3 count=$4
shift 4
chunk=${SOAK_CHUNK:-0}
out=${SOAK_OUT:-}
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
# what the server prints, drained as it comes: a long run's samples would fill the pipe
tr -d '\r' <&3 >"$dir/server.out" &
drain_pid=$!
exec 3<&-

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
sent=0
samples=1
echo "sample 0" >&4
t0=$(date +%s%N)
for cap in 3s 300ms; do
  left=$half
  while [ "$left" -gt 0 ]; do
    n=$left
    [ "$chunk" -gt 0 ] && [ "$chunk" -lt "$n" ] && n=$chunk
    "$probe" -t "$endpoint" --mix rst:4,fin:2,http:1,corrupt:1,partial:1,silent:1 \
      --count "$n" -c 64 --silent-max "$cap" --timeout 5s -q >>"$dir/probe.out" || probe_rc=$?
    left=$(( left - n ))
    sent=$(( sent + n ))
    echo "sample $sent" >&4
    samples=$(( samples + 1 ))
    if [ "$chunk" -gt 0 ]; then
      ms=$(( ($(date +%s%N) - t0) / 1000000 + 1 ))
      echo "run_soak: $sent of $(( 2 * half )) probes, $(( sent * 1000 / ms )) a second"
    fi
  done
done
probe_ms=$(( ($(date +%s%N) - t0) / 1000000 + 1 ))
exec 4>&-

dealer_rc=0
wait "$dealer_pid" || dealer_rc=$?
# without the DEALER's STOP the server would wait out its idle limit
[ "$dealer_rc" -eq 0 ] || kill "$server_pid" 2>/dev/null || true
server_rc=0
wait "$server_pid" || server_rc=$?
wait "$drain_pid" || true
pids=()
grep -v '^sample ' "$dir/server.out" || true
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

# the samples: probes,ms,sockets,accept_sockets,ops_in_flight,bufs,connections,
# handshakes,rss_kib; each asked for must have come back
awk '$1 == "sample" { print $2 "," $3 "," $4 "," $5 "," $6 "," $7 "," $8 "," $9 "," $10 }' \
  "$dir/server.out" >"$dir/samples.csv"
got=$(wc -l <"$dir/samples.csv")
if [ "$got" -ne "$samples" ]; then
  echo "run_soak: $got of $samples samples came back"
  verdict=1
fi
awk -F, 'NR == 1 { r0 = $9 } { if ($3 > s) s = $3; if ($5 > o) o = $5; if ($6 > b) b = $6
         if ($7 > c) c = $7; r = $9 }
         END { printf "run_soak: between bursts, at most %d sockets, %d ops in flight, " \
               "%d buffers, %d connections; RSS %d KiB at the start, %d KiB at the end\n",
               s, o, b, c, r0, r }' "$dir/samples.csv"
echo "run_soak: $(( 2 * half )) probes in $(( probe_ms / 1000 )) s of probing," \
     "$(( 2 * half * 1000 / probe_ms )) a second"
if [ -n "$out" ]; then
  { echo "probes,ms,sockets,accept_sockets,ops_in_flight,bufs,connections,handshakes,rss_kib"
    cat "$dir/samples.csv"; } >"$out.csv"
  echo "run_soak: samples in $out.csv"
  title="zaio IOCP under wine: $(( 2 * half )) probes, $(( 2 * half * 1000 / probe_ms ))/s"
  title="$title, $([ $verdict -eq 0 ] && echo PASS || echo FAIL)"
  if gnuplot <<EOF
set terminal pngcairo size 1280,720 font ',10'
set output '$out.png'
set datafile separator ','
set title '$title'
set xlabel 'probes'
set ylabel 'live records (between bursts)'
set y2label 'RSS (MiB)'
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set key top left
plot '$out.csv' every ::1 using 1:3 with lines title 'aio sockets', \\
     '' every ::1 using 1:5 with lines title 'ops in flight', \\
     '' every ::1 using 1:6 with lines title 'pinned buffers', \\
     '' every ::1 using 1:7 with lines title 'connections', \\
     '' every ::1 using 1:(\$9/1024.0) axes x1y2 with lines lw 2 title 'RSS'
EOF
  then echo "run_soak: plot in $out.png"
  else echo "run_soak: no plot (gnuplot failed)"
  fi
fi
echo "run_soak: $(( 2 * half )) probes in $(( $(date +%s) - start )) s: $([ $verdict -eq 0 ] && echo passed || echo FAILED)"
exit $verdict
