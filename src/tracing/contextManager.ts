import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { context, type Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

/** The manager `ensureContextManager` registered as OTel's global one, while it still is. */
let installed: SdkContextManager | undefined;
let ensured = false;

/**
 * OTel's AsyncLocalStorage context manager, forgotten as the one to enter request contexts in
 * once disabled: OTel's `context.disable()` disables the global manager before unregistering it,
 * so while `installed` is set it is the global one.
 */
class SdkContextManager extends AsyncLocalStorageContextManager {
  override disable(): this {
    if (installed === this) installed = undefined;
    return super.disable();
  }
}

/**
 * Installs an AsyncLocalStorage context manager as OTel's global one when none is installed yet,
 * so phases nest across awaits. Leaves an existing one (from the app or `@opentelemetry/sdk-node`) alone.
 */
export function ensureContextManager(): void {
  if (ensured) return;
  ensured = true;
  const manager = new SdkContextManager().enable();
  if (context.setGlobalContextManager(manager)) installed = manager;
  else manager.disable();
}

/**
 * Runs `fn` and leaves the caller in the async context frame it was in, the same frame object.
 * `createTelemetry` runs OTel's setup code in it, some of which uses `context.with` (the
 * container resource detector): where AsyncLocalStorage runs on AsyncContextFrame (Node 24 on), `run` restores by
 * entering the previous value, a new frame holding the storage's `undefined`. Left in the app's
 * top-level frame, that entry is copied by every context entered later in it: each request of a
 * server that listens afterwards (90–270 ns a dropped request on Node 24 and 26 in process,
 * docs/instrumentation.md, "The frame setup left behind"). An async resource's scope puts the
 * frame object itself back.
 * @internal
 */
export function inCallersFrame<T>(fn: () => T): T {
  return new AsyncResource('service-infrastructure.setup').runInAsyncScope(fn);
}

/** The probe's answer, asked on the first request. */
let endsWithCallback: boolean | undefined;

/**
 * Whether a context entered with `AsyncLocalStorage#enterWith` inside a callback Node runs for an
 * async resource ends with that callback. It does where AsyncLocalStorage is built on
 * AsyncContextFrame (Node 24 on, and 22 with `--experimental-async-context-frame`): Node puts the
 * frame it found back when the callback returns. With async_hooks (Node 20 and 22) the store is
 * written onto the resource, and the resource's next callback would still see it.
 * @internal Exported for the check of decision 007 in test/decisions/otelInternals.test.ts.
 */
export function enteredContextEndsWithCallback(): boolean {
  const storage = new AsyncLocalStorage<number>();
  const resource = new AsyncResource('service-infrastructure.context-probe');
  resource.runInAsyncScope(() => storage.enterWith(1));
  const seenByNextCallback = resource.runInAsyncScope(() => storage.getStore());
  const seenAfter = storage.getStore();
  storage.disable();
  return seenByNextCallback === undefined && seenAfter === undefined;
}

/**
 * Makes `ctx` OTel's active context for the rest of the callback Node is running, without
 * restoring the one before it: the caller must be inside a callback of Node's own (the http
 * parser's, for a request) with nothing after it that must not see `ctx`. Where Node puts the
 * previous frame back itself when that callback returns, this enters one frame instead of the two
 * `context.with` builds (`AsyncLocalStorage#run` copies the frame to enter and again to restore),
 * which is most of what a request that is not traced pays on Node 24 and 26
 * (docs/decisions/007-request-context-for-the-rest-of-the-callback.md). Returns false, doing
 * nothing, where that is not so, or when OTel's global context manager is not the one this SDK
 * installed: the caller then uses `context.with`.
 * @internal
 */
export function enterForRestOfCallback(ctx: Context): boolean {
  const manager = installed;
  if (manager === undefined || !(endsWithCallback ??= enteredContextEndsWithCallback())) return false;
  manager.attach(ctx);
  return true;
}
