#!/usr/bin/env bash
# Stops the OpenVPN daemon vpn-connect (connect.sh) started and removes its client file, log and pid; does
# nothing (and succeeds) when no tunnel was started, so it can run under `if: always()`.
set -euo pipefail

state_dir="${RUNNER_TEMP:?RUNNER_TEMP is not set}/mlops-vpn"
pid_file="$state_dir/openvpn.pid"

if [ ! -d "$state_dir" ]; then
  echo 'No VPN connection to close'
  exit 0
fi

if sudo test -s "$pid_file"; then
  pid=$(sudo cat "$pid_file")
  if sudo kill "$pid" 2> /dev/null; then
    for _ in $(seq 1 20); do
      sudo kill -0 "$pid" 2> /dev/null || break
      sleep 0.5
    done
    if sudo kill -0 "$pid" 2> /dev/null; then sudo kill -9 "$pid" 2> /dev/null || true; fi
  fi
fi

sudo rm -rf "$state_dir"
echo 'VPN disconnected'
