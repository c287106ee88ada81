import type { Monitoring } from '../monitoring/createMonitoring.js';

// A process-wide slot (not a module variable): the loader hook may evaluate this package's files
// through more than one module graph, and the app must see the instance `register` built.
const SLOT = Symbol.for('service-infrastructure.registered-monitoring');

type Slot = { [SLOT]?: Monitoring | undefined };

/**
 * The monitoring handle built by `node --import service-infrastructure/register`, or undefined
 * when the process was not started that way. Lets an otherwise unmodified app reach the
 * coordinator, e.g. to measure phases inside a request handler.
 *
 * @example
 * const monitoring = getRegisteredMonitoring();
 * await monitoring?.coordinator.measure('load-order', () => loadOrder(id));
 */
export function getRegisteredMonitoring(): Monitoring | undefined {
  return (globalThis as Slot)[SLOT];
}

/** @internal */
export function setRegisteredMonitoring(monitoring: Monitoring | undefined): void {
  (globalThis as Slot)[SLOT] = monitoring;
}
