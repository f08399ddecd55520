#!/usr/bin/env bash
# Idempotent set-up for a Debian 12 machine, run as root by `npm start` and `npm test`:
# installs the Debian packages berth and its tests use, then the node modules.
# Quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

debs=(
  containerd runc containernetworking-plugins iptables iproute2
  skopeo podman busybox-static nginx-light
  etcd-server etcd-client docker-registry chromium
)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing Debian packages (${missing[*]}); run as root to install them" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian's docker-registry and etcd packages start system-wide services on install; berth starts
# its own copies with their own data dirs, so the system ones are not needed.

stamp=node_modules/.berth-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "setup: installing node modules"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
