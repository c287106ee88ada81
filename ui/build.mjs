// Bundles the dashboard UI (Preact + uPlot) into dist/dashboard/ui: one script, one stylesheet, the
// page. Everything ships in the package, so the dashboard works offline and loads nothing from a CDN.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const out = fileURLToPath(new URL('../dist/dashboard/ui/', import.meta.url));
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: `${here}main.tsx` },
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2020',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: out,
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(`${here}index.html`, `${out}index.html`);
if (process.argv.includes('--size')) {
  let total = 0;
  for (const f of ['app.js', 'app.css', 'index.html']) {
    const raw = readFileSync(`${out}${f}`);
    const gz = gzipSync(raw, { level: 9 }).length;
    total += gz;
    console.log(`${f.padEnd(11)} ${String(raw.length).padStart(7)} B  ${String(gz).padStart(6)} B gzipped`);
  }
  console.log(`total gzipped: ${total} B`);
}
