import type { Knex } from 'knex';

/**
 * Per sending number, what every dispatcher process must agree on (ADR 0013): its own rate, when
 * Meta's default does not fit (an upgraded 1,000 msg/s number, a 20 msg/s coexistence number),
 * and an account-level pause, so that one process's 190 or 131031 stops the number everywhere.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('phone_numbers', (t) => {
    t.double('messages_per_second').comment(
      'provider calls per second for this number; NULL: DISPATCH_RATE_PER_NUMBER',
    );
    t.timestamp('paused_until', { useTz: true }).comment(
      'no provider calls before this (set after an account-level error)',
    );
    t.text('pause_reason').comment('the error that paused the number, e.g. "131031 Business Account locked"');
  });
  await knex.raw(
    'ALTER TABLE phone_numbers ADD CONSTRAINT phone_numbers_messages_per_second_ck CHECK (messages_per_second IS NULL OR messages_per_second > 0)',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE phone_numbers DROP CONSTRAINT IF EXISTS phone_numbers_messages_per_second_ck');
  await knex.schema.alterTable('phone_numbers', (t) => {
    t.dropColumn('pause_reason');
    t.dropColumn('paused_until');
    t.dropColumn('messages_per_second');
  });
}
