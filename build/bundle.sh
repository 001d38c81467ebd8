#!/usr/bin/env bash
# Builds an offline bundle of the headless backend, for an air-gapped workstation with the same OS,
# CPU architecture and Node.js major version as this machine: production dependencies only, native
# modules built here (where the npm registry is reachable), node-llama-cpp's prebuilt binaries for
# this OS and architecture only, the review queue already built. Carry the .tar.gz across, unpack,
# run `bash build/offline-check.sh`, then `npm start`. Models are imported from disk on the Models page.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(node -p 'require("./package.json").version')
os=$(node -p 'process.platform === "darwin" ? "mac" : process.platform === "win32" ? "win" : process.platform')
arch=$(node -p 'process.arch')
node_major=$(node -p 'process.versions.node.split(".")[0]')
name="spec2tickets-$version-$os-$arch-node$node_major"
out_dir="${1:-.tmp/bundle}"
stage="$out_dir/$name"

[ -f renderer/dist/index.html ] || npm run --silent build:renderer
rm -rf "$stage" && mkdir -p "$stage/renderer"
# The product's own files as committed (no tests, no benchmarks), plus the built review queue.
git ls-files -z core build docs README.md package.json package-lock.json tsconfig.json \
  | grep -zv '\.test\.ts$' | xargs -0 cp --parents -t "$stage"
cp -r renderer/dist "$stage/renderer/dist"
printf '%s\n' "$os-$arch" "$node_major" > "$stage/build/bundle-target.txt"

echo "Installing production dependencies into $stage…"
(cd "$stage" && ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --omit=dev --no-audit --no-fund --loglevel=error)
# node-llama-cpp ships binaries for every platform and GPU kind; keep this OS and architecture's
# (CPU, CUDA, Vulkan or Metal), which is what this machine's workstation twin will load.
if [ -d "$stage/node_modules/@node-llama-cpp" ]; then
  for d in "$stage/node_modules/@node-llama-cpp"/*; do
    case "$(basename "$d")" in "$os-$arch"|"$os-$arch"-*) ;; *) rm -rf "$d" ;; esac
  done
fi
(cd "$stage" && node build/check-native.mjs)

tarball="$out_dir/$name.tar.gz"
tar -C "$out_dir" -czf "$tarball" "$name"
echo "Bundle: $tarball ($(du -h "$tarball" | cut -f1) packed, $(du -sh "$stage" | cut -f1) unpacked)"
