/**
 * Token lifecycle: an access token can be revoked on its own (RFC 7009), apart from its grant, so
 * its row records when. Opaque handles and JWT jtis share the column; null means not revoked.
 * @spec https://www.rfc-editor.org/rfc/rfc7009#section-2.1
 */
import type { Knex } from 'knex';

export const name = '002-token-lifecycle';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('access_tokens', (t) => {
    t.bigInteger('revoked_at').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('access_tokens', (t) => {
    t.dropColumn('revoked_at');
  });
}
