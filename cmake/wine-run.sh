#!/usr/bin/env bash
# ctest's CMAKE_CROSSCOMPILING_EMULATOR for the Windows build: runs a .exe under wine in
# a prefix of the build's own, quietly, with no display and no Mono/Gecko installers.
# Usage: wine-run.sh <default prefix> <program.exe> [args...]
#        wine-run.sh <default prefix> --server-start | --server-stop
# WINEPREFIX from the environment wins over the default.
#
# --server-start (ctest's wineserver fixture) keeps the prefix's wineserver up until
# --server-stop (the fixture's cleanup, and tools/test-windows.sh on any exit). Left to
# itself, the server that a program starts shuts down as soon as the last program of the
# prefix has exited (Debian starts it with -p0: no linger), about 10 ms after; a program
# that connects in that instant is reset before it runs ("wine client error:0: recvmsg:
# Connection reset by peer"), and one that comes later waits for the next server. The
# tests start programs one after another with gaps of that order (the scenarios of the
# interop matrix, the soak after the matrix), so any such start could fail.
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

# -k waits for the server to exit, killing what still runs in the prefix; -w covers a
# server that was exiting already
server_stop() {
    wineserver -k 2>/dev/null || true # 1: there was none
    wineserver -w
}

server_start() {
    # one running already may be one that a program started, shutting down
    server_stop
    local log="$WINEPREFIX.log" rc=0
    : >"$log"
    (
        # The server, and the prefix's services that the first program starts (they live
        # as long as the server), keep every descriptor they are given: give them the log
        # and nothing else, no pipe of ctest's or of the caller's, whose readers would
        # wait for them to exit (bash for this: dash cannot name a descriptor above 9)
        for fd in /proc/self/fd/*; do
            fd=${fd##*/}
            [ "$fd" -gt 2 ] && eval "exec $fd>&-"
        done
        # a server that a wine program starts inherits the soft descriptor limit that
        # wine raises to the hard one; this one needs it as much (h_raise_fd_limit)
        ulimit -Sn "$(ulimit -Hn)"
        wineserver -p || exit
        # the first program of the server starts those services: this one, here
        exec "$wine" cmd.exe /c exit
    ) </dev/null >>"$log" 2>&1 || rc=$?
    if [ $rc -ne 0 ]; then
        echo "wine-run: no persistent wineserver for $WINEPREFIX (exit $rc; 2: another started first):"
        cat "$log"
        exit 1
    fi
    echo "wine-run: the wineserver of $WINEPREFIX runs until --server-stop (log: $log)"
}

if [ "${1:-}" = --server-stop ]; then
    server_stop
    exit 0
fi

# A new prefix is made once; ctest may start two tests at the same moment.
if [ ! -f "$WINEPREFIX/system.reg" ]; then
    mkdir -p "$(dirname "$WINEPREFIX")"
    (
        flock 9
        [ -f "$WINEPREFIX/system.reg" ] || { wineboot -i >/dev/null 2>&1; wineserver -w; }
    ) 9>"$WINEPREFIX.lock"
fi

if [ "${1:-}" = --server-start ]; then
    server_start
    exit 0
fi

# Wine keeps every socket of the prefix as a Unix descriptor in one wineserver, and a
# Windows program cannot read the Unix limit: tell the tests (tests/contract/harness.c).
ZAIO_WINE_NOFILE=$(ulimit -Hn)
export ZAIO_WINE_NOFILE
exec "$wine" "$@"
