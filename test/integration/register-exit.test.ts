import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt } from '../helpers/build.js';
import { waitFor as until } from '../helpers/wait.js';

// A short-lived script under register whose collector accepts the connection and never answers:
// the exporter would wait out its 10-minute timeout. The exit flush is bounded by
// MONITORING_SHUTDOWN_TIMEOUT_MS, after which the process exits with the script's exit code.

const sockets = new Set<Socket>();
let requests = 0;
const blackhole = createServer((socket) => {
  sockets.add(socket);
  socket.once('data', () => requests++);
  socket.on('close', () => sockets.delete(socket));
});

beforeAll(async () => {
  ensureBuilt();
  await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => blackhole.close(resolve));
});

describe('register on a short-lived process', () => {
  it('bounds the exit flush when the collector hangs, and keeps the exit code', async () => {
    const port = (blackhole.address() as AddressInfo).port;
    const child = spawn(process.execPath, ['--import', 'service-infrastructure/register', '--input-type=module', '-e', 'process.exitCode = 3; console.log("done")'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        OTEL_SERVICE_NAME: 'short',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        OTEL_EXPORTER_OTLP_TIMEOUT: '600000',
        MONITORING_INSTRUMENTATIONS: 'none',
        // Long enough for the flush to reach the collector on a loaded machine, far under the
        // exporter's timeout.
        MONITORING_SHUTDOWN_TIMEOUT_MS: '3000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (c) => (out += c));
    let code: number | null | undefined;
    child.on('exit', (c) => (code = c));
    try {
      // Without the bound the pending export keeps it alive for 10 minutes.
      await until(() => code !== undefined, 'the process to exit', 60_000);
    } finally {
      child.kill('SIGKILL');
    }
    expect(out).toBe('done\n');
    expect(code).toBe(3);
    // The request's bytes can reach this process's event loop after the child's exit does.
    await until(() => requests > 0, 'the exit flush to reach the collector', 10_000).catch(() => undefined);
    expect(requests).toBeGreaterThan(0); // it did try to flush
  }, 90_000);
});
