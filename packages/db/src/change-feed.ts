import { startPgListener, type PgListener } from './pg-listener';

/** The channel the `flowgate_notify_change` trigger (migration 20261201000300) notifies on. */
export const CHANGE_CHANNEL = 'flowgate_changes';

/** One change: which table, and the workspace whose rows changed. */
export interface Change {
  table: string;
  workspaceId: string;
}

export type ChangeFeed = PgListener;

/**
 * Tells this process when another process (an API instance, the CLI, an operator's SQL) changed
 * a cached table, through the notifications a trigger sends on every insert, update and delete
 * (ADR 0011). `onReset` runs after every (re)connect: changes made while nobody listened are
 * unknown, so caches start empty. It rides on a {@link startPgListener} connection.
 */
export function startChangeFeed(options: {
  connectionString: string;
  onChange(change: Change): void;
  onReset(): void;
  log?: { warn(message: string, meta?: Record<string, unknown>): void };
  reconnectMaxMs?: number;
}): ChangeFeed {
  return startPgListener({
    connectionString: options.connectionString,
    channel: CHANGE_CHANNEL,
    applicationName: 'flowgate-changes',
    onNotification: (payload) => {
      const [table, workspaceId] = payload.split(':');
      if (table && workspaceId) options.onChange({ table, workspaceId });
    },
    onListening: () => options.onReset(),
    ...(options.log ? { log: options.log } : {}),
    ...(options.reconnectMaxMs !== undefined ? { reconnectMaxMs: options.reconnectMaxMs } : {}),
  });
}
