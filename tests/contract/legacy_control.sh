#!/usr/bin/env bash
# The negative control: builds the contract suite with ZAIO_AIO_LEGACY_0_1_26=ON (the
# release behaviour of AsyncIO 0.1.26, where a submit that fails at once leaves its
# record in progress) and passes only if the tests written for that bug catch it, on
# every backend, while a test of an unrelated path still passes in the same build.
# Catching it means failing on the leak: the first failed assertion of each must-fail
# test must be one that says something was not released (its message starts with
# "leak:", see tests/contract/harness.h); failing on anything else (the submit's return
# code, a timeout, a crash) is not enough.
# Usage: legacy_control.sh <source dir> <build dir> [--windows <toolchain file>] <backend>...
# With --windows the suite is cross-built with that toolchain and each test runs under
# wine (cmake/wine-run.sh; WINEPREFIX from the environment, else one in the build dir).
set -uo pipefail
src=$1 bld=$2
shift 2
toolchain=""
if [ "${1:-}" = "--windows" ]; then
  toolchain=$2
  shift 2
fi

cfg=(-DCMAKE_BUILD_TYPE=Debug -DZAIO_AIO_LEGACY_0_1_26=ON)
[ -n "$toolchain" ] && cfg+=(-DCMAKE_TOOLCHAIN_FILE="$toolchain")
cmake -S "$src" -B "$bld" "${cfg[@]}" >/dev/null || exit 1
cmake --build "$bld" -j2 --target aio_contract >/dev/null || exit 1

must_fail=(
  path1_submit_fails/recv_error_completes_with_record_idle
  path1_submit_fails/send_error_completes_with_record_idle
  path1_submit_fails/recvv_error_releases_every_slice
  path1_submit_fails/queue_full_completes
  path1_submit_fails/close_before_failure_is_dispatched
  path2_connect_fails/injected_failure_leaves_out_record_idle
  path2_connect_fails/wrong_address_family
  path1_probe_loop/rst_before_first_recv_10000
  path5_probe_loop/connect_rst_while_accepting_10000
)
must_pass=(
  path7_accept_succeeds/ownership_passes_once
  path8_recv_pending_at_close/buffer_lives_until_completion
)
if [ -n "$toolchain" ]; then
  # Not the path 5 loop on Windows: there a probe's reset before the accept fails the
  # AcceptEx in its completion, nothing fails at once, and the 0.1.26 behaviour has
  # nothing to leak; only the rare probe accepted before its reset arrives may fail its
  # first WSARecv at once (1 run in 2 under wine). Linux's accept hands every reset
  # connection over, so there it leaks every time. The path 1 loop is the Windows catch.
  must_fail=("${must_fail[@]/path5_probe_loop\/connect_rst_while_accepting_10000}")
fi

# run <suite/name> -> sets $out; returns the suite's exit code. Exactly one test must run.
run() {
  local rc one
  if [ -n "$toolchain" ]; then
    # zt_runner: a substring of suite::name; its closing line counts what ran
    out=$("$src/cmake/wine-run.sh" "$bld/wineprefix" "$bld/tests/contract/aio_contract.exe" \
          "${1/\//::}" 2>&1)
    rc=$?
    one="^(1 passed, 0 failed|0 passed, 1 failed)"
  else
    out=$("$bld/tests/contract/aio_contract" --jobs 1 --filter "$1" 2>&1)
    rc=$?
    one="Tested: 1 "
  fi
  if ! grep -qE "$one" <<<"$out"; then
    echo "legacy control: '$1' did not run as exactly one test (renamed?):"
    echo "$out" | tail -5
    return 255
  fi
  return $rc
}

# the message of the first assertion that failed, from either runner's output
# (zt_runner's line starts with the assertion's file:line, Criterion's is the message)
why() {
  local w
  w=$(grep -m1 -A2 "Assertion Failed" <<<"$out" | tail -1 | sed "s/^\[----\] *//")
  [ -z "$w" ] && w=$(grep -m1 -E "^  .*:[0-9]+: " <<<"$out" | sed -E "s/^ *[^:]*:[0-9]+: //")
  [ -z "$w" ] && w=$(grep -m1 -iE "fail|crash|died|timed out" <<<"$out")
  echo "$w"
}

bad=0
for backend in "$@"; do
  export ZAIO_BACKEND=$backend
  for t in "${must_fail[@]}"; do
    [ -z "$t" ] && continue
    run "$t"; rc=$?
    if [ $rc -eq 0 ]; then
      echo "legacy control [$backend]: $t PASSED on the 0.1.26 behaviour: it does not detect the leak"
      bad=1
    elif [ $rc -eq 255 ]; then
      bad=1
    elif w=$(why) && [[ $w == leak:* ]]; then
      echo "legacy control [$backend]: $t fails on the leak, as it must: $w"
    else
      echo "legacy control [$backend]: $t fails, but not on the leak: ${w:-no assertion failed}"
      echo "$out" | tail -5
      bad=1
    fi
  done
  for t in "${must_pass[@]}"; do
    if run "$t"; then
      echo "legacy control [$backend]: $t passes (the legacy build works otherwise)"
    else
      echo "legacy control [$backend]: $t FAILED in the legacy build:"; echo "$out"
      bad=1
    fi
  done
done
[ $bad -eq 0 ] && echo "legacy control: the suite detects AsyncIO 0.1.26's leak on: $*"
exit $bad
