import type { DDSketch } from '@datadog/sketches-js';
import { lazyRequire } from './lazyRequire.js';

// @datadog/sketches-js is 14 CommonJS modules (with its protobuf message code), ~14 ms of a cold
// import: loaded when the first sketch is built (a histogram series' first record, a summary, a
// rollup), never on the record path itself. See docs/import-cost.md.
const sketches = lazyRequire<typeof import('@datadog/sketches-js')>('@datadog/sketches-js');

/**
 * A new DDSketch with the given relative accuracy, loading the package on first use.
 *
 * @example
 * const s = newDDSketch(0.01); s.accept(12); s.getValueAtQuantile(0.99);
 * @internal
 */
export function newDDSketch(relativeAccuracy: number): DDSketch {
  return new (sketches().DDSketch)({ relativeAccuracy });
}
