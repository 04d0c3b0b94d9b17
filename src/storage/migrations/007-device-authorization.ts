/**
 * Device authorizations (RFC 8628): one row per device_code, keyed by its SHA-256, with the
 * SHA-256 of its user_code (unique, so two live requests never share a code), the polling state
 * (interval and last poll, in the database so slow_down holds across nodes), the user's decision and,
 * once approved, the grant the tokens will belong to.
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3.2
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3.5 (slow_down: the interval grows by 5 s)
 */
import type { Knex } from 'knex';

export const name = '007-device-authorization';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('device_authorizations', (t) => {
    t.string('device_code_hash', 64).primary();
    t.string('user_code_hash', 64).notNullable().unique();
    t.string('client_id', 255).notNullable();
    t.text('scope').notNullable();
    // pending, approved or denied
    t.string('status', 16).notNullable();
    t.integer('poll_interval').notNullable();
    t.bigInteger('last_polled_at').nullable();
    t.string('grant_id', 64).nullable();
    t.string('user_id', 64).nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable().index();
    t.bigInteger('decided_at').nullable();
    t.bigInteger('consumed_at').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('device_authorizations');
}
