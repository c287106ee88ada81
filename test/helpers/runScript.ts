import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import { ensureBuilt, ROOT } from './build.js';

/** `import` specifier of a module of the built package, for scripts run by `runScript`. */
export function distUrl(path = 'index.js'): string {
  return pathToFileURL(`${ROOT}dist/${path}`).href;
}

/**
 * `import` specifier of an internal module that the package does not export (dist/ is bundled, so
 * it has no file of its own): src/<path> bundled on the fly under node_modules/.cache, where its
 * npm imports resolve as the package's do.
 */
export function internalUrl(path: string): string {
  const outfile = `${ROOT}node_modules/.cache/si-internal/${path.replace(/[/.]/g, '_')}.mjs`;
  buildSync({ entryPoints: [`${ROOT}src/${path}`], outfile, bundle: true, format: 'esm', platform: 'node', packages: 'external', logLevel: 'error' });
  return pathToFileURL(outfile).href;
}

export interface ScriptResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the script was still running at `killAfterMs` and was killed. */
  readonly killed: boolean;
}

/**
 * Runs an ES module script (as text) in a fresh `node` process against the built package, and
 * resolves when it exits, or kills it after `killAfterMs`. For behaviour only a whole process
 * shows: whether it exits before an awaited answer, or whether its event loop still turns.
 */
export async function runScript(source: string, killAfterMs = 20_000, env: NodeJS.ProcessEnv = {}, nodeFlags: readonly string[] = []): Promise<ScriptResult> {
  ensureBuilt();
  const child = spawn(process.execPath, [...nodeFlags, '--input-type=module', '-e', source], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, killAfterMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
  clearTimeout(timer);
  return { code, signal, stdout, stderr, killed };
}
