/**
 * RP-Initiated Logout 1.0 §2-§4: validation of the logout request: the id_token_hint must be ours
 * (any published key, expiry ignored), client_id must agree with it, and post_logout_redirect_uri
 * must exactly match a value registered for that client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { mintLogoutToken } from '../../src/oidc-back-channel-logout/logout-token.js';
import { validateLogoutRequest } from '../../src/oidc-rp-initiated-logout/end-session-request.js';
import type { ClientRecord, UserRecord } from '../../src/storage/stores.js';
import { mintAccessToken } from '../../src/tokens/access-token.js';
import { createUser } from '../../src/users/user-service.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { foreignIdToken, grantOf, idTokenFor, tamperedIdToken } from './hint-fixtures.js';

const LOGOUT_A = 'https://rp-a.example/post_logout_redirect';

describe(`RP-Initiated Logout §2-§4 request validation (${backendName})`, () => {
  let ctx: TestContext;
  let rpA: ClientRecord;
  let rpB: ClientRecord;
  let user: UserRecord;
  let hintA: string;

  beforeAll(async () => {
    ctx = await createTestContext();
    rpA = (await createClient(ctx, { client_id: 'rp-a', client_name: 'RP A', redirect_uris: ['https://rp-a.example/cb'], post_logout_redirect_uris: [LOGOUT_A], backchannel_logout_uri: 'https://rp-a.example/backchannel', token_endpoint_auth_method: 'none' })).record;
    rpB = (await createClient(ctx, { client_id: 'rp-b', redirect_uris: ['https://rp-b.example/cb'], post_logout_redirect_uris: ['https://rp-b.example/bye'], token_endpoint_auth_method: 'none' })).record;
    user = await createUser(ctx, { username: 'logout-validation', password: 'correct horse battery staple' });
    hintA = await idTokenFor(ctx, rpA, user, { sid: 'sid-a' });
  });
  afterAll(() => ctx.close());

  const invalid = (description: RegExp) => expect.objectContaining({ code: 'invalid_request', description: expect.stringMatching(description) });

  it('accepts a request without parameters (the user is asked, nothing is redirected)', async () => {
    expect(await validateLogoutRequest(ctx, {})).toEqual({ client: null, hint: null, postLogoutRedirectUri: null, state: null, uiLocale: null });
  });

  it('identifies the client and user from a valid id_token_hint and keeps an exactly matching post_logout_redirect_uri and state', async () => {
    const request = await validateLogoutRequest(ctx, { id_token_hint: hintA, post_logout_redirect_uri: LOGOUT_A, state: 's'.repeat(128), ui_locales: 'de-CH en' });
    expect(request.client?.clientId).toBe('rp-a');
    expect(request.hint).toMatchObject({ sub: user.id, aud: ['rp-a'], sid: 'sid-a' });
    expect(request.postLogoutRedirectUri).toBe(LOGOUT_A);
    expect(request.state).toBe('s'.repeat(128));
    expect(request.uiLocale).toBe('de-CH');
  });

  it('accepts client_id with post_logout_redirect_uri and no hint (the client is named, the URI registered for it)', async () => {
    const request = await validateLogoutRequest(ctx, { client_id: 'rp-a', post_logout_redirect_uri: LOGOUT_A });
    expect(request.postLogoutRedirectUri).toBe(LOGOUT_A);
  });

  it('SHOULD accept an expired id_token_hint (§4)', async () => {
    const hint = await idTokenFor(ctx, rpA, user);
    ctx.clock.advance(ctx.config.idTokenTtl + 600);
    try {
      await expect(validateLogoutRequest(ctx, { id_token_hint: hint })).resolves.toMatchObject({ hint: { sub: user.id } });
    } finally {
      ctx.clock.advance(-(ctx.config.idTokenTtl + 600));
    }
  });

  it('accepts a hint signed with a key since retired but still published', async () => {
    const hint = await idTokenFor(ctx, rpA, user);
    await ctx.keystore.rotate();
    await expect(validateLogoutRequest(ctx, { id_token_hint: hint })).resolves.toMatchObject({ client: { clientId: 'rp-a' } });
  });

  it('MUST reject a hint signed by someone else under one of our kids', async () => {
    await expect(validateLogoutRequest(ctx, { id_token_hint: await foreignIdToken(ctx, hintA) })).rejects.toEqual(invalid(/id_token_hint/));
  });

  it('MUST reject a hint with an unknown kid', async () => {
    await expect(validateLogoutRequest(ctx, { id_token_hint: await foreignIdToken(ctx, hintA, 'not-our-kid') })).rejects.toEqual(invalid(/id_token_hint/));
  });

  it('MUST reject a hint whose payload was modified', async () => {
    await expect(validateLogoutRequest(ctx, { id_token_hint: tamperedIdToken(hintA, { sub: 'someone-else' }) })).rejects.toEqual(invalid(/id_token_hint/));
  });

  it('MUST reject a malformed hint', async () => {
    for (const hint of ['abc', 'a.b.c', `${hintA}x`, hintA.split('.').slice(0, 2).join('.')]) {
      await expect(validateLogoutRequest(ctx, { id_token_hint: hint })).rejects.toEqual(invalid(/id_token_hint/));
    }
  });

  it('MUST reject a hint naming another issuer, even under our signature', async () => {
    const hint = await ctx.keystore.sign({ iss: 'https://other-op.example', sub: user.id, aud: 'rp-a', iat: ctx.clock(), exp: ctx.clock() + 60 });
    await expect(validateLogoutRequest(ctx, { id_token_hint: hint })).rejects.toEqual(invalid(/id_token_hint/));
  });

  it('rejects our other JWTs (access tokens, logout tokens) presented as id_token_hint', async () => {
    const { token: accessToken } = await mintAccessToken(ctx, { grant: grantOf(ctx, rpA, user), scope: 'openid', format: 'jwt', subject: user.id });
    const logoutToken = await mintLogoutToken(ctx, rpA, { sub: user.id, sid: 'sid-a' });
    for (const hint of [accessToken, logoutToken]) {
      await expect(validateLogoutRequest(ctx, { id_token_hint: hint })).rejects.toEqual(invalid(/id_token_hint/));
    }
  });

  it('MUST reject client_id that is not the audience of the hint (§2)', async () => {
    await expect(validateLogoutRequest(ctx, { id_token_hint: hintA, client_id: 'rp-b' })).rejects.toEqual(invalid(/not issued to this client_id/));
  });

  it('rejects an unknown client_id', async () => {
    await expect(validateLogoutRequest(ctx, { client_id: 'nobody' })).rejects.toEqual(invalid(/not a registered client/));
  });

  it('MUST NOT accept a post_logout_redirect_uri registered for another client', async () => {
    await expect(validateLogoutRequest(ctx, { id_token_hint: hintA, post_logout_redirect_uri: rpB.metadata.post_logout_redirect_uris![0] }))
      .rejects.toEqual(invalid(/invalid post_logout_redirect_uri/));
  });

  it('MUST NOT accept a post_logout_redirect_uri that differs in any way from the registered one (§3 exact match)', async () => {
    for (const uri of [`${LOGOUT_A}?foo=bar`, `${LOGOUT_A}/`, LOGOUT_A.toUpperCase(), 'https://rp-a.example/post_logout_redirect#x', 'https://evil.example/']) {
      await expect(validateLogoutRequest(ctx, { id_token_hint: hintA, post_logout_redirect_uri: uri })).rejects.toEqual(invalid(/invalid post_logout_redirect_uri/));
    }
  });

  it('MUST NOT accept a post_logout_redirect_uri when neither hint nor client_id names the client', async () => {
    await expect(validateLogoutRequest(ctx, { post_logout_redirect_uri: LOGOUT_A, state: 'x' })).rejects.toEqual(invalid(/must identify the client/));
  });

  it('rejects a repeated parameter and an oversized one', async () => {
    await expect(validateLogoutRequest(ctx, { state: ['a', 'b'] })).rejects.toEqual(invalid(/more than once/));
    await expect(validateLogoutRequest(ctx, { id_token_hint: 'x'.repeat(9000) })).rejects.toEqual(invalid(/too long/));
  });

  it('ignores logout_hint and unknown parameters', async () => {
    await expect(validateLogoutRequest(ctx, { logout_hint: 'alice', extra: 'foobar' })).resolves.toMatchObject({ client: null });
  });
});
