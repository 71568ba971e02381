#!/usr/bin/env bash
# pyzmq's own test suite (Debian's python3-zmq 24, zmq/tests), run twice in the same
# make test: on the system's libzmq 4.3.4 and, through zaio-run, on zaio's libzmq.so.5.
# Fails if the second run is not really zaio, or if a test that passes on libzmq fails
# on zaio without a reason in excluded.txt. The system libzmq is never replaced.
# Usage: run_pyzmq.sh <zaio-run> <scratch dir>
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
zaio_run=$1
out=$2
# Debian's interpreter, whatever python3 a PATH (pyenv, a venv) puts first
py=/usr/bin/python3
mkdir -p "$out"
cd "$out"

"$zaio_run" "$py" -c 'import zmq, sys; sys.exit(0 if zmq.has("zaio") else 1)' ||
  { echo "run_pyzmq: pyzmq under zaio-run did not load zaio's libzmq.so.5"; exit 1; }
"$py" -c 'import zmq, sys; sys.exit(1 if zmq.has("zaio") else 0)' ||
  { echo "run_pyzmq: pyzmq without zaio-run loaded zaio: the reference run would be zaio"; exit 1; }

# the tests excluded.txt leaves out (by name, with a reason) are deselected in both runs
tests=$("$py" -c 'import os, zmq.tests; print(os.path.dirname(zmq.tests.__file__))')
deselect=()
while read -r id _; do
  deselect+=(--deselect "$id") # node ids are relative to --rootdir
done < <(grep -v -e '^#' -e '^[[:space:]]*$' "$here/excluded.txt")

suite() { # junit-file [wrapper]
  local xml=$1
  shift
  # pytest exits 1 when any test fails: the comparison decides, not that code
  "$@" "$py" -m pytest --rootdir="$tests" --pyargs zmq.tests -q -p no:cacheprovider \
    --timeout 90 ${deselect[@]+"${deselect[@]}"} --junitxml="$xml" >"$xml.log" 2>&1 || true
  tail -n 1 "$xml.log"
  [ -s "$xml" ] || { echo "run_pyzmq: no results in $xml"; cat "$xml.log"; exit 1; }
}
suite "$out/libzmq.xml"
suite "$out/zaio.xml" "$zaio_run"
# the comparison also stays in summary.txt, which make test prints after ctest
"$py" "$here/compare.py" "$out/libzmq.xml" "$out/zaio.xml" "$here/excluded.txt" |
  tee "$out/summary.txt"
exit "${PIPESTATUS[0]}"
