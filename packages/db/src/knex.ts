import { mkdirSync } from 'node:fs';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import pg from 'pg';

// Return bigint counts as numbers and timestamps as Date (pg defaults), numerics as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export type Database = Knex;
export type DatabaseTarget =
  { kind: 'postgres'; url: string } | { kind: 'pglite'; dir: string } | { kind: 'pglite-memory' };

export interface DatabaseOptions {
  /** Pool size for PostgreSQL (PGlite always has exactly one connection). */
  poolMax?: number;
  /**
   * PostgreSQL cancels a statement running longer than this (`statement_timeout`, also
   * `lock_timeout`); the client gives up on an answer 1 s later (`query_timeout`), which covers a
   * server or network that has stalled and answers nothing. Default 5000.
   */
  statementTimeoutMs?: number;
  /** Where knex's own warnings and errors go (default: dropped, never printed raw to stdout). */
  log?: { warn(message: string): void; error(message: string): void };
}

function knexLog(log: DatabaseOptions['log']): Knex.Config['log'] {
  const text = (m: unknown): string =>
    m instanceof Error ? m.message : typeof m === 'string' ? m : JSON.stringify(m);
  return {
    warn: (m: unknown) => log?.warn(`knex: ${text(m)}`),
    error: (m: unknown) => log?.error(`knex: ${text(m)}`),
    deprecate: () => undefined,
    debug: () => undefined,
  };
}

/** One knex instance per process; PostgreSQL through `pg`, or embedded PGlite through knex-pglite. */
export function createDatabase(target: DatabaseTarget, options: DatabaseOptions = {}): Database {
  if (target.kind === 'postgres') {
    const statementTimeoutMs = options.statementTimeoutMs ?? 5000;
    const queryTimeoutMs = statementTimeoutMs + 1000;
    const connection: pg.ClientConfig = {
      connectionString: target.url,
      application_name: 'flowgate',
      // A stalled PostgreSQL (or network) must turn into a 503 after a bounded time, never a
      // request that hangs (ADR 0011).
      statement_timeout: statementTimeoutMs,
      lock_timeout: statementTimeoutMs,
      idle_in_transaction_session_timeout: Math.max(30_000, 2 * queryTimeoutMs),
      query_timeout: queryTimeoutMs,
      connectionTimeoutMillis: queryTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    };
    return knexFactory({
      client: 'pg',
      // pg's ClientConfig (knex's own type lacks lock_timeout and the timeouts pg supports).
      connection: connection as Knex.PgConnectionConfig,
      pool: {
        min: 0,
        max: options.poolMax ?? 10,
        acquireTimeoutMillis: queryTimeoutMs,
        // A connection whose query timed out is still waiting for that answer: never reuse it.
        validate: (connection: { readyForQuery?: boolean }) => connection.readyForQuery === true,
      },
      acquireConnectionTimeout: queryTimeoutMs,
      log: knexLog(options.log),
    });
  }
  if (target.kind === 'pglite') mkdirSync(target.dir, { recursive: true });
  return knexFactory({
    client: ClientPgLite,
    dialect: 'postgres',
    log: knexLog(options.log),
    connection: target.kind === 'pglite' ? { filename: target.dir } : {},
  });
}

/** Resolves once the database answers a trivial query (readiness checks). */
export async function ping(db: Database): Promise<void> {
  await db.raw('SELECT 1');
}
