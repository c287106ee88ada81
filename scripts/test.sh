#!/usr/bin/env bash
# The README's "run every test" command. On a fresh machine it installs what the tests use (Debian
# packages, npm packages), starts the servers that are shared by the whole run (a throwaway PostgreSQL
# cluster), builds the package and runs the whole vitest suite. Tests start their own redis-server,
# Prometheus and OTLP receivers on free ports. It builds the OpenTelemetry Collector and Jaeger once per
# machine into a cache folder (scripts/lib/gobin.sh) and runs the suite on the machine's node, and in
# CI (CI=true) then on the current Node 22, 24 and 26 (scripts/lib/node-lines.sh; SI_NODE_LINES="system
# 24" picks lines anywhere). Extra arguments go to vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/apt.sh
source scripts/lib/postgres.sh
source scripts/lib/gobin.sh
source scripts/lib/node-lines.sh

need_cmd redis-server redis-server
need_cmd prometheus prometheus
need_cmd promtool prometheus
need_cmd chromium chromium
# Debian installs Alertmanager as prometheus-alertmanager (with amtool); the alerting tests start it.
need_cmd prometheus-alertmanager prometheus-alertmanager
need_cmd amtool prometheus-alertmanager
pg_bindir >/dev/null || need_pkg postgresql
install_needed
ensure_go_binaries

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
npx tsc -p tsconfig.test.json
npx eslint . # type-aware lint (eslint.config.js)
npm run --silent api:check # the committed API report (api/) matches the build; after an intended change: npm run api:update
npm run --silent check:package # @arethetypeswrong/cli and publint on the packed package

trap stop_postgres EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
start_postgres
echo "PostgreSQL for this run: $DATABASE_URL"
# The whole suite is also the coverage gate (thresholds in vitest.config.ts); a partial run is not.
coverage=(); [ $# -eq 0 ] && coverage=(--coverage)
run_on_node_lines npx vitest run "${coverage[@]}" "$@"
