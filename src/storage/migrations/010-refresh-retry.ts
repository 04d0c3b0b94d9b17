/**
 * The answer to a refresh token rotation, kept sealed for a client's reuse grace period: a retry of
 * the same refresh token within it (the first response was lost) gets the same answer instead of
 * revoking the grant. Keyed by SHA-256 of the consumed refresh token; sealed with a key derived from
 * that token, which the table does not hold, so the rows reveal no token.
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2 (reuse detection; a grace period is the server's choice)
 */
import type { Knex } from 'knex';

export const name = '010-refresh-retry';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('refresh_retry_answers', (t) => {
    t.string('parent_hash', 64).primary();
    t.string('client_id', 255).notNullable();
    t.string('grant_id', 64).notNullable();
    t.text('sealed').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable().index();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('refresh_retry_answers');
}
