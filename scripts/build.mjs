// Builds dist/: tsc writes the .d.ts files (with stripInternal, so the API report and the published
// types are what tsc says), esbuild writes the JavaScript: one ESM build over every entry point with
// code splitting, so module state the entry points share (the registered monitoring, the alerting
// token, the OTel globals' owners) lives once, in a chunk. Every npm package stays external: users'
// OTel instances are shared with ours, and nothing is bundled twice. Bundling cuts the number of
// files Node resolves, reads and compiles on import from ~100 to a handful (docs/import-cost.md).
// The dashboard UI is built separately (ui/build.mjs).
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import ts from 'typescript';

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

// esbuild turns every top-level `const` into `var` when it bundles (on purpose, and without an
// option: evanw/esbuild#623). V8 folds a module-level `const` into optimized code but loads a `var`
// from the module context on every use, and the hot paths read such constants (the noop phase
// handle, bucket tables, shared empty objects): the noop phase went from 0.46 to 0.90 ns, the
// direct phase ~5% slower (`npm run bench`, both builds in one run). So put `const` back wherever
// the source had it in effect: a top-level `var` with an initializer whose name is never assigned
// anywhere in the chunk. Source order is module order, as in the unbundled modules, so no TDZ
// error appears that the sources would not throw too.
function constAgain(file) {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const assigned = new Set();
  const targets = (node) => {
    if (ts.isIdentifier(node)) assigned.add(node.text);
    else if (ts.isObjectLiteralExpression(node) || ts.isArrayLiteralExpression(node) || ts.isParenthesizedExpression(node) || ts.isSpreadElement(node) || ts.isSpreadAssignment(node)) ts.forEachChild(node, targets);
    else if (ts.isPropertyAssignment(node)) targets(node.initializer);
    else if (ts.isShorthandPropertyAssignment(node)) assigned.add(node.name.text);
    else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) targets(node.left);
  };
  const visit = (node) => {
    if (ts.isBinaryExpression(node) && node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && node.operatorToken.kind <= ts.SyntaxKind.LastAssignment) targets(node.left);
    else if ((ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) && (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)) targets(node.operand);
    else if ((ts.isForInStatement(node) || ts.isForOfStatement(node)) && !ts.isVariableDeclarationList(node.initializer)) targets(node.initializer);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  const edits = [];
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st) || st.declarationList.flags & ts.NodeFlags.BlockScoped) continue;
    const ok = st.declarationList.declarations.every((d) => ts.isIdentifier(d.name) && d.initializer !== undefined && !assigned.has(d.name.text));
    if (ok) edits.push(st.declarationList.getStart(sf));
  }
  let out = text;
  for (const pos of edits.reverse()) out = `${out.slice(0, pos)}const${out.slice(pos + 3)}`;
  writeFileSync(file, out);
}
const jsFiles = (dir) => readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile() && e.name.endsWith('.js')).map((e) => `${e.parentPath ?? e.path}/${e.name}`);
for (const file of jsFiles(`${root}dist`)) constAgain(file);
