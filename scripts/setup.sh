#!/usr/bin/env bash
# Installs what skiff's demo and tests need on a fresh Debian machine, then builds.
# Idempotent and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# gcc and libc6-dev build skiff's own addon (native/skiff-sys.c), as better-sqlite3's is built.
DEBS=(docker-registry busybox-static runc conmon uidmap slirp4netns fuse-overlayfs containernetworking-plugins iptables iproute2 gcc libc6-dev)
missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing Debian packages (${missing[*]}); run as root or install them" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# node_modules is reinstalled only when the lock file changed since the last install.
stamp=node_modules/.skiff-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  cp package-lock.json "$stamp"
fi

# Rootless networking (slirp4netns) opens /dev/net/tun as the user. Debian's udev makes it
# 0666; a machine whose device node was made without udev may have 0600 (using it still
# needs CAP_NET_ADMIN over a network namespace, so 0666 grants nothing else).
# fuse-overlayfs, the rootless fallback for kernels without overlay in user namespaces, opens
# /dev/fuse the same way.
for dev in /dev/net/tun /dev/fuse; do
  if [ "$(id -u)" = 0 ] && [ -c "$dev" ] && [ "$(stat -c %a "$dev")" != 666 ]; then
    echo "setup: chmod 0666 $dev (Debian's default), for rootless containers" >&2
    chmod 0666 "$dev"
  fi
done

npx --no-install tsc -p tsconfig.json
node scripts/build-native.mjs
node scripts/bundle.mjs
