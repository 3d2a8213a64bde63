import type { Knex } from 'knex';

/**
 * Partner resources (docs/contracts.md §11, §12): a contact's phone is unique in its workspace by
 * its digits, however it was typed; a workspace may have its own rate limit.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS contacts_workspace_digits_idx');
  await knex.raw('CREATE UNIQUE INDEX contacts_workspace_digits_uq ON contacts (workspace_id, phone_digits)');
  await knex.schema.alterTable('workspaces', (t) => {
    t.integer('rate_limit_per_second').comment(
      'partner requests per second per key; null: PARTNER_RATE_LIMIT_PER_SECOND',
    );
    t.integer('rate_limit_burst').comment('null: PARTNER_RATE_LIMIT_BURST');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('workspaces', (t) => {
    t.dropColumns('rate_limit_per_second', 'rate_limit_burst');
  });
  await knex.raw('DROP INDEX IF EXISTS contacts_workspace_digits_uq');
  await knex.raw('CREATE INDEX contacts_workspace_digits_idx ON contacts (workspace_id, phone_digits)');
}
