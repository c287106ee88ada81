import { diag } from '@opentelemetry/api';
import { redactSecrets } from './redact.js';

const reported = new Set<string>();

/**
 * Logs a warning through OTel's `diag` the first time `key` is seen, and never again for that key:
 * a bad record repeated a million times must not flood the logs. Bounded to 10,000 keys.
 * @internal
 */
export function reportOnce(key: string, message: string): void {
  if (reported.has(key)) return;
  if (reported.size >= 10_000) return;
  reported.add(key);
  diag.warn(`[service-infrastructure] ${redactSecrets(message)}`);
}

/** @internal test helper: forget what was reported. */
export function resetReported(): void {
  reported.clear();
}
