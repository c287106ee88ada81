// Starts a bench/http-server.js process, for the benches that load it (http.js, http-profile.js,
// http-callgrind.js, http-feedback.js), and speaks its protocol: the server prints
// `listening <port>` once ready and answers `stats` and `done` on stdin with a line of JSON each.
import { execFileSync, spawn } from 'node:child_process';

/** Throws, naming `bench` and the Debian `packages` to install, unless every one of `tools` is on the PATH. */
export function requireTools(bench, tools, packages) {
  for (const tool of tools) {
    try {
      execFileSync('which', [tool], { stdio: 'ignore' });
    } catch {
      throw new Error(`${bench} needs ${tool} (Debian: apt-get install ${packages})`);
    }
  }
}

/** True when taskset can pin to CPU 1, so there are two CPUs: servers on CPU 0, load on CPU 1. */
export function hasTaskset() {
  try {
    execFileSync('taskset', ['-c', '1', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `command` with `args` (the server, directly or behind taskset or valgrind) and resolves
 * once it listens, with the child, its port and `ask(command)`, which resolves with the JSON of
 * the server's answer (null if the server exits first). Rejects if the server exits before it
 * listens; `name` says which in the error.
 */
export function startServerProcess(command, args, { name, env = process.env, stderr = 'inherit' }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', stderr], env });
    const waiting = [];
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      out += chunk;
      let nl;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        const m = /^listening (\d+)$/.exec(line);
        if (m) resolve({ child, port: Number(m[1]), ask });
        else if (/^(stats|done) /.test(line)) waiting.shift()?.(JSON.parse(line.slice(line.indexOf(' ') + 1)));
      }
    });
    child.on('exit', (code) => {
      for (const w of waiting.splice(0)) w(null);
      reject(new Error(`${name} exited with ${code}`));
    });
    function ask(question) {
      return new Promise((r) => {
        waiting.push(r);
        child.stdin.write(`${question}\n`);
      });
    }
  });
}
