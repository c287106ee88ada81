import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './freePort.js';

export interface RedisServerOptions {
  /**
   * Directory for an append-only file with fsync on every write. Without it the server keeps
   * nothing on disk (`--save '' --appendonly no`) and forgets everything when killed.
   */
  readonly aofDir?: string;
}

/** A real `redis-server` child process on a free port, killable and restartable on the same port. */
export class RedisServer {
  private _proc: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly _options: RedisServerOptions,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), options);
    await server._spawn();
    return server;
  }

  private async _spawn(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--loglevel', 'notice'];
    if (this._options.aofDir !== undefined) args.push('--dir', this._options.aofDir, '--appendonly', 'yes', '--appendfsync', 'always');
    else args.push('--appendonly', 'no');
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this._proc = proc;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
      proc.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${out}`));
      });
    });
  }

  /** SIGKILL, as a crash would; resolves when the process is gone. */
  async kill(): Promise<void> {
    const proc = this._proc;
    this._proc = undefined;
    if (proc === undefined || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  }

  /** Starts again on the same port (and the same AOF directory, if any). */
  async restart(): Promise<void> {
    await this.kill();
    await this._spawn();
  }

  async stop(): Promise<void> {
    await this.kill();
  }
}
