import { describe, expect, it } from 'vitest';
import { AnomalyDetector } from '../../src/alerting/AnomalyDetector.js';
import { bestStatic, detectorFlags, generate, score, type Scenario } from './anomalyHarness.js';

// The figures in docs/alerting.md come from this file (ANOMALY_TABLE=1 prints the table).
const SEEDS = [1, 2, 3, 4, 5];
const N = 10_000;

function run(scenario: Scenario, seasonal = false) {
  const rows = SEEDS.map((seed) => {
    const series = generate(scenario, N, seed);
    const detector = score(series, detectorFlags(series, seasonal ? { seasonality: 'hourOfDay' } : {}));
    return { detector, static: bestStatic(series) };
  });
  const mean = (f: (r: (typeof rows)[number]) => number) => rows.reduce((s, r) => s + f(r), 0) / rows.length;
  const delays = rows.map((r) => r.detector.delay).filter((d) => !Number.isNaN(d));
  return {
    scenario: seasonal ? `${scenario} (hourOfDay)` : scenario,
    f1: mean((r) => r.detector.f1),
    precision: mean((r) => r.detector.precision),
    recall: mean((r) => r.detector.recall),
    delay: delays.length > 0 ? delays.reduce((a, b) => a + b, 0) / delays.length : NaN,
    falseAlarmsPer10k: (rows.reduce((s, r) => s + r.detector.falseAlarms, 0) / (rows.length * N)) * 10_000,
    staticF1: mean((r) => r.static.score.f1),
    staticDelay: mean((r) => r.static.score.delay),
    staticFalseAlarmsPer10k: (rows.reduce((s, r) => s + r.static.score.falseAlarms, 0) / (rows.length * N)) * 10_000,
  };
}

describe('anomaly detection on seeded synthetic series (default settings: sensitivity 4.5, alpha 0.02)', () => {
  const results = [run('clean'), run('spikes'), run('level-shifts'), run('drifts'), run('seasonal-spikes'), run('seasonal-spikes', true)];
  if (process.env.ANOMALY_TABLE === '1') {
    const f = (v: number, d = 3) => (Number.isNaN(v) ? '–' : v.toFixed(d));
    console.log('| series | F1 | precision | recall | delay (points) | false alarms / 10k | static F1 | static delay | static false alarms / 10k |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of results) {
      // Clean noise has no events: only its false alarms mean anything.
      if (r.scenario === 'clean') {
        console.log(`| clean noise | – | – | – | – | ${f(r.falseAlarmsPer10k, 2)} | – | – | ${f(r.staticFalseAlarmsPer10k, 2)} |`);
        continue;
      }
      console.log(`| ${r.scenario} | ${f(r.f1)} | ${f(r.precision)} | ${f(r.recall)} | ${f(r.delay, 1)} | ${f(r.falseAlarmsPer10k, 2)} | ${f(r.staticF1)} | ${f(r.staticDelay, 1)} | ${f(r.staticFalseAlarmsPer10k, 2)} |`);
    }
  }
  const by = (name: string) => results.find((r) => r.scenario === name)!;

  it('meets the goals: F1 >= 0.9 on spikes and level shifts, <= 1 false alarm per 10,000 clean points', () => {
    expect(by('spikes').f1).toBeGreaterThanOrEqual(0.9);
    expect(by('level-shifts').f1).toBeGreaterThanOrEqual(0.9);
    expect(by('clean').falseAlarmsPer10k).toBeLessThanOrEqual(1);
    // Detected the moment they happen.
    expect(by('spikes').delay).toBe(0);
    expect(by('level-shifts').delay).toBeLessThan(1);
  });

  it('beats the best static threshold where the level moves, and the seasonal baseline helps on a daily cycle', () => {
    expect(by('level-shifts').f1).toBeGreaterThan(by('level-shifts').staticF1 + 0.3);
    expect(by('seasonal-spikes (hourOfDay)').f1).toBeGreaterThan(by('seasonal-spikes').f1);
    expect(by('seasonal-spikes (hourOfDay)').f1).toBeGreaterThan(by('seasonal-spikes').staticF1);
  });
});

describe('AnomalyDetector', () => {
  it('stays quiet before minSamples, honours direction, and a flat series does not give infinite scores', () => {
    const early = new AnomalyDetector({ minSamples: 10 });
    for (let i = 0; i < 9; i++) expect(early.observe('s', i === 5 ? 1000 : 10 + (i % 2), i).anomalous).toBe(false);
    const up = new AnomalyDetector({ direction: 'up', minSamples: 10 });
    const both = new AnomalyDetector({ minSamples: 10 });
    for (let i = 0; i < 40; i++) {
      up.observe('s', 10 + (i % 2), i);
      both.observe('s', 10 + (i % 2), i);
    }
    expect(up.observe('s', -100, 41).anomalous).toBe(false);
    expect(both.observe('s', -100, 41).anomalous).toBe(true);
    const v = up.observe('s', 100, 42);
    expect(v.anomalous).toBe(true);
    expect(v.score).toBeGreaterThan(4.5);
    const flat = new AnomalyDetector({ minSamples: 5 });
    for (let i = 0; i < 20; i++) flat.observe('f', 50, i);
    const wobble = flat.observe('f', 50.1, 21);
    expect(Number.isFinite(wobble.score)).toBe(true);
    expect(wobble.anomalous).toBe(false);
  });

  it('follows at most maxSeries series and counts the rest', () => {
    const d = new AnomalyDetector({ maxSeries: 2 });
    for (const k of ['a', 'b', 'c', 'd']) d.observe(k, 1, 0);
    expect(d.droppedSeries).toBe(2);
  });
});
