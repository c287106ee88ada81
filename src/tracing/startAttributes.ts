import type { TracerProvider } from '@opentelemetry/api';

// Tracer providers this SDK built with nothing in them that reads a span's attributes when it
// starts: the samplers `createSampler` makes decide on the parent and a rate, a ratio or nothing,
// and the SDK's span processors (the recent-span store, OTLP's batch processor, the console one)
// do nothing in `onStart`. A provider given extra span processors is not one of them.
const PROVIDERS = new WeakSet<TracerProvider>();

/** @internal Marks `provider` as one whose sampler and span processors read no attributes at span start. */
export function markReadsNoStartAttributes(provider: TracerProvider): void {
  PROVIDERS.add(provider);
}

/**
 * @internal Whether an instrumentation may set a span's attributes right after starting it
 * instead of passing them to `startSpan`. The span ends up the same, with the same limits applied,
 * and cheaper: `startSpan` copies and checks the attributes it is given twice before the span
 * checks them a third time, while `setAttributes` checks them once.
 */
export function readsNoStartAttributes(provider: TracerProvider): boolean {
  return PROVIDERS.has(provider);
}
