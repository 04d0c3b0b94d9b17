/**
 * Certificate-bound tokens (RFC 8705 §3, §4): the x5t#S256 thumbprint of the client certificate a
 * token is bound to, next to DPoP's dpop_jkt (009). Access tokens keep it so resources and
 * introspection can check an opaque token as a JWT's cnf; refresh tokens of public clients keep it
 * so the next refresh must come with the same certificate. Null means not bound. A thumbprint is 43
 * base64url characters.
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-3 (certificate-bound access tokens)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-4 (public clients' certificate-bound refresh tokens)
 */
import type { Knex } from 'knex';

export const name = '014-certificate-binding';

const TABLES = ['access_tokens', 'refresh_tokens'];

export async function up(knex: Knex): Promise<void> {
  for (const table of TABLES) {
    await knex.schema.alterTable(table, (t) => {
      t.string('x5t_s256', 64).nullable();
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of TABLES) {
    await knex.schema.alterTable(table, (t) => {
      t.dropColumn('x5t_s256');
    });
  }
}
