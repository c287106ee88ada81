import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/freePort.js';
import { distUrl, internalUrl, runScript } from '../helpers/runScript.js';

// A deadline that someone awaits must keep the process alive until it fires: with an unref'd
// timer a one-shot script awaiting it exits with code 13 ("unsettled top-level await") and prints
// nothing. Each case runs in its own process, as a CLI probe or a job would.
describe('awaited deadlines keep the process alive (issue 11, defect 7)', () => {
  it('withTimeout rejects at its deadline in a script with nothing else to keep it alive', async () => {
    const r = await runScript(`
      import { withTimeout } from ${JSON.stringify(internalUrl('internal/timeout.ts'))};
      try { await withTimeout(new Promise(() => {}), 100, 'probe'); } catch (err) { console.log(err.message); }
    `);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('probe did not finish within 100 ms');
  });

  it('a rollup query against a Redis that never accepts the connection fails at commandTimeoutMs', async () => {
    const port = await freePort();
    const r = await runScript(`
      import { RedisRollupQuery } from ${JSON.stringify(distUrl('distributed/index.js'))};
      const q = new RedisRollupQuery({ redis: { host: '127.0.0.1', port: ${port}, lazyConnect: true, retryStrategy: () => null }, commandTimeoutMs: 300 });
      try { await q.summary({ metric: 'm', windowSeconds: 60, from: 0, to: 60_000 }); console.log('answered'); }
      catch (err) { console.log('failed: ' + err.message); }
      await q.shutdown(200);
    `);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^failed: /);
  });

  it('EventBus.flush(timeout) answers false at its deadline while a subscriber hangs', async () => {
    const r = await runScript(`
      import { EventBus } from ${JSON.stringify(distUrl())};
      const bus = new EventBus();
      bus.subscribe('performance.metric.recorded', async () => new Promise(() => {}));
      bus.publish('performance.metric.recorded', { name: 'm', value: 1 });
      console.log('flushed: ' + (await bus.flush(100)));
    `);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('flushed: false');
  });
});
