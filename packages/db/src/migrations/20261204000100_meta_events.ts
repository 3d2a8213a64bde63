import type { Knex } from 'knex';

/**
 * Meta's webhooks in (docs/contracts.md §9, ADR 0037, ADR 0038): the stored bodies, statuses that
 * wait for our own SENT write, pricing and Meta's time on messages, inbound messages, contacts'
 * window and opt-out, conversations, template reviews and payments.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('meta_webhooks', (t) => {
    t.bigIncrements('id').primary();
    t.binary('body').notNullable().comment('the exact bytes Meta signed');
    t.text('request_id');
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('processed_at', { useTz: true });
    t.text('outcome').comment('processed | skipped, with what was skipped in detail');
    t.text('detail');
  });
  await knex.raw(
    'CREATE INDEX meta_webhooks_unprocessed_idx ON meta_webhooks (received_at) WHERE processed_at IS NULL',
  );

  await knex.schema.createTable('meta_pending_statuses', (t) => {
    t.bigIncrements('id').primary();
    t.uuid('message_id').comment('from biz_opaque_callback_data, when it is one of our ids');
    t.text('wamid').notNullable();
    t.text('status').notNullable();
    t.timestamp('occurred_at', { useTz: true }).notNullable().comment("Meta's time");
    t.jsonb('status_body').notNullable().comment('the status object as Meta sent it');
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['wamid', 'status'], { indexName: 'meta_pending_statuses_wamid_status_uq' });
  });
  await knex.raw('CREATE INDEX meta_pending_statuses_message_idx ON meta_pending_statuses (message_id)');

  await knex.schema.alterTable('messages', (t) => {
    t.text('pricing_category').comment("Meta's pricing.category (marketing, utility, service, …)");
    t.text('pricing_type').comment("Meta's pricing.type (regular, free_customer_service, …)");
    t.boolean('pricing_billable');
  });
  await knex.schema.alterTable('message_events', (t) => {
    t.timestamp('occurred_at', { useTz: true }).comment("Meta's time, for statuses from Meta's webhooks");
  });

  await knex.schema.alterTable('phone_numbers', (t) => {
    t.timestamp('webhook_connected_at', { useTz: true }).comment(
      'first signed Meta webhook for this number: the 24 h rule is enforced at accept time from then on',
    );
  });
  await knex.raw('CREATE INDEX phone_numbers_provider_idx ON phone_numbers (provider_phone_number_id)');
  await knex.raw('CREATE INDEX phone_numbers_waba_idx ON phone_numbers (waba_id) WHERE waba_id IS NOT NULL');

  await knex.schema.alterTable('templates', (t) => {
    t.text('rejection_reason');
    t.text('provider_template_id');
  });

  await knex.schema.alterTable('contacts', (t) => {
    t.timestamp('opted_out_at', { useTz: true });
    t.timestamp('last_inbound_at', { useTz: true });
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(
    "ALTER TABLE contacts ADD COLUMN phone_digits text GENERATED ALWAYS AS (regexp_replace(phone, '[^0-9]', '', 'g')) STORED",
  );
  await knex.raw('CREATE INDEX contacts_workspace_digits_idx ON contacts (workspace_id, phone_digits)');
  await knex.raw(
    'CREATE INDEX contacts_workspace_created_idx ON contacts (workspace_id, created_at DESC, id DESC)',
  );

  await knex.schema.createTable('conversations', (t) => {
    t.uuid('id').primary();
    t.uuid('workspace_id')
      .notNullable()
      .references('id')
      .inTable('workspaces')
      .onDelete('CASCADE')
      .withKeyName('conversations_workspace_fk');
    t.uuid('phone_number_id')
      .notNullable()
      .references('id')
      .inTable('phone_numbers')
      .onDelete('CASCADE')
      .withKeyName('conversations_phone_number_fk');
    t.uuid('contact_id')
      .notNullable()
      .references('id')
      .inTable('contacts')
      .onDelete('CASCADE')
      .withKeyName('conversations_contact_fk');
    t.text('contact_phone').notNullable().comment('digits: what outbound messages carry as recipient');
    t.timestamp('last_inbound_at', { useTz: true });
    t.timestamp('last_activity_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.jsonb('last_message').comment('{id, direction, type, preview, at} of the latest inbound message');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['phone_number_id', 'contact_phone'], { indexName: 'conversations_number_phone_uq' });
  });
  await knex.raw(
    'CREATE INDEX conversations_workspace_activity_idx ON conversations (workspace_id, last_activity_at DESC, id DESC)',
  );

  await knex.schema.createTable('inbound_messages', (t) => {
    t.uuid('id').primary();
    t.uuid('workspace_id')
      .notNullable()
      .references('id')
      .inTable('workspaces')
      .onDelete('CASCADE')
      .withKeyName('inbound_messages_workspace_fk');
    t.uuid('conversation_id')
      .notNullable()
      .references('id')
      .inTable('conversations')
      .onDelete('CASCADE')
      .withKeyName('inbound_messages_conversation_fk');
    t.uuid('contact_id').notNullable();
    t.uuid('phone_number_id').notNullable();
    t.text('wamid').notNullable();
    t.text('type').notNullable();
    t.jsonb('content').notNullable();
    t.text('reply_to').comment('context.id: the wamid of the message this answers');
    t.timestamp('occurred_at', { useTz: true }).notNullable().comment("Meta's time");
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['phone_number_id', 'wamid'], { indexName: 'inbound_messages_number_wamid_uq' });
  });
  await knex.raw(
    'CREATE INDEX inbound_messages_conversation_idx ON inbound_messages (conversation_id, occurred_at DESC, id DESC)',
  );
  // A conversation's outbound side: the messages its number sent to its contact's digits.
  await knex.raw(
    'CREATE INDEX messages_conversation_idx ON messages (phone_number_id, recipient, created_at DESC)',
  );

  await knex.schema.createTable('payments', (t) => {
    t.bigIncrements('id').primary();
    t.uuid('workspace_id')
      .notNullable()
      .references('id')
      .inTable('workspaces')
      .onDelete('CASCADE')
      .withKeyName('payments_workspace_fk');
    t.text('reference_id').notNullable();
    t.text('status').notNullable();
    t.bigInteger('amount_value');
    t.integer('amount_offset');
    t.text('currency');
    t.text('transaction_id');
    t.text('recipient');
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['workspace_id', 'reference_id', 'status'], { indexName: 'payments_reference_status_uq' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('payments');
  await knex.raw('DROP INDEX IF EXISTS messages_conversation_idx');
  await knex.schema.dropTableIfExists('inbound_messages');
  await knex.schema.dropTableIfExists('conversations');
  await knex.raw('DROP INDEX IF EXISTS contacts_workspace_created_idx');
  await knex.raw('DROP INDEX IF EXISTS contacts_workspace_digits_idx');
  await knex.schema.alterTable('contacts', (t) => {
    t.dropColumns('phone_digits', 'opted_out_at', 'last_inbound_at', 'updated_at');
  });
  await knex.schema.alterTable('templates', (t) => {
    t.dropColumns('rejection_reason', 'provider_template_id');
  });
  await knex.raw('DROP INDEX IF EXISTS phone_numbers_waba_idx');
  await knex.raw('DROP INDEX IF EXISTS phone_numbers_provider_idx');
  await knex.schema.alterTable('phone_numbers', (t) => {
    t.dropColumn('webhook_connected_at');
  });
  await knex.schema.alterTable('message_events', (t) => {
    t.dropColumn('occurred_at');
  });
  await knex.schema.alterTable('messages', (t) => {
    t.dropColumns('pricing_category', 'pricing_type', 'pricing_billable');
  });
  await knex.schema.dropTableIfExists('meta_pending_statuses');
  await knex.schema.dropTableIfExists('meta_webhooks');
}
