#!/usr/bin/env bash
# A link that goes down and comes back, shorter than the heartbeat timeout: what the
# relay cannot do (it can only cut or stall a stream, never hold the packets back and
# let TCP retransmit them). zaio-soak's server runs in one network namespace and its
# libzmq peer in another, joined by a veth pair; while the soak runs, the link is set
# down for half a second every second and a half. TCP must carry the connection
# through: the soak must PASS as it stands, nothing lost, no connection dropped.
#
# Usage: link_flap.sh <zaio-soak> <zaio-soak-peer> <backend> [rss-bound-mib]
# (the RSS bound is lifted under ASan, whose quarantine grows RSS whatever zaio does)
# Needs root (network namespaces); exits 77 (skipped) without it.
set -euo pipefail
soak=$1 peer=$2 backend=$3 rss_bound=${4:-16}
if [ "$(id -u)" != 0 ] || ! command -v ip > /dev/null; then
  echo "SKIP: needs root and iproute2 for network namespaces"
  exit 77
fi

# names unique to this run: other runs may flap links of their own at the same time
a=zaio-flap-a-$$ b=zaio-flap-b-$$ va=zfa$$ vb=zfb$$
tmp=$(mktemp -d)
flapper=
cleanup() {
  if [ -n "$flapper" ]; then kill "$flapper" 2> /dev/null; wait "$flapper" 2> /dev/null; fi
  ip netns del "$a" 2> /dev/null || true   # the veth pair goes with its namespaces
  ip netns del "$b" 2> /dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
if ! ip netns add "$a" || ! ip netns add "$b" || ! ip link add "$va" type veth peer name "$vb"; then
  echo "SKIP: cannot create network namespaces or a veth pair here"
  exit 77
fi
ip link set "$va" netns "$a"
ip link set "$vb" netns "$b"
ip -n "$a" addr add 10.199.0.1/24 dev "$va"
ip -n "$b" addr add 10.199.0.2/24 dev "$vb"
for ns in "$a" "$b"; do ip -n "$ns" link set lo up; done
ip -n "$a" link set "$va" up
ip -n "$b" link set "$vb" up

# the soak starts its peer itself: this wrapper puts it in the other namespace
cat > "$tmp/peer" << EOF
#!/bin/sh
exec ip netns exec $b $peer "\$@"
EOF
chmod +x "$tmp/peer"

# the flaps are the fault's schedule, not a wait for anything: 0.5 s down, well under
# the peer's 3 s heartbeat timeout (the soak's --heartbeat 1s), 1 s up
flap() {
  local n=0
  while :; do
    sleep 1
    ip -n "$a" link set "$va" down
    sleep 0.5
    ip -n "$a" link set "$va" up
    n=$((n + 1))
    echo "link_flap: flap $n done"
  done
}
flap &
flapper=$!

# rst probes only: they keep to netns a's own address, which stays up
set +e
ip netns exec "$a" "$soak" --backend "$backend" --bind tcp://10.199.0.1:0 --peer "$tmp/peer" \
  --duration 10s --mix rst --probe-rate 200 --interval 500ms --progress 2s --png "" \
  --rss-bound "$rss_bound" \
  -o "$tmp/soak"
rc=$?
set -e
kill "$flapper" 2> /dev/null || true
wait "$flapper" 2> /dev/null || true # 143 when killed, which is not a failure
flapper=
exit $rc
