#!/usr/bin/env node
// `npx service-infrastructure dashboard`: the standalone dashboard, an OTLP/HTTP receiver (4318)
// and the monitoring UI (9465) for any number of services.
import { StandaloneDashboard } from './dashboard/StandaloneDashboard.js';
import { MonitoringError } from './errors/MonitoringError.js';
import { util } from './internal/builtins.js';
import { numberFromText } from './internal/configCheck.js';

const USAGE = `usage: service-infrastructure dashboard [options]

Receives OTLP/HTTP (protobuf or JSON; traces and metrics) and serves the monitoring UI.

  --port <n>         UI port (default 9465, env DASHBOARD_PORT)
  --otlp-port <n>    OTLP/HTTP receiver port (default 4318, env DASHBOARD_OTLP_PORT)
  --host <addr>      interface for both (default 127.0.0.1); any other needs a token
  --token <t>        required on every request (env DASHBOARD_TOKEN); the OTLP receiver wants
                     "Authorization: Bearer <t>", a browser opens /?token=<t> once
  --max-traces <n>   traces kept in memory (default 20000)
  --data-dir <dir>   keep what is received on disk and replay it at start (default: memory only)
  --data-max-mb <n>  most megabytes kept on disk (default 100)
  -h, --help`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command !== 'dashboard') {
    process.stderr.write(`${USAGE}\n`);
    return command === '-h' || command === '--help' ? 0 : 2;
  }
  const { values } = util.parseArgs({
    args: rest,
    options: {
      port: { type: 'string' },
      'otlp-port': { type: 'string' },
      host: { type: 'string' },
      token: { type: 'string' },
      'max-traces': { type: 'string' },
      'data-dir': { type: 'string' },
      'data-max-mb': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const env = process.env;
  // A bad number is named as the user wrote it: the flag, or the env var it came from.
  const flagOrEnv = (flag: 'port' | 'otlp-port', envName: string): number | undefined =>
    values[flag] !== undefined ? numberFromText(`--${flag}`, values[flag]) : numberFromText(envName, env[envName]);
  const token = values.token ?? env.DASHBOARD_TOKEN;
  const maxTraces = numberFromText('--max-traces', values['max-traces']);
  const maxMb = numberFromText('--data-max-mb', values['data-max-mb']);
  const dashboard = new StandaloneDashboard({
    port: flagOrEnv('port', 'DASHBOARD_PORT') ?? 9465,
    otlpPort: flagOrEnv('otlp-port', 'DASHBOARD_OTLP_PORT') ?? 4318,
    host: values.host ?? env.DASHBOARD_HOST ?? '127.0.0.1',
    ...(token !== undefined && token !== '' ? { token } : {}),
    ...(maxTraces !== undefined ? { maxTraces } : {}),
    ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
    ...(maxMb !== undefined ? { dataMaxBytes: Math.round(maxMb * 1024 * 1024) } : {}),
  });
  const { ui, otlp } = await dashboard.listen();
  process.stdout.write(`dashboard: ${ui}\nOTLP/HTTP receiver: ${otlp} (send with OTEL_EXPORTER_OTLP_ENDPOINT=${otlp})\n`);
  // The servers are unref'd like every server of the SDK; this keeps the command alive until a signal.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(keepAlive);
  await dashboard.shutdown(2_000);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof MonitoringError ? err.message : String((err as Error)?.stack ?? err)}\n`);
    process.exit(1);
  },
);
