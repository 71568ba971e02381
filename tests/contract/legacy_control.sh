#!/usr/bin/env bash
# The negative control: builds the contract suite with ZAIO_AIO_LEGACY_0_1_26=ON (the
# release behaviour of AsyncIO 0.1.26, where a submit that fails at once leaves its
# record in progress) and passes only if the tests written for that bug catch it, on
# every backend, while a test of an unrelated path still passes in the same build.
# Usage: legacy_control.sh <source dir> <build dir> <backend>...
set -uo pipefail
src=$1 bld=$2
shift 2

cmake -S "$src" -B "$bld" -DCMAKE_BUILD_TYPE=Debug -DZAIO_AIO_LEGACY_0_1_26=ON >/dev/null || exit 1
cmake --build "$bld" -j2 --target aio_contract >/dev/null || exit 1
bin=$bld/tests/contract/aio_contract

must_fail=(
  path1_submit_fails/recv_error_completes_with_record_idle
  path1_submit_fails/send_error_completes_with_record_idle
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

# run <test> -> sets $out; returns the suite's exit code. Exactly one test must run.
run() {
  out=$("$bin" --jobs 1 --filter "$1" 2>&1)
  local rc=$?
  if ! grep -q "Tested: 1 " <<<"$out"; then
    echo "legacy control: '$1' matched no test (renamed?)"
    return 255
  fi
  return $rc
}

bad=0
for backend in "$@"; do
  export ZAIO_BACKEND=$backend
  for t in "${must_fail[@]}"; do
    run "$t"; rc=$?
    if [ $rc -eq 0 ]; then
      echo "legacy control [$backend]: $t PASSED on the 0.1.26 behaviour: it does not detect the leak"
      bad=1
    elif [ $rc -eq 255 ]; then
      bad=1
    else
      why=$(grep -m1 -A2 "Assertion Failed" <<<"$out" | tail -1 | sed "s/^\[----\] *//")
      [ -z "$why" ] && why=$(grep -m1 -iE "fail|crash" <<<"$out")
      echo "legacy control [$backend]: $t fails as it must: $why"
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
