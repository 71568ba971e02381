#!/bin/sh
# ctest's CMAKE_CROSSCOMPILING_EMULATOR for the Windows build: runs a .exe under wine in
# a prefix of the build's own, quietly, with no display and no Mono/Gecko installers.
# Usage: wine-run.sh <default prefix> <program.exe> [args...]
# WINEPREFIX from the environment wins over the default.
set -e
prefix=$1
shift
export WINEPREFIX="${WINEPREFIX:-$prefix}"
export WINEDEBUG="${WINEDEBUG:--all}"
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=}"
unset DISPLAY WAYLAND_DISPLAY

# Debian installs the 64-bit loader off PATH; `wine` finds it when wine32 is absent
if command -v wine64 >/dev/null 2>&1; then wine=wine64
elif [ -x /usr/lib/wine/wine64 ]; then wine=/usr/lib/wine/wine64
else wine=wine
fi

# A new prefix is made once; ctest may start two tests at the same moment.
if [ ! -f "$WINEPREFIX/system.reg" ]; then
    mkdir -p "$(dirname "$WINEPREFIX")"
    (
        flock 9
        [ -f "$WINEPREFIX/system.reg" ] || { wineboot -i >/dev/null 2>&1; wineserver -w; }
    ) 9>"$WINEPREFIX.lock"
fi

# Wine keeps every socket of the prefix as a Unix descriptor in one wineserver, and a
# Windows program cannot read the Unix limit: tell the tests (tests/contract/harness.c).
ZAIO_WINE_NOFILE=$(ulimit -Hn)
export ZAIO_WINE_NOFILE
exec "$wine" "$@"
