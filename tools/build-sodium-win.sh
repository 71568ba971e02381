#!/usr/bin/env bash
# libsodium for the Windows cross build (CURVE under wine): Debian has no mingw libsodium
# package, so this builds one from Debian's own source package of the libsodium the Linux
# build uses (same version, Debian's patches applied), for x86_64-w64-mingw32, static,
# --enable-minimal (what CURVE needs: crypto_box, crypto_secretbox, scalarmult, random).
# apt-get source runs with an apt state of its own under the output directory (a deb-src
# line for Debian's archive, its index, its downloads): the system's apt configuration
# is left alone. The result is kept: a second call with the same version does nothing.
# Needs dpkg-dev, autoconf, automake, libtool and the mingw compiler (install-deps.sh
# windows). About half a minute on two cores.
# Usage: tools/build-sodium-win.sh <out dir>   ->  <out>/lib/libsodium.a, <out>/include
set -euo pipefail
out=${1:?usage: build-sodium-win.sh <out dir>}
mkdir -p "$out"
out=$(cd "$out" && pwd)
ver=$(dpkg-query -W -f='${Version}' libsodium-dev)
stamp="$out/built-$ver"
[ -f "$stamp" ] && [ -f "$out/lib/libsodium.a" ] && exit 0

start=$(date +%s)
echo "build-sodium-win: libsodium $ver from Debian's source package, for x86_64-w64-mingw32"
. /etc/os-release
apt="$out/apt"
rm -rf "$apt" "$out/src"
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$out/src"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
cat >"$apt/sources.list" <<EOS
deb-src [signed-by=$keyring] http://deb.debian.org/debian $VERSION_CODENAME $VERSION_CODENAME-updates main
deb-src [signed-by=$keyring] http://deb.debian.org/debian-security $VERSION_CODENAME-security main
EOS
aptopts=(-q -o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
         -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o APT::Sandbox::User=root)
apt-get "${aptopts[@]}" update >"$apt/update.log" 2>&1 || { cat "$apt/update.log"; exit 1; }
(cd "$out/src" && apt-get "${aptopts[@]}" source "libsodium=$ver") >"$apt/source.log" 2>&1 ||
  { cat "$apt/source.log"; exit 1; }
rm -rf "$apt/lists" # the index is large and is not needed again
src=$(find "$out/src" -mindepth 1 -maxdepth 1 -type d -name 'libsodium-*' | head -n1)
[ -n "$src" ] || { echo "build-sodium-win: no source tree unpacked"; exit 1; }

cc=$(command -v x86_64-w64-mingw32-gcc-win32 || command -v x86_64-w64-mingw32-gcc)
# the orig tarball has no configure; autoreconf makes it from Debian's autotools (its
# autogen.sh would fetch config.guess from the network: not used)
(cd "$src" &&
  autoreconf -if >"$out/autoreconf.log" 2>&1 &&
  CC=$cc ./configure -q --host=x86_64-w64-mingw32 --prefix="$out" --disable-shared \
    --enable-static --enable-minimal --disable-dependency-tracking >"$out/configure.log" 2>&1 &&
  make -s -j"${JOBS:-2}" >"$out/make.log" 2>&1 &&
  make -s install >"$out/install.log" 2>&1) ||
  { echo "build-sodium-win: the build failed; logs in $out"; tail -20 "$out"/*.log; exit 1; }
rm -rf "$out/src"
touch "$stamp"
echo "build-sodium-win: $out/lib/libsodium.a in $(( $(date +%s) - start )) s"
