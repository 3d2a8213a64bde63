import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('messages', (t) => {
    t.uuid('id').primary();
    t.uuid('workspace_id')
      .notNullable()
      .references('id')
      .inTable('workspaces')
      .onDelete('CASCADE')
      .withKeyName('messages_workspace_fk');
    t.uuid('api_key_id')
      .references('id')
      .inTable('api_keys')
      .onDelete('SET NULL')
      .withKeyName('messages_api_key_fk');
    t.uuid('phone_number_id')
      .notNullable()
      .references('id')
      .inTable('phone_numbers')
      .withKeyName('messages_phone_number_fk');
    t.uuid('contact_id')
      .references('id')
      .inTable('contacts')
      .onDelete('SET NULL')
      .withKeyName('messages_contact_fk');
    t.text('recipient').notNullable().comment('digits only');
    t.text('type').notNullable();
    t.text('template_name');
    t.jsonb('payload').notNullable().comment('the Cloud API request body, built and checked at accept time');
    t.text('status').notNullable();
    t.text('provider_message_id').comment('wamid');
    t.integer('error_code');
    t.text('error_title');
    t.text('error_details');
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('claimed_at', { useTz: true }).comment(
      'set while a dispatcher holds the message (status SENDING)',
    );
    t.timestamp('relayed_at', { useTz: true }).comment('last time the outbox relay republished it');
    t.text('idempotency_key');
    t.text('request_hash');
    t.text('request_id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(
    "ALTER TABLE messages ADD CONSTRAINT messages_status_ck CHECK (status IN ('ACCEPTED','QUEUED','SENDING','SENT','DELIVERED','READ','FAILED'))",
  );
  await knex.raw(
    'CREATE UNIQUE INDEX messages_idempotency_uq ON messages (workspace_id, idempotency_key) WHERE idempotency_key IS NOT NULL',
  );
  await knex.raw("CREATE INDEX messages_outbox_idx ON messages (created_at) WHERE status = 'ACCEPTED'");
  await knex.raw("CREATE INDEX messages_stuck_sending_idx ON messages (updated_at) WHERE status = 'SENDING'");
  await knex.raw(
    'CREATE INDEX messages_provider_message_id_idx ON messages (provider_message_id) WHERE provider_message_id IS NOT NULL',
  );
  await knex.schema.createTable('message_events', (t) => {
    t.bigIncrements('id').primary();
    t.uuid('message_id')
      .notNullable()
      .references('id')
      .inTable('messages')
      .onDelete('CASCADE')
      .withKeyName('message_events_message_fk');
    t.text('status').notNullable();
    t.text('detail');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['message_id', 'id'], 'message_events_message_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('message_events');
  await knex.schema.dropTableIfExists('messages');
}
