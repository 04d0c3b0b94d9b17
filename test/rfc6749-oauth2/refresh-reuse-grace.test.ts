/**
 * The refresh token reuse grace period (opt in per client): a retry of a just-rotated refresh token
 * gets the rotation's own answer within the grace period, and revokes the family after it, as RFC
 * 9700 §4.14.2 reuse detection always does for clients that did not opt in. Raced on every backend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { validateReuseGrace } from '../../src/rfc6749-oauth2/refresh-reuse-grace.js';
import { hashHandle } from '../../src/tokens/handles.js';
import { registerUser } from '../support/browser-flow.js';
import { basic, issueCode, postToken, REDIRECT, SECRET } from '../support/token-fixtures.js';
import { backendName, createTestContextWithApp, type TestContext } from '../support/test-context.js';

const GRACE = 10;

describe(`refresh token reuse grace period (${backendName})`, () => {
  let ctx: TestContext;
  let app: Awaited<ReturnType<typeof createTestContextWithApp>>['app'];
  let userId: string;

  beforeAll(async () => {
    ({ ctx, app } = await createTestContextWithApp({ rateLimitEnabled: false }));
    userId = (await registerUser(ctx)).user.id;
    const client = (clientId: string, extra: Record<string, unknown>) => createClient(ctx, {
      client_id: clientId, client_secret: SECRET, redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], ...extra,
    });
    await client('lenient', { refresh_token_reuse_grace: GRACE });
    await client('strict', {});
  });
  afterAll(() => ctx.close());

  /** A fresh family: a code redeemed for tokens; returns its first refresh token. */
  const firstRefreshToken = async (clientId: string): Promise<string> => {
    const { code, verifier } = await issueCode(ctx, { clientId, userId, scope: 'openid offline_access' });
    const response = await postToken(app, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }, { authorization: basic(clientId, SECRET) });
    expect(response.status, response.text).toBe(200);
    return response.body.refresh_token as string;
  };
  const refresh = (clientId: string, token: string) => postToken(app, { grant_type: 'refresh_token', refresh_token: token }, { authorization: basic(clientId, SECRET) });

  it('is off by default: a retried refresh token revokes the family (RFC 9700 §4.14.2)', async () => {
    const token = await firstRefreshToken('strict');
    const rotated = await refresh('strict', token);
    expect(rotated.status).toBe(200);
    expect((await refresh('strict', token)).body.error).toBe('invalid_grant');
    expect((await refresh('strict', rotated.body.refresh_token as string)).body.error).toBe('invalid_grant');
  });

  it('within the grace period, a retry gets the same new token pair, and the family lives on', async () => {
    const token = await firstRefreshToken('lenient');
    const rotated = await refresh('lenient', token);
    expect(rotated.status).toBe(200);
    ctx.clock.advance(3);
    const retried = await refresh('lenient', token);
    expect(retried.status, retried.text).toBe(200);
    expect(retried.body).toMatchObject({ access_token: rotated.body.access_token, refresh_token: rotated.body.refresh_token, id_token: rotated.body.id_token });
    expect(retried.body.expires_in).toBe(rotated.body.expires_in - 3);
    expect((await refresh('lenient', rotated.body.refresh_token as string)).status).toBe(200);
  });

  it('after the grace period, reuse revokes the family as before', async () => {
    const token = await firstRefreshToken('lenient');
    const rotated = await refresh('lenient', token);
    ctx.clock.advance(GRACE + 1);
    const late = await refresh('lenient', token);
    expect(late.status).toBe(400);
    expect(late.body).toMatchObject({ error: 'invalid_grant', error_description: 'the refresh token was already used' });
    expect((await refresh('lenient', rotated.body.refresh_token as string)).body.error).toBe('invalid_grant');
  });

  it('keeps the answer sealed under the consumed token: the row holds no token, and another client cannot use it', async () => {
    const token = await firstRefreshToken('lenient');
    const rotated = await refresh('lenient', token);
    const row = await ctx.stores.refreshRetryAnswers.find(hashHandle(token));
    expect(row).toBeDefined();
    expect(row!.sealed).not.toContain(rotated.body.access_token as string);
    expect(Buffer.from(row!.sealed, 'base64url').toString('latin1')).not.toContain(rotated.body.refresh_token as string);
    expect((await refresh('strict', token)).body.error).toBe('invalid_grant');
  });

  it('race: concurrent uses of one refresh token all get the winner\'s answer within the grace period', async () => {
    const token = await firstRefreshToken('lenient');
    const answers = await Promise.all(Array.from({ length: 5 }, () => refresh('lenient', token)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(answers.map((a) => a.body.access_token)).size).toBe(1);
    expect(new Set(answers.map((a) => a.body.refresh_token)).size).toBe(1);
    expect((await refresh('lenient', answers[0].body.refresh_token as string)).status).toBe(200);
  });

  it('race: without the grace period exactly one concurrent use wins and the family is revoked', async () => {
    const token = await firstRefreshToken('strict');
    const answers = await Promise.all(Array.from({ length: 5 }, () => refresh('strict', token)));
    const won = answers.filter((a) => a.status === 200);
    expect(won).toHaveLength(1);
    expect(answers.filter((a) => a.body.error === 'invalid_grant')).toHaveLength(4);
    expect((await refresh('strict', won[0].body.refresh_token as string)).body.error).toBe('invalid_grant');
  });

  it('accepts 0 (off) to 60 whole seconds in client metadata', () => {
    expect(() => validateReuseGrace({ refresh_token_reuse_grace: 5 })).not.toThrow();
    for (const bad of [-1, 61, 2.5, '5']) expect(() => validateReuseGrace({ refresh_token_reuse_grace: bad })).toThrow(/refresh_token_reuse_grace/);
  });
});
