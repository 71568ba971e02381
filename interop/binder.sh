# binder.sh - sourced by the interop scripts: a scratch directory, background
# processes killed on any exit, and the start of a program that binds and prints its
# endpoint on its first line.
dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

# start_binder CMD...: runs CMD in the background with its stdout on fd 3 (what it
# prints after the endpoint waits there), its pid in binder_pid, its endpoint in
# endpoint. Fails when no endpoint comes within 120 s (a first wine start included).
start_binder() {
  rm -f "$dir/binder"
  mkfifo "$dir/binder"
  "$@" >"$dir/binder" &
  binder_pid=$!
  pids+=("$binder_pid")
  exec 3<"$dir/binder"
  read -r -t 120 endpoint <&3 || return 1
  endpoint=${endpoint%$'\r'} # a Windows program's stdout is in text mode: CRLF
}
