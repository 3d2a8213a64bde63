import pg from 'pg';

/** The channel the `flowgate_notify_change` trigger (migration 20261201000300) notifies on. */
export const CHANGE_CHANNEL = 'flowgate_changes';

/** One change: which table, and the workspace whose rows changed. */
export interface Change {
  table: string;
  workspaceId: string;
}

export interface ChangeFeed {
  /** True while LISTEN is in place (changes are being heard). */
  isListening(): boolean;
  close(): Promise<void>;
}

/**
 * Tells this process when another process (an API instance, the CLI, an operator's SQL) changed
 * a cached table, through the notifications a trigger sends on every insert, update and delete
 * (ADR 0011). `onReset` runs after every (re)connect: changes made while nobody listened are
 * unknown, so caches start empty. Reconnects with backoff; TCP keepalive notices a dead server.
 */
export function startChangeFeed(options: {
  connectionString: string;
  onChange(change: Change): void;
  onReset(): void;
  log?: { warn(message: string, meta?: Record<string, unknown>): void };
  reconnectMaxMs?: number;
}): ChangeFeed {
  let client: pg.Client | undefined;
  let closed = false;
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;

  const schedule = (): void => {
    if (closed || timer) return;
    attempt += 1;
    const delay = Math.min(options.reconnectMaxMs ?? 5000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, delay);
    timer.unref();
  };

  const connect = async (): Promise<void> => {
    if (closed) return;
    const c = new pg.Client({
      connectionString: options.connectionString,
      application_name: 'flowgate-changes',
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      connectionTimeoutMillis: 10_000,
    });
    c.on('error', (err) => options.log?.warn('change feed lost its connection', { err: err.message }));
    c.on('end', () => {
      if (client !== c) return;
      client = undefined;
      schedule();
    });
    c.on('notification', (n) => {
      if (n.channel !== CHANGE_CHANNEL || !n.payload) return;
      const [table, workspaceId] = n.payload.split(':');
      if (table && workspaceId) options.onChange({ table, workspaceId });
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANGE_CHANNEL}`);
      if (closed) {
        await c.end();
        return;
      }
      client = c;
      attempt = 0;
      options.onReset();
    } catch (err) {
      options.log?.warn('change feed could not connect', {
        err: err instanceof Error ? err.message : String(err),
      });
      await c.end().catch(() => undefined);
      schedule();
    }
  };

  void connect();
  return {
    isListening: () => client !== undefined,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
