import type { Knex } from 'knex';

/** Partners' webhook endpoints and every delivery attempt (docs/contracts.md §10, ADR 0039). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webhook_endpoints', (t) => {
    t.uuid('id').primary();
    t.uuid('workspace_id')
      .notNullable()
      .references('id')
      .inTable('workspaces')
      .onDelete('CASCADE')
      .withKeyName('webhook_endpoints_workspace_fk');
    t.text('url').notNullable();
    t.jsonb('events').notNullable().comment('event types, or ["*"]');
    t.text('description');
    t.text('status').notNullable().defaultTo('active');
    t.text('disabled_reason');
    t.text('secret_encrypted').notNullable().comment('AES-256-GCM (TokenCipher), whsec_…');
    t.text('previous_secret_encrypted').comment(
      'signs alongside the new one until previous_secret_expires_at',
    );
    t.timestamp('previous_secret_expires_at', { useTz: true });
    t.timestamp('failing_since', { useTz: true }).comment('first failed attempt since the last success');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('deleted_at', { useTz: true });
  });
  await knex.raw(
    "ALTER TABLE webhook_endpoints ADD CONSTRAINT webhook_endpoints_status_ck CHECK (status IN ('active','disabled'))",
  );
  await knex.raw(
    'CREATE INDEX webhook_endpoints_workspace_idx ON webhook_endpoints (workspace_id) WHERE deleted_at IS NULL',
  );
  await knex.schema.createTable('webhook_deliveries', (t) => {
    t.uuid('id').primary();
    t.uuid('endpoint_id')
      .notNullable()
      .references('id')
      .inTable('webhook_endpoints')
      .onDelete('CASCADE')
      .withKeyName('webhook_deliveries_endpoint_fk');
    t.text('event_id').notNullable();
    t.text('event_type').notNullable();
    t.integer('attempt').notNullable();
    t.text('outcome').notNullable().comment('delivered | failed | retry_scheduled | endpoint_disabled');
    t.integer('http_status');
    t.integer('duration_ms').notNullable();
    t.text('error');
    t.timestamp('next_attempt_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(
    'CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at DESC, id DESC)',
  );
  await knex.raw('CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('webhook_deliveries');
  await knex.schema.dropTableIfExists('webhook_endpoints');
}
