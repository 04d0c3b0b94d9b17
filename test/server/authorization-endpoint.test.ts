import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/server/app.js';
import type { ClientRecord } from '../../src/storage/stores.js';
import { providerMetadata } from '../../src/oidc-discovery/provider-metadata.js';
import { hashHandle } from '../../src/tokens/handles.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import {
  authorizeThroughPages, authorizeUrl, browser, defaultParams, pathOf, REDIRECT_URI, registerClient, registerUser,
} from '../support/browser-flow.js';

describe(`authorization endpoint (${backendName})`, () => {
  let ctx: TestContext;
  let client: ClientRecord;
  let app: ReturnType<typeof createApp>;
  let alice: { username: string; password: string };

  beforeAll(async () => {
    ctx = await createTestContext();
    client = await registerClient(ctx, { redirect_uris: [REDIRECT_URI, 'http://127.0.0.1:8080/cb'] });
    const { user, password } = await registerUser(ctx);
    alice = { username: user.username, password };
    app = createApp(ctx);
  });
  afterAll(() => ctx.close());

  const authorize = (overrides: Record<string, string | undefined> = {}) => request(app).get(authorizeUrl(defaultParams(client, overrides)));

  /** The redirect's query parameters, after checking it goes to the registered redirect_uri. */
  function redirectedError(location: string | undefined, redirectUri = REDIRECT_URI): URLSearchParams {
    expect(location).toBeDefined();
    const url = new URL(location!);
    expect(url.origin + url.pathname).toBe(redirectUri);
    expect(url.searchParams.get('iss')).toBe(ctx.config.issuer);
    return url.searchParams;
  }

  describe('RFC 6749 §4.1.2.1 errors that MUST NOT be redirected', () => {
    it('MUST show an error page, not redirect, for an unknown client_id', async () => {
      const res = await authorize({ client_id: 'nobody' });
      expect(res.status).toBe(400);
      expect(res.headers.location).toBeUndefined();
      expect(res.type).toBe('text/html');
      expect(res.text).toContain('invalid client');
    });

    it('MUST show an error page for a missing client_id', async () => {
      const res = await authorize({ client_id: undefined });
      expect(res.status).toBe(400);
      expect(res.headers.location).toBeUndefined();
      expect(res.text).toContain('invalid client');
    });

    it('MUST show an error page for an unregistered redirect_uri', async () => {
      const res = await authorize({ redirect_uri: 'https://attacker.example/cb' });
      expect(res.status).toBe(400);
      expect(res.headers.location).toBeUndefined();
      expect(res.text).toContain('invalid redirect_uri');
    });

    it('MUST require redirect_uri (Castellan policy), with an error page', async () => {
      const res = await authorize({ redirect_uri: undefined });
      expect(res.status).toBe(400);
      expect(res.headers.location).toBeUndefined();
      expect(res.text).toContain('invalid redirect_uri');
    });

    it.each([
      ['an extra query parameter', `${REDIRECT_URI}?extra=1`],
      ['a different port on a non-loopback host', 'https://client.example:8443/cb'],
      ['a fragment', `${REDIRECT_URI}#frag`],
      ['a malformed URI', 'not a uri'],
    ])('MUST show an error page for a redirect_uri with %s', async (_name, redirectUri) => {
      const res = await authorize({ redirect_uri: redirectUri });
      expect(res.status).toBe(400);
      expect(res.headers.location).toBeUndefined();
      expect(res.text).toContain('invalid redirect_uri');
    });

    it('MUST show an error page for a repeated redirect_uri or client_id', async () => {
      const base = authorizeUrl(defaultParams(client));
      const twiceRedirect = await request(app).get(`${base}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}`);
      expect(twiceRedirect.status).toBe(400);
      expect(twiceRedirect.headers.location).toBeUndefined();
      expect(twiceRedirect.text).toContain('invalid redirect_uri');
      const twiceClient = await request(app).get(`${base}&client_id=${client.clientId}`);
      expect(twiceClient.headers.location).toBeUndefined();
      expect(twiceClient.text).toContain('invalid client');
    });

    it('MUST escape reflected input on the error page', async () => {
      const res = await authorize({ redirect_uri: 'https://x.example/<script>alert(1)</script>', state: '<script>x</script>' });
      expect(res.text).not.toContain('<script>');
    });

    it('MAY allow another port on a loopback IP literal (RFC 8252 §7.3)', async () => {
      const res = await authorize({ redirect_uri: 'http://127.0.0.1:51234/cb', response_type: undefined });
      const params = redirectedError(res.headers.location, 'http://127.0.0.1:51234/cb');
      expect(params.get('error')).toBe('invalid_request');
    });
  });

  describe('RFC 6749 §4.1.2.1 errors redirected with state and iss (RFC 9207)', () => {
    it('MUST answer a missing response_type with invalid_request', async () => {
      const res = await authorize({ response_type: undefined });
      expect(res.status).toBe(303);
      const params = redirectedError(res.headers.location);
      expect(params.get('error')).toBe('invalid_request');
      expect(params.get('state')).toBe('af0ifjsldkj');
    });

    it.each(['token', 'id_token', 'code id_token', 'code token', 'id_token token', 'none'])(
      'MUST answer response_type=%s with unsupported_response_type',
      async (responseType) => {
        const params = redirectedError((await authorize({ response_type: responseType })).headers.location);
        expect(params.get('error')).toBe('unsupported_response_type');
      },
    );

    it('MUST answer a client not registered for the code flow with unauthorized_client', async () => {
      const machine = await registerClient(ctx, { grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', redirect_uris: [REDIRECT_URI] });
      const res = await request(app).get(authorizeUrl(defaultParams(machine)));
      expect(redirectedError(res.headers.location).get('error')).toBe('unauthorized_client');
    });

    it('MUST answer a repeated parameter with invalid_request', async () => {
      const res = await request(app).get(`${authorizeUrl(defaultParams(client))}&scope=email`);
      const params = redirectedError(res.headers.location);
      expect(params.get('error')).toBe('invalid_request');
      expect(params.get('error_description')).toContain('more than once');
    });

    it('MUST answer an oversized state with invalid_request and not echo it', async () => {
      const params = redirectedError((await authorize({ state: 'x'.repeat(2049) })).headers.location);
      expect(params.get('error')).toBe('invalid_request');
      expect(params.get('state')).toBeNull();
    });

    it('MUST echo a 128-character state intact', async () => {
      const state = 'a'.repeat(64) + '-_.~'.repeat(16);
      const params = redirectedError((await authorize({ state, response_type: undefined })).headers.location);
      expect(params.get('state')).toBe(state);
    });

    it('MUST answer response_mode=fragment with invalid_request', async () => {
      const params = redirectedError((await authorize({ response_mode: 'fragment' })).headers.location);
      expect(params.get('error')).toBe('invalid_request');
    });

    it('MUST answer a bad request object and a request_uri of a client without request_uris to the proven redirect_uri', async () => {
      expect(redirectedError((await authorize({ request: 'eyJhbGciOiJub25lIn0.e30.' })).headers.location).get('error')).toBe('invalid_request_object');
      expect(redirectedError((await authorize({ request_uri: 'https://client.example/r' })).headers.location).get('error')).toBe('request_uri_not_supported');
    });

    it('MUST answer prompt=none combined with another value with invalid_request', async () => {
      expect(redirectedError((await authorize({ prompt: 'none login' })).headers.location).get('error')).toBe('invalid_request');
    });

    it('MUST answer an invalid max_age or claims parameter with invalid_request', async () => {
      expect(redirectedError((await authorize({ max_age: '-1' })).headers.location).get('error')).toBe('invalid_request');
      expect(redirectedError((await authorize({ claims: '{not json' })).headers.location).get('error')).toBe('invalid_request');
    });

    it('MUST answer a scope with nothing supported with invalid_scope', async () => {
      expect(redirectedError((await authorize({ scope: 'unknown other' })).headers.location).get('error')).toBe('invalid_scope');
    });

    it('MUST deliver errors by form_post when response_mode=form_post', async () => {
      const res = await authorize({ response_mode: 'form_post', response_type: 'token', state: '"><script>alert(1)</script>' });
      expect(res.status).toBe(200);
      expect(res.headers.location).toBeUndefined();
      expect(res.text).toContain(`action="${REDIRECT_URI}"`);
      expect(res.text).toContain('name="error" value="unsupported_response_type"');
      expect(res.text).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
      expect(res.text).not.toContain('<script>alert');
    });
  });

  describe('RFC 7636 PKCE at the authorization endpoint', () => {
    it('MUST reject code_challenge_method=plain with invalid_request', async () => {
      const res = await authorize({ code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' });
      expect(redirectedError(res.headers.location).get('error')).toBe('invalid_request');
    });

    it('MUST require a code_challenge when the client requires PKCE', async () => {
      const res = await authorize({ code_challenge: undefined, code_challenge_method: undefined });
      const params = redirectedError(res.headers.location);
      expect(params.get('error')).toBe('invalid_request');
      expect(params.get('error_description')).toContain('code_challenge');
    });

    it('MUST reject a malformed code_challenge', async () => {
      expect(redirectedError((await authorize({ code_challenge: 'short' })).headers.location).get('error')).toBe('invalid_request');
      expect(redirectedError((await authorize({ code_challenge: 'a'.repeat(42) + '=' })).headers.location).get('error')).toBe('invalid_request');
    });

    it('MAY omit PKCE for a confidential client with require_pkce=false', async () => {
      const confidential = await registerClient(ctx, { token_endpoint_auth_method: 'client_secret_basic', require_pkce: false });
      const res = await request(app).get(authorizeUrl(defaultParams(confidential, { code_challenge: undefined, code_challenge_method: undefined })));
      expect(res.status).toBe(303);
      expect(res.headers.location).toMatch(/\/interaction\/[A-Za-z0-9_-]{43}\/login$/);
    });
  });

  describe('OIDC Core §3.1.2.1 authentication request', () => {
    it('MUST redirect to the login page with an interaction bound to the browser', async () => {
      const res = await authorize({ display: 'page', ui_locales: 'fr-CA en', claims_locales: 'fr', acr_values: 'urn:x', extra: 'foobar' });
      expect(res.status).toBe(303);
      const uid = /\/interaction\/([A-Za-z0-9_-]{43})\/login$/.exec(res.headers.location)![1];
      const cookie = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('castellan_interaction='))!;
      expect(cookie).toContain(`Path=/interaction/${uid}`);
      expect(cookie).toContain('HttpOnly');
      expect(cookie).toContain('SameSite=Lax');
      const stored = await ctx.stores.interactions.find(hashHandle(uid));
      expect(stored?.request).toMatchObject({ clientId: client.clientId, redirectUri: REDIRECT_URI, uiLocale: 'fr-CA', state: 'af0ifjsldkj' });
      expect(await ctx.stores.interactions.find(uid)).toBeUndefined();
    });

    it('MUST answer prompt=none without a session with login_required and the state intact', async () => {
      const params = redirectedError((await authorize({ prompt: 'none' })).headers.location);
      expect(params.get('error')).toBe('login_required');
      expect(params.get('state')).toBe('af0ifjsldkj');
    });

    it('MUST accept POST with a form body', async () => {
      const res = await request(app).post('/authorize').type('form').send(defaultParams(client, { response_type: undefined }) as Record<string, string>);
      expect(redirectedError(res.headers.location).get('error')).toBe('invalid_request');
    });

    describe('with a signed-in browser', () => {
      it('MUST answer at once when the session and remembered consent cover the request', async () => {
        const agent = browser(ctx);
        const first = await authorizeThroughPages(agent, defaultParams(client), alice.username, alice.password);
        expect(first.searchParams.get('code')).toBeTruthy();
        const again = await agent.get(authorizeUrl(defaultParams(client, { state: 's2' }))).expect(303);
        const url = new URL(again.headers.location);
        expect(url.origin + url.pathname).toBe(REDIRECT_URI);
        expect(url.searchParams.get('code')).toBeTruthy();
        expect(url.searchParams.get('state')).toBe('s2');
        expect(url.searchParams.get('iss')).toBe(ctx.config.issuer);
      });

      it('MUST treat the session of a deleted user as no session: login page, or login_required with prompt=none', async () => {
        const { user, password } = await registerUser(ctx);
        const agent = browser(ctx);
        await authorizeThroughPages(agent, defaultParams(client), user.username, password);
        // The user row alone goes (the session row stays), as when a user is removed outside the privacy erasure.
        expect(await ctx.stores.users.remove(user.id)).toBe(true);
        const res = await agent.get(authorizeUrl(defaultParams(client, { state: 'gone' })));
        expect(res.status).toBe(303);
        expect(res.headers.location).toMatch(/\/interaction\/[A-Za-z0-9_-]{43}\/login$/);
        const silent = await agent.get(authorizeUrl(defaultParams(client, { prompt: 'none' })));
        expect(redirectedError(silent.headers.location).get('error')).toBe('login_required');
        expect(redirectedError(silent.headers.location).get('code')).toBeNull();
      });

      it('MUST answer prompt=none silently with a session and remembered consent', async () => {
        const agent = browser(ctx);
        await authorizeThroughPages(agent, defaultParams(client), alice.username, alice.password);
        const res = await agent.get(authorizeUrl(defaultParams(client, { prompt: 'none' }))).expect(303);
        expect(new URL(res.headers.location).searchParams.get('code')).toBeTruthy();
      });

      it('MUST answer prompt=none with consent_required when consent does not cover the scopes', async () => {
        const agent = browser(ctx);
        await authorizeThroughPages(agent, defaultParams(client, { scope: 'openid' }), alice.username, alice.password);
        const res = await agent.get(authorizeUrl(defaultParams(client, { prompt: 'none', scope: 'openid email' })));
        expect(redirectedError(res.headers.location).get('error')).toBe('consent_required');
      });

      it('MUST show the login page again for prompt=login and for max_age=0', async () => {
        const agent = browser(ctx);
        await authorizeThroughPages(agent, defaultParams(client), alice.username, alice.password);
        for (const overrides of [{ prompt: 'login' }, { max_age: '0' }]) {
          const res = await agent.get(authorizeUrl(defaultParams(client, overrides))).expect(303);
          expect(pathOf(res.headers.location)).toMatch(/\/login$/);
        }
      });

      it('MUST re-authenticate when auth_time is older than max_age, and not before', async () => {
        const agent = browser(ctx);
        await authorizeThroughPages(agent, defaultParams(client), alice.username, alice.password);
        ctx.clock.advance(120);
        const recent = await agent.get(authorizeUrl(defaultParams(client, { max_age: '600' }))).expect(303);
        expect(new URL(recent.headers.location).searchParams.get('code')).toBeTruthy();
        const stale = await agent.get(authorizeUrl(defaultParams(client, { max_age: '60' }))).expect(303);
        expect(pathOf(stale.headers.location)).toMatch(/\/login$/);
        const silent = await agent.get(authorizeUrl(defaultParams(client, { max_age: '60', prompt: 'none' })));
        expect(redirectedError(silent.headers.location).get('error')).toBe('login_required');
      });

      it('MUST show the consent page for prompt=consent even when consent is remembered', async () => {
        const agent = browser(ctx);
        await authorizeThroughPages(agent, defaultParams(client), alice.username, alice.password);
        const res = await agent.get(authorizeUrl(defaultParams(client, { prompt: 'consent' }))).expect(303);
        expect(pathOf(res.headers.location)).toMatch(/\/consent$/);
      });

      it('MUST treat an expired session as absent', async () => {
        const agent = browser(ctx);
        await authorizeThroughPages(agent, defaultParams(client), alice.username, alice.password);
        ctx.clock.advance(ctx.config.sessionIdleTtl + 1);
        const res = await agent.get(authorizeUrl(defaultParams(client, { prompt: 'none' })));
        expect(redirectedError(res.headers.location).get('error')).toBe('login_required');
      });
    });
  });

  describe('OAuth 2.0 Form Post Response Mode', () => {
    it('MUST be advertised in discovery', () => {
      expect(providerMetadata(ctx.config).response_modes_supported).toEqual(['query', 'form_post', 'jwt', 'query.jwt', 'form_post.jwt']);
    });

    it('MUST serve the auto-submit script as an external file', async () => {
      const res = await request(app).get('/assets/form-post.js').expect(200);
      expect(res.type).toBe('application/javascript');
      expect(res.text).toContain("getElementById('form-post')");
    });

    it('MUST POST the code and state to the redirect_uri with a form that works without JavaScript', async () => {
      const agent = browser(ctx);
      await authorizeThroughPages(agent, defaultParams(client), alice.username, alice.password);
      const res = await agent.get(authorizeUrl(defaultParams(client, { response_mode: 'form_post', state: '<b>"x"</b>' }))).expect(200);
      expect(res.headers['cache-control']).toContain('no-store');
      expect(res.text).toMatch(/<form method="post" action="https:\/\/client\.example\/cb" id="form-post">/);
      expect(res.text).toMatch(/<input type="hidden" name="code" value="[A-Za-z0-9_-]{43}">/);
      expect(res.text).toContain('<input type="hidden" name="state" value="&lt;b&gt;&quot;x&quot;&lt;/b&gt;">');
      expect(res.text).toContain(`<input type="hidden" name="iss" value="${ctx.config.issuer}">`);
      expect(res.text).toContain('<button type="submit"');
      expect(res.text).toContain('<script src="/assets/form-post.js"></script>');
      expect(res.text).not.toMatch(/<script>/);
    });
  });
});
