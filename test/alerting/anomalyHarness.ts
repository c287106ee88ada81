import { AnomalyDetector, type AnomalyDetectorOptions } from '../../src/alerting/AnomalyDetector.js';
import { mulberry32, normal } from '../helpers/seededRandom.js';

// Seeded synthetic series with injected anomalies, and the scoring used in docs/alerting.md:
// an alarm *onset* (a point flagged after one that was not) inside an event's detection window
// detects that event (later onsets in the same window are not counted either way); any other onset
// is a false alarm. Precision = detecting onsets / counted onsets, recall = detected / injected events,
// delay = points from the event's start to its first detecting onset.

export type Scenario = 'clean' | 'spikes' | 'level-shifts' | 'drifts' | 'seasonal-spikes';

export interface Series {
  readonly values: number[];
  /** Start index and detection window length of each injected event. */
  readonly events: { start: number; window: number }[];
  /** Milliseconds between points. */
  readonly stepMs: number;
}

const MEAN = 100;
const SD = 5;

export function generate(scenario: Scenario, n: number, seed: number): Series {
  const rand = mulberry32(seed);
  const stepMs = 300_000; // 5 minutes: 288 points a day
  const values: number[] = [];
  const events: { start: number; window: number }[] = [];
  const seasonal = (i: number) => (scenario === 'seasonal-spikes' ? 6 * SD * Math.sin((2 * Math.PI * (i % 288)) / 288) : 0);
  for (let i = 0; i < n; i++) values.push(MEAN + seasonal(i) + SD * normal(rand));
  // Events start after a warm-up and are spaced apart so windows never overlap.
  const starts: number[] = [];
  const count = scenario === 'clean' ? 0 : scenario === 'drifts' ? 8 : 20;
  const gap = Math.floor((n - 1000) / Math.max(count, 1));
  for (let e = 0; e < count; e++) starts.push(1000 + e * gap + Math.floor(rand() * (gap / 3)));
  let level = 0;
  for (const s of starts) {
    if (scenario === 'spikes' || scenario === 'seasonal-spikes') {
      const size = (6 + 4 * rand()) * SD * (rand() < 0.5 ? -1 : 1);
      values[s]! += size;
      events.push({ start: s, window: 1 });
    } else if (scenario === 'level-shifts') {
      // Each shift moves the level 6 to 10 sd up or down, and it stays there (until the next one).
      const delta = (6 + 4 * rand()) * SD * (level > 0 ? -1 : rand() < 0.5 ? 1 : -1);
      level += delta;
      for (let i = s; i < n; i++) values[i]! += delta;
      events.push({ start: s, window: 10 });
    } else if (scenario === 'drifts') {
      // A slow ramp of 8 sd over 400 points, then back down over the next 400.
      const len = 400;
      for (let i = 0; i < 2 * len && s + i < n; i++) values[s + i]! += 8 * SD * (i < len ? i / len : (2 * len - i) / len);
      events.push({ start: s, window: 2 * len });
    }
  }
  return { values, events, stepMs };
}

export interface Score {
  precision: number;
  recall: number;
  f1: number;
  /** Mean points from event start to detection. */
  delay: number;
  falseAlarms: number;
  points: number;
}

export function score(series: Series, flags: boolean[]): Score {
  let tp = 0;
  let fp = 0;
  let delaySum = 0;
  const detected = new Set<number>();
  for (let i = 0; i < flags.length; i++) {
    if (!flags[i] || (i > 0 && flags[i - 1])) continue;
    const e = series.events.findIndex((ev) => i >= ev.start && i < ev.start + ev.window);
    if (e < 0) fp++;
    else if (!detected.has(e)) {
      detected.add(e);
      tp++;
      delaySum += i - series.events[e]!.start;
    }
  }
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = series.events.length === 0 ? 1 : detected.size / series.events.length;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, delay: tp === 0 ? NaN : delaySum / tp, falseAlarms: fp, points: flags.length };
}

export function detectorFlags(series: Series, options: AnomalyDetectorOptions): boolean[] {
  const d = new AnomalyDetector(options);
  return series.values.map((v, i) => d.observe('s', v, i * series.stepMs).anomalous);
}

/** The best static band |x − 100| > k for this very series (tuned in hindsight, an optimistic baseline). */
export function bestStatic(series: Series): { k: number; score: Score } {
  let best: { k: number; score: Score } | undefined;
  for (let k = 1; k <= 20; k += 0.25) {
    const s = score(series, series.values.map((v) => Math.abs(v - MEAN) > k * SD));
    if (best === undefined || s.f1 > best.score.f1) best = { k, score: s };
  }
  return best!;
}
