#!/usr/bin/env bash
# Installs, from Debian's packages only, what zaio's build and tests need and this
# machine lacks. Runs apt only when something is missing, so a second call is instant.
# Usage: tools/install-deps.sh [linux|windows|all]   (default: all)
set -euo pipefail

# python3-zmq (pyzmq, with its own test suite), pytest and libczmq-dev: real clients of
# libzmq that the drop-in build must serve unchanged. iproute2: the link-flap test's
# network namespaces (tests/tools/link_flap.sh), which would otherwise skip itself.
want=(cmake make gcc pkg-config liburing-dev libzmq3-dev libcriterion-dev libsodium-dev
      clang libclang-rt-14-dev gnuplot-nox python3-zmq python3-pytest python3-pytest-timeout
      libczmq-dev iproute2)
# JeroMQ 0.3.6 (pure Java, greets as ZMTP 2.0) and a JDK to compile the interop peer
# against it: the older-peers interop tests (interop/jeromq)
want+=(libjeromq-java default-jdk-headless)
case "${1:-all}" in
  linux) ;;
  # dpkg-dev and the autotools: libsodium for Windows from Debian's source package
  # (tools/build-sodium-win.sh), as Debian ships no mingw build of it.
  # wine64-preloader (wine64 only suggests it): it reserves the addresses Windows
  # programs need before anything else is mapped. Without it the loader's heap, placed
  # at random, now and then covers the shared user data page (0x7ffe0000), and the
  # program exits with status 1 before its first line, saying nothing unless
  # WINEDEBUG shows errors ("failed to map the shared user data: c0000018"): about 1
  # start in 2,500 here, which failed a CI run's CURVE interop under wine.
  windows|all) want+=(gcc-mingw-w64-x86-64 wine64 wine64-preloader wine dpkg-dev autoconf automake
                      libtool) ;;
  *) echo "usage: $0 [linux|windows|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
