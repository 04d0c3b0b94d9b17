/**
 * Access token format per client and per resource: a resource configured in
 * JWT_ACCESS_TOKEN_RESOURCES receives RFC 9068 JWTs even from a client registered for opaque ones;
 * the JWT carries the resource as aud and its jti is recorded, so it stays revocable.
 * @spec https://www.rfc-editor.org/rfc/rfc9068#section-2 (typ at+jwt; iss, exp, aud, sub, client_id, iat, jti)
 * @spec https://www.rfc-editor.org/rfc/rfc9068#section-3 (aud from the resource indicator)
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { accessTokenFormat } from '../../src/rfc9068-jwt-access-token/access-token-format.js';
import { backendName } from '../support/test-context.js';
import { API, JWT_API, lifecycleRig, type LifecycleRig } from '../support/token-lifecycle-fixtures.js';

describe('RFC 9068 access token format selection', () => {
  const config = { jwtAccessTokenResources: [JWT_API] };

  it('follows the client: jwt when it registered jwt, whatever the audience', () => {
    expect(accessTokenFormat(config, { access_token_format: 'jwt' }, null)).toBe('jwt');
    expect(accessTokenFormat(config, { access_token_format: 'jwt' }, [API])).toBe('jwt');
  });

  it('is opaque for an opaque client unless a configured JWT resource is in the audience', () => {
    expect(accessTokenFormat(config, { access_token_format: 'opaque' }, null)).toBe('opaque');
    expect(accessTokenFormat(config, {}, [API])).toBe('opaque');
    expect(accessTokenFormat(config, { access_token_format: 'opaque' }, [API, JWT_API])).toBe('jwt');
  });

  it('reads JWT_ACCESS_TOKEN_RESOURCES as absolute URIs and refuses anything else', () => {
    expect(loadConfig({ JWT_ACCESS_TOKEN_RESOURCES: `${JWT_API}, ${API}` }).jwtAccessTokenResources).toEqual([JWT_API, API]);
    expect(loadConfig({}).jwtAccessTokenResources).toEqual([]);
    expect(() => loadConfig({ JWT_ACCESS_TOKEN_RESOURCES: 'relative/path' })).toThrow(ConfigError);
    expect(() => loadConfig({ JWT_ACCESS_TOKEN_RESOURCES: 'https://api.example/#frag' })).toThrow(ConfigError);
  });
});

describe(`RFC 9068 JWT access tokens for a configured resource (${backendName})`, () => {
  let rig: LifecycleRig;
  beforeAll(async () => {
    rig = await lifecycleRig();
  });
  afterAll(() => rig.close());

  it('issues a JWT (typ at+jwt, aud the resource, required claims) to an opaque client asking for a JWT resource', async () => {
    const tokens = await rig.serviceTokens('svc', { resource: JWT_API, scope: 'reports:read' });
    expect(decodeProtectedHeader(tokens.access_token).typ).toBe('at+jwt');
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({ iss: rig.ctx.config.issuer, aud: JWT_API, sub: 'svc', client_id: 'svc', scope: 'reports:read' });
    for (const name of ['exp', 'iat', 'jti']) expect(claims[name]).toBeDefined();
    const record = await rig.ctx.stores.accessTokens.find(claims.jti as string);
    expect(record).toMatchObject({ format: 'jwt', audience: [JWT_API], revokedAt: null });
  });

  it('keeps the opaque format for other resources and for no resource', async () => {
    for (const form of [{ resource: API }, {}] as Record<string, string>[]) {
      const tokens = await rig.serviceTokens('svc', form);
      expect(tokens.access_token.split('.')).toHaveLength(1);
    }
  });

  it('switches format per request when a refresh narrows the audience to or away from the JWT resource', async () => {
    const first = await rig.codeTokens('web', { resource: [API, JWT_API] });
    expect(first.access_token.split('.')).toHaveLength(3);
    const opaque = await rig.refresh(first.refresh_token!, 'web', { resource: API });
    expect(opaque.access_token.split('.')).toHaveLength(1);
    const jwt = await rig.refresh(opaque.refresh_token!, 'web', { resource: JWT_API });
    expect(decodeJwt(jwt.access_token).aud).toBe(JWT_API);
  });

  it('keeps such a JWT revocable and introspectable by its jti', async () => {
    const tokens = await rig.serviceTokens('svc', { resource: JWT_API });
    expect((await rig.introspect({ token: tokens.access_token }, 'svc')).body).toMatchObject({ active: true, jti: decodeJwt(tokens.access_token).jti, aud: JWT_API });
    expect((await rig.revoke({ token: tokens.access_token }, 'svc')).status).toBe(200);
    expect((await rig.introspect({ token: tokens.access_token }, 'svc')).body).toStrictEqual({ active: false });
  });
});
