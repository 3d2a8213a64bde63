import pg from 'pg';
import type { Knex } from 'knex';

export interface PgListener {
  close(): Promise<void>;
}

export interface PgListenerOptions {
  connectionString: string;
  /** A plain lowercase identifier; it is written into the LISTEN statement. */
  channel: string;
  applicationName: string;
  onNotification(payload: string): void;
  /**
   * After every (re)connect, once LISTEN is in place. Notifications sent while nobody listened
   * are gone, so this is where callers drop whatever the missed ones would have changed.
   */
  onListening(): void;
  /** An established connection ended (a reconnect is scheduled). */
  onLost?(): void;
  log?: { warn(message: string, meta?: Record<string, unknown>): void };
  /** Cap of the reconnect backoff (100 ms doubling, jittered), default 5 s. */
  reconnectMaxMs?: number;
}

const CHANNEL_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * A dedicated connection LISTENing on one channel (ADR 0003, ADR 0011), reconnecting with
 * backoff for as long as it is open. TCP keepalive makes a dead server or a half-open
 * connection end the client instead of leaving a listener that silently hears nothing.
 */
export function startPgListener(options: PgListenerOptions): PgListener {
  if (!CHANNEL_NAME.test(options.channel)) throw new Error(`invalid channel name "${options.channel}"`);
  const { log } = options;
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
      application_name: options.applicationName,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      connectionTimeoutMillis: 10_000,
    });
    c.on('error', (err) => log?.warn('listener lost its connection', { channel: options.channel, err }));
    c.on('end', () => {
      if (client !== c) return;
      client = undefined;
      options.onLost?.();
      schedule();
    });
    c.on('notification', (n) => {
      if (n.channel === options.channel && n.payload) options.onNotification(n.payload);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${options.channel}`);
      if (closed) {
        await c.end();
        return;
      }
      client = c;
      attempt = 0;
      options.onListening();
    } catch (err) {
      log?.warn('listener could not connect', {
        channel: options.channel,
        err,
      });
      await c.end().catch(() => undefined);
      schedule();
    }
  };

  void connect();
  return {
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}

/**
 * Sends a notice on `channel` (`pg_notify`). Inside a transaction, it goes out on commit and not
 * at all on rollback.
 */
export async function notify(db: Knex, channel: string, payload: string): Promise<void> {
  await db.raw('SELECT pg_notify(?, ?)', [channel, payload]);
}
