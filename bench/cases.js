// Benchmark cases. Each case builds its subject in `setup` (imports are lazy, so a process loads
// only what its case needs) and returns `run(n)`, which performs the operation n times.
// Every group measures the same operation on this SDK and on its peers; `base` names the peer the
// ratios are computed against.

const LABELS = [
  { method: 'GET', route: '/users', status: '200' },
  { method: 'POST', route: '/orders', status: '201' },
  { method: 'GET', route: '/health', status: '200' },
  { method: 'DELETE', route: '/users', status: '404' },
];
const LABEL_VALUES = LABELS.map((l) => [l.method, l.route, l.status]);
const NAMES = ['method', 'route', 'status'];
// A fixed, varied input for histograms, so every peer records the same values.
const VALUES = new Float64Array(4096);
for (let i = 0, x = 12345; i < VALUES.length; i++) {
  x = (Math.imul(x, 1103515245) + 12345) >>> 0;
  VALUES[i] = 0.1 + (x / 4294967296) * 900;
}

const sdk = () => import('../dist/index.js');
const promClient = async () => (await import('prom-client')).default;

async function otelMeter(views) {
  const { MeterProvider, MetricReader } = await import('@opentelemetry/sdk-metrics');
  class Reader extends MetricReader {
    async onForceFlush() {}
    async onShutdown() {}
  }
  const provider = new MeterProvider({ readers: [new Reader()], ...(views ? { views } : {}) });
  return provider.getMeter('bench');
}

/** The span pipeline both phase cases share: NodeTracerProvider + BatchSpanProcessor over a no-op exporter. */
async function tracerProvider() {
  const { BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const { NodeTracerProvider } = await import('@opentelemetry/sdk-trace-node');
  const exporter = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {}, forceFlush: async () => {} };
  return new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
}

