/**
 * A fingerprint of the protocol state (row counts, consumed codes and tokens, revoked grants), so a
 * test can assert that a rejected request changed nothing.
 */
import type { Knex } from 'knex';

export async function snapshot(db: Knex): Promise<Record<string, number>> {
  const count = async (table: string, where?: (q: Knex.QueryBuilder) => void) => {
    const query = db(table).count<{ n: number | string }[]>({ n: '*' });
    if (where) where(query);
    return Number((await query)[0].n);
  };
  return {
    grants: await count('grants'),
    revokedGrants: await count('grants', (q) => q.whereNotNull('revoked_at')),
    codes: await count('authorization_codes'),
    consumedCodes: await count('authorization_codes', (q) => q.whereNotNull('consumed_at')),
    refreshTokens: await count('refresh_tokens'),
    consumedRefreshTokens: await count('refresh_tokens', (q) => q.whereNotNull('consumed_at')),
    accessTokens: await count('access_tokens'),
    clients: await count('clients'),
    users: await count('users'),
  };
}
