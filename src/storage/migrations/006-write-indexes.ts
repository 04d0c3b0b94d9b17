/**
 * Fewer index updates per issuance. Every issued token writes a grant, a token and an audit event;
 * each index on those tables is one more B-tree page rewritten per commit (on SQLite, one more WAL
 * frame written on the event loop). The profiles put the issuance commit at a tenth of the token
 * endpoint's event-loop time, so indexes no query needs are dropped:
 * - `audit_events (type)`: the `(type, at)` index of 005 answers every query by type.
 * - `access_tokens (client_id)`: no query looks access tokens up by client; a client's tokens are
 *   reached (and revoked) through its grants, which keep their client index.
 * and two become partial, holding only the rows their queries can match:
 * - `grants (user_id)` and `grants (sid)`: client credentials grants have neither, and a query
 *   `where user_id = ?` (or `sid = ?`) implies `is not null`, so both databases still use them.
 * @spec https://www.sqlite.org/partialindex.html#queries_using_partial_indexes
 * @spec https://www.postgresql.org/docs/15/indexes-partial.html
 */
import type { Knex } from 'knex';

export const name = '006-write-indexes';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_events', (t) => {
    t.dropIndex(['type'], 'audit_events_type_index');
  });
  await knex.schema.alterTable('access_tokens', (t) => {
    t.dropIndex(['client_id'], 'access_tokens_client_id_index');
  });
  await knex.schema.alterTable('grants', (t) => {
    t.dropIndex(['user_id'], 'grants_user_id_index');
    t.dropIndex(['sid'], 'grants_sid_index');
  });
  await knex.schema.alterTable('grants', (t) => {
    t.index(['user_id'], 'grants_user_id_index', { predicate: knex.whereNotNull('user_id') });
    t.index(['sid'], 'grants_sid_index', { predicate: knex.whereNotNull('sid') });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('grants', (t) => {
    t.dropIndex(['user_id'], 'grants_user_id_index');
    t.dropIndex(['sid'], 'grants_sid_index');
  });
  await knex.schema.alterTable('grants', (t) => {
    t.index(['user_id'], 'grants_user_id_index');
    t.index(['sid'], 'grants_sid_index');
  });
  await knex.schema.alterTable('access_tokens', (t) => {
    t.index(['client_id'], 'access_tokens_client_id_index');
  });
  await knex.schema.alterTable('audit_events', (t) => {
    t.index(['type'], 'audit_events_type_index');
  });
}
