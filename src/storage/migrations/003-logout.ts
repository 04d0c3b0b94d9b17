/**
 * Back-channel logout deliveries: one row per client to notify of an ended session, kept until the
 * client acknowledged it or the retries ran out, so a restart loses no pending notification.
 * @spec https://openid.net/specs/openid-connect-backchannel-1_0.html#BCRequest
 */
import type { Knex } from 'knex';

export const name = '003-logout';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('logout_deliveries', (t) => {
    t.string('id', 64).primary();
    t.string('client_id', 255).notNullable();
    t.string('user_id', 64).notNullable();
    t.string('sid', 64).nullable();
    t.integer('attempts').notNullable();
    t.bigInteger('next_attempt_at').notNullable().index();
    t.bigInteger('created_at').notNullable();
    t.string('last_error', 255).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('logout_deliveries');
}
