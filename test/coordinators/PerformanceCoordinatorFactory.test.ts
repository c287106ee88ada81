import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  DirectPerformanceCoordinator,
  EventDrivenPerformanceCoordinator,
  InvalidCoordinatorError,
  MonitoringMode,
  MonitoringSettings,
  NoopPerformanceCoordinator,
  PerformanceCoordinatorFactory,
  createMonitoring,
  type CoordinatorDependencies,
  type IPerformanceCoordinator,
  type Monitoring,
  type PerformanceSnapshot,
  type PhaseHandle,
} from '../../src/index.js';

const settings = (mode: MonitoringMode) => new MonitoringSettings({ mode }, {});
const built: { shutdown(timeoutMs?: number): Promise<void> }[] = [];
afterEach(async () => {
  for (const b of built.splice(0)) await b.shutdown(300);
});

class CountingCoordinator extends NoopPerformanceCoordinator {
  readonly seen: string[] = [];
  constructor(readonly deps: CoordinatorDependencies) {
    super();
  }
  override startPhase(name: string): PhaseHandle {
    this.seen.push(name);
    return super.startPhase(name);
  }
}

describe('PerformanceCoordinatorFactory', () => {
  it('picks the coordinator for each mode', () => {
    const direct = PerformanceCoordinatorFactory.create(settings(MonitoringMode.DIRECT));
    const events = PerformanceCoordinatorFactory.create(settings(MonitoringMode.EVENT_DRIVEN));
    built.push(direct, events);
    expect(PerformanceCoordinatorFactory.create(settings(MonitoringMode.DISABLED))).toBeInstanceOf(NoopPerformanceCoordinator);
    expect(direct).toBeInstanceOf(DirectPerformanceCoordinator);
    expect(direct).not.toBeInstanceOf(EventDrivenPerformanceCoordinator);
    expect(events).toBeInstanceOf(EventDrivenPerformanceCoordinator);
  });

  it('CUSTOM takes a class or a factory and passes the dependencies', () => {
    const s = settings(MonitoringMode.CUSTOM);
    const fromClass = PerformanceCoordinatorFactory.create(s, {}, CountingCoordinator) as CountingCoordinator;
    fromClass.startPhase('a');
    expect(fromClass.seen).toEqual(['a']);
    expect(fromClass.deps.settings).toBe(s);
    const fromFactory = PerformanceCoordinatorFactory.create(s, {}, (deps) => new CountingCoordinator(deps));
    expect(fromFactory).toBeInstanceOf(CountingCoordinator);
  });

  it('CUSTOM checks the interface and names what is missing', () => {
    const s = settings(MonitoringMode.CUSTOM);
    const half = () => ({ startPhase() {}, measure() {} }) as unknown as IPerformanceCoordinator;
    expect(() => PerformanceCoordinatorFactory.create(s, {}, half)).toThrow(InvalidCoordinatorError);
    expect(() => PerformanceCoordinatorFactory.create(s, {}, half)).toThrow(/recordOperation, recordMetric, getSnapshot, forceFlush, shutdown/);
    expect(() => PerformanceCoordinatorFactory.create(s)).toThrow(ConfigurationError);
  });
});

describe('NoopPerformanceCoordinator', () => {
  it('keeps the interface and records nothing', async () => {
    const c = new NoopPerformanceCoordinator();
    const a = c.startPhase('a');
    expect(c.startPhase('b')).toBe(a);
    expect(a.end()).toBe(0);
    expect(c.measure('m', () => 7)).toBe(7);
    expect(await c.measure('m', async () => 8)).toBe(8);
    c.recordOperation('o', 1);
    c.recordMetric('x', 1);
    const snap: PerformanceSnapshot = c.getSnapshot();
    expect(snap).toMatchObject({ mode: 'disabled', phases: {}, operations: {}, recent: [] });
    await c.shutdown();
  });
});

describe('createMonitoring', () => {
  let m: Monitoring | undefined;
  afterEach(async () => {
    await m?.shutdown();
    m = undefined;
  });

  it('wires a CUSTOM coordinator with the shared collector and bus', () => {
    m = createMonitoring({ mode: MonitoringMode.CUSTOM }, { coordinator: CountingCoordinator, registerGlobal: false });
    const c = m.coordinator as CountingCoordinator;
    expect(c.deps.collector).toBe(m.collector);
    expect(c.deps.events).toBe(m.events);
  });

  it('DISABLED mode uses the noop coordinator and exports nothing', () => {
    m = createMonitoring({ mode: MonitoringMode.DISABLED }, { registerGlobal: false });
    expect(m.coordinator).toBeInstanceOf(NoopPerformanceCoordinator);
    m.coordinator.startPhase('x').end();
    expect(m.spanStore.spans()).toEqual([]);
  });

  it('registers globals and gives them back on shutdown', async () => {
    const { trace } = await import('@opentelemetry/api');
    m = createMonitoring({ mode: MonitoringMode.DIRECT });
    trace.getTracer('global-user').startSpan('via-global').end();
    expect(m.spanStore.spans().map((s) => s.name)).toContain('via-global');
    await m.shutdown();
    await m.shutdown();
    m = undefined;
    expect(trace.getTracer('x').startSpan('after').isRecording()).toBe(false);
  });
});
