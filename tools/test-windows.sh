#!/usr/bin/env bash
# The Windows part of `make test`, from a clean clone: installs mingw-w64 and wine when
# missing, cross-builds zaio for Windows (IOCP backend) in build-win, and runs ctest
# there, each .exe under wine: the asyncio contract suite (contract_iocp) and its
# negative control against AsyncIO 0.1.26's behaviour, then the Windows build against
# native Linux programs over 127.0.0.1 (interop/windows: libzmq peers, zaio-probe), CURVE
# REQ/REP included: libsodium for Windows is cross-built from Debian's source package into
# <build dir>/sodium the first time (tools/build-sodium-win.sh, about half a minute).
# Those native programs come from a Linux build of the tree: `make test` passes its own
# (build/, built just before); without one, a Linux build is made in <build dir>/native.
# Exits non-zero on any failure.
# Usage: tools/test-windows.sh [build dir] [Linux build dir]   (absolute; default: build-win)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bld=${1:-$root/build-win}
native=${2:-$bld/native}
jobs=${JOBS:-2}
start=$(date +%s)

"$root/tools/install-deps.sh" windows

# A prefix of the build's own: no ~/.wine, no display, no Mono/Gecko installers.
# cmake/wine-run.sh (ctest's emulator) uses the same settings and the same prefix.
mkdir -p "$bld"
export WINEPREFIX="$bld/wineprefix"
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
# ctest keeps the prefix's wineserver up for its tests (the wineserver fixture): it must
# not outlive the stage, passed, failed or interrupted, nor hold its caller's output open
stop_wineserver() {
  trap - EXIT
  "$root/cmake/wine-run.sh" "$WINEPREFIX" --server-stop
}
trap stop_wineserver EXIT
trap 'exit 130' INT # without these, bash dies of the signal without its EXIT trap
trap 'exit 143' TERM
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  echo "test-windows: creating the wine prefix $WINEPREFIX"
  wineboot -i >/dev/null 2>&1
  wineserver -w
fi

# the native side of the interop tests: only the programs they run (configured first,
# keeping a Linux build's own options, so that targets new to it are known)
if [ -f "$native/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$native" >/dev/null
else
  cmake -S "$root" -B "$native" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$native" -j"$jobs" --target zaio-probe peer_libzmq soak_dealer_libzmq

# CURVE: libsodium cross-built from Debian's source package, once per build dir
"$root/tools/build-sodium-win.sh" "$bld/sodium"
cmake -S "$root" -B "$bld" -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchain-mingw-w64-x86_64.cmake" \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZAIO_NATIVE_BUILD="$native" \
      -DZAIO_WIN_SODIUM="$bld/sodium" >/dev/null
# only what the Windows tests run: the tools and the Criterion suites are Linux's
cmake --build "$bld" -j"$jobs" --target aio_contract peer_zaio soak_server_zaio
rc=0
ctest --test-dir "$bld" --output-on-failure || rc=$?
# what the suite itself counted under wine (ctest shows it only on failure)
log="$bld/Testing/Temporary/LastTest.log"
if [ -f "$log" ]; then
  awk '/Testing: / { t = $NF }
       (t == "contract_iocp" || t == "interop_wine_matrix" || t == "interop_wine_curve") &&
       /^[0-9]+ passed, [0-9]+ failed$/ {
         print "test-windows: " t " under wine: " $0 }' "$log"
  grep -h "^legacy control: " "$log" | sed 's/^/test-windows: /' || true
  grep -h -e "^soak_server: after close: " -e "^run_soak: [0-9]* probes in" "$log" |
    sed 's/^/test-windows: /' || true
fi
echo "test-windows: $(( $(date +%s) - start )) s, ctest exit $rc"
exit $rc
