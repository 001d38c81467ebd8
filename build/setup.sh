#!/usr/bin/env bash
# Prepares a fresh Debian/Ubuntu machine: system libraries for the native modules (keytar needs
# libsecret), Chromium for browser tests, a keyring for the secret-store test, then `npm ci`, then a
# check that every native module really loads, then builds the review queue, the desktop bundle and
# the desktop app's Electron dependency tree (with its native-ABI check).
set -euo pipefail
cd "$(dirname "$0")/.."

# Node first: everything below needs it, and the code needs 20.12+ (util.parseEnv). Debian 12 and
# Ubuntu 24.04 ship Node 18, which would fail much later with an obscure error.
REQUIRED_NODE="20.12.0"
node_version=$(node -p 'process.versions.node' 2>/dev/null || true)
if [ -z "$node_version" ]; then
  echo "Spec2Tickets needs Node.js $REQUIRED_NODE or newer, and no 'node' was found on PATH." >&2
  echo "Install Node.js 20 LTS or newer (e.g. from NodeSource's Debian/Ubuntu packages, or nvm), then run this again." >&2
  exit 1
fi
IFS=. read -r have_major have_minor _ <<<"$node_version"
IFS=. read -r need_major need_minor _ <<<"$REQUIRED_NODE"
if ! [[ "$have_major" =~ ^[0-9]+$ && "$have_minor" =~ ^[0-9]+$ ]] || [ "$have_major" -lt "$need_major" ] || { [ "$have_major" -eq "$need_major" ] && [ "$have_minor" -lt "$need_minor" ]; }; then
  echo "Spec2Tickets needs Node.js $REQUIRED_NODE or newer; this machine has $node_version ($(command -v node))." >&2
  echo "Debian 12 and Ubuntu 24.04 ship Node 18: install Node.js 20 LTS or newer (e.g. from NodeSource's Debian/Ubuntu packages, or nvm), then run this again." >&2
  exit 1
fi
echo "Node.js $node_version: ok. Setup downloads from the npm registry and, for missing system libraries, your Debian/Ubuntu package sources (see docs/install.md for an offline machine)."

APT_PACKAGES=(libsecret-1-dev python3 make g++ chromium gnome-keyring dbus dbus-x11 openssl)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

# The Electron binary comes from the internet, not the npm registry: install without it, then fetch
# it separately where a desktop can use it, so an offline or headless machine still installs cleanly
# (npm start then runs the backend headless).
want_electron="${ELECTRON_SKIP_BINARY_DOWNLOAD:-auto}"
ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --no-audit --no-fund
node build/check-native.mjs
# The Forge app installs on its own, from its own lockfile, as a customer deploys it (docs/forge.md).
(cd forge && npm ci --no-audit --no-fund)
# nginx for the test that checks the reverse-proxy guide's configuration with `nginx -t`: only the
# binary, unpacked from Debian's package into .tmp/tools, so no web server is installed or started.
if [ ! -x .tmp/tools/nginx/usr/sbin/nginx ] && command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null; then
  mkdir -p .tmp/tools/deb
  fetch_nginx() { (cd .tmp/tools/deb && rm -f nginx_*.deb && apt-get download -qq nginx >/dev/null 2>&1); }
  if fetch_nginx || { $SUDO apt-get update -qq && fetch_nginx; }; then
    dpkg-deb -x .tmp/tools/deb/nginx_*.deb .tmp/tools/nginx
  else
    echo "Debian's nginx package could not be fetched: the reverse-proxy configuration test will fail."
  fi
fi
# The review queue (served by the admin listener) and the desktop bundle.
npm run --silent build:renderer
npm run --silent build:desktop
# The desktop app's own dependency tree (dist/app/node_modules), with native modules rebuilt for the
# pinned Electron in that copy only, then the native-ABI check of every addon in it. The rebuild
# downloads Electron's headers or prebuilds; without them the desktop app cannot be built, which
# does not affect the headless backend (root node_modules, Node's ABI).
if node build/stage-desktop.mjs && node build/check-native.mjs --desktop; then
  echo "Desktop app staged for Electron in dist/app (npm run dist packages it)."
else
  echo "The desktop app cannot be built on this machine (reason above). The headless backend still works: npm start or spec2tickets serve."
fi
has_desktop() { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ] || [ "$(uname)" = "Darwin" ]; }
if [ "$want_electron" = "0" ] || { [ "$want_electron" = "auto" ] && [ -z "${CI:-}" ] && has_desktop; }; then
  echo "Fetching the Electron binary for the desktop app…"
  if ! (cd node_modules/electron && timeout 300 node install.js); then
    echo "The Electron binary could not be fetched; npm start will run the backend headless."
  fi
fi
