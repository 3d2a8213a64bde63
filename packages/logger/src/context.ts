import { AsyncLocalStorage } from 'node:async_hooks';

/** Correlation fields attached to every log line written inside `runWithContext`. */
export interface LogContext {
  requestId?: string;
  messageId?: string;
  workspaceId?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

export function runWithContext<T>(context: LogContext, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...context }, fn);
}

export function getContext(): LogContext | undefined {
  return storage.getStore();
}

/** Adds fields to the current context (e.g. the workspace once the caller is authenticated). */
export function extendContext(fields: LogContext): void {
  const store = storage.getStore();
  if (store) Object.assign(store, fields);
}
