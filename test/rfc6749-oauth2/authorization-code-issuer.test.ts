import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeAuthorization, issueAuthorizationCode } from '../../src/rfc6749-oauth2/authorization-code-issuer.js';
import type { AuthorizationRequest } from '../../src/rfc6749-oauth2/authorization-request.js';
import type { ClientRecord, SessionRecord } from '../../src/storage/stores.js';
import { hashHandle, newHandle, newId } from '../../src/tokens/handles.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { REDIRECT_URI, registerClient, registerUser } from '../support/browser-flow.js';

describe(`RFC 6749 §4.1.2 issuing the authorization code (${backendName})`, () => {
  let ctx: TestContext;
  let request: AuthorizationRequest;
  let session: SessionRecord;
  let client: ClientRecord;

  beforeAll(async () => {
    ctx = await createTestContext();
    client = await registerClient(ctx);
    const { user } = await registerUser(ctx);
    const now = ctx.clock();
    session = {
      idHash: hashHandle(newHandle()), userId: user.id, sid: newId(), authTime: now - 30, acr: null, amr: ['pwd'],
      createdAt: now, lastSeenAt: now, idleExpiresAt: now + 600, absoluteExpiresAt: now + 3600,
    };
    request = {
      clientId: client.clientId, redirectUri: REDIRECT_URI, responseMode: 'query', state: 's', scope: 'openid email',
      nonce: 'n1', codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', codeChallengeMethod: 'S256', prompt: [],
      maxAge: null, loginHint: null, hintedSubject: null, uiLocale: null, claims: { userinfo: { email: null } },
    };
  });
  afterAll(() => ctx.close());

  it('MUST write the grant and the hashed code in one transaction, bound to client, redirect_uri and PKCE', async () => {
    const { code, grant } = await ctx.stores.transaction((tx) => issueAuthorizationCode(ctx, { request, session, scope: 'openid email' }, client, tx));
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await ctx.stores.codes.findWithGrant(code)).toBeUndefined();
    const row = (await ctx.stores.codes.findWithGrant(hashHandle(code)))?.token;
    expect(row).toMatchObject({
      grantId: grant.id, clientId: request.clientId, redirectUri: REDIRECT_URI, codeChallenge: request.codeChallenge,
      codeChallengeMethod: 'S256', nonce: 'n1', scope: 'openid email', consumedAt: null,
    });
    expect(row!.expiresAt - row!.createdAt).toBe(ctx.config.authorizationCodeTtl);
    const stored = await ctx.stores.grants.find(grant.id);
    expect(stored).toMatchObject({
      clientId: request.clientId, userId: session.userId, scope: 'openid email', claims: { userinfo: { email: null } }, resource: null,
      authTime: session.authTime, amr: ['pwd'], sid: session.sid, revokedAt: null,
    });
    expect(stored!.expiresAt - stored!.createdAt).toBe(ctx.config.refreshTokenTtl);
  });

  it('MUST record an audit event without the code', async () => {
    const { code, grant } = await completeAuthorization(ctx, { request, session, scope: 'openid' });
    const events = await ctx.stores.audit.list({ type: 'authorization.code_issued', userId: session.userId });
    const event = events.find((e) => e.details?.grantId === grant.id);
    expect(event).toBeDefined();
    expect(JSON.stringify(event)).not.toContain(code);
  });

  it('MUST remember consent as the union of granted scopes', async () => {
    await completeAuthorization(ctx, { request, session, scope: 'openid profile' });
    await completeAuthorization(ctx, { request, session, scope: 'openid offline_access' });
    const consent = await ctx.stores.consents.find(session.userId, request.clientId);
    expect(consent?.scope.split(' ').sort()).toEqual(['email', 'offline_access', 'openid', 'profile']);
  });

  it('MUST add an essential auth_time request to the grant when max_age was sent', async () => {
    const { grant } = await completeAuthorization(ctx, { request: { ...request, maxAge: 60, claims: null }, session, scope: 'openid' });
    expect((await ctx.stores.grants.find(grant.id))?.claims).toEqual({ id_token: { auth_time: { essential: true } } });
  });

  it('MUST issue nothing when the interaction was already completed', async () => {
    const uidHash = hashHandle(newHandle());
    const now = ctx.clock();
    await ctx.stores.interactions.insert({ uidHash, request: {}, userId: session.userId, csrfTokenHash: hashHandle('c'), createdAt: now, expiresAt: now + 60 });
    await completeAuthorization(ctx, { request, session, scope: 'openid' }, uidHash);
    const before = (await ctx.stores.audit.list({ type: 'authorization.code_issued' })).length;
    await expect(completeAuthorization(ctx, { request, session, scope: 'openid' }, uidHash)).rejects.toMatchObject({ code: 'invalid_request' });
    expect((await ctx.stores.audit.list({ type: 'authorization.code_issued' })).length).toBe(before);
  });
});
