#!/usr/bin/env bash
# The README's "run the demo" command: installs dependencies on a fresh clone, builds, starts the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --silent
fi
npm run build --silent
exec node examples/demo.js