export const CASES = [
  // ---- counter +1 with 3 labels
  {
    id: 'counter3.si.bound', group: 'counter +1, 3 labels', label: 'SDK bound handle .inc()', base: 'counter3.otel',
    async setup() {
      const { MemoryCollector } = await sdk();
      const c = new MemoryCollector().counter('requests_total');
      const bound = LABELS.map((l) => c.bind(l));
      return (n) => { for (let i = 0; i < n; i++) bound[i & 3].inc(); };
    },
  },
  {
    // The same bound counter on a createMonitoring handle with 100 alert rules over it (threshold,
    // ratio, quantile, absence, anomaly), evaluated every 10 ms between the timed batches: rules
    // read the series on their own tick, so the record path must cost what it costs without them.
    id: 'counter3.si.bound.alerting', group: 'counter +1, 3 labels', label: 'SDK bound .inc(), 100 alert rules loaded',
    async setup() {
      const { createMonitoring, MonitoringMode } = await sdk();
      const { createAlerting } = await import('../dist/alerting/index.js');
      const m = createMonitoring({ mode: MonitoringMode.DIRECT }, { registerGlobal: false });
      const c = m.collector.counter('requests_total');
      const bound = LABELS.map((l) => c.bind(l));
      const fns = ['rate', 'increase', 'last', 'max_over_time'];
      const rules = [];
      for (let i = 0; i < 100; i++) {
        const l = LABELS[i & 3];
        if (i % 10 === 8) rules.push({ kind: 'absence', name: `R${i}`, metric: 'requests_total', matchers: { route: l.route }, window: '1m' });
        else if (i % 10 === 9) rules.push({ kind: 'anomaly', name: `R${i}`, metric: 'requests_total', fn: 'rate', window: '1m', by: ['route'] });
        else if (i % 10 === 7) rules.push({ kind: 'threshold', name: `R${i}`, metric: 'requests_total', matchers: { status: '404' }, fn: 'rate', window: '1m', denominator: { metric: 'requests_total' }, by: ['route'], op: '>', threshold: 0.5, for: '1m' });
        else rules.push({ kind: 'threshold', name: `R${i}`, metric: 'requests_total', matchers: { method: l.method, route: l.route }, fn: fns[i & 3], window: '5m', op: '>', threshold: 1e12, for: '1m' });
      }
      createAlerting(m, { rules, evaluationInterval: '10ms' });
      return (n) => { for (let i = 0; i < n; i++) bound[i & 3].inc(); };
    },
  },
  {
    id: 'counter3.si.declared', group: 'counter +1, 3 labels', label: 'SDK counter.add(1, labels)',
    async setup() {
      const { MemoryCollector } = await sdk();
      const c = new MemoryCollector().counter('requests_total');
      return (n) => { for (let i = 0; i < n; i++) c.add(1, LABELS[i & 3]); };
    },
  },
  {
    id: 'counter3.si.increment', group: 'counter +1, 3 labels', label: 'SDK incrementCounter(name, labels)',
    async setup() {
      const { MemoryCollector } = await sdk();
      const c = new MemoryCollector();
      return (n) => { for (let i = 0; i < n; i++) c.incrementCounter('requests_total', LABELS[i & 3]); };
    },
  },
  {
    id: 'counter3.otel', group: 'counter +1, 3 labels', label: 'OTel counter.add(1, attrs)',
    async setup() {
      const c = (await otelMeter()).createCounter('requests_total');
      return (n) => { for (let i = 0; i < n; i++) c.add(1, LABELS[i & 3]); };
    },
  },
  {
    id: 'counter3.prom', group: 'counter +1, 3 labels', label: 'prom-client inc(labels)',
    async setup() {
      const client = await promClient();
      const c = new client.Counter({ name: 'requests_total', help: 'h', labelNames: NAMES, registers: [new client.Registry()] });
      return (n) => { for (let i = 0; i < n; i++) c.inc(LABELS[i & 3]); };
    },
  },
  {
    id: 'counter3.prom.child', group: 'counter +1, 3 labels', label: 'prom-client labels(...) child .inc()',
    async setup() {
      const client = await promClient();
      const c = new client.Counter({ name: 'requests_total', help: 'h', labelNames: NAMES, registers: [new client.Registry()] });
      const children = LABEL_VALUES.map((v) => c.labels(...v));
      return (n) => { for (let i = 0; i < n; i++) children[i & 3].inc(); };
    },
  },
  {
    id: 'counter3.floor', group: 'counter +1, 3 labels', label: 'floor: Map.get + ++',
    async setup() {
      const m = new Map(LABELS.map((l) => [l, { v: 0 }]));
      return (n) => { for (let i = 0; i < n; i++) m.get(LABELS[i & 3]).v++; };
    },
  },
  // ---- counter +1, no labels
  {
    id: 'counter0.si.bound', group: 'counter +1, no labels', label: 'SDK bound handle .inc()', base: 'counter0.otel',
    async setup() {
      const { MemoryCollector } = await sdk();
      const b = new MemoryCollector().counter('requests_total').bind();
      return (n) => { for (let i = 0; i < n; i++) b.inc(); };
    },
  },
  {
    id: 'counter0.si.increment', group: 'counter +1, no labels', label: 'SDK incrementCounter(name)',
    async setup() {
      const { MemoryCollector } = await sdk();
      const c = new MemoryCollector();
      return (n) => { for (let i = 0; i < n; i++) c.incrementCounter('requests_total'); };
    },
  },
  {
    id: 'counter0.otel', group: 'counter +1, no labels', label: 'OTel counter.add(1)',
    async setup() {
      const c = (await otelMeter()).createCounter('requests_total');
      return (n) => { for (let i = 0; i < n; i++) c.add(1); };
    },
  },
  {
    id: 'counter0.prom', group: 'counter +1, no labels', label: 'prom-client inc()',
    async setup() {
      const client = await promClient();
      const c = new client.Counter({ name: 'requests_total', help: 'h', registers: [new client.Registry()] });
      return (n) => { for (let i = 0; i < n; i++) c.inc(); };
    },
  },
  // ---- histogram record with 3 labels
  {
    id: 'hist3.si.bound', group: 'histogram record, 3 labels', label: 'SDK bound .record() (+DDSketch)', base: 'hist3.otel',
    async setup() {
      const { MemoryCollector } = await sdk();
      const h = new MemoryCollector().histogram('latency_ms');
      const bound = LABELS.map((l) => h.bind(l));
      return (n) => { for (let i = 0; i < n; i++) bound[i & 3].record(VALUES[i & 4095]); };
    },
  },
  {
    id: 'hist3.si.bound.nosketch', group: 'histogram record, 3 labels', label: 'SDK bound .record() (buckets only)',
    async setup() {
      const { MemoryCollector } = await sdk();
      const h = new MemoryCollector({ detailed: false }).histogram('latency_ms');
      const bound = LABELS.map((l) => h.bind(l));
      return (n) => { for (let i = 0; i < n; i++) bound[i & 3].record(VALUES[i & 4095]); };
    },
  },
  {
    id: 'hist3.si.sampled', group: 'histogram record, 3 labels', label: 'SDK bound, sampleOneIn: 10',
    async setup() {
      const { MemoryCollector } = await sdk();
      const h = new MemoryCollector().histogram('latency_ms', { sampleOneIn: 10 });
      const bound = LABELS.map((l) => h.bind(l));
      return (n) => { for (let i = 0; i < n; i++) bound[i & 3].record(VALUES[i & 4095]); };
    },
  },
  {
    id: 'hist3.si.record', group: 'histogram record, 3 labels', label: 'SDK recordHistogram(name, v, labels)',
    async setup() {
      const { MemoryCollector } = await sdk();
      const c = new MemoryCollector();
      return (n) => { for (let i = 0; i < n; i++) c.recordHistogram('latency_ms', VALUES[i & 4095], LABELS[i & 3]); };
    },
  },
  {
    id: 'hist3.otel', group: 'histogram record, 3 labels', label: 'OTel histogram.record(v, attrs)',
    async setup() {
      const h = (await otelMeter()).createHistogram('latency_ms');
      return (n) => { for (let i = 0; i < n; i++) h.record(VALUES[i & 4095], LABELS[i & 3]); };
    },
  },
  {
    id: 'hist3.prom', group: 'histogram record, 3 labels', label: 'prom-client observe(labels, v)',
    async setup() {
      const client = await promClient();
      const h = new client.Histogram({ name: 'latency_ms', help: 'h', labelNames: NAMES, registers: [new client.Registry()] });
      return (n) => { for (let i = 0; i < n; i++) h.observe(LABELS[i & 3], VALUES[i & 4095]); };
    },
  },
  {
    id: 'hist3.prom.child', group: 'histogram record, 3 labels', label: 'prom-client labels(...) child .observe()',
    async setup() {
      const client = await promClient();
      const h = new client.Histogram({ name: 'latency_ms', help: 'h', labelNames: NAMES, registers: [new client.Registry()] });
      const children = LABEL_VALUES.map((v) => h.labels(...v));
      return (n) => { for (let i = 0; i < n; i++) children[i & 3].observe(VALUES[i & 4095]); };
    },
  },
  {
    id: 'hist3.ddsketch', group: 'histogram record, 3 labels', label: 'floor: DDSketch.accept()',
    async setup() {
      const { DDSketch } = await import('@datadog/sketches-js');
      const s = new DDSketch({ relativeAccuracy: 0.01 });
      return (n) => { for (let i = 0; i < n; i++) s.accept(VALUES[i & 4095]); };
    },
  },
  // ---- exponential histograms
  {
    id: 'exp3.si.bound', group: 'exponential histogram record, 3 labels', label: 'SDK exponentialHistogram bound .record()', base: 'exp3.otel',
    async setup() {
      const { MemoryCollector } = await sdk();
      const h = new MemoryCollector().exponentialHistogram('latency_ms');
      const bound = LABELS.map((l) => h.bind(l));
      return (n) => { for (let i = 0; i < n; i++) bound[i & 3].record(VALUES[i & 4095]); };
    },
  },
  {
    id: 'exp3.otel', group: 'exponential histogram record, 3 labels', label: 'OTel histogram + exponential View',
    async setup() {
      const { exponentialHistogramView } = await sdk();
      const h = (await otelMeter([exponentialHistogramView('latency_ms')])).createHistogram('latency_ms');
      return (n) => { for (let i = 0; i < n; i++) h.record(VALUES[i & 4095], LABELS[i & 3]); };
    },
  },
  // ---- sliding-window summaries
  {
    id: 'summary.si.bound', group: 'summary observe (sliding window), 3 labels', label: 'SDK summary bound .record()', base: 'summary.prom',
    async setup() {
      const { MemoryCollector } = await sdk();
      const s = new MemoryCollector().summary('latency_ms', { maxAgeSeconds: 60, ageBuckets: 5 });
      const bound = LABELS.map((l) => s.bind(l));
      return (n) => { for (let i = 0; i < n; i++) bound[i & 3].record(VALUES[i & 4095]); };
    },
  },
  {
    id: 'summary.prom', group: 'summary observe (sliding window), 3 labels', label: 'prom-client Summary observe(labels, v)',
    async setup() {
      const client = await promClient();
      const s = new client.Summary({ name: 'latency_ms', help: 'h', labelNames: NAMES, maxAgeSeconds: 60, ageBuckets: 5, registers: [new client.Registry()] });
      return (n) => { for (let i = 0; i < n; i++) s.observe(LABELS[i & 3], VALUES[i & 4095]); };
    },
  },
  // ---- reservoir and HyperLogLog (no peer in OTel or prom-client)
  {
    id: 'reservoir.si.bound', group: 'decaying reservoir / HyperLogLog (SDK only)', label: 'SDK reservoir bound .record()',
    async setup() {
      const { MemoryCollector } = await sdk();
      const b = new MemoryCollector().reservoir('latency_ms').bind({ route: '/users' });
      return (n) => { for (let i = 0; i < n; i++) b.record(VALUES[i & 4095]); };
    },
  },
  {
    id: 'hll.si.bound', group: 'decaying reservoir / HyperLogLog (SDK only)', label: 'SDK HyperLogLog bound .add(string)',
    async setup() {
      const { MemoryCollector } = await sdk();
      const b = new MemoryCollector().hyperLogLog('unique_users').bind();
      const ids = Array.from({ length: 4096 }, (_, i) => `user-${i * 7919}`);
      return (n) => { for (let i = 0; i < n; i++) b.add(ids[i & 4095]); };
    },
  },
  // ---- phases (issue 2's comparisons)
  {
    id: 'phase.direct', group: 'phase start+end (BatchSpanProcessor, no-op exporter)', label: 'DirectPerformanceCoordinator startPhase().end()', base: 'phase.otel',
    async setup() {
      const { DirectPerformanceCoordinator, MemoryCollector } = await sdk();
      const provider = await tracerProvider();
      const coordinator = new DirectPerformanceCoordinator({ tracerProvider: provider, collector: new MemoryCollector() });
      return (n) => { for (let i = 0; i < n; i++) coordinator.startPhase('load-cart').end(); };
    },
  },
  {
    id: 'phase.direct.lean', group: 'phase start+end (BatchSpanProcessor, no-op exporter)', label: 'Direct…, enableDetailedMetrics: false',
    async setup() {
      const { DirectPerformanceCoordinator, MemoryCollector, MonitoringSettings, MonitoringMode } = await sdk();
      const settings = new MonitoringSettings({ mode: MonitoringMode.DIRECT, enableDetailedMetrics: false });
      const coordinator = new DirectPerformanceCoordinator({ tracerProvider: await tracerProvider(), collector: new MemoryCollector({ detailed: false }), settings });
      return (n) => { for (let i = 0; i < n; i++) coordinator.startPhase('load-cart').end(); };
    },
  },
  {
    id: 'phase.otel', group: 'phase start+end (BatchSpanProcessor, no-op exporter)', label: 'raw OTel tracer.startSpan().end()',
    async setup() {
      const tracer = (await tracerProvider()).getTracer('bench');
      return (n) => { for (let i = 0; i < n; i++) tracer.startSpan('load-cart').end(); };
    },
  },
  // The same comparison on the provider DIRECT mode really runs on (createMonitoring: the in-memory
  // span store of the last maxSnapshots spans, no exporter), for raw OTel and the coordinator alike.
  {
    id: 'phase.direct.mode', group: 'phase start+end (DIRECT mode provider: in-memory span store)', label: 'createMonitoring(DIRECT).coordinator startPhase().end()', base: 'phase.otel.mode',
    async setup() {
      const { createMonitoring, MonitoringMode } = await sdk();
      const m = createMonitoring({ mode: MonitoringMode.DIRECT }, { registerGlobal: false });
      return (n) => { for (let i = 0; i < n; i++) m.coordinator.startPhase('load-cart').end(); };
    },
  },
  {
    id: 'phase.otel.mode', group: 'phase start+end (DIRECT mode provider: in-memory span store)', label: 'raw OTel tracer.startSpan().end(), same provider',
    async setup() {
      const { createMonitoring, MonitoringMode } = await sdk();
      const tracer = createMonitoring({ mode: MonitoringMode.DIRECT }, { registerGlobal: false }).getTracer('bench');
      return (n) => { for (let i = 0; i < n; i++) tracer.startSpan('load-cart').end(); };
    },
  },
  // ---- the event bus (issue 2): publishing a performance event to one sync subscriber
  {
    id: 'bus.publish', group: 'event bus publish', label: 'EventBus.publish, one subscriber', base: 'bus.none',
    async setup() {
      const { EventBus } = await sdk();
      const bus = new EventBus();
      let sum = 0;
      bus.subscribe('performance.phase.end', (e) => { sum += e.durationMs; });
      const input = { name: 'load-cart', durationMs: 1, status: 'ok', traceId: 't', spanId: 's' };
      return (n) => { for (let i = 0; i < n; i++) bus.publish('performance.phase.end', input); return sum; };
    },
  },
  {
    id: 'bus.none', group: 'event bus publish', label: 'EventBus.publish, no subscriber',
    async setup() {
      const { EventBus } = await sdk();
      const bus = new EventBus();
      const input = { name: 'load-cart', durationMs: 1, status: 'ok', traceId: 't', spanId: 's' };
      return (n) => { for (let i = 0; i < n; i++) bus.publish('performance.phase.end', input); };
    },
  },
  {
    id: 'phase.noop', group: 'noop phase', label: 'NoopPerformanceCoordinator startPhase().end()', base: 'phase.empty',
    async setup() {
      const { NoopPerformanceCoordinator } = await sdk();
      const coordinator = new NoopPerformanceCoordinator();
      return (n) => { for (let i = 0; i < n; i++) coordinator.startPhase('load-cart').end(); };
    },
  },
  {
    id: 'phase.empty', group: 'noop phase', label: 'empty function call',
    async setup() {
      const empty = () => {};
      return (n) => { for (let i = 0; i < n; i++) empty(); };
    },
  },
];
