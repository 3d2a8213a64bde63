import type { Knex } from 'knex';

/**
 * Broadcasts (docs/contracts.md §11, ADR 0041): one template to many recipients. Every recipient
 * is stored at create time with the Cloud API body it will send and the id its message will have;
 * the dispatchers release them into `messages` at the number's pace, behind single sends.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('broadcasts', (t) => {
    t.uuid('id').primary();
    t.uuid('workspace_id')
      .notNullable()
      .references('id')
      .inTable('workspaces')
      .onDelete('CASCADE')
      .withKeyName('broadcasts_workspace_fk');
    t.uuid('api_key_id')
      .references('id')
      .inTable('api_keys')
      .onDelete('SET NULL')
      .withKeyName('broadcasts_api_key_fk');
    t.uuid('phone_number_id')
      .notNullable()
      .references('id')
      .inTable('phone_numbers')
      .withKeyName('broadcasts_phone_number_fk');
    t.uuid('template_id')
      .notNullable()
      .references('id')
      .inTable('templates')
      .withKeyName('broadcasts_template_fk');
    t.text('name').notNullable();
    t.text('template_name').notNullable();
    t.text('template_language').notNullable();
    t.text('status').notNullable();
    t.integer('total').notNullable().comment('distinct recipients (duplicates removed)');
    t.integer('duplicates').notNullable().defaultTo(0);
    t.text('request_id');
    t.timestamp('scheduled_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('started_at', { useTz: true });
    t.timestamp('cancelled_at', { useTz: true });
    t.timestamp('completed_at', { useTz: true }).comment(
      'every recipient has an outcome; the event is written',
    );
  });
  await knex.raw(
    "ALTER TABLE broadcasts ADD CONSTRAINT broadcasts_status_ck CHECK (status IN ('SCHEDULED','SENDING','COMPLETED','CANCELLED'))",
  );
  await knex.raw(
    'CREATE INDEX broadcasts_workspace_created_idx ON broadcasts (workspace_id, created_at DESC, id DESC)',
  );
  await knex.raw(
    'CREATE INDEX broadcasts_active_idx ON broadcasts (phone_number_id, created_at) WHERE completed_at IS NULL',
  );

  await knex.schema.createTable('broadcast_recipients', (t) => {
    t.uuid('broadcast_id')
      .notNullable()
      .references('id')
      .inTable('broadcasts')
      .onDelete('CASCADE')
      .withKeyName('broadcast_recipients_broadcast_fk');
    t.integer('idx').notNullable().comment('position of the first occurrence in the request');
    t.uuid('message_id').notNullable().comment('the id its message gets when released');
    t.text('recipient').notNullable().comment('digits only');
    t.uuid('contact_id');
    t.jsonb('payload').comment('the Cloud API body; null when skipped');
    t.text('state').notNullable().comment('pending, released, skipped (opted out), cancelled');
    t.primary(['broadcast_id', 'idx'], { constraintName: 'broadcast_recipients_pk' });
  });
  await knex.raw(
    "ALTER TABLE broadcast_recipients ADD CONSTRAINT broadcast_recipients_state_ck CHECK (state IN ('pending','released','skipped','cancelled'))",
  );
  await knex.raw(
    "CREATE INDEX broadcast_recipients_pending_idx ON broadcast_recipients (broadcast_id, idx) WHERE state = 'pending'",
  );

  await knex.schema.alterTable('messages', (t) => {
    t.uuid('broadcast_id').comment('the broadcast that released it, if any');
  });
  // Released and not yet handed to the provider, per number (the release bound), and not final,
  // per broadcast (cancel, completion). Single sends have no broadcast_id: no entry, no cost.
  await knex.raw(
    "CREATE INDEX messages_broadcast_pipe_idx ON messages (phone_number_id) WHERE broadcast_id IS NOT NULL AND status IN ('ACCEPTED','QUEUED')",
  );
  await knex.raw(
    "CREATE INDEX messages_broadcast_open_idx ON messages (broadcast_id) WHERE broadcast_id IS NOT NULL AND status IN ('ACCEPTED','QUEUED','SENDING')",
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS messages_broadcast_open_idx');
  await knex.raw('DROP INDEX IF EXISTS messages_broadcast_pipe_idx');
  await knex.schema.alterTable('messages', (t) => {
    t.dropColumn('broadcast_id');
  });
  await knex.schema.dropTableIfExists('broadcast_recipients');
  await knex.schema.dropTableIfExists('broadcasts');
}
