/**
 * ID tokens for logout tests: real ones minted by the provider for a grant, and forgeries (foreign
 * key, tampered payload) an attacker could present as id_token_hint.
 */
import { decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { mintIdToken } from '../../src/oidc-core/id-token.js';
import type { Context } from '../../src/server/context.js';
import type { ClientRecord, GrantRecord, UserRecord } from '../../src/storage/stores.js';
import { newId } from '../../src/tokens/handles.js';

export function grantOf(ctx: Context, client: ClientRecord, user: UserRecord, overrides: Partial<GrantRecord> = {}): GrantRecord {
  const now = ctx.clock();
  return {
    id: newId(), clientId: client.clientId, userId: user.id, scope: 'openid', claims: null, resource: null, authTime: now, acr: null,
    amr: ['pwd'], sid: newId(), createdAt: now, expiresAt: now + 3600, revokedAt: null, revokedReason: null, ...overrides,
  };
}

/** An ID token as the token endpoint would issue it. */
export function idTokenFor(ctx: Context, client: ClientRecord, user: UserRecord, grant?: Partial<GrantRecord>): Promise<string> {
  return mintIdToken(ctx, { grant: grantOf(ctx, client, user, grant), client, user, nonce: 'n' });
}

/** The same claims signed by a key that is not ours, under one of our kids (or an unknown one). */
export async function foreignIdToken(ctx: Context, genuine: string, kid?: string): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  const payload = JSON.parse(Buffer.from(genuine.split('.')[1], 'base64url').toString('utf8'));
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: kid ?? decodeProtectedHeader(genuine).kid, typ: 'JWT' }).sign(privateKey);
}

/** A genuine token whose payload was edited without re-signing. */
export function tamperedIdToken(genuine: string, changes: Record<string, unknown>): string {
  const [header, payload, signature] = genuine.split('.');
  const claims = { ...JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')), ...changes };
  return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
}
