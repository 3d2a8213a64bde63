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
    return knexFactory({
      client: 'pg',
      connection: { connectionString: target.url, application_name: 'flowgate' },
      pool: { min: 0, max: options.poolMax ?? 10, acquireTimeoutMillis: 10_000 },
      acquireConnectionTimeout: 10_000,
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
