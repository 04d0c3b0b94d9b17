/**
 * The initial schema. Times are integer epoch seconds so SQLite and PostgreSQL compare them alike;
 * JSON documents are text. Every handle column holds SHA-256 (base64url) of the handle, never the handle.
 */
import type { Knex } from 'knex';

export const name = '001-initial';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('clients', (t) => {
    t.string('client_id', 255).primary();
    t.string('secret_hash', 64).nullable();
    t.text('secret_encrypted').nullable();
    t.text('metadata').notNullable();
    t.string('registration_token_hash', 64).nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });
  await knex.schema.createTable('users', (t) => {
    t.string('id', 64).primary();
    t.string('username', 255).notNullable().unique();
    t.text('password_hash').notNullable();
    t.text('claims').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });
  await knex.schema.createTable('signing_keys', (t) => {
    t.string('kid', 64).primary();
    t.string('alg', 16).notNullable();
    t.string('state', 16).notNullable().index();
    t.text('public_jwk').notNullable();
    t.text('private_encrypted').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('activated_at').nullable();
    t.bigInteger('retired_at').nullable();
    t.bigInteger('remove_after').nullable();
  });
  await knex.schema.createTable('grants', (t) => {
    t.string('id', 64).primary();
    t.string('client_id', 255).notNullable().index();
    t.string('user_id', 64).nullable().index();
    t.text('scope').notNullable();
    t.text('claims').nullable();
    t.text('resource').nullable();
    t.bigInteger('auth_time').nullable();
    t.string('acr', 255).nullable();
    t.text('amr').nullable();
    t.string('sid', 64).nullable().index();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable().index();
    t.bigInteger('revoked_at').nullable();
    t.string('revoked_reason', 64).nullable();
  });
  await knex.schema.createTable('authorization_codes', (t) => {
    t.string('code_hash', 64).primary();
    t.string('grant_id', 64).notNullable().index();
    t.string('client_id', 255).notNullable();
    t.text('redirect_uri').notNullable();
    t.string('code_challenge', 128).nullable();
    t.string('code_challenge_method', 16).nullable();
    t.text('nonce').nullable();
    t.text('scope').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable().index();
    t.bigInteger('consumed_at').nullable();
  });
  await knex.schema.createTable('refresh_tokens', (t) => {
    t.string('token_hash', 64).primary();
    t.string('grant_id', 64).notNullable().index();
    t.string('client_id', 255).notNullable();
    t.text('scope').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable().index();
    t.bigInteger('consumed_at').nullable();
  });
  await knex.schema.createTable('access_tokens', (t) => {
    // SHA-256 of an opaque handle, or the jti of a JWT access token.
    t.string('token_hash', 64).primary();
    t.string('format', 8).notNullable();
    t.string('grant_id', 64).notNullable().index();
    t.string('client_id', 255).notNullable().index();
    t.text('scope').notNullable();
    t.text('audience').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable().index();
  });
  await knex.schema.createTable('sessions', (t) => {
    t.string('id_hash', 64).primary();
    t.string('user_id', 64).notNullable().index();
    t.string('sid', 64).notNullable().unique();
    t.bigInteger('auth_time').notNullable();
    t.string('acr', 255).nullable();
    t.text('amr').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('last_seen_at').notNullable();
    t.bigInteger('idle_expires_at').notNullable();
    t.bigInteger('absolute_expires_at').notNullable().index();
  });
  await knex.schema.createTable('interactions', (t) => {
    t.string('uid_hash', 64).primary();
    t.text('request').notNullable();
    t.string('user_id', 64).nullable();
    t.string('csrf_token_hash', 64).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable().index();
  });
  await knex.schema.createTable('consents', (t) => {
    t.string('user_id', 64).notNullable();
    t.string('client_id', 255).notNullable();
    t.text('scope').notNullable();
    t.bigInteger('granted_at').notNullable();
    t.primary(['user_id', 'client_id']);
  });
  await knex.schema.createTable('used_assertions', (t) => {
    t.string('key_hash', 64).primary();
    t.bigInteger('expires_at').notNullable().index();
  });
  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id');
    t.bigInteger('at').notNullable().index();
    t.string('type', 64).notNullable().index();
    t.string('client_id', 255).nullable();
    t.string('user_id', 64).nullable();
    t.string('ip', 64).nullable();
    t.text('user_agent').nullable();
    t.text('details').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['audit_events', 'used_assertions', 'consents', 'interactions', 'sessions', 'access_tokens', 'refresh_tokens', 'authorization_codes', 'grants', 'signing_keys', 'users', 'clients']) {
    await knex.schema.dropTableIfExists(table);
  }
}
