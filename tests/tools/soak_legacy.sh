#!/usr/bin/env bash
# The soak's negative control: zaio-soak built with ZAIO_AIO_LEGACY_0_1_26=ON (a submit
# that fails at once leaves its record in progress, as AsyncIO 0.1.26 did) must report
# FAIL, with the live records growing as the probes go on and left over after close.
# A probe that connects and resets is the production pattern that leaked.
# Usage: soak_legacy.sh <source dir> <build dir> <backend>...
set -uo pipefail
src=$1 bld=$2
shift 2
probes=2000

cmake -S "$src" -B "$bld" -DCMAKE_BUILD_TYPE=Debug -DZAIO_AIO_LEGACY_0_1_26=ON >/dev/null || exit 1
cmake --build "$bld" -j2 --target zaio-soak >/dev/null || exit 1

fail=0
for backend in "$@"; do
  out="$bld/soak-legacy-$backend"
  # paced, so the CSV has samples while the leak grows; a short settle, as nothing will
  "$bld/tools/soak/zaio-soak" --backend "$backend" --probes $probes --mix rst --probe-rate 1000 \
      --interval 200ms --settle 3s --png "" -q -o "$out" >"$out.txt"
  rc=$?
  cat "$out.txt"
  verdict=$(grep '^verdict:' "$out.txt")
  closed=$(awk -F, '$2 == "closed" { print $8 }' "$out.csv")
  # live records at the first and the last sample taken while probing
  read -r first last < <(awk -F, '$2 == "probing" { if (n++ == 0) f = $8; l = $8 } END { print f + 0, l + 0 }' "$out.csv")
  echo "legacy soak ($backend): exit $rc; live records while probing $first -> $last; after close ${closed:-?}"
  if [ $rc -ne 1 ] || [[ "$verdict" != "verdict:  FAIL"* ]]; then
    echo "legacy soak ($backend): the soak did not report FAIL: the leak went unseen"
    fail=1
  elif [ $(( last - first )) -lt $(( probes / 4 )) ] || [ "${closed:-0}" -lt $(( probes / 2 )) ]; then
    echo "legacy soak ($backend): FAIL, but live records did not grow with the probes"
    fail=1
  else
    echo "legacy soak ($backend): the leak is reported, as it must be"
  fi
done
exit $fail
