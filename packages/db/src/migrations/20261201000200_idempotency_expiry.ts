import type { Knex } from 'knex';

/**
 * Idempotency-Keys are kept for a retention (48 h by default, docs/contracts.md §2.2: at least 24 h) and
 * then freed by the outbox relay (ADR 0011). This index lets that purge find the oldest keyed
 * rows without scanning the table.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    'CREATE INDEX IF NOT EXISTS messages_idempotency_created_idx ON messages (created_at) WHERE idempotency_key IS NOT NULL',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS messages_idempotency_created_idx');
}
