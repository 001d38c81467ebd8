#!/usr/bin/env bash
# Prepares a fresh Debian/Ubuntu machine: system libraries for the native modules (keytar needs
# libsecret), Chromium for browser tests, a keyring for the secret-store test, then `npm ci`, then a
# check that every native module really loads.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(libsecret-1-dev python3 make g++ chromium gnome-keyring dbus dbus-x11)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "Installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

export ELECTRON_SKIP_BINARY_DOWNLOAD="${ELECTRON_SKIP_BINARY_DOWNLOAD:-1}"
npm ci --no-audit --no-fund
node build/check-native.mjs
