/**
 * Incident response and threat detection: blocked client addresses (single IPs or CIDR ranges, with
 * an optional expiry), server-wide flags such as emergency mode (the database is the one source of
 * truth every node polls), the findings of the threat detector (one per subject per window, so
 * several nodes running the detector record each finding once), and an index that keeps the
 * detector's audit-log queries to the few event types they read.
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V16: security logging and response)
 */
import type { Knex } from 'knex';

export const name = '005-incident';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ip_blocks', (t) => {
    // Normalised address (`203.0.113.7`, `2001:db8::1`) or CIDR range (`198.51.100.0/24`).
    t.string('ip', 64).primary();
    t.string('reason', 255).notNullable();
    t.string('source', 16).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').nullable().index();
  });
  await knex.schema.createTable('settings', (t) => {
    t.string('name', 64).primary();
    t.text('value').notNullable();
    t.bigInteger('updated_at').notNullable();
  });
  await knex.schema.createTable('security_findings', (t) => {
    t.bigIncrements('id');
    t.string('kind', 32).notNullable();
    t.string('subject', 255).notNullable();
    t.text('details').nullable();
    t.bigInteger('created_at').notNullable().index();
    // The detection window the finding belongs to: the unique key makes concurrent detectors idempotent.
    t.bigInteger('window_start').notNullable();
    t.unique(['kind', 'subject', 'window_start']);
  });
  await knex.schema.alterTable('audit_events', (t) => {
    t.index(['type', 'at'], 'audit_events_type_at_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_events', (t) => {
    t.dropIndex(['type', 'at'], 'audit_events_type_at_index');
  });
  for (const table of ['security_findings', 'settings', 'ip_blocks']) await knex.schema.dropTableIfExists(table);
}
