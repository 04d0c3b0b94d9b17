/**
 * Forced failures of the test control API (src/test-control/): the next N responses to one client
 * fail in a chosen way. In the database so every node of a deployment takes from the same count;
 * the clock offset lives in `settings` beside emergency mode.
 */
import type { Knex } from 'knex';

export const name = '012-test-control';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('test_failures', (t) => {
    t.increments('id').primary();
    t.string('client_id', 255).notNullable();
    t.string('endpoint', 32).notNullable();
    t.string('failure', 32).notNullable();
    t.integer('remaining').notNullable();
    t.integer('delay_ms');
    t.bigInteger('created_at').notNullable();
    t.index(['client_id', 'endpoint']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('test_failures');
}
