// Builds dist/: tsc writes the .d.ts files (with stripInternal, so the API report and the published
// types are what tsc says), esbuild writes the JavaScript: one ESM build over every entry point with
// code splitting, so module state the entry points share (the registered monitoring, the alerting
// token, the OTel globals' owners) lives once, in a chunk. Every npm package stays external: users'
// OTel instances are shared with ours, and nothing is bundled twice. Bundling cuts the number of
// files Node resolves, reads and compiles on import from ~100 to a handful (docs/import-cost.md).
// The dashboard UI is built separately (ui/build.mjs).
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
rmSync(`${root}dist`, { recursive: true, force: true });
execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.build.json`], { stdio: 'inherit' });
await build({
  // The output paths are the package.json "exports" targets.
  entryPoints: {
    index: `${root}src/index.ts`,
    register: `${root}src/register.ts`,
    cli: `${root}src/cli.ts`,
    'alerting/index': `${root}src/alerting/index.ts`,
    'dashboard/index': `${root}src/dashboard/index.ts`,
    'distributed/index': `${root}src/distributed/index.ts`,
  },
  outdir: `${root}dist`,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  tsconfig: `${root}tsconfig.json`,
  sourcemap: true,
  // The maps point at src/, which is not published (as tsc's did); they serve stack traces in this repo.
  sourcesContent: false,
  legalComments: 'none',
  logLevel: 'warning',
});
