import { redactEvent } from '../internal/redact.js';
import type { MonitoringEvent } from '../events/types.js';

/**
 * Version tag of the stream entry format. An entry whose `v` field differs was written by
 * something else (or a future release) and is skipped as foreign rather than misread.
 */
export const WIRE_VERSION = '1';

/** Default upper bound on one entry's payload, in UTF-16 code units of the JSON text. */
export const DEFAULT_MAX_ENTRY_BYTES = 64 * 1024;

/** A monitoring event as it travels through Redis: the bus event plus who sent it and a unique id. */
export interface WireEvent {
  /** Unique per event and stable across resends: `<instance>-<sequence>`. Used for idempotency. */
  readonly id: string;
  /** `service.name` of the producer. */
  readonly service: string;
  /** Instance id of the producer process (or thread). */
  readonly instance: string;
  /** The bus event as published: `type`, `timestamp`, `traceId`, `spanId`, `attributes`, payload fields. */
  readonly event: WireEventBody;
}

/** The part of a `WireEvent` that came from the bus; validated on decode. */
export interface WireEventBody {
  readonly type: string;
  readonly timestamp: number;
  readonly traceId?: string;
  readonly spanId?: string;
  readonly attributes?: Readonly<Record<string, unknown>>;
  readonly [field: string]: unknown;
}

/** Why a stream entry could not be used. */
export type DecodeFailure = 'foreign' | 'oversized' | 'malformed';

/** Outcome of `decodeEntry`: the event, or the reason it was rejected. */
export type DecodeResult =
  | { readonly ok: true; readonly value: WireEvent; readonly json: string }
  | { readonly ok: false; readonly reason: DecodeFailure };

/** A value sample derived from an event, the unit the rollups aggregate. */
export interface EventSample {
  readonly metric: string;
  readonly value: number;
  /** Label set: the event's primitive attributes as strings (plus `status` for phases). */
  readonly labels: Readonly<Record<string, string>>;
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const MAX_NAME = 256;

/**
 * Serialises one bus event for a stream entry. Returns `undefined` when the payload cannot be
 * represented as JSON (a cycle or a BigInt in `details`), so the caller drops and counts it.
 * Runs in the publisher's flush, off the application's hot path.
 *
 * @example
 * const json = encodeEvent(event, 'checkout', 'checkout-7f3a', 'checkout-7f3a-42');
 * pipeline.xadd('si:events', 'MAXLEN', '~', 1e6, '*', 'v', WIRE_VERSION, 'd', json);
 */
export function encodeEvent(event: MonitoringEvent, service: string, instance: string, id: string): string | undefined {
  try {
    return JSON.stringify({ id, service, instance, event: redactEvent(event) });
  } catch {
    return undefined;
  }
}

/**
 * Decodes and validates one stream entry's field list (`['v', '1', 'd', '{...}']`). Never throws:
 * anything that is not an entry this SDK wrote is reported as `foreign`, `oversized` or `malformed`,
 * so the aggregator can count it, acknowledge it and move on.
 *
 * @example
 * const r = decodeEntry(fields);
 * if (r.ok) rollups.add(r.value); else stats[r.reason]++;
 */
export function decodeEntry(fields: readonly unknown[], maxBytes: number = DEFAULT_MAX_ENTRY_BYTES): DecodeResult {
  let version: unknown;
  let data: unknown;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i];
    if (name === 'v') version = fields[i + 1];
    else if (name === 'd') data = fields[i + 1];
  }
  if (version !== WIRE_VERSION || typeof data !== 'string') return FOREIGN;
  if (data.length > maxBytes) return OVERSIZED;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return MALFORMED;
  }
  return isWireEvent(parsed) ? { ok: true, value: parsed, json: data } : MALFORMED;
}

const FOREIGN: DecodeResult = Object.freeze({ ok: false, reason: 'foreign' });
const OVERSIZED: DecodeResult = Object.freeze({ ok: false, reason: 'oversized' });
const MALFORMED: DecodeResult = Object.freeze({ ok: false, reason: 'malformed' });

function isName(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_NAME;
}

/** Structural check of a decoded payload; the aggregator trusts nothing it reads from Redis. */
export function isWireEvent(v: unknown): v is WireEvent {
  if (typeof v !== 'object' || v === null) return false;
  const w = v as Record<string, unknown>;
  if (!isName(w['id']) || !isName(w['service']) || !isName(w['instance'])) return false;
  const e = w['event'];
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return false;
  const ev = e as Record<string, unknown>;
  if (!isName(ev['type'])) return false;
  const ts = ev['timestamp'];
  if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0) return false;
  const traceId = ev['traceId'];
  if (traceId !== undefined && (typeof traceId !== 'string' || !TRACE_ID.test(traceId))) return false;
  const spanId = ev['spanId'];
  if (spanId !== undefined && (typeof spanId !== 'string' || !SPAN_ID.test(spanId))) return false;
  const attrs = ev['attributes'];
  if (attrs !== undefined && (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs))) return false;
  return true;
}

/**
 * The value sample an event contributes to the rollups, or `undefined` for events that carry no
 * value (phase starts, status changes, ...; they still count for trace correlation).
 *
 * | event type | metric | value |
 * |---|---|---|
 * | `performance.metric.recorded` | `name` | `value` |
 * | `performance.phase.end` | `phase:<name>` (label `status`) | `durationMs` |
 * | `performance.operation.complete` | `operation:<name>` | `durationMs` |
 * | `health.check.completed` | `health:<check>` | `durationMs` |
 * | `validation.completed` / `validation.failed` | `validation:<validator>` (label `status`) | `durationMs` |
 *
 * @example
 * sampleOf({ type: 'performance.metric.recorded', name: 'queue_depth', value: 3, timestamp: 0 })
 * // → { metric: 'queue_depth', value: 3, labels: {} }
 */
export function sampleOf(event: WireEventBody): EventSample | undefined {
  let metric: unknown;
  let value: unknown;
  let status: string | undefined;
  switch (event.type) {
    case 'performance.metric.recorded':
      metric = event['name'];
      value = event['value'];
      break;
    case 'performance.phase.end':
      metric = typeof event['name'] === 'string' ? `phase:${event['name']}` : undefined;
      value = event['durationMs'];
      status = event['status'] === 'error' ? 'error' : 'ok';
      break;
    case 'performance.operation.complete':
      metric = typeof event['name'] === 'string' ? `operation:${event['name']}` : undefined;
      value = event['durationMs'];
      break;
    case 'health.check.completed':
      metric = typeof event['check'] === 'string' ? `health:${event['check']}` : undefined;
      value = event['durationMs'];
      break;
    case 'validation.completed':
    case 'validation.failed':
      metric = typeof event['validator'] === 'string' ? `validation:${event['validator']}` : undefined;
      value = event['durationMs'];
      status = event.type === 'validation.failed' ? 'error' : 'ok';
      break;
    default:
      return undefined;
  }
  if (!isName(metric) || typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  const labels: Record<string, string> = {};
  const attrs = event.attributes;
  if (attrs !== undefined) {
    for (const key in attrs) {
      const v = attrs[key];
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') labels[key] = String(v);
    }
  }
  if (status !== undefined) labels['status'] = status;
  return { metric, value, labels };
}
