#!/usr/bin/env bash
# Starts OpenVPN as a daemon with the client file in $VPN_CLIENT_CONFIG and waits (at most
# $VPN_TIMEOUT_SECONDS) until it reports "Initialization Sequence Completed" and its tun interface
# exists. The client file, log and pid live in $RUNNER_TEMP/mlops-vpn; vpn-disconnect removes them.
set -euo pipefail

state_dir="${RUNNER_TEMP:?RUNNER_TEMP is not set}/mlops-vpn"
timeout=${VPN_TIMEOUT_SECONDS:-120}
log="$state_dir/openvpn.log"
pid_file="$state_dir/openvpn.pid"

fail() {
  echo "::error title=VPN not connected::$1"
  if sudo test -f "$log"; then
    echo '::group::OpenVPN log (last 40 lines)'
    sudo tail -n 40 "$log" || true
    echo '::endgroup::'
  fi
  exit 1
}

if [ -z "${VPN_CLIENT_CONFIG:-}" ]; then
  fail "the secret VPN_CLIENT_CONFIG is empty for this environment: store the .ovpn file of a VPN client in it (the README, section Running the lifecycle from GitHub Actions), or set the variable MLOPS_VPN=off if the runner reaches the MLflow server another way"
fi

if ! command -v openvpn > /dev/null; then
  echo 'Installing OpenVPN'
  sudo apt-get update -qq
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openvpn > /dev/null
fi

mkdir -p "$state_dir"
chmod 700 "$state_dir"
(umask 077 && printf '%s\n' "$VPN_CLIENT_CONFIG" > "$state_dir/client.ovpn")

sudo openvpn --config "$state_dir/client.ovpn" --daemon mlops-vpn --log "$log" --writepid "$pid_file"

started=$SECONDS
next_report=10
until sudo grep -q 'Initialization Sequence Completed' "$log" 2> /dev/null; do
  elapsed=$((SECONDS - started))
  if ! sudo test -s "$pid_file" || ! sudo kill -0 "$(sudo cat "$pid_file")" 2> /dev/null; then
    fail "OpenVPN exited after ${elapsed}s before the tunnel was up (is the client file current, and the Client VPN endpoint of this environment still there?)"
  fi
  if [ "$elapsed" -ge "$timeout" ]; then
    fail "the tunnel was not up after ${timeout}s"
  fi
  if [ "$elapsed" -ge "$next_report" ]; then
    echo "waiting for the tunnel: ${elapsed}s elapsed"
    next_report=$((next_report + 10))
  fi
  sleep 2
done

device=$(sudo sed -n 's/.*TUN\/TAP device \([^ ]*\) opened.*/\1/p' "$log" | tail -n 1)
if [ -z "$device" ] || ! ip link show dev "$device" > /dev/null 2>&1; then
  fail "OpenVPN reported success but the tun interface ${device:-(none named in the log)} does not exist"
fi
echo "VPN connected in $((SECONDS - started))s on $device"
