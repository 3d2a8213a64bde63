import type { Knex } from 'knex';

/** Scoped keys and address allowlists (docs/contracts.md §12): null means every scope, any address. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_keys', (t) => {
    t.jsonb('scopes').comment('["messages:send", …]; null: all');
    t.jsonb('allowed_ips').comment('["203.0.113.0/24", …]; null: any address');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_keys', (t) => {
    t.dropColumns('scopes', 'allowed_ips');
  });
}
