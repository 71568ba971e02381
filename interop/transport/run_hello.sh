#!/usr/bin/env bash
# A zmq.h program built against zaio talks to a libzmq server in another process.
# Usage: run_hello.sh <hello_server_libzmq> <hello_client_zaio>
set -euo pipefail
server=$1 client=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkfifo "$dir/ep"
"$server" 10 >"$dir/ep" &
spid=$!
exec 3<"$dir/ep"
read -r endpoint <&3 || { echo "the libzmq server printed no endpoint"; exit 1; }
"$client" "$endpoint" 10
wait $spid
