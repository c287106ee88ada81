import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MonitoringMode } from '../../src/config/MonitoringMode.js';
import { createPrometheusEndpoint } from '../../src/export/PrometheusEndpoint.js';
import { createMonitoring } from '../../src/monitoring/createMonitoring.js';
import { waitFor } from '../helpers/wait.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe('stalled scrapers (issue 11, defect 3)', () => {
  it('scrapers that send GET /metrics and never read are cut off at responseTimeoutMs, and their slots serve others', async () => {
    const m = createMonitoring({ mode: MonitoringMode.DIRECT, serviceName: 'stall' }, { registerGlobal: false });
    cleanups.push(() => m.shutdown());
    // ~20 MB of exposition: far more than the loopback socket buffers hold, so a scraper that
    // does not read leaves the response unfinished.
    const pad = 'v'.repeat(1000);
    for (let f = 0; f < 10; f++) for (let i = 0; i < 2000; i++) m.collector.incrementCounter(`big_${f}_total`, { id: `${pad}${i}` });
    const endpoint = createPrometheusEndpoint(m, { port: 0, responseTimeoutMs: 1000 });
    const { port, url } = await endpoint.listen();
    cleanups.push(() => endpoint.shutdown(1000));

    const stalled: Socket[] = [];
    for (let i = 0; i < 4; i++) {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => {});
      s.write('GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      s.pause();
      stalled.push(s);
      cleanups.push(() => void s.destroy());
    }
    // While the four hold every slot, other scrapes are refused (polled: the server must first
    // have accepted all four)...
    await waitFor(async () => (await fetch(url)).status === 503, 'the four stalled scrapes to hold every slot', 60_000, 20);
    // ...until their deadline cuts them off, and a scraper that reads gets the whole exposition.
    const body = await waitFor(async () => {
      const res = await fetch(url);
      return res.status === 200 ? res.text() : (await res.arrayBuffer(), undefined);
    }, 'a scrape slot to be freed', 60_000, 100);
    expect(body).toContain(`big_9_total{id="${pad}1999"} 1\n`);
    expect(stalled).toHaveLength(4);
  }, 150_000);
});
