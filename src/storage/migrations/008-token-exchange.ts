/**
 * Token exchange (RFC 8693): a token issued by exchange belongs to a grant of its own that records
 * the grant of the subject token it came from (`parent_grant_id`), the subject it speaks for
 * (`subject`: the subject token's `sub`, which is not the exchanging client) and the delegation
 * chain (`act`, JSON), so an opaque token shows it at introspection as a JWT carries it.
 * `parent_grant_id` is indexed: revoking a grant walks down to the grants exchanged from it.
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-4.1 (act)
 */
import type { Knex } from 'knex';

export const name = '008-token-exchange';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('grants', (t) => {
    t.string('parent_grant_id', 64).nullable();
    t.string('subject', 255).nullable();
    t.text('act').nullable();
  });
  await knex.schema.alterTable('grants', (t) => {
    // Only exchanged grants have a parent: a partial index holds just those rows.
    t.index(['parent_grant_id'], 'grants_parent_grant_id_index', { predicate: knex.whereNotNull('parent_grant_id') });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('grants', (t) => {
    t.dropIndex(['parent_grant_id'], 'grants_parent_grant_id_index');
  });
  await knex.schema.alterTable('grants', (t) => {
    t.dropColumn('act');
    t.dropColumn('subject');
    t.dropColumn('parent_grant_id');
  });
}
