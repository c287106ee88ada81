import {
  INVALID_SPAN_CONTEXT,
  SamplingDecision,
  SpanStatusCode,
  TraceFlags,
  diag,
  trace,
  type Attributes,
  type AttributeValue,
  type Context,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
  type TimeInput,
  type TracerProvider,
} from '@opentelemetry/api';
import { addHrTimes, hrTimeDuration, isAttributeValue, isTimeInput, isTracingSuppressed, millisToHrTime, sanitizeAttributes, timeInputToHrTime, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { IdGenerator, ReadableSpan, Sampler, Span as SdkSpan, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace-base';

// Decision 006: the SERVER span of a traced request is this class, not the SDK's, when the tracer
// provider is one `createMonitoring` built. It is the SDK span's contract (`Span` for the code
// that writes to it, `ReadableSpan` for the processors and exporters that read it) with a
// quarter of the work: the instrumentation hands it the clock readings it already took, its
// times are turned into `HrTime` only when read, and the attributes object it is given is kept
// when every value is valid and within the limits. Everything else (ids, the sampler, the span
// processors, the resource) is the provider's own.

/**
 * The count limits `NodeTracerProvider` applies when given none, which are the ones
 * `createMonitoring` uses. Its default value length limit is none, so nothing is truncated.
 */
const LIMITS = Object.freeze({ attributes: 128, events: 128, links: 128, attributesPerEvent: 128, attributesPerLink: 128 });

// A new span shares these until its first attribute, link, event or status (most SERVER spans
// get no link, event or status): readers only read them, and the writers below replace them
// before writing. The sampler is handed the first two as well.
const NO_ATTRIBUTES: Attributes = Object.freeze({});
const NO_LINKS: Link[] = Object.freeze([]) as unknown as Link[];
const NO_EVENTS: TimedEvent[] = Object.freeze([]) as unknown as TimedEvent[];
const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });

/** What a provider is built from, handed to {@link enableLeanSpans} by whoever builds it. */
export interface LeanTracerParts {
  readonly resource: Resource;
  readonly sampler: Sampler;
  readonly idGenerator: IdGenerator;
  /** The provider's span processors, in its order (the same array it was given). */
  readonly spanProcessors: readonly SpanProcessor[];
}

const PARTS = new WeakMap<TracerProvider, LeanTracerParts>();

/**
 * @internal Lets instrumentations start lean spans for `provider`. Only for a provider whose
 * sampler and span processors read nothing of a span at its start but its context (the samplers
 * `createSampler` makes, and the SDK's store, batch and simple processors), built without
 * `spanLimits` (see `LIMITS`).
 */
export function enableLeanSpans(provider: TracerProvider, parts: LeanTracerParts): void {
  PARTS.set(provider, parts);
}

/** @internal A lean tracer for `provider`, or undefined when it was not built for them. */
export function leanTracer(provider: TracerProvider, name: string, version?: string): LeanTracer | undefined {
  const parts = PARTS.get(provider);
  // The same fields as the SDK tracer's scope, `undefined` ones included.
  return parts === undefined ? undefined : new LeanTracer(parts, { name, version, schemaUrl: undefined } as unknown as InstrumentationScope);
}

// Times: a span keeps its `performance.now()` readings and the wall-clock time of
// `performance.now() === 0`, and builds `HrTime`s when they are read (by a processor, after it
// ends). The origin is Date.now() - performance.now(), taken again when a second has passed, so
// a span's start follows the wall clock as the SDK's does (it reads Date.now() per span) and a
// long-running process does not drift from it.
let origin = Date.now() - performance.now();
let anchoredAt = performance.now();

function originAt(now: number): number {
  if (now - anchoredAt > 1000 || now < anchoredAt) {
    anchoredAt = performance.now();
    origin = Date.now() - anchoredAt;
  }
  return origin;
}

/** The wall-clock `HrTime` of `now`, a `performance.now()` reading, given the origin it is read against. */
function hrAt(origin: number, now: number): HrTime {
  return addHrTimes(millisToHrTime(origin), millisToHrTime(now));
}

/** @internal Starts spans the way the SDK's tracer does, for one instrumentation scope. */
export class LeanTracer {
  constructor(
    private readonly _parts: LeanTracerParts,
    private readonly _scope: InstrumentationScope,
  ) {}

