import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from '../../helpers/wait.js';

/** A `node` child process whose stdout lines are collected for the test to wait on. */
export class NodeProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  stderr = '';
  private readonly _proc: ChildProcess;

  constructor(script: string, arg: unknown) {
    this._proc = spawn(process.execPath, [script, JSON.stringify(arg)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    this._proc.stdout!.on('data', (chunk: Buffer) => {
      partial += chunk.toString();
      const parts = partial.split('\n');
      partial = parts.pop()!;
      this.lines.push(...parts);
    });
    this._proc.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => this._proc.once('exit', (code) => resolve(code)));
  }

  /** The last line starting with `prefix`, without it. */
  last(prefix: string): string | undefined {
    for (let i = this.lines.length - 1; i >= 0; i--) if (this.lines[i]!.startsWith(prefix)) return this.lines[i]!.slice(prefix.length);
    return undefined;
  }

  async waitLine(prefix: string, timeoutMs = 60_000): Promise<string> {
    const found = await waitFor(() => {
      const line = this.last(prefix);
      return line === undefined ? undefined : { line };
    }, `a "${prefix}" line`, timeoutMs);
    return found.line;
  }

  kill(signal: NodeJS.Signals): void {
    if (this._proc.exitCode === null && this._proc.signalCode === null) this._proc.kill(signal);
  }
}
