/**
 * The request inspector's recordings (src/inspector/): one row per request to a protocol endpoint
 * that named a client, secrets masked before the row is written. Bounded per client by the recorder
 * and in time by the retention pass (INSPECTOR_RETENTION).
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V16.2.5: no secrets in logs)
 */
import type { Knex } from 'knex';

export const name = '011-request-traces';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('request_traces', (t) => {
    t.bigIncrements('id');
    t.string('client_id', 255).notNullable();
    t.bigInteger('at').notNullable().index();
    t.string('endpoint', 32).notNullable();
    t.string('method', 8).notNullable();
    t.integer('status').notNullable();
    t.string('error_code', 64).nullable();
    // Parameters, masked values, error and decoded tokens as JSON (RequestTrace in request-trace-records.ts).
    t.text('details').notNullable();
    // A client's newest rows first: its page, the CLI, and the per-client bound.
    t.index(['client_id', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('request_traces');
}