  /**
   * A span started at `now` (a `performance.now()` reading) under `parent`, whose span context
   * (if valid) is `parentSpanContext`. As the SDK's `Tracer.startSpan`: new ids, the provider's
   * sampler decides, a dropped span is a non-recording one, processors see a recorded one start.
   */
  startSpan(name: string, kind: SpanKind, parent: Context, parentSpanContext: SpanContext | undefined, now: number): Span {
    if (isTracingSuppressed(parent)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    const ids = this._parts.idGenerator;
    const spanId = ids.generateSpanId();
    const traceId = parentSpanContext === undefined ? ids.generateTraceId() : parentSpanContext.traceId;
    // The samplers this is enabled for read no attributes; the span's are set after the decision.
    const result = this._parts.sampler.shouldSample(parent, traceId, name, kind, NO_ATTRIBUTES, NO_LINKS);
    const traceState = result.traceState ?? parentSpanContext?.traceState;
    const sampled = result.decision === SamplingDecision.RECORD_AND_SAMPLED;
    const spanContext = { traceId, spanId, traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE, traceState } as SpanContext;
    if (result.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(spanContext);
    const span = new LeanSpan(this._parts, this._scope, spanContext, parentSpanContext, name, kind, now);
    // None of the samplers this is enabled for returns attributes. One that did would see the
    // instrumentation's attributes set over its own, where the SDK lets the sampler's win.
    if (result.attributes !== undefined) span.setAttributes(result.attributes);
    const processors = this._parts.spanProcessors;
    for (let i = 0; i < processors.length; i++) processors[i]!.onStart(span, parent);
    return span;
  }
}

/** @internal A recording span with the SDK span's behaviour, for {@link LeanTracer}. */
export class LeanSpan implements SdkSpan, ReadableSpan {
  declare readonly parentSpanContext?: SpanContext;
  attributes: Attributes = NO_ATTRIBUTES;
  links: Link[] = NO_LINKS;
  events: TimedEvent[] = NO_EVENTS;
  status: SpanStatus = UNSET;
  ended = false;
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  private _attributesCount = 0;
  private readonly _origin: number;
  private _end = 0;
  /** Set when `end()` was given a time: it wins over `_end`. */
  private _endTime: HrTime | undefined = undefined;
  private _startTime: HrTime | undefined = undefined;

  constructor(
    private readonly _parts: LeanTracerParts,
    readonly instrumentationScope: InstrumentationScope,
    private readonly _spanContext: SpanContext,
    parentSpanContext: SpanContext | undefined,
    public name: string,
    readonly kind: SpanKind,
    private readonly _start: number,
  ) {
    // Present when undefined too, as on the SDK's span (one shape for roots and children).
    (this as { parentSpanContext: SpanContext | undefined }).parentSpanContext = parentSpanContext;
    this._origin = originAt(_start);
  }

  get resource(): Resource {
    return this._parts.resource;
  }

  get startTime(): HrTime {
    return (this._startTime ??= hrAt(this._origin, this._start));
  }

  get endTime(): HrTime {
    if (this._endTime !== undefined) return this._endTime;
    return this.ended ? (this._endTime = hrAt(this._origin, this._end)) : [0, 0];
  }

  get duration(): HrTime {
    return this.ended ? hrTimeDuration(this.startTime, this.endTime) : [-1, -1];
  }

  spanContext(): SpanContext {
    return this._spanContext;
  }

  isRecording(): boolean {
    return !this.ended;
  }

  /**
   * Sets the first attributes from `attributes`, a plain object the caller built for this span and
   * gives up: it is kept as the span's own when every value is a string, number or boolean and
   * there are no more than the limit, else its entries are set one by one as `setAttributes` does.
   */
  initAttributes(attributes: Attributes): this {
    if (this.attributes !== NO_ATTRIBUTES || this.ended) return this.setAttributes(attributes);
    let count = 0;
    for (const key in attributes) {
      const type = typeof attributes[key];
      // Anything else (an array, a value to drop, an empty key) takes the checked way.
      if ((type !== 'string' && type !== 'number' && type !== 'boolean') || key.length === 0) return this.setAttributes(attributes);
      count++;
    }
    if (count > LIMITS.attributes) return this.setAttributes(attributes);
    this.attributes = attributes;
    this._attributesCount = count;
    return this;
  }

  setAttribute(key: string, value?: AttributeValue): this {
    if (value == null || this._endedWarning()) return this;
    if (key.length === 0) {
      diag.warn(`Invalid attribute key: ${key}`);
      return this;
    }
    if (!isAttributeValue(value)) {
      diag.warn(`Invalid attribute value set for key: ${key}`);
      return this;
    }
    if (this.attributes === NO_ATTRIBUTES) this.attributes = {};
    const isNew = !Object.prototype.hasOwnProperty.call(this.attributes, key);
    if (isNew && this._attributesCount >= LIMITS.attributes) {
      this.droppedAttributesCount++;
      return this;
    }
    this.attributes[key] = value;
    if (isNew) this._attributesCount++;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) {
      if (Object.prototype.hasOwnProperty.call(attributes, key)) this.setAttribute(key, attributes[key]);
    }
    return this;
  }

  addEvent(name: string, attributesOrStartTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this._endedWarning()) return this;
    if (this.events === NO_EVENTS) this.events = [];
    if (this.events.length >= LIMITS.events) {
      if (this.droppedEventsCount === 0) diag.debug('Dropping extra events.');
      this.events.shift();
      this.droppedEventsCount++;
    }
    let attributes = attributesOrStartTime as Attributes | undefined;
    if (isTimeInput(attributesOrStartTime)) {
      if (!isTimeInput(time)) time = attributesOrStartTime;
      attributes = undefined;
    }
    const { kept, dropped } = limitedAttributes(attributes, LIMITS.attributesPerEvent);
    this.events.push({ name, attributes: kept, time: this._time(time), droppedAttributesCount: dropped });
    return this;
  }

