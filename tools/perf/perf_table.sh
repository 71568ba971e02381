#!/usr/bin/env bash
# The perf table: throughput and latency for message sizes 8, 64, 1024 and 65536 bytes,
# zaio<->zaio, libzmq<->libzmq and each mixed pair, all measured in this one run, with
# the ratio of each to libzmq<->libzmq; then the same with both ends speaking CURVE
# (perf.c --curve), where the ratios are against libzmq<->libzmq with CURVE. libzmq's own
# perf programs have no CURVE: the libzmq side is perf.c built against the system
# libzmq (libzmq-perf), the same program zaio-perf is. A benchmark, not a test: nothing
# is asserted.
# Usage: perf_table.sh <zaio-perf> <libzmq-perf> [scale]   (scale 1 = the full counts)
#   PERF_MECHS="null curve" (default) picks the tables.
set -euo pipefail
zaio=$1 libzmq=$2 scale=${3:-1}
declare -A bin=([zaio]=$zaio [libzmq]=$libzmq)

# run <local impl> <remote impl> <thr|lat> <size> <count> [--curve] -> prints the result line
run() {
  local l=$1 r=$2 kind=$3 size=$4 count=$5 opt=${6:-} dir ep out
  dir=$(mktemp -d)
  mkfifo "$dir/err"
  "${bin[$l]}" local_$kind 'tcp://127.0.0.1:*' "$size" "$count" $opt >"$dir/local" 2>"$dir/err" &
  local lpid=$!
  exec 4<"$dir/err"
  read -r ep <&4
  ep=${ep#endpoint: }
  "${bin[$r]}" remote_$kind "$ep" "$size" "$count" $opt >"$dir/remote"
  wait $lpid
  exec 4<&-
  if [ "$kind" = thr ]; then
    out=$(awk '/msg\/s/ {m=$3} /Mb\/s/ {b=$3} END {print m, b}' "$dir/local")
  else
    out=$(awk '/latency/ {print $3}' "$dir/remote")
  fi
  rm -rf "$dir"
  echo "$out"
}

# table <null|curve>
table() {
  local mech=$1 opt="" tag=""
  if [ "$mech" = curve ]; then
    opt=--curve tag=" CURVE"
    echo
    echo "CURVE (both ends; the local side is the server)"
  fi
  printf '%-7s %-22s %12s %10s %10s %12s %10s\n' size pair msg/s Mb/s thr-ratio latency-us lat-ratio
  for size in 8 64 1024 65536; do
    case $size in
      8|64) n=$((2000000 / scale)); rt=$((20000 / scale)) ;;
      1024) n=$((500000 / scale)); rt=$((20000 / scale)) ;;
      *) n=$((20000 / scale)); rt=$((5000 / scale)) ;;
    esac
    # CURVE boxes every message: fewer of them give as steady a figure
    if [ "$mech" = curve ]; then n=$((n / 4)); fi
    declare -A thr=() lat=() mb=()
    for pair in libzmq:libzmq zaio:zaio zaio:libzmq libzmq:zaio; do
      l=${pair%%:*} r=${pair##*:}
      read -r m b < <(run "$l" "$r" thr "$size" "$n" $opt)
      thr[$pair]=$m mb[$pair]=$b
      lat[$pair]=$(run "$l" "$r" lat "$size" "$rt" $opt)
    done
    for pair in libzmq:libzmq zaio:zaio zaio:libzmq libzmq:zaio; do
      name="${pair%%:*}<-${pair##*:}$tag"
      tr=$(awk -v a="${thr[$pair]}" -v b="${thr[libzmq:libzmq]}" 'BEGIN {printf "%.2f", a / b}')
      lr=$(awk -v a="${lat[$pair]}" -v b="${lat[libzmq:libzmq]}" 'BEGIN {printf "%.2f", a / b}')
      printf '%-7s %-22s %12s %10s %10s %12s %10s\n' "$size" "$name" "${thr[$pair]}" "${mb[$pair]}" \
        "$tr" "${lat[$pair]}" "$lr"
    done
  done
}

for mech in ${PERF_MECHS:-null curve}; do
  table "$mech"
done
echo "pair = local<-remote (the local side binds and receives); ratios are against libzmq<-libzmq"
echo "with the same mechanism (throughput: higher is better; latency: lower is better)"
