// The OTel SDK packages this package's DIRECT mode runs on (the collector is a MetricReader, phases
// are spans). bench/import.js imports them alone as the floor of the package's import cost, and
// bench/http-server.js's `bare-dc-otel` loads them into a bare server as the floor of what the
// package's process costs a request.
export const OTEL_FLOOR = [
  '@opentelemetry/api',
  '@opentelemetry/core',
  '@opentelemetry/resources',
  '@opentelemetry/semantic-conventions',
  '@opentelemetry/sdk-metrics',
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/sdk-trace-node',
];
