import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../../helpers/build.js';

/**
 * Paths of the Collector and Jaeger binaries that scripts/lib/gobin.sh builds once per machine into
 * the cache folder (`npm test` builds them before the suite; a test run on its own builds them
 * here, which takes minutes the first time).
 */
export function goBinaries(): { otelcol: string; jaeger: string } {
  const r = spawnSync('bash', [join(ROOT, 'scripts/lib/gobin.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 40 * 60_000 });
  if (r.status !== 0) throw new Error(`scripts/lib/gobin.sh failed (exit ${r.status}); see its output above`);
  const path = (name: string): string => {
    const m = new RegExp(`^${name}=(.+)$`, 'm').exec(r.stdout);
    if (m === null) throw new Error(`scripts/lib/gobin.sh printed no ${name}= line: ${r.stdout}`);
    return m[1]!;
  };
  return { otelcol: path('otelcol'), jaeger: path('jaeger') };
}

/** A server process (Collector, Jaeger, Prometheus, a node service) whose output is kept for assertions and failure messages. */
export class ServerProcess {
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly _child: ChildProcess;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    env: Record<string, string> = {},
  ) {
    this._child = spawn(command, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this._child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    this._child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => this._child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get running(): boolean {
    return this._child.exitCode === null && this._child.signalCode === null;
  }

  /** The output's last lines, for failure messages. */
  tail(chars = 3000): string {
    return `--- ${this.name} ---\n${this.output.slice(-chars)}`;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this._child.kill('SIGTERM');
    const timer = setTimeout(() => this._child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
