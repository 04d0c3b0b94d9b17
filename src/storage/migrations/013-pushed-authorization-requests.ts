/**
 * Pushed authorization requests (RFC 9126): the validated parameters of one request, keyed by the
 * SHA-256 of the request_uri's random part, bound to the client that pushed it, short-lived and
 * used once (consumed_at set by one conditional update).
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-2.2 (request_uri, expires_in)
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-4 (one-time use, bound to the client)
 */
import type { Knex } from 'knex';

export const name = '013-pushed-authorization-requests';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('pushed_authorization_requests', (t) => {
    t.string('handle_hash', 64).primary();
    t.string('client_id', 255).notNullable();
    // JSON of the authorization request parameters, validated when pushed.
    t.text('params').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable().index();
    t.bigInteger('consumed_at').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('pushed_authorization_requests');
}
