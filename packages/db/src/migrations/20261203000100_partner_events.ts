import type { Knex } from 'knex';

/**
 * The partner-events outbox (docs/contracts.md §10): every event a partner webhook may receive is a row here,
 * written in the same transaction as the change that caused it, so no crash or broker outage loses
 * one. `relayed_at` is set once the event has been handed on for delivery (the webhook relay).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('partner_events', (t) => {
    t.text('id').primary().comment('evt_ + 32 hex; the webhook-id of every delivery of it');
    t.uuid('workspace_id')
      .notNullable()
      .references('id')
      .inTable('workspaces')
      .onDelete('CASCADE')
      .withKeyName('partner_events_workspace_fk');
    t.text('type').notNullable().comment('message.delivered, contact.opted_out, … (docs/contracts.md §10)');
    t.jsonb('data').notNullable().comment('the delivery body\'s "data", camelCase');
    t.timestamp('occurred_at', { useTz: true }).notNullable().comment('the body\'s "timestamp"');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('relayed_at', { useTz: true });
  });
  await knex.raw(
    'CREATE INDEX partner_events_unrelayed_idx ON partner_events (created_at) WHERE relayed_at IS NULL',
  );
  await knex.raw(
    'CREATE INDEX partner_events_workspace_idx ON partner_events (workspace_id, created_at DESC)',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('partner_events');
}
