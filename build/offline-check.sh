#!/usr/bin/env bash
# On the air-gapped workstation, inside an unpacked bundle (build/bundle.sh): checks that this
# machine matches the one the bundle was built on and that the native modules load, without
# reaching any network. Then `npm start` runs the backend headless.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/bundle-target.txt ]; then
  echo "This is not an offline bundle (build/bundle-target.txt is missing); on a connected machine run build/setup.sh instead." >&2
  exit 1
fi
{ read -r target; read -r node_major; } < build/bundle-target.txt
here_os=$(node -p 'process.platform === "darwin" ? "mac" : process.platform === "win32" ? "win" : process.platform')
here="$here_os-$(node -p 'process.arch')"
here_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$here" != "$target" ] || [ "$here_major" != "$node_major" ]; then
  echo "This bundle was built for $target with Node.js $node_major; this machine is $here with Node.js $here_major. Build the bundle on a matching machine." >&2
  exit 1
fi
if [ "$here_os" = "linux" ] && ! ldconfig -p 2>/dev/null | grep -q libsecret-1.so.0; then
  echo "libsecret is not installed: the OS keychain is unavailable, so the API token must come from the environment or .env (install libsecret-1-0 from your distribution's media to use the keychain)."
fi
node build/check-native.mjs
echo "Ready: npm start (or node build/bin/spec2tickets.mjs serve)."
