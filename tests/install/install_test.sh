#!/usr/bin/env bash
# The install test: installs a build into a scratch prefix and builds examples/hello
# against what was installed, as a user would: with pkg-config, and with
# find_package(zaio) linking libzaio.so and libzaio.a. Each program must run and exit 0,
# and the shared-linked ones must load the installed libzaio.so, never the build tree's.
# On the way it checks that each installed header compiles on its own and that
# libzaio.so exports what the headers declare and nothing else. Any failed step fails it.
# Usage: install_test.sh <source dir> <build dir> <scratch dir> <cmake> <C compiler>
#                        <libdir> <the build tree's libzaio.so> <version>
set -euo pipefail
src=$1 bld=$2 work=$3 cmake=$4 cc=$5 libdir=$6 built_so=$7 version=$8

# which libzaio.so a program loads is for the program to say, not the caller's shell
unset LD_LIBRARY_PATH LD_PRELOAD PKG_CONFIG_PATH

fail() {
  echo "install_test: FAIL: $*" >&2
  exit 1
}
# runs a command with its output in a log, shown only when it fails
quiet() {
  "$@" >"$work/step.log" 2>&1 || { cat "$work/step.log" >&2; fail "$*"; }
}

rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix
lib=$prefix/$libdir

echo "== cmake --install $bld --prefix $prefix"
quiet "$cmake" --install "$bld" --prefix "$prefix"
for f in include/zaio.h include/zaio_zmq.h include/zaio/aio.h "$libdir/libzaio.a" \
         "$libdir/libzaio.so" "$libdir/pkgconfig/zaio.pc" "$libdir/cmake/zaio/zaioConfig.cmake" \
         "$libdir/cmake/zaio/zaioConfigVersion.cmake"; do
  [ -e "$prefix/$f" ] || fail "$f is not installed"
