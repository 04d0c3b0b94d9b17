import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OAuthError } from '../../src/errors/oauth-error.js';
import { authorizationRequestScope, clientCredentialsScope, refreshScope } from '../../src/rfc6749-oauth2/scope-policy.js';
import type { ClientRecord } from '../../src/storage/stores.js';
import { REDIRECT_URI, registerClient } from '../support/browser-flow.js';
import { backendName, createTestContextWithClient, type TestContext } from '../support/test-context.js';

/** The error a policy throws, as code and description. */
function refusal(work: () => unknown): { code?: string; description?: string } {
  try {
    work();
  } catch (error) {
    return { code: (error as OAuthError).code, description: (error as OAuthError).description };
  }
  return {};
}

describe(`RFC 6749 §3.3 scope policy (${backendName})`, () => {
  let ctx: TestContext;
  let client: ClientRecord;
  let limited: ClientRecord;
  let service: ClientRecord;
  let open: ClientRecord;

  beforeAll(async () => {
    ({ ctx, client } = await createTestContextWithClient());
    limited = await registerClient(ctx, { scope: 'profile api:read' });
    const confidential = { token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'], redirect_uris: [REDIRECT_URI] };
    service = await registerClient(ctx, { ...confidential, scope: 'api:read api:write openid' });
    open = await registerClient(ctx, confidential);
  });
  afterAll(() => ctx.close());

  describe('at the authorization endpoint', () => {
    it('SHOULD ignore scope values it does not support (OIDC Core §3.1.2.1)', () => {
      expect(authorizationRequestScope(client, 'openid unknown email email')).toBe('openid email');
    });

    it('MUST fail with invalid_scope when nothing supported remains or scope is omitted', () => {
      expect(refusal(() => authorizationRequestScope(client, 'unknown'))).toEqual({
        code: 'invalid_scope', description: 'no requested scope can be granted: unknown is not supported by this server',
      });
      expect(refusal(() => authorizationRequestScope(client, undefined)).code).toBe('invalid_scope');
    });

    it('MUST limit a client with a registered scope to that list (plus openid) and default to it', () => {
      expect(authorizationRequestScope(limited, 'openid profile email api:read')).toBe('openid profile api:read');
      expect(authorizationRequestScope(limited, undefined)).toBe('profile api:read');
      expect(refusal(() => authorizationRequestScope(limited, 'email'))).toEqual({
        code: 'invalid_scope', description: 'no requested scope can be granted: email is not registered for this client',
      });
    });
  });

  describe('in the client_credentials grant (RFC 6749 §4.4.2)', () => {
    it('MUST drop values outside the registered scope, like the authorization endpoint', () => {
      expect(clientCredentialsScope(service, 'api:read admin')).toBe('api:read');
    });

    it('MUST drop openid and offline_access, which need an end-user, and refuse a request left empty, saying why', () => {
      expect(clientCredentialsScope(open, 'reports openid offline_access')).toBe('reports');
      expect(refusal(() => clientCredentialsScope(service, 'openid admin'))).toEqual({
        code: 'invalid_scope',
        description: 'no requested scope can be granted: openid needs an end-user, and the client_credentials grant has none; admin is not registered for this client',
      });
    });

    it('uses the registered scope, without user scopes, when none is requested (§3.3)', () => {
      expect(clientCredentialsScope(service, undefined)).toBe('api:read api:write');
      expect(clientCredentialsScope(open, undefined)).toBe('');
    });
  });

  describe('at refresh (RFC 6749 §6)', () => {
    it('MAY narrow the scope, and keeps it when omitted', () => {
      expect(refreshScope('openid', 'openid offline_access')).toBe('openid');
      expect(refreshScope(undefined, 'openid offline_access')).toBe('openid offline_access');
    });

    it('MUST refuse any value beyond the original grant with invalid_scope, naming it, rather than drop it', () => {
      expect(refusal(() => refreshScope('openid email', 'openid offline_access'))).toEqual({
        code: 'invalid_scope', description: 'scope exceeds the original grant: email was not granted by the resource owner',
      });
    });

    it('MUST drop values the client is no longer registered for, and refuse when none remains (§3.3)', () => {
      const narrowed = { ...service, metadata: { ...service.metadata, scope: 'api:read' } };
      expect(refreshScope(undefined, 'api:read api:write', narrowed)).toBe('api:read');
      expect(refreshScope('api:read', 'api:read api:write', narrowed)).toBe('api:read');
      expect(refreshScope(undefined, 'openid profile api:read', narrowed)).toBe('openid api:read');
      expect(refusal(() => refreshScope(undefined, 'api:write', narrowed))).toEqual({
        code: 'invalid_scope', description: 'no granted scope can be refreshed: api:write is no longer registered for this client',
      });
      expect(refreshScope(undefined, 'api:read api:write', open)).toBe('api:read api:write');
    });
  });
});
