#!/usr/bin/env bash
# A zmq.h program built against zaio talks to a libzmq server in another process.
# Usage: run_hello.sh <hello_server_libzmq> <hello_client_zaio>
set -euo pipefail
source "$(dirname "$0")/../binder.sh"
start_binder "$1" 10 || { echo "the libzmq server printed no endpoint"; exit 1; }
"$2" "$endpoint" 10
wait "$binder_pid"
