import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('workspaces', (t) => {
    t.uuid('id').primary();
    t.text('name').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary();
    t.text('email').notNullable();
    t.text('password_hash').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('CREATE UNIQUE INDEX users_email_lower_uq ON users (lower(email))');
  await knex.schema.createTable('memberships', (t) => {
    t.uuid('workspace_id')
      .notNullable()
      .references('id')
      .inTable('workspaces')
      .onDelete('CASCADE')
      .withKeyName('memberships_workspace_fk');
    t.uuid('user_id')
      .notNullable()
      .references('id')
      .inTable('users')
      .onDelete('CASCADE')
      .withKeyName('memberships_user_fk');
    t.text('role').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['workspace_id', 'user_id'], { constraintName: 'memberships_pk' });
  });
  await knex.raw(
    "ALTER TABLE memberships ADD CONSTRAINT memberships_role_ck CHECK (role IN ('owner','admin','member'))",
  );
  await knex.schema.createTable('api_keys', (t) => {
    t.uuid('id').primary();
    t.uuid('workspace_id')
      .notNullable()
      .references('id')
      .inTable('workspaces')
      .onDelete('CASCADE')
      .withKeyName('api_keys_workspace_fk');
    t.text('api_key').notNullable().unique({ indexName: 'api_keys_api_key_uq' });
    t.text('secret_hash')
      .notNullable()
      .comment('argon2id hash of the secret; the secret itself is never stored');
    t.text('label');
    t.uuid('created_by')
      .references('id')
      .inTable('users')
      .onDelete('SET NULL')
      .withKeyName('api_keys_created_by_fk');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_used_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
    t.index(['workspace_id'], 'api_keys_workspace_idx');
  });
  await knex.schema.createTable('phone_numbers', (t) => {
    t.uuid('id').primary();
    t.uuid('workspace_id')
      .notNullable()
      .references('id')
      .inTable('workspaces')
      .onDelete('CASCADE')
      .withKeyName('phone_numbers_workspace_fk');
    t.text('provider_phone_number_id').notNullable();
    t.text('display_phone_number').notNullable();
    t.text('waba_id');
    t.text('access_token_encrypted').notNullable().comment('AES-256-GCM, see TokenCipher');
    t.boolean('is_default').notNullable().defaultTo(false);
    t.text('status').notNullable().defaultTo('active');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['workspace_id', 'provider_phone_number_id'], {
      indexName: 'phone_numbers_workspace_provider_uq',
    });
  });
  await knex.raw(
    'CREATE UNIQUE INDEX phone_numbers_one_default_uq ON phone_numbers (workspace_id) WHERE is_default',
  );
  await knex.schema.createTable('templates', (t) => {
    t.uuid('id').primary();
    t.uuid('workspace_id')
      .notNullable()
      .references('id')
      .inTable('workspaces')
      .onDelete('CASCADE')
      .withKeyName('templates_workspace_fk');
    t.text('name').notNullable();
    t.text('language').notNullable();
    t.text('category').notNullable();
    t.text('status').notNullable();
    t.jsonb('components').notNullable();
    t.jsonb('variables')
      .notNullable()
      .comment('Variable keys the template expects, derived once when stored');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['workspace_id', 'name', 'language'], { indexName: 'templates_workspace_name_language_uq' });
  });
  await knex.schema.createTable('contacts', (t) => {
    t.uuid('id').primary();
    t.uuid('workspace_id')
      .notNullable()
      .references('id')
      .inTable('workspaces')
      .onDelete('CASCADE')
      .withKeyName('contacts_workspace_fk');
    t.text('phone').notNullable();
    t.text('name');
    t.text('email');
    t.jsonb('tags').notNullable().defaultTo('[]');
    t.jsonb('attributes').notNullable().defaultTo('{}');
    t.boolean('opted_out').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['workspace_id', 'phone'], { indexName: 'contacts_workspace_phone_uq' });
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'contacts',
    'templates',
    'phone_numbers',
    'api_keys',
    'memberships',
    'users',
    'workspaces',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
