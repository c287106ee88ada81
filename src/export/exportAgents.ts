import type { Agent as HttpAgent, ClientRequestArgs } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { diag } from '@opentelemetry/api';
import { fs, http } from '../internal/builtins.js';

/** Why an OTLP request still open at the end of `shutdown(timeoutMs)` was cut off. */
export class ExportClosedError extends Error {
  constructor() {
    super('OTLP export cut off: the shutdown deadline was reached');
    this.name = 'ExportClosedError';
  }
}

/** A file named by the signal's variable or else the shared one, as OTel's exporters read them. */
function fileFromEnv(signal: string, suffix: string): Buffer | undefined {
  const own = process.env[`OTEL_EXPORTER_OTLP_${signal}_${suffix}`]?.trim();
  const shared = process.env[`OTEL_EXPORTER_OTLP_${suffix}`]?.trim();
  const file = own !== undefined && own !== '' ? own : shared !== undefined && shared !== '' ? shared : undefined;
  if (file === undefined) return undefined;
  try {
    return fs.readFileSync(resolve(process.cwd(), file));
  } catch {
    diag.warn(`[service-infrastructure] cannot read the file OTEL_EXPORTER_OTLP_[${signal}_]${suffix} names`);
    return undefined;
  }
}

/**
 * @internal The HTTP agents of one setup's OTLP exporters, so `shutdown(timeoutMs)` can end the
 * requests still open at its deadline. Without this, a request to a collector that never answers
 * keeps its socket, and so the process, alive until the exporter's own timeout (10 s by default,
 * `OTEL_EXPORTER_OTLP_TIMEOUT`), long after `shutdown()` returned.
 *
 * The agents are what OTel's exporters build by default (keep-alive, and for https the
 * certificates named by `OTEL_EXPORTER_OTLP_[SIGNAL_]CERTIFICATE`, `_CLIENT_CERTIFICATE` and
 * `_CLIENT_KEY`), handed over through the exporters' `httpAgentOptions` factory.
 */
export class ExportAgents {
  private readonly _agents: HttpAgent[] = [];
  private _closed = false;

  /** The `httpAgentOptions` factory for one signal's exporter. */
  factory(signal: 'TRACES' | 'METRICS'): (protocol: string) => HttpAgent {
    const tls = { ca: fileFromEnv(signal, 'CERTIFICATE'), cert: fileFromEnv(signal, 'CLIENT_CERTIFICATE'), key: fileFromEnv(signal, 'CLIENT_KEY') };
    return (protocol) => {
      const agent = protocol === 'http:' ? new http.Agent({ keepAlive: true }) : new HttpsAgent({ keepAlive: true, ...tls });
      const connect = agent.createConnection.bind(agent);
      // After close, a new request (a retry, a last export) fails at once. The error has no
      // network code, so the exporter counts a failed export instead of scheduling a retry.
      agent.createConnection = (options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void) => {
        if (!this._closed) return connect(options, callback);
        callback?.(new ExportClosedError(), undefined as unknown as Duplex);
        return undefined;
      };
      this._agents.push(agent);
      return agent;
    };
  }

  /** Ends every open export request (it fails with `ExportClosedError`) and refuses new ones. */
  close(): void {
    this._closed = true;
    for (const agent of this._agents) {
      for (const sockets of Object.values(agent.sockets)) for (const socket of sockets ?? []) socket.destroy(new ExportClosedError());
      agent.destroy();
    }
  }
}
