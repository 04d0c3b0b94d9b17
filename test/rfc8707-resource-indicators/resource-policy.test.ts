/**
 * Which resources a client may request (its `resources` metadata), audience restriction of access
 * tokens, and narrowing at the token endpoint: at the authorization endpoint, for each grant.
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-2
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-2.1
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-2.2
 */
import { decodeJwt } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { grantResources, narrowResources, validateResourcesMetadata } from '../../src/rfc8707-resource-indicators/resource-policy.js';
import type { ClientRecord } from '../../src/storage/stores.js';
import { hashHandle } from '../../src/tokens/handles.js';
import { authorizeThroughPages, authorizeUrl, browser, defaultParams, pkcePair, REDIRECT_URI } from '../support/browser-flow.js';
import { basic, issueCode, postToken, REDIRECT, SECRET, storedState } from '../support/token-fixtures.js';
import { backendName } from '../support/test-context.js';
import { API, CALENDAR, JWT_API, lifecycleRig, type LifecycleRig } from '../support/token-lifecycle-fixtures.js';

const client = (resources?: string[]) => ({ metadata: resources ? { resources } : {} }) as unknown as ClientRecord;

describe('RFC 8707 resource policy', () => {
  describe('the resources client metadata (Castellan extension)', () => {
    it('accepts absolute URIs without fragment and drops repeats', () => {
      expect(validateResourcesMetadata([API, 'urn:example:x', API])).toEqual([API, 'urn:example:x']);
      expect(validateResourcesMetadata(undefined)).toBeUndefined();
    });
    it.each([['a string', API], ['a relative URI', ['/api']], ['a fragment', ['https://api.example/#x']], ['a number', [42]]])('MUST refuse %s with invalid_client_metadata', (_label, value) => {
      expect(() => validateResourcesMetadata(value)).toThrow(expect.objectContaining({ code: 'invalid_client_metadata' }));
    });
  });

  describe('RFC 8707 §2.1 resources of a new grant', () => {
    it('is null when no resource was requested', () => {
      expect(grantResources(client([API]), undefined)).toBeNull();
    });
    it('returns the requested resources the client registered', () => {
      expect(grantResources(client([API, CALENDAR]), [CALENDAR, API])).toEqual([CALENDAR, API]);
    });
    it('MUST answer a resource the client did not register with invalid_target', () => {
      expect(() => grantResources(client([API]), [API, CALENDAR])).toThrow(expect.objectContaining({ code: 'invalid_target' }));
    });
    it('MUST answer any resource from a client without registered resources with invalid_target', () => {
      expect(() => grantResources(client(), API)).toThrow(expect.objectContaining({ code: 'invalid_target' }));
    });
  });

  describe('RFC 8707 §2.2 narrowing to a subset of the grant', () => {
    it('defaults to the whole grant, or none', () => {
      expect(narrowResources(undefined, [API, CALENDAR])).toEqual([API, CALENDAR]);
      expect(narrowResources(undefined, null)).toBeNull();
    });
    it('accepts a subset', () => {
      expect(narrowResources(CALENDAR, [API, CALENDAR])).toEqual([CALENDAR]);
    });
    it('MUST answer a resource outside the grant with invalid_target, even one the client registered', () => {
      expect(() => narrowResources([API, JWT_API], [API])).toThrow(expect.objectContaining({ code: 'invalid_target' }));
      expect(() => narrowResources(API, null)).toThrow(expect.objectContaining({ code: 'invalid_target' }));
    });
  });
});

