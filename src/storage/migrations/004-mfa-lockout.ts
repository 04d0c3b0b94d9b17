/**
 * MFA and login lockout: TOTP enrolments (secret sealed with the master key, last accepted time step
 * for replay protection), recovery codes (SHA-256 only), pending MFA steps of interactions, and the
 * per-username reset generation that `castellan users unlock` bumps.
 * @spec https://www.rfc-editor.org/rfc/rfc6238#section-5.2 (a code is accepted once)
 */
import type { Knex } from 'knex';

export const name = '004-mfa-lockout';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('user_mfa', (t) => {
    t.string('user_id', 64).primary().references('id').inTable('users').onDelete('CASCADE');
    t.text('secret_encrypted').notNullable();
    t.bigInteger('enabled_at').notNullable();
    t.bigInteger('last_used_step').nullable();
  });
  await knex.schema.createTable('recovery_codes', (t) => {
    t.string('user_id', 64).notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('code_hash', 64).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('used_at').nullable();
    t.primary(['user_id', 'code_hash']);
  });
  await knex.schema.createTable('mfa_challenges', (t) => {
    t.string('uid_hash', 64).primary();
    t.string('user_id', 64).notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable().index();
  });
  await knex.schema.createTable('login_throttle_resets', (t) => {
    t.string('username', 255).primary();
    t.integer('generation').notNullable();
    t.bigInteger('reset_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['login_throttle_resets', 'mfa_challenges', 'recovery_codes', 'user_mfa']) await knex.schema.dropTableIfExists(table);
}
