/**
 * DPoP (RFC 9449): the JWK SHA-256 thumbprint a token or code is bound to. Access tokens keep it so
 * resources and introspection can check the key of an opaque token as of a JWT's cnf; refresh tokens
 * of public clients and codes requested with dpop_jkt keep it so the next request must use the key.
 * Null means not bound. A thumbprint is 43 base64url characters.
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-6 (cnf jkt of bound access tokens)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-5 (refresh tokens of public clients are bound)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-10 (dpop_jkt binds the authorization code)
 */
import type { Knex } from 'knex';

export const name = '009-dpop';

const TABLES = ['access_tokens', 'refresh_tokens', 'authorization_codes'];

export async function up(knex: Knex): Promise<void> {
  for (const table of TABLES) {
    await knex.schema.alterTable(table, (t) => {
      t.string('dpop_jkt', 64).nullable();
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of TABLES) {
    await knex.schema.alterTable(table, (t) => {
      t.dropColumn('dpop_jkt');
    });
  }
}