done
soname=$(readelf -d "$lib/libzaio.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ -n "$soname" ] && [ -e "$lib/$soname" ] || fail "libzaio.so has no SONAME, or $soname is not installed"
if readelf -d "$lib/$soname" | grep -qE '\((RPATH|RUNPATH)\)'; then
  fail "the installed $soname keeps a search path: $(readelf -d "$lib/$soname" | grep PATH)"
fi

echo "== each installed header compiles on its own"
for h in zaio.h zaio_zmq.h zaio/aio.h; do
  printf '#include <%s>\nint main(void) { return 0; }\n' "$h" >"$work/header.c"
  quiet "$cc" -std=c11 -pedantic -Wall -Wextra -Werror -I"$prefix/include" -c "$work/header.c" \
        -o "$work/header.o"
done

echo "== libzaio.so exports what the headers declare and nothing else"
# the functions the headers declare; aio_fault_* only with ZAIO_FAULT_INJECTION, which a
# build may or may not have
declared() {
  printf '#include <zaio.h>\n#include <zaio/aio.h>\n' |
    "$cc" -E -P "$@" -I"$prefix/include" -x c - |
    grep -oE '\b(zaio|aio)_[A-Za-z0-9_]+ *\(' | tr -d ' (' | sort -u
}
declared >"$work/declared"
declared -DZAIO_FAULT_INJECTION >"$work/declared_fault"
nm -D --defined-only "$lib/libzaio.so" | awk 'NF == 3 { print $3 }' | sort -u >"$work/exported"
extra=$(comm -23 "$work/exported" "$work/declared_fault")
missing=$(comm -23 "$work/declared" "$work/exported")
[ -z "$extra" ] || fail "libzaio.so exports what no header declares:" $extra
[ -z "$missing" ] || fail "libzaio.so does not export:" $missing

# run <program>: it must exit 0 and say what it did
run() {
  local out
  out=$(timeout 60 "$1") || fail "$1 exited $?"
  echo "$out"
  [ "$(grep -c 'received World' <<<"$out")" = 3 ] || fail "$1: not three replies"
  grep -q "zaio $version" <<<"$out" || fail "$1: not zaio $version"
}
# loads_installed <program>: it loads the installed libzaio.so, and nothing it carries
# points at the build tree's
loads_installed() {
  local got dir
  readelf -d "$1" | grep -qF "(NEEDED)             Shared library: [$soname]" ||
    fail "$1 does not need $soname"
  got=$(ldd "$1" | awk -v so="$soname" '$1 == so { print $3 }')
  [ -n "$got" ] || fail "$1 finds no $soname"
  [ "$(realpath "$got")" = "$(realpath "$lib/$soname")" ] ||
    fail "$1 loads $got, not the installed $lib/$soname"
  for dir in $(readelf -d "$1" | sed -n 's/.*(R\(UN\)\{0,1\}PATH).*\[\(.*\)\]/\2/p' | tr : ' '); do
    [ "$(realpath -m "$dir")" != "$(realpath "$(dirname "$built_so")")" ] ||
      fail "$1 searches the build tree ($dir)"
  done
}

echo "== pkg-config: the command hello.c documents"
export PKG_CONFIG_PATH=$lib/pkgconfig
[ "$(pkg-config --modversion zaio)" = "$version" ] || fail "pkg-config: zaio is not $version"
mkdir -p "$work/pkg-config"
(cd "$work/pkg-config" && cp "$src/examples/hello/hello.c" . &&
  quiet "$cc" -Wall -Wextra -Werror -pthread hello.c $(pkg-config --cflags --libs zaio) -o hello)
# hello.c says to run it so when the prefix is not one the loader searches
LD_LIBRARY_PATH=$lib run "$work/pkg-config/hello"
LD_LIBRARY_PATH=$lib loads_installed "$work/pkg-config/hello"
# examples/auth: PLAIN with a ZAP handler, the right password in and the wrong one out
(cd "$work/pkg-config" && cp "$src/examples/auth/auth.c" . &&
  quiet "$cc" -Wall -Wextra -Werror -pthread auth.c $(pkg-config --cflags --libs zaio) -o auth)
LD_LIBRARY_PATH=$lib timeout 60 "$work/pkg-config/auth" || fail "examples/auth exited $?"
# examples/curve: CURVE with a ZAP handler, the known key in, a stranger and a client with
# the wrong server key out (libsodium reaches the program through zaio's pkg-config)
(cd "$work/pkg-config" && cp "$src/examples/curve/curve.c" . &&
  quiet "$cc" -Wall -Wextra -Werror -pthread curve.c $(pkg-config --cflags --libs zaio) -o curve)
LD_LIBRARY_PATH=$lib timeout 60 "$work/pkg-config/curve" || fail "examples/curve exited $?"
unset PKG_CONFIG_PATH

for kind in shared static; do
  echo "== find_package(zaio), $kind"
  b=$work/cmake-$kind
  static=OFF
  [ "$kind" = static ] && static=ON
  quiet "$cmake" -S "$src/examples/hello" -B "$b" -DCMAKE_C_COMPILER="$cc" \
        -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" -DCMAKE_PREFIX_PATH="$prefix" -DHELLO_STATIC=$static
  grep -qxF "zaio_DIR:PATH=$lib/cmake/zaio" "$b/CMakeCache.txt" ||
    fail "find_package(zaio) found $(grep '^zaio_DIR' "$b/CMakeCache.txt"), not the installed package"
  quiet "$cmake" --build "$b"
  run "$b/hello"
done
loads_installed "$work/cmake-shared/hello"
if readelf -d "$work/cmake-static/hello" | grep -q 'libzaio\.so'; then
  fail "the static hello needs libzaio.so"
fi

echo "== the libzmq.so.5 made of zaio and zaio-run, installed"
zlib=$lib/zaio/libzmq.so.5
[ -e "$zlib" ] && [ -x "$prefix/bin/zaio-run" ] || fail "libzmq.so.5 or zaio-run is not installed"
[ "$(realpath "$("$prefix/bin/zaio-run" --libdir)")" = "$(realpath "$lib/zaio")" ] ||
  fail "the installed zaio-run looks in $("$prefix/bin/zaio-run" --libdir), not $lib/zaio"
others=$(nm -D --defined-only "$zlib" | awk 'NF == 3 && $3 !~ /^zmq_/ { print $3 }')
[ -z "$others" ] || fail "libzmq.so.5 exports more than zmq_*:" $others
# a binary built for libzmq (Debian's pyzmq) loads it under zaio-run, and only then
ext=$(ls /usr/lib/python3/dist-packages/zmq/backend/cython/socket.*.so 2>/dev/null | head -n 1)
if [ -n "$ext" ]; then
  got=$("$prefix/bin/zaio-run" ldd "$ext" | awk '$1 == "libzmq.so.5" { print $3 }')
  echo "zaio-run ldd $(basename "$ext"): libzmq.so.5 => $got"
  [ "$(realpath "$got")" = "$(realpath "$zlib")" ] || fail "under zaio-run pyzmq loads $got"
  "$prefix/bin/zaio-run" /usr/bin/python3 -c 'import sys, zmq; sys.exit(0 if zmq.has("zaio") else 1)' ||
    fail "pyzmq under the installed zaio-run is not on zaio"
fi

echo "install_test: PASS"
