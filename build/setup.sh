#!/usr/bin/env bash
# Installs what Warden needs on a Debian machine, then its npm dependencies.
#   bash build/setup.sh          what running Warden needs
#   bash build/setup.sh --test   plus what the test suite needs
# System packages are installed with apt-get when run as root (or with sudo);
# otherwise the missing ones are named and the script stops.
set -euo pipefail
cd "$(dirname "$0")/.."

# Sandboxes: QEMU; the guest image builder: busybox-static, xz-utils and binutils (kernel
# and Node), e2fsprogs (the root filesystem), debootstrap (the full Debian userland).
packages=(curl ca-certificates openssl qemu-system-x86 busybox-static xz-utils binutils e2fsprogs debootstrap)
if [[ "${1:-}" == "--test" ]]; then
  # postgresql: the hub's tests start a throwaway cluster (test/support/hub/pg-cluster.sh).
  packages+=(cpio chromium postgresql)
  # The read-only cluster tests run the real kubectl: Debian's kubernetes-client when none is there.
  command -v kubectl >/dev/null || packages+=(kubernetes-client)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -eq 0 ]]; then SUDO=(); elif command -v sudo >/dev/null; then SUDO=(sudo); else
    echo "warden setup: please install these Debian packages first: ${missing[*]}" >&2
    exit 1
  fi
  echo "warden setup: installing ${missing[*]}"
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [[ -f package-lock.json ]]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi

# The Lens extension's tests render its packages with each host's React and MobX versions
# (React 17 / MobX 6 / mobx-react 7, and mobx-react 10), kept apart from the root's in
# extension/node_modules (npm aliases; no install scripts).
# Freelens 1 links an extension with pnpm: the install test does the same when pnpm is there.
if [[ "${1:-}" == "--test" ]]; then
  npm ci --prefix extension --no-audit --no-fund --ignore-scripts --legacy-peer-deps
  command -v pnpm >/dev/null || npm install --global --no-audit --no-fund pnpm@10.34.9
fi
