#!/usr/bin/env bash
# A zmq.h hello client of one library against a hello server of the other, in another
# process. With ENDPOINT the server binds there; an ipc:// endpoint's socket file must be
# gone once the server has exited.
# Usage: run_hello.sh <hello_server> <hello_client> [ENDPOINT]
set -euo pipefail
source "$(dirname "$0")/../binder.sh"
start_binder "$1" 10 ${3:+"$3"} || { echo "the server printed no endpoint"; exit 1; }
echo "run_hello: the server is at $endpoint"
"$2" "$endpoint" 10
wait "$binder_pid"
if [[ $endpoint == ipc://[^@]* ]] && [ -e "${endpoint#ipc://}" ]; then
  echo "run_hello: FAIL: ${endpoint#ipc://} is still there after the server closed"
  exit 1
fi
echo "run_hello: 10 requests answered"
