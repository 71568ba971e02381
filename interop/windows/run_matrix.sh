#!/usr/bin/env bash
# The interop matrix: zaio (peer.c built against zaio; for Windows, run under wine) and
# libzmq (the same source built against it, native) as the two ends of PUSH/PULL,
# REQ/REP, DEALER/ROUTER and PUB/SUB over 127.0.0.1: zaio plays each socket type of
# each pair, binding (tcp://127.0.0.1:*, the port it got passed on) and connecting.
# Prints a line a scenario, then "N passed, N failed"; exits non-zero on any failure.
# Usage: run_matrix.sh <zaio peer> <libzmq peer> <count> [emulator...]
#   (the emulator, e.g. cmake/wine-run.sh and its prefix, starts the zaio peer)
#   MATRIX_PAIRS="req:rep ..." runs those pairs only; PEER_CURVE=1 (peer.c) makes every
#   scenario speak CURVE, the binding side the server
set -euo pipefail
zaio_peer=$1 libzmq_peer=$2 count=$3
shift 3
emulator=("$@")
[ -x "$libzmq_peer" ] || { echo "run_matrix: $libzmq_peer is missing (build the native peers first)"; exit 1; }

source "$(dirname "$0")/../binder.sh"

# peer_cmd <zaio|libzmq> <role> <endpoint>: the command of one peer in cmd, bounded (its
# own waits are 20 s)
peer_cmd() {
  if [ "$1" = zaio ]; then
    cmd=(timeout 120 "${emulator[@]}" "$zaio_peer" "$2" "$3" "$count")
  else
    cmd=(timeout 120 "$libzmq_peer" "$2" "$3" "$count")
  fi
}
# The binding peer takes the place of the background shell that start_binder makes, so
# that killing binder_pid kills timeout, which passes the signal on to the peer: a peer
# left behind would hold the fifo open, and reading what it printed would wait out its
# 20 s limits.
bind_side() {
  peer_cmd "$@"
  exec "${cmd[@]}"
}

# scenario <binder's library> <its role> <connector's library> <its role>
scenario() {
  local bl=$1 br=$2 cl=$3 cr=$4 t0=$SECONDS ok=1 crc=
  : >"$dir/connector"
  if start_binder bind_side "$bl" "$br" 'tcp://127.0.0.1:*' 2>"$dir/binder.err"; then
    peer_cmd "$cl" "$cr" "$endpoint"
    crc=0
    "${cmd[@]}" >"$dir/connector" 2>&1 || crc=$?
    # a failed connector leaves the binder waiting out its own limits
    [ $crc -eq 0 ] || { ok=0; kill "$binder_pid" 2>/dev/null || true; }
  else
    ok=0
    kill "$binder_pid" 2>/dev/null || true
  fi
  local brc=0
  wait "$binder_pid" || brc=$?
  [ $brc -eq 0 ] || ok=0
  pids=()
  # what the binder printed after its endpoint (it has exited: the fifo is at its end)
  tr -d '\r' <&3 >"$dir/binder.out"
  exec 3<&-
  # and each side's last line, after its context is gone: under wine a program that
  # crashes may exit 0, and a crash in teardown would pass on exit codes alone
  # (grep to /dev/null, not -q: an early exit could end tr with SIGPIPE, under pipefail)
  grep "^peer $br: closed\$" "$dir/binder.out" >/dev/null || ok=0
  [ -z "$crc" ] || tr -d '\r' <"$dir/connector" | grep "^peer $cr: closed\$" >/dev/null || ok=0
  local line="$bl $br binds, $cl $cr connects ($(( SECONDS - t0 )) s)"
  if [ $ok -eq 1 ]; then
    echo "ok      $line"
    passed=$(( passed + 1 ))
  else
    # the exit statuses too: a program that dies before its first line prints nothing
    echo "FAILED  $line: binder exit $brc, connector exit ${crc:-(not started)}"
    { cat "$dir/binder.out"; tr -d '\r' <"$dir/binder.err"; tr -d '\r' <"$dir/connector"; } |
      sed 's/^/    /'
    failed=$(( failed + 1 ))
  fi
}

passed=0 failed=0
for pair in ${MATRIX_PAIRS:-push:pull req:rep dealer:router pub:sub}; do
  a=${pair%:*} b=${pair#*:}
  for roles in "$a $b" "$b $a"; do
    set -- $roles # zaio's role, then libzmq's
    scenario zaio "$1" libzmq "$2"
    scenario libzmq "$2" zaio "$1"
  done
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
