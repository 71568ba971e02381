#!/usr/bin/env bash
# The ThreadSanitizer stage of `make test`. The Criterion suites cannot run under TSan
# (Criterion will not start there), so this builds the tree with ZAIO_TSAN=ON and runs
# what is not Criterion's, on each Linux backend:
#  - tests/tsan/tsan_stress: sockets on threads of their own over inproc, tcp and ipc,
#    writers put to sleep by small HWMs, PLAIN through a ZAP handler thread, monitors
#    read on a thread, sockets closed while peers send;
#  - zaio-soak (a zaio server under probes and a libzmq peer process);
#  - zaio-perf local_thr/remote_thr and local_lat/remote_lat, zaio at both ends.
# Any TSan report in zaio's code fails the stage. libzmq's own (the soak's peer runs an
# uninstrumented libzmq) are suppressed by tests/tsan/libzmq.supp, and only those.
# Usage: tools/test-tsan.sh [build dir]   (default: build-tsan)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bld=${1:-$root/build-tsan}
jobs=${JOBS:-2}
start=$(date +%s)

cmake -S "$root" -B "$bld" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZAIO_TSAN=ON \
      -DZAIO_BUILD_TESTS=OFF >/dev/null
cmake --build "$bld" -j"$jobs" --target tsan_stress zaio-soak zaio-perf

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
export TSAN_OPTIONS="halt_on_error=0 exitcode=66 history_size=4 suppressions=$root/tests/tsan/libzmq.supp"
rc=0
step() { # name command...
  local name=$1
  shift
  if "$@" >"$logs/$name.log" 2>&1; then
    echo "test-tsan: $name: ok"
  else
    echo "test-tsan: $name: FAILED (exit $?)"
    tail -n 40 "$logs/$name.log"
    rc=1
  fi
}
backends=$(grep -q '^URING_FOUND:INTERNAL=1' "$bld/CMakeCache.txt" && echo "uring epoll" || echo epoll)
for b in $backends; do
  export ZAIO_BACKEND=$b
  step "stress_$b" "$bld/tests/tsan/tsan_stress"
  step "soak_$b" "$bld/tools/soak/zaio-soak" --backend "$b" --duration 8s --interval 500ms \
       --progress 4s --png "" -o "$logs/soak_$b"
  for kind in thr lat; do
    ep="ipc://$logs/perf_${kind}_$b.ipc"
    "$bld/tools/perf/zaio-perf" "local_$kind" "$ep" 64 20000 >"$logs/perf_${kind}_local_$b.log" 2>&1 &
    local_pid=$!
    step "perf_${kind}_$b" "$bld/tools/perf/zaio-perf" "remote_$kind" "$ep" 64 20000
    wait "$local_pid" || { echo "test-tsan: perf_${kind}_$b: local side FAILED"; cat "$logs/perf_${kind}_local_$b.log"; rc=1; }
  done
done
unset ZAIO_BACKEND
reports=$(cat "$logs"/*.log | grep -c '^WARNING: ThreadSanitizer' || true)
if [ "$reports" -gt 0 ]; then
  echo "test-tsan: $reports ThreadSanitizer reports:"
  grep -h -A 30 '^WARNING: ThreadSanitizer' "$logs"/*.log | head -n 200
  rc=1
fi
echo "test-tsan: $(( $(date +%s) - start )) s, $reports reports, exit $rc"
exit $rc
