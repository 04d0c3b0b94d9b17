/**
 * Attack family: the authorization server as an open redirector (RFC 9700 §4.11.2, CWE-601). The
 * server must redirect only to URIs registered for a client it has identified: never for an
 * unknown client, never to an unproven URI even when another error is pending, never after logout
 * to an unregistered address, and never through path tricks on its own routes.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName } from '../support/test-context.js';
import { attackRig, expectErrorPage, expectRedirectError, goodParams, LOGOUT_REDIRECT, type AttackRig } from './attack-rig.js';

const ATTACKER = 'https://attacker.example/phish';

/** A GET with the path exactly as written (fetch would normalise it first). */
function rawGet(issuer: string, path: string): Promise<{ status: number; location?: string }> {
  const { hostname, port } = new URL(issuer);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET', headers: { accept: 'text/html' } }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, location: res.headers.location });
    });
    req.on('error', reject);
    req.end();
  });
}

describe(`attack suite: open redirection (${backendName})`, () => {
  let rig: AttackRig;
  beforeAll(async () => {
    rig = await attackRig();
  });
  afterAll(() => rig.close());

  describe('authorization endpoint', () => {
    // RFC 9700 §4.11.2; the Keycloak report behind CVE-2022-1970 tried an empty client_id.
    it('MUST NOT redirect for an unknown client_id, whatever redirect_uri says', () =>
      expectErrorPage(rig, () => rig.authorize(goodParams('nobody', { redirect_uri: ATTACKER })), /invalid client/));
    it('MUST NOT redirect for an empty client_id', () =>
      expectErrorPage(rig, () => rig.authorize(goodParams('web', { client_id: '', redirect_uri: ATTACKER })), /invalid client/));
    // RFC 6749 §4.1.2.1: an error that would be redirected (bad scope, response_type) must not be
    // sent to an unproven redirect_uri: the redirect_uri check comes first.
    it('MUST NOT redirect an invalid_scope error to an unregistered redirect_uri', () =>
      expectErrorPage(rig, () => rig.authorize(goodParams('web', { redirect_uri: ATTACKER, scope: 'nonsense' })), /invalid redirect_uri/));
    it('MUST NOT redirect an unsupported_response_type error to an unregistered redirect_uri', () =>
      expectErrorPage(rig, () => rig.authorize(goodParams('web', { redirect_uri: ATTACKER, response_type: 'token' })), /invalid redirect_uri/));
    // Keycloak GHSA-9vm7-v8wj-3fqw: an unknown response mode ("form_post.jwt") skipped the check.
    it('MUST NOT post a form to an unregistered redirect_uri with response_mode=form_post.jwt', async () => {
      const page = await expectErrorPage(rig, () => rig.authorize(goodParams('web', { redirect_uri: ATTACKER, response_mode: 'form_post.jwt' })), /invalid redirect_uri/);
      // The page names the value received (as text, for the developer), but nothing on it goes there.
      expect(page).not.toMatch(/<form[^>]*attacker\.example/);
      expect(page).not.toMatch(/(href|action|src)="[^"]*attacker\.example/);
      expect(page).not.toContain('<script');
    });
    it('MUST NOT post a form to an unregistered redirect_uri with response_mode=form_post', async () => {
      const page = await expectErrorPage(rig, () => rig.authorize(goodParams('web', { redirect_uri: ATTACKER, response_mode: 'form_post' })), /invalid redirect_uri/);
      expect(page).not.toMatch(/<form[^>]*attacker\.example/);
    });
    // Parameter pollution through state (RFC 6749 §10.14: sanitise state): the value is encoded, so
    // it cannot add a code or a second redirect target to the response.
    it('MUST encode a state that tries to add parameters to the redirect', async () => {
      const state = `x&code=attacker-code&iss=${encodeURIComponent('https://evil.example')}`;
      const location = await expectRedirectError(rig, () => rig.authorize(goodParams('web', { state, scope: 'nonsense' })), 'invalid_scope');
      expect(location.searchParams.getAll('state')).toEqual([state]);
      expect(location.searchParams.getAll('code')).toEqual([]);
      expect(location.searchParams.getAll('iss')).toEqual([rig.issuer]);
    });
  });

  describe('end_session_endpoint (RP-Initiated Logout 1.0 §3: exact match or no redirect)', () => {
    const logout = (params: Record<string, string>) => fetch(`${rig.issuer}/logout?${new URLSearchParams(params)}`, { redirect: 'manual' });
    it('MUST NOT redirect to an unregistered post_logout_redirect_uri', () =>
      expectErrorPage(rig, () => logout({ client_id: 'web', post_logout_redirect_uri: ATTACKER }), /post_logout_redirect_uri/));
    it('MUST NOT redirect to a post_logout_redirect_uri registered for another client', () =>
      expectErrorPage(rig, () => logout({ client_id: 'other', post_logout_redirect_uri: LOGOUT_REDIRECT }), /post_logout_redirect_uri/));
    it('MUST NOT redirect to a post_logout_redirect_uri when no client is identified', () =>
      expectErrorPage(rig, () => logout({ post_logout_redirect_uri: LOGOUT_REDIRECT }), /post_logout_redirect_uri/));
    it('MUST NOT accept a post_logout_redirect_uri that only starts with a registered one', () =>
      expectErrorPage(rig, () => logout({ client_id: 'web', post_logout_redirect_uri: `${LOGOUT_REDIRECT}/../../@attacker.example` }), /post_logout_redirect_uri/));
  });

  // CVE-2015-1164 (serve-static): "//attacker.example/%2e%2e" became a redirect to another host.
  // Sent raw, so no client-side URL normalisation hides the trick.
  it.each(['//attacker.example/%2e%2e', '/assets//attacker.example/%2e%2e', '/\\attacker.example/'])('MUST NOT redirect off-site for the raw path %s', async (path) => {
    const { status, location } = await rawGet(rig.issuer, path);
    if (location !== undefined) expect(new URL(location, rig.issuer).origin).toBe(rig.issuer);
    expect(status).toBe(404);
  });
});