describe(`RFC 8707 at the token endpoint (${backendName})`, () => {
  let rig: LifecycleRig;
  beforeAll(async () => {
    rig = await lifecycleRig();
  });
  afterAll(() => rig.close());

  const audOf = async (token: string, clientId = 'web') => (await rig.introspect({ token }, clientId)).body.aud;
  const post = (form: Record<string, string | string[] | undefined>, clientId = 'web') => postToken(rig.app, form, { authorization: basic(clientId, SECRET) });

  it('MUST restrict a client credentials token to the requested resource(s)', async () => {
    expect(await audOf((await rig.serviceTokens('svc', { resource: API })).access_token, 'svc')).toBe(API);
    const both = await rig.serviceTokens('svc', { resource: [API, JWT_API] });
    expect(decodeJwt(both.access_token).aud).toEqual([API, JWT_API]);
    const grantId = (await rig.ctx.stores.accessTokens.find(decodeJwt(both.access_token).jti as string))!.grantId;
    expect((await rig.ctx.stores.grants.find(grantId))?.resource).toEqual([API, JWT_API]);
  });

  it('MUST refuse a client credentials resource the client did not register with invalid_target, issuing nothing', async () => {
    const before = await storedState(rig.ctx);
    const response = await post({ grant_type: 'client_credentials', resource: CALENDAR }, 'svc');
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_target');
    expect(await storedState(rig.ctx)).toEqual(before);
  });

  it('MUST refuse a malformed resource with invalid_target', async () => {
    const response = await post({ grant_type: 'client_credentials', resource: 'https://api.example/#frag' }, 'svc');
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_target');
  });

  it('gives a code-grant access token the grant\'s resources, or the requested subset', async () => {
    expect(await audOf((await rig.codeTokens('web', { resource: [API, CALENDAR] })).access_token)).toEqual([API, CALENDAR]);
    expect(await audOf((await rig.codeTokens('web', { resource: [API, CALENDAR], tokenResource: [CALENDAR] })).access_token)).toBe(CALENDAR);
  });

  it('MUST refuse a code exchange for a resource outside the grant with invalid_target, leaving the code unused', async () => {
    const issued = await issueCode(rig.ctx, { clientId: 'web', userId: rig.user.id, grant: { resource: [API] } });
    const form = { grant_type: 'authorization_code', code: issued.code, redirect_uri: REDIRECT, code_verifier: issued.verifier };
    const refused = await post({ ...form, resource: CALENDAR });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_target');
    expect((await rig.ctx.stores.codes.findWithGrant(hashHandle(issued.code)))?.token.consumedAt).toBeNull();
    expect((await post(form)).status).toBe(200);
  });

  it('lets a refresh request narrow the audience while the refresh token keeps the whole grant', async () => {
    const first = await rig.codeTokens('web', { resource: [API, CALENDAR] });
    const narrowed = await rig.refresh(first.refresh_token!, 'web', { resource: API });
    expect(await audOf(narrowed.access_token)).toBe(API);
    const full = await rig.refresh(narrowed.refresh_token!);
    expect(await audOf(full.access_token)).toEqual([API, CALENDAR]);
  });

  it('MUST refuse a refresh for a resource outside the grant with invalid_target, without rotating', async () => {
    const first = await rig.codeTokens('web', { resource: [API] });
    const refused = await post({ grant_type: 'refresh_token', refresh_token: first.refresh_token!, resource: CALENDAR });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_target');
    expect((await rig.ctx.stores.refreshTokens.find(hashHandle(first.refresh_token!)))?.consumedAt).toBeNull();
  });

  it('MUST refuse any resource on a refresh of a grant that has none', async () => {
    const first = await rig.codeTokens('web');
    const refused = await post({ grant_type: 'refresh_token', refresh_token: first.refresh_token!, resource: API });
    expect(refused.body.error).toBe('invalid_target');
  });
});

describe(`RFC 8707 §2.1 at the authorization endpoint (${backendName})`, () => {
  let rig: LifecycleRig;
  let web: ClientRecord;
  beforeAll(async () => {
    rig = await lifecycleRig();
    web = (await createClient(rig.ctx, { client_id: 'spa', token_endpoint_auth_method: 'none', redirect_uris: [REDIRECT_URI], resources: [API, CALENDAR] })).record;
  });
  afterAll(() => rig.close());

  const withResources = (params: Record<string, string | undefined>, resources: string[]) => `${authorizeUrl(params)}${resources.map((r) => `&resource=${encodeURIComponent(r)}`).join('')}`;

  it('MUST redirect invalid_target (with state and iss) for a resource the client may not request', async () => {
    const response = await request(rig.app).get(withResources(defaultParams(web), [API, JWT_API]));
    expect([302, 303]).toContain(response.status);
    const url = new URL(response.headers.location as string);
    expect(url.origin + url.pathname).toBe(REDIRECT_URI);
    expect(url.searchParams.get('error')).toBe('invalid_target');
    expect(url.searchParams.get('state')).toBe('af0ifjsldkj');
    expect(url.searchParams.get('iss')).toBe(rig.ctx.config.issuer);
  });

  it('MUST redirect invalid_target for a malformed resource', async () => {
    const response = await request(rig.app).get(withResources(defaultParams(web), ['relative/path']));
    expect(new URL(response.headers.location as string).searchParams.get('error')).toBe('invalid_target');
  });

  it('records the approved resources in the grant, through login and consent, and the token carries them', async () => {
    const pkce = pkcePair();
    const agent = browser(rig.ctx);
    // Sign in and consent once; the request with resources then completes from the session.
    await authorizeThroughPages(agent, defaultParams(web), 'erin', 'erin has a long password');
    const start = await agent.get(withResources(defaultParams(web, { code_challenge: pkce.challenge }), [API, CALENDAR]));
    const code = new URL(start.headers.location as string).searchParams.get('code');
    expect(code).toBeTruthy();
    const tokens = await postToken(rig.app, { grant_type: 'authorization_code', client_id: 'spa', code: code!, redirect_uri: REDIRECT_URI, code_verifier: pkce.verifier });
    expect(tokens.status).toBe(200);
    const record = await rig.ctx.stores.accessTokens.find(hashHandle(tokens.body.access_token));
    expect(record?.audience).toEqual([API, CALENDAR]);
    expect((await rig.ctx.stores.grants.find(record!.grantId))?.resource).toEqual([API, CALENDAR]);
  });
});