  addLink(link: Link): this {
    if (this._endedWarning()) return this;
    if (this.links === NO_LINKS) this.links = [];
    if (this.links.length >= LIMITS.links) {
      if (this.droppedLinksCount === 0) diag.debug('Dropping extra links.');
      this.links.shift();
      this.droppedLinksCount++;
    }
    const { kept, dropped } = limitedAttributes(link.attributes, LIMITS.attributesPerLink);
    const out: Link = { context: link.context };
    if (Object.keys(kept).length > 0) out.attributes = kept;
    if (dropped > 0) out.droppedAttributesCount = dropped;
    this.links.push(out);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this._endedWarning() || status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    const next: SpanStatus = { code: status.code };
    if (status.code === SpanStatusCode.ERROR) {
      if (typeof status.message === 'string') next.message = status.message;
      else if (status.message != null) diag.warn(`Dropping invalid status.message of type '${typeof status.message}', expected 'string'`);
    }
    this.status = next;
    return this;
  }

  updateName(name: string): this {
    if (!this._endedWarning()) this.name = name;
    return this;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') {
      attributes['exception.message'] = exception;
    } else if (exception) {
      if (exception.code) attributes['exception.type'] = exception.code.toString();
      else if (exception.name) attributes['exception.type'] = exception.name;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] !== undefined || attributes['exception.message'] !== undefined) this.addEvent('exception', attributes, time);
    else diag.warn(`Failed to record an exception ${String(exception)}`);
  }

  /** Ends the span now. */
  end(endTime?: TimeInput): void {
    if (endTime === undefined) this.endAt(performance.now());
    else this._endWith(endTime);
  }

  /** @internal Ends the span at `now`, a `performance.now()` reading the caller already took. */
  endAt(now: number): void {
    if (this._endedTwice()) return;
    this._end = now < this._start ? this._start : now;
    this._finish();
  }

  private _endWith(endTime: TimeInput): void {
    if (this._endedTwice()) return;
    let end = this._time(endTime);
    if (hrTimeDuration(this.startTime, end)[0] < 0) {
      diag.warn('Inconsistent start and end time, startTime > endTime. Setting span duration to 0ms.', this.startTime, end);
      end = this.startTime.slice() as HrTime;
    }
    this._endTime = end;
    this._finish();
  }

  private _finish(): void {
    const processors = this._parts.spanProcessors;
    for (let i = 0; i < processors.length; i++) processors[i]!.onEnding?.(this);
    this.ended = true;
    for (let i = 0; i < processors.length; i++) processors[i]!.onEnd(this);
  }

  /** A time given to `addEvent` or `end`, as the SDK reads it: a `performance.now()` reading, epoch ms, a Date or an HrTime. */
  private _time(input: TimeInput | undefined): HrTime {
    if (input === undefined) return hrAt(this._origin, performance.now());
    if (typeof input === 'number' && input <= performance.now()) return hrAt(this._origin, input);
    return timeInputToHrTime(input);
  }

  private _endedTwice(): boolean {
    if (!this._endedWarning()) return false;
    diag.error(`${this.name} ${this._spanContext.traceId}-${this._spanContext.spanId} - You can only call end() on a span once.`);
    return true;
  }

  /** True once ended, saying so as the SDK span does. */
  private _endedWarning(): boolean {
    if (this.ended) diag.warn(`Cannot execute the operation on ended Span {traceId: ${this._spanContext.traceId}, spanId: ${this._spanContext.spanId}}`);
    return this.ended;
  }
}

/** An event's or link's attributes: the valid ones (the SDK's check, a copy), the first `limit` of them kept. */
function limitedAttributes(attributes: Attributes | undefined, limit: number): { kept: Attributes; dropped: number } {
  const kept = sanitizeAttributes(attributes);
  let seen = 0;
  let dropped = 0;
  for (const key in kept) {
    if (++seen <= limit) continue;
    delete kept[key];
    dropped++;
  }
  return { kept, dropped };
}
