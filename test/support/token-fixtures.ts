/**
 * Fixtures for token endpoint tests: grants and authorization codes written straight to the stores
 * (as the authorization endpoint would), form posts through supertest, and a row-count fingerprint
 * for "a rejected request changed nothing" checks.
 */
import { createHash, randomBytes } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import type { Context } from '../../src/server/context.js';
import type { AuthorizationCodeRecord, GrantRecord } from '../../src/storage/stores.js';
import { hashHandle, newHandle, newId } from '../../src/tokens/handles.js';
import type { TestContext } from './test-context.js';

export const REDIRECT = 'https://rp.example/cb';
export const SECRET = 'token-endpoint-test-secret-0123456789abcdef';

/** RFC 6749 §2.3.1: form-urlencode id and secret, then Basic-encode them. */
export function basic(clientId: string, secret: string): string {
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface IssuedCode {
  code: string;
  verifier?: string;
  grant: GrantRecord;
  record: AuthorizationCodeRecord;
}

export interface CodeOptions {
  clientId: string;
  userId: string | null;
  scope?: string;
  redirectUri?: string;
  /** false: issue the code without a PKCE challenge. */
  pkce?: boolean;
  nonce?: string | null;
  grant?: Partial<GrantRecord>;
  /** RFC 9449 §10: the dpop_jkt the authorization request named. */
  dpopJkt?: string;
}

/** A grant row and its authorization code row, as the authorization endpoint writes them. */
export async function issueCode(ctx: Context, options: CodeOptions): Promise<IssuedCode> {
  const now = ctx.clock();
  const grant: GrantRecord = {
    id: newId(), clientId: options.clientId, userId: options.userId, scope: options.scope ?? 'openid offline_access',
    claims: null, resource: null, authTime: now - 5, acr: null, amr: ['pwd'], sid: newId(),
    createdAt: now, expiresAt: now + ctx.config.refreshTokenTtl, revokedAt: null, revokedReason: null,
    ...options.grant,
  };
  const pkce = options.pkce === false ? undefined : pkcePair();
  const code = newHandle();
  const record: AuthorizationCodeRecord = {
    codeHash: hashHandle(code), grantId: grant.id, clientId: options.clientId, redirectUri: options.redirectUri ?? REDIRECT,
    codeChallenge: pkce?.challenge ?? null, codeChallengeMethod: pkce ? 'S256' : null, nonce: options.nonce === undefined ? 'n-0S6_WzA2Mj' : options.nonce,
    scope: grant.scope, createdAt: now, expiresAt: now + ctx.config.authorizationCodeTtl, consumedAt: null,
    ...(options.dpopJkt !== undefined ? { dpopJkt: options.dpopJkt } : {}),
  };
  await ctx.stores.insertNewRows({ grants: [grant], authorizationCodes: [record] });
  return { code, verifier: pkce?.verifier, grant, record };
}

/** POSTs a form (arrays become repeated parameters) to /token. */
export function postToken(app: Express, form: Record<string, string | string[] | undefined>, headers: Record<string, string> = {}) {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) for (const v of value === undefined ? [] : [value].flat()) body.append(name, v);
  let req = request(app).post('/token').type('form');
  for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
  return req.send(body.toString());
}

/** Row counts of every protocol table, plus consumed and revoked counts. */
export async function storedState(ctx: Pick<TestContext, 'knex'>): Promise<Record<string, number>> {
  const db = ctx.knex;
  const count = async (table: string, column?: string) => {
    const query = db(table).count<{ n: number | string }[]>({ n: '*' });
    if (column) query.whereNotNull(column);
    return Number((await query)[0].n);
  };
  return {
    grants: await count('grants'),
    revokedGrants: await count('grants', 'revoked_at'),
    codes: await count('authorization_codes'),
    consumedCodes: await count('authorization_codes', 'consumed_at'),
    refreshTokens: await count('refresh_tokens'),
    consumedRefreshTokens: await count('refresh_tokens', 'consumed_at'),
    accessTokens: await count('access_tokens'),
    // A refused request is logged by design (failed client authentication feeds threat detection): not state.
    auditEvents: Number((await db('audit_events').whereNotIn('type', ['client.auth_failed', 'rate_limit.exceeded', 'ip.request_blocked']).count<{ n: number | string }[]>({ n: '*' }))[0].n),
  };
}
