/**
 * Query options that make PostgreSQL keep a statement prepared (ADR 0017): pg sends a named
 * statement's text once per connection, and PostgreSQL parses it once and then runs a cached
 * generic plan (after five runs) instead of planning every call: for the accept insert of one
 * row that takes PostgreSQL's CPU from about 700 to 370 µs. knex passes the options to pg as they are
 * (`db.raw(sql, bindings).options(prepared('…'))`); PGlite ignores them.
 *
 * Only for statements whose generic plan does not depend on the data: a plan cached while a
 * table was small keeps its sequential scan until an ANALYZE invalidates it (ADR 0017). A name
 * must always go with the same SQL text (pg refuses a second text under one name): bind every
 * value, never interpolate it.
 */
export function prepared(name: `flowgate_${string}`): { name: string } {
  return { name };
}
