import type { Knex } from 'knex';

/**
 * The dashboard's message log (docs/contracts.md §13): a workspace's sends and inbound messages,
 * newest first, one page at a time from these indexes instead of a scan of every message.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    'CREATE INDEX IF NOT EXISTS messages_workspace_created_idx ON messages (workspace_id, created_at DESC, id DESC)',
  );
  await knex.raw(
    'CREATE INDEX IF NOT EXISTS inbound_messages_workspace_occurred_idx ON inbound_messages (workspace_id, occurred_at DESC, id DESC)',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS inbound_messages_workspace_occurred_idx');
  await knex.raw('DROP INDEX IF EXISTS messages_workspace_created_idx');
}
