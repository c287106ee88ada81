import type { Server } from 'node:http';
import { withTimeout } from './timeout.js';

/**
 * Marks the servers this SDK starts itself (the Prometheus endpoint): their requests are scrapes,
 * not the app's traffic, so the HTTP server instrumentation records none of them whatever their
 * path. It checks every request, so the mark is a property on the server (one load) rather than
 * a WeakSet entry (a hash probe).
 */
const OWN = Symbol('si.ownServer');

type MarkedServer = Server & { [OWN]?: true };

const LOOPBACK = new Set(['::1', 'localhost']);

/**
 * True for addresses that only this machine can reach: a host name or a peer's address, including
 * the IPv4-mapped form (`::ffff:127.0.0.1`) a dual-stack server reports for IPv4 clients.
 */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^(?:::ffff:)?127\.\d+\.\d+\.\d+$/i.test(host);
}

/** Marks `server` as one of this SDK's own. */
export function markOwnServer(server: Server): void {
  (server as MarkedServer)[OWN] = true;
}

/** Whether `server` is one of this SDK's own. */
export function isOwnServer(server: Server): boolean {
  return (server as MarkedServer)[OWN] === true;
}

/**
 * Closes one of the SDK's servers: stops accepting, drops idle keep-alive sockets, waits for the
 * requests in flight up to `timeoutMs` (awaited, so not unref'd), then cuts whatever is left.
 */
export async function closeServer(server: Server, timeoutMs: number, what: string): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  try {
    await withTimeout(closed, timeoutMs, what);
  } catch {
    server.closeAllConnections();
  }
}
