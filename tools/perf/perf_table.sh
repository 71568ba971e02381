#!/usr/bin/env bash
# The perf table: throughput and latency for message sizes 8, 64, 1024 and 65536 bytes,
# zaio<->zaio, libzmq<->libzmq and each mixed pair, all measured in this one run, with
# the ratio of each to libzmq<->libzmq. A benchmark, not a test: nothing is asserted.
# Usage: perf_table.sh <zaio-perf> <libzmq-perf> [scale]   (scale 1 = the full counts)
set -euo pipefail
zaio=$1 libzmq=$2 scale=${3:-1}
declare -A bin=([zaio]=$zaio [libzmq]=$libzmq)

# run <local impl> <remote impl> <thr|lat> <size> <count> -> prints the result line
run() {
  local l=$1 r=$2 kind=$3 size=$4 count=$5 dir ep out
  dir=$(mktemp -d)
  mkfifo "$dir/err"
  "${bin[$l]}" local_$kind 'tcp://127.0.0.1:*' "$size" "$count" >"$dir/local" 2>"$dir/err" &
  local lpid=$!
  exec 4<"$dir/err"
  read -r ep <&4
  ep=${ep#endpoint: }
  "${bin[$r]}" remote_$kind "$ep" "$size" "$count" >"$dir/remote"
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

printf '%-7s %-16s %12s %10s %10s %12s %10s\n' size pair msg/s Mb/s thr-ratio latency-us lat-ratio
for size in 8 64 1024 65536; do
  case $size in
    8|64) n=$((2000000 / scale)); rt=$((20000 / scale)) ;;
    1024) n=$((500000 / scale)); rt=$((20000 / scale)) ;;
    *) n=$((20000 / scale)); rt=$((5000 / scale)) ;;
  esac
  declare -A thr=() lat=() mb=()
  for pair in libzmq:libzmq zaio:zaio zaio:libzmq libzmq:zaio; do
    l=${pair%%:*} r=${pair##*:}
    read -r m b < <(run "$l" "$r" thr "$size" "$n")
    thr[$pair]=$m mb[$pair]=$b
    lat[$pair]=$(run "$l" "$r" lat "$size" "$rt")
  done
  for pair in libzmq:libzmq zaio:zaio zaio:libzmq libzmq:zaio; do
    name="${pair%%:*}<-${pair##*:}"
    tr=$(awk -v a="${thr[$pair]}" -v b="${thr[libzmq:libzmq]}" 'BEGIN {printf "%.2f", a / b}')
    lr=$(awk -v a="${lat[$pair]}" -v b="${lat[libzmq:libzmq]}" 'BEGIN {printf "%.2f", a / b}')
    printf '%-7s %-16s %12s %10s %10s %12s %10s\n' "$size" "$name" "${thr[$pair]}" "${mb[$pair]}" \
      "$tr" "${lat[$pair]}" "$lr"
  done
done
echo "pair = local<-remote (the local side binds and receives); ratios are against libzmq<-libzmq"
echo "(throughput: higher is better; latency: lower is better)"
