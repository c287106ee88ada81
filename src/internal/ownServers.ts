import type { Server } from 'node:http';

/**
 * Servers this SDK starts itself (the Prometheus endpoint): their requests are scrapes, not the
 * app's traffic, so the HTTP server instrumentation records none of them whatever their path.
 */
const ownServers = new WeakSet<Server>();

/** Marks `server` as one of this SDK's own. */
export function markOwnServer(server: Server): void {
  ownServers.add(server);
}

/** Whether `server` is one of this SDK's own. */
export function isOwnServer(server: Server): boolean {
  return ownServers.has(server);
}
