/**
 * Recording: every request to a protocol endpoint that names a client is kept per client, with
 * every secret masked. The raw secrets and tokens of the exchanges must appear nowhere in the rows.
 * @spec https://www.rfc-editor.org/rfc/rfc6819#section-5.1.4.1.3
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recorderFor } from '../../src/inspector/trace-recorder.js';
import { deleteUserData } from '../../src/users/user-privacy.js';
import { createUser } from '../../src/users/user-service.js';
import { MASKED } from '../../src/inspector/secret-masking.js';
import { basic, issueCode, postToken, REDIRECT, SECRET } from '../support/token-fixtures.js';
import { authorizeThroughPages, browser, defaultParams } from '../support/browser-flow.js';
import { pkcePair } from '../support/code-issuer.js';
import { lifecycleRig, type LifecycleRig } from '../support/token-lifecycle-fixtures.js';

describe('Request inspector recording', () => {
  let rig: LifecycleRig;
  const secrets: string[] = [SECRET];
  const rows = async () => {
    await recorderFor(rig.ctx).flush();
    return rig.ctx.database.all('select * from "request_traces" order by "id"');
  };
  const latest = async (clientId: string) => {
    await recorderFor(rig.ctx).flush();
    return (await rig.ctx.stores.requestTraces.listByClient(clientId, { limit: 1 }))[0];
  };

  beforeAll(async () => {
    rig = await lifecycleRig({ adminToken: 'a'.repeat(40) });
  });
  afterAll(() => rig.close());

  it('records a token request with the code, verifier and Basic secret masked and the tokens decoded, never stored', async () => {
    const issued = await issueCode(rig.ctx, { clientId: 'web-jwt', userId: rig.user.id });
    const response = await postToken(rig.app, { grant_type: 'authorization_code', code: issued.code, redirect_uri: REDIRECT, code_verifier: issued.verifier }, { authorization: basic('web-jwt', SECRET) });
    expect(response.status).toBe(200);
    secrets.push(issued.code, issued.verifier!, response.body.access_token, response.body.refresh_token, response.body.id_token.split('.')[2], response.body.access_token.split('.')[2]);
    const trace = await latest('web-jwt');
    expect(trace).toMatchObject({ endpoint: 'token', method: 'POST', status: 200, params: { grant_type: 'authorization_code', code: MASKED, code_verifier: MASKED, redirect_uri: REDIRECT } });
    expect(trace.masked.Authorization).toEqual({ length: expect.any(Number), scheme: 'Basic', user: 'web-jwt' });
    expect(trace.masked.code.hint).toMatch(/^[0-9a-f]{12}$/);
    const access = trace.issued.find((t) => t.kind === 'access_token')!;
    expect(access).toMatchObject({ format: 'jwt', expiresIn: 3600, tokenType: 'Bearer', jwt: { header: { typ: 'at+jwt' }, claims: { client_id: 'web-jwt', sub: rig.user.id } } });
    expect(trace.issued.find((t) => t.kind === 'refresh_token')).toMatchObject({ format: 'opaque', hint: expect.stringMatching(/^[0-9a-f]{12}$/) });
    expect(trace.issued.find((t) => t.kind === 'id_token')?.jwt?.claims.aud).toBe('web-jwt');
  });

  it('records the authorization response delivered by the sign-in pages, for its client, without the pages\' form', async () => {
    const pkce = pkcePair();
    const client = (await rig.ctx.stores.clients.find('web'))!;
    const redirect = await authorizeThroughPages(browser(rig.ctx), { ...defaultParams(client, { code_challenge: pkce.challenge, state: 'resumed-state' }), redirect_uri: REDIRECT }, 'erin', 'erin has a long password');
    const code = redirect.searchParams.get('code')!;
    secrets.push(code, 'erin has a long password');
    const trace = await latest('web');
    expect(trace).toMatchObject({ endpoint: 'authorization', status: 303, params: {}, redirect: REDIRECT, redirectParams: { state: 'resumed-state' } });
    expect(trace.issued).toEqual([{ kind: 'code', format: 'opaque', hint: expect.stringMatching(/^[0-9a-f]{12}$/) }]);
    expect(JSON.stringify(trace)).not.toContain('erin has a long password');
  });

  it('records an error with its code and description (a reused code), attributed to the client', async () => {
    const issued = await issueCode(rig.ctx, { clientId: 'web', userId: rig.user.id });
    const form = { grant_type: 'authorization_code', code: issued.code, redirect_uri: REDIRECT, code_verifier: issued.verifier };
    secrets.push(issued.code, issued.verifier!);
    const first = await postToken(rig.app, form, { authorization: basic('web', SECRET) });
    secrets.push(first.body.access_token, first.body.refresh_token);
    expect((await postToken(rig.app, form, { authorization: basic('web', SECRET) })).status).toBe(400);
    await recorderFor(rig.ctx).flush();
    const [reuse, redemption] = await rig.ctx.stores.requestTraces.listByClient('web', { limit: 2 });
    expect(reuse).toMatchObject({ status: 400, error: { code: 'invalid_grant', description: expect.any(String) }, issued: [] });
    expect(reuse.masked.code.hint).toBe(redemption.masked.code.hint);
  });

  it('masks client_secret (no hint: a client secret may be guessable) and a refresh token, also when refused', async () => {
    const tokens = await rig.codeTokens('web');
    secrets.push(tokens.access_token, tokens.refresh_token!);
    // web is registered for client_secret_basic, so the secret in the form is refused: the trace says why.
    const response = await postToken(rig.app, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: 'web', client_secret: SECRET });
    expect(response.status).toBe(401);
    const trace = await latest('web');
    expect(trace).toMatchObject({ status: 401, error: { code: 'invalid_client' } });
    expect(trace.params).toMatchObject({ client_secret: MASKED, refresh_token: MASKED, client_id: 'web' });
    expect(trace.masked.client_secret).toEqual({ length: SECRET.length });
  });

  it('records introspection, revocation and userinfo (an opaque token attributed through its row)', async () => {
    const tokens = await rig.codeTokens('web');
    secrets.push(tokens.access_token, tokens.refresh_token!);
    expect((await rig.introspect({ token: tokens.access_token })).status).toBe(200);
    expect((await latest('web')).params).toMatchObject({ token: MASKED });
    expect((await request(rig.app).get('/userinfo').set('authorization', `Bearer ${tokens.access_token}`)).status).toBe(200);
    const userinfo = await latest('web');
    expect(userinfo).toMatchObject({ endpoint: 'userinfo', method: 'GET', status: 200, masked: { Authorization: { scheme: 'Bearer', hint: expect.any(String) } } });
    expect((await rig.revoke({ token: tokens.refresh_token!, token_type_hint: 'refresh_token' })).status).toBe(200);
    expect(await latest('web')).toMatchObject({ endpoint: 'revocation', params: { token: MASKED, token_type_hint: 'refresh_token' } });
  });

  it('records an authorization request and where it was sent, without the interaction handle', async () => {
    const query = new URLSearchParams({ response_type: 'code', client_id: 'public', redirect_uri: REDIRECT, scope: 'openid', state: 's-1', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' });
    const response = await request(rig.app).get(`/authorize?${query}`);
    expect([302, 303]).toContain(response.status);
    const trace = await latest('public');
    expect(trace).toMatchObject({ endpoint: 'authorization', method: 'GET', params: { client_id: 'public', state: 's-1', scope: 'openid' } });
    expect(trace.redirect).toBeDefined();
    expect(trace.redirect).not.toMatch(/[A-Za-z0-9_-]{21,}/);
  });

  it('records nothing of requests that name no client, nor of other paths', async () => {
    const before = (await rows()).length;
    await request(rig.app).post('/token').type('form').send('grant_type=client_credentials');
    await request(rig.app).get('/.well-known/openid-configuration');
    expect((await rows()).length).toBe(before);
  });

  it('MUST NOT store any secret or usable token: none of the raw values appears in any row', async () => {
    const stored = JSON.stringify(await rows());
    expect(secrets.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(stored).not.toContain(secret);
  });

  it('forgets the recorded requests that name a user when the user is deleted (GDPR Art. 17)', async () => {
    const user = await createUser(rig.ctx, { username: 'dora_100%', password: 'dora has a long password', claims: {} });
    const issued = await issueCode(rig.ctx, { clientId: 'web-jwt', userId: user.id });
    const tokens = await postToken(rig.app, { grant_type: 'authorization_code', code: issued.code, redirect_uri: REDIRECT, code_verifier: issued.verifier }, { authorization: basic('web-jwt', SECRET) });
    expect(tokens.status).toBe(200);
    const mentioning = async () => (await rows()).filter((row) => String(row.details).includes(user.id)).length;
    expect(await mentioning()).toBeGreaterThan(0);
    const before = (await rows()).length;
    const removed = await deleteUserData(rig.ctx, user);
    expect(removed.request_traces).toBeGreaterThan(0);
    expect(await mentioning()).toBe(0);
    expect((await rows()).length).toBe(before - removed.request_traces);
  });
});
