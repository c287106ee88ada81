#!/usr/bin/env bash
# `npm run stack`: the OpenTelemetry Collector (running the shipped otel-collector.yaml), Jaeger v2
# (in-memory storage) and Prometheus (scraping the Collector and the demo) on this machine, then the
# demo in EVENT_DRIVEN mode exporting to them. Ctrl-C stops everything. Uses the binaries `npm test`
# builds into the cache folder (built here if missing).
#
#   npm run stack                # stack + demo
#   npm run stack -- --no-demo   # only the stack; point your own app at the printed OTLP endpoint
#
# Ports are the documented defaults (docs/export.md); logs go to a temporary folder printed below.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/apt.sh
source scripts/lib/gobin.sh

demo=1
for arg in "$@"; do
  case "$arg" in
    --no-demo) demo=0 ;;
    *) echo "usage: npm run stack [-- --no-demo]" >&2; exit 2 ;;
  esac
done

need_cmd prometheus prometheus
need_cmd curl curl
install_needed
ensure_go_binaries

for port in 4317 4318 8889 13133 14317 16685 16686 9090 $([ "$demo" = 1 ] && echo 3000); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "error: port $port on 127.0.0.1 is in use (another stack or demo running?); stop it and run again" >&2
    exit 1
  fi
done

logs=$(mktemp -d "${TMPDIR:-/tmp}/si-stack.XXXXXX")
pids=()
demo_pid=""
cleanup() {
  trap - EXIT INT TERM
  # The demo first, so that its last export (it flushes on SIGTERM) still finds the Collector.
  if [ -n "$demo_pid" ]; then kill "$demo_pid" 2>/dev/null || true; wait "$demo_pid" 2>/dev/null || true; fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stack stopped; logs kept in $logs"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_http() { # url name log
  for _ in $(seq 1 150); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "error: $2 did not answer on $1; last lines of $3:" >&2
  tail -n 20 "$3" >&2
  return 1
}

# always_off: Jaeger would otherwise trace its own queries into the Collector on :4317.
OTEL_TRACES_SAMPLER=always_off "$SI_JAEGER_BIN" --config "file:$PWD/test/integration/fixtures/jaeger.yaml" >"$logs/jaeger.log" 2>&1 &
pids+=($!)
wait_http http://127.0.0.1:16686/api/services Jaeger "$logs/jaeger.log"
# The Collector's own metrics would default to :8888; they are not needed here.
"$SI_OTELCOL_BIN" --config "file:$PWD/otel-collector.yaml" --set service::telemetry::metrics::level=none >"$logs/otelcol.log" 2>&1 &
pids+=($!)
cat >"$logs/prometheus.yml" <<EOF
global: { scrape_interval: 5s }
scrape_configs:
  - job_name: otel-collector
    honor_labels: true   # keep job=<service.name> and instance=<service.instance.id> from the Collector
    static_configs: [{ targets: ['127.0.0.1:8889'] }]
  - job_name: demo
    static_configs: [{ targets: ['127.0.0.1:3000'] }]
EOF
prometheus --config.file="$logs/prometheus.yml" --storage.tsdb.path="$logs/prometheus-data" \
  --web.listen-address=127.0.0.1:9090 --enable-feature=exemplar-storage >"$logs/prometheus.log" 2>&1 &
pids+=($!)

wait_http http://127.0.0.1:13133/ "the Collector" "$logs/otelcol.log"
wait_http http://127.0.0.1:9090/-/ready Prometheus "$logs/prometheus.log"

cat <<EOF
stack up (logs: $logs)
  OTLP (the Collector):      http://127.0.0.1:4318 (HTTP), 127.0.0.1:4317 (gRPC)
  Jaeger query API:          http://127.0.0.1:16686/api/services, /api/traces?service=<name>
                             (a module build of Jaeger serves a placeholder page instead of the UI)
  Collector metrics:         http://127.0.0.1:8889/metrics
  Prometheus:                http://127.0.0.1:9090
  Collector health:          http://127.0.0.1:13133/
EOF

if [ "$demo" = 1 ]; then
  npm run build --silent
  echo "  demo (service demo-shop): http://127.0.0.1:3000  (Ctrl-C stops the demo and the stack)"
  OTEL_SERVICE_NAME=demo-shop OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 OTEL_METRIC_EXPORT_INTERVAL=5000 \
    MONITORING_MODE=EVENT_DRIVEN node examples/demo.js &
  demo_pid=$!
  pids+=($!)
else
  echo "  export from an app:        OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 node --import service-infrastructure/register app.js"
  echo "Ctrl-C stops the stack."
fi
wait -n "${pids[@]}" || true
echo "a process of the stack exited; stopping the rest" >&2
