import type { Knex } from 'knex';

/**
 * Every insert, update and delete of a template or a phone number notifies `flowgate_changes`
 * with "<table>:<workspace id>", so API processes drop what they cached for that workspace
 * (ADR 0011), whoever made the change: another instance, the CLI, or SQL typed by an operator.
 * The notice goes out when the transaction commits.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE OR REPLACE FUNCTION flowgate_notify_change() RETURNS trigger AS $$
    BEGIN
      PERFORM pg_notify('flowgate_changes', TG_TABLE_NAME || ':' ||
        (CASE WHEN TG_OP = 'DELETE' THEN OLD.workspace_id ELSE NEW.workspace_id END)::text);
      IF TG_OP = 'UPDATE' AND NEW.workspace_id IS DISTINCT FROM OLD.workspace_id THEN
        PERFORM pg_notify('flowgate_changes', TG_TABLE_NAME || ':' || OLD.workspace_id::text);
      END IF;
      RETURN NULL;
    END
    $$ LANGUAGE plpgsql`);
  for (const table of ['templates', 'phone_numbers'])
    await knex.raw(`
      CREATE TRIGGER ${table}_notify_change AFTER INSERT OR UPDATE OR DELETE ON ${table}
      FOR EACH ROW EXECUTE FUNCTION flowgate_notify_change()`);
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['templates', 'phone_numbers'])
    await knex.raw(`DROP TRIGGER IF EXISTS ${table}_notify_change ON ${table}`);
  await knex.raw('DROP FUNCTION IF EXISTS flowgate_notify_change()');
}
