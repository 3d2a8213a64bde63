/**
 * Query options that make PostgreSQL keep a statement prepared (ADR 0017): pg sends a named
 * statement's text once per connection, and PostgreSQL parses and plans it once (a generic plan
 * after five runs) instead of on every call. For the per-message statements of the send and
 * dispatch paths that halves the database's CPU per small batch. knex passes the options to pg as
 * they are (`db.raw(sql, bindings).options(prepared('…'))`); PGlite ignores them.
 *
 * A name must always go with the same SQL text (pg refuses a second text under one name), so
 * use it only for statements whose text is fixed: bind every value, never interpolate it.
 */
export function prepared(name: `flowgate_${string}`): { name: string } {
  return { name };
}
