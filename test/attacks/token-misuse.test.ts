/**
 * Attack family: codes and tokens used where, by whom or how they were not meant to be: code
 * injection and substitution (RFC 9700 §4.5), code replay (RFC 6749 §4.1.2), refresh tokens of
 * another client or replayed after rotation (RFC 9700 §4.14), token type confusion, credentials in
 * URLs (RFC 6749 §2.3.1, RFC 9700 §4.3.2), and mix-up (RFC 9700 §4.4, RFC 9207).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName } from '../support/test-context.js';
import { attackRig, basic, expectJsonError, goodParams, SECRET, type AttackRig } from './attack-rig.js';

interface Tokens { access_token: string; refresh_token: string; id_token?: string }

describe(`attack suite: token and code misuse (${backendName})`, () => {
  let rig: AttackRig;
  beforeAll(async () => {
    rig = await attackRig();
  });
  afterAll(() => rig.close());

  const tokensFor = async (clientId: string): Promise<Tokens> => {
    const response = await rig.exchange(clientId, await rig.freshCode(clientId));
    expect(response.status).toBe(200);
    return (await response.json()) as Tokens;
  };
  const refresh = (clientId: string, refreshToken: string, extra: Record<string, string> = {}) =>
    rig.post('/token', { grant_type: 'refresh_token', refresh_token: refreshToken, ...(clientId === 'public' ? { client_id: clientId } : {}), ...extra }, clientId === 'public' ? {} : { authorization: basic(clientId) });
  const userinfo = (token: string) => fetch(`${rig.issuer}/userinfo`, { headers: { authorization: `Bearer ${token}` } });

  // RFC 9700 §4.5: a code stolen from one client injected into another client's token request.
  it('MUST refuse a code issued to another client (code substitution)', async () => {
    const { code, verifier } = await rig.freshCode('web');
    await expectJsonError(rig, () => rig.post('/token', { grant_type: 'authorization_code', code, redirect_uri: 'https://rp.example/cb', code_verifier: verifier }, { authorization: basic('other') }), 400, 'invalid_grant');
  });

  // RFC 6749 §4.1.3: a confidential client MUST authenticate; a valid PKCE verifier is not client
  // authentication (the bypass fixed in twentyhq/twenty#22548).
  it('MUST refuse a confidential client\'s code redeemed with PKCE alone, without the client secret', async () => {
    const { code, verifier } = await rig.freshCode('web');
    await expectJsonError(rig, () => rig.post('/token', { grant_type: 'authorization_code', code, redirect_uri: 'https://rp.example/cb', code_verifier: verifier, client_id: 'web' }), 401, 'invalid_client');
  });

  // RFC 6749 §4.1.2: a code used twice is refused, and the tokens issued from it are revoked.
  it('MUST refuse a replayed code and revoke the tokens it already produced', async () => {
    const code = await rig.freshCode('web');
    const first = (await (await rig.exchange('web', code)).json()) as Tokens;
    expect((await userinfo(first.access_token)).status).toBe(200);
    await expectJsonError(rig, () => rig.exchange('web', code), 400, 'invalid_grant', true);
    expect((await userinfo(first.access_token)).status).toBe(401);
    expect((await refresh('web', first.refresh_token)).status).toBe(400);
  });

  // RFC 6749 §4.1.2: codes are short-lived (at most ten minutes recommended).
  it('MUST refuse an expired code', async () => {
    const code = await rig.freshCode('web');
    rig.ctx.clock.advance(rig.ctx.config.authorizationCodeTtl + 1);
    try {
      await expectJsonError(rig, () => rig.exchange('web', code), 400, 'invalid_grant', true);
    } finally {
      rig.ctx.clock.advance(-(rig.ctx.config.authorizationCodeTtl + 1));
    }
  });

  // RFC 9700 §4.14 / RFC 6749 §10.4: a refresh token is bound to the client it was issued to.
  it('MUST refuse a refresh token presented by another client, leaving it usable by its owner', async () => {
    const tokens = await tokensFor('web');
    await expectJsonError(rig, () => refresh('other', tokens.refresh_token), 400, 'invalid_grant');
    expect((await refresh('web', tokens.refresh_token)).status).toBe(200);
  });

  // RFC 9700 §4.14.2: a rotated refresh token presented again means theft; the family is revoked.
  it('MUST revoke the whole family when a rotated public-client refresh token is replayed', async () => {
    const tokens = await tokensFor('public');
    const rotated = (await (await refresh('public', tokens.refresh_token)).json()) as Tokens;
    await expectJsonError(rig, () => refresh('public', tokens.refresh_token), 400, 'invalid_grant', true);
    expect((await refresh('public', rotated.refresh_token)).status).toBe(400);
    expect((await userinfo(rotated.access_token)).status).toBe(401);
  });

  // RFC 6749 §6: the refreshed scope MUST NOT include scope not originally granted.
  it('MUST refuse a refresh that asks for more scope than was granted', async () => {
    const tokens = await tokensFor('web');
    await expectJsonError(rig, () => refresh('web', tokens.refresh_token, { scope: 'openid offline_access email phone address' }), 400, 'invalid_scope');
  });

  // Token type confusion: handles of one kind are never accepted as another.
  it('MUST refuse an access token presented as a refresh token', async () => {
    const tokens = await tokensFor('web');
    await expectJsonError(rig, () => refresh('web', tokens.access_token), 400, 'invalid_grant');
  });
  it('MUST refuse an authorization code presented as a refresh token', async () => {
    const { code } = await rig.freshCode('web');
    await expectJsonError(rig, () => refresh('web', code), 400, 'invalid_grant');
  });
  it('MUST refuse a refresh token used as a bearer access token (RFC 6750 §3.1 invalid_token)', async () => {
    const tokens = await tokensFor('web');
    const response = await userinfo(tokens.refresh_token);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });
  // RFC 9068 §4 (typ at+jwt): an ID token is not an access token, though it is a JWT we signed.
  it('MUST refuse an ID token used as a bearer access token', async () => {
    const tokens = await tokensFor('web');
    expect(tokens.id_token).toBeTruthy();
    const response = await userinfo(tokens.id_token!);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  // RFC 6749 §2.3.1: client credentials MUST NOT be sent in the request URI (logs, history, Referer).
  it('MUST NOT honour client credentials and grant parameters sent in the query string', () =>
    expectJsonError(rig, () => rig.post(`/token?${new URLSearchParams({ grant_type: 'client_credentials', client_id: 'web', client_secret: SECRET })}`, {}), 400, 'invalid_request'));
  // RFC 9700 §4.3.2: access tokens in URI query parameters leak through history and logs.
  it('MUST NOT accept an access token in the query string', async () => {
    const tokens = await tokensFor('web');
    const response = await fetch(`${rig.issuer}/userinfo?access_token=${encodeURIComponent(tokens.access_token)}`);
    expect(response.status).toBe(401);
  });

  // RFC 7009 §2.1: a client may revoke only its own tokens; another client's request changes nothing.
  it('MUST NOT let another client revoke a token it was not issued', async () => {
    const tokens = await tokensFor('web');
    const before = await rig.state();
    await rig.post('/revoke', { token: tokens.refresh_token }, { authorization: basic('other') });
    expect(await rig.state()).toEqual(before);
    expect((await refresh('web', tokens.refresh_token)).status).toBe(200);
  });

  // RFC 7662 §4: introspection must not tell one client about another client's tokens.
  it('MUST answer another client\'s introspection of a token with only active false', async () => {
    const tokens = await tokensFor('web');
    const response = await rig.post('/introspect', { token: tokens.access_token }, { authorization: basic('other') });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ active: false });
  });

  // RFC 9700 §4.4.2 / RFC 9207 §2: error responses name the issuer too, so a client talking to
  // several servers cannot be mixed up by an error from the wrong one.
  it('MUST put iss in an error response as well as in the code response (mix-up defence)', async () => {
    const error = await rig.authorize(goodParams('web', { scope: 'not-a-scope' }));
    expect(new URL(error.headers.get('location')!).searchParams.get('iss')).toBe(rig.issuer);
    expect(new URL(error.headers.get('location')!).searchParams.get('error')).toBe('invalid_scope');
  });
});
