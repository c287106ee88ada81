#!/usr/bin/env bash
# The README's "run the demo" command: installs dependencies on a fresh clone, builds, starts the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each step says what it is doing: on a fresh clone `npm ci` takes a minute or more, and a silent
# terminal for that long looks hung.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[1/3] installing dependencies (npm ci; about a minute on a fresh clone)..."
  npm ci --no-audit --no-fund --loglevel=error --progress=true
fi
echo "[2/3] building (types with tsc, the package and the dashboard with esbuild)..."
npm run build --silent
echo "[3/3] starting the demo (Ctrl-C stops it)"
exec node examples/demo.js
