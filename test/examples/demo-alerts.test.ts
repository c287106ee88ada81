import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnExample, stopChild } from '../helpers/spawnExample.js';
import { waitFor } from '../helpers/wait.js';

let child: ChildProcess | undefined;
afterEach(async () => {
  if (child) expect(await stopChild(child)).toBe(0);
  child = undefined;
});

interface ApiAlert {
  rule: string;
  state: string;
  fingerprint: string;
  annotations: Record<string, string>;
}

describe('examples/demo.js alerts', () => {
  it('a failing order makes OrdersFailing go pending, firing and resolved within a minute', { timeout: 90_000 }, async () => {
    const started = await spawnExample(['examples/demo.js'], /listening on (http:\/\/127\.0\.0\.1:\d+) \(mode/, { PORT: '0', DASHBOARD_PORT: '0' });
    child = started.child;
    const base = started.match[1]!;
    const rules = (await (await fetch(`${base}/alerting/rules`)).json()) as { rules: { name: string; state: string }[] };
    expect(rules.rules.map((r) => r.name)).toEqual(['OrdersFailing', 'SlowCheckout', 'SystemUnhealthy']);
    expect(rules.rules.find((r) => r.name === 'OrdersFailing')!.state).toBe('inactive');

    const failed = await fetch(`${base}/orders?fail=1`);
    expect(failed.status).toBe(500);
    const startedAt = Date.now();
    const seen: string[] = [];
    let fingerprint = '';
    // Poll the API as a user would, and keep every state change.
    while (Date.now() - startedAt < 75_000) {
      const { alerts } = (await (await fetch(`${base}/alerting/alerts?rule=OrdersFailing`)).json()) as { alerts: ApiAlert[] };
      const a = alerts[0];
      if (a !== undefined) {
        fingerprint ||= a.fingerprint;
        expect(a.fingerprint).toBe(fingerprint);
        if (seen[seen.length - 1] !== a.state) seen.push(a.state);
        if (a.state === 'firing') expect(a.annotations.summary).toMatch(/^\d+(\.\d+)? failed orders in the last 30 s$/);
        if (a.state === 'resolved') break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(seen).toEqual(['pending', 'firing', 'resolved']);
    // The log receiver printed the firing notification, and prints the resolution at the group's next look (10 s).
    expect(started.output()).toMatch(/\[alert\] console FIRING OrdersFailing\{outcome="failed",severity="warning"\} firing: 1 failed orders in the last 30 s/);
    await waitFor(() => /\[alert\] console RESOLVED OrdersFailing/.test(started.output()), 'the resolved notification on the console', 20_000, 250);
  });
});
