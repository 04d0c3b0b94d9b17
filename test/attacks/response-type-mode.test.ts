/**
 * Attack family: response type, response mode and request object tricks at the authorization
 * endpoint. Tokens in the front channel (RFC 9700 §2.1.2, §4.1.2), response modes that deliver
 * somewhere the code flow does not (fragment, web_message: RFC 9700 §4.17), parameter smuggling,
 * and request_uri as a server-side request forgery (Keycloak CVE-2020-10770).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName } from '../support/test-context.js';
import { attackRig, encode, expectErrorPage, expectRedirectError, goodParams, REDIRECT, type AttackRig } from './attack-rig.js';

describe(`attack suite: response type and mode tricks (${backendName})`, () => {
  let rig: AttackRig;
  let listener: Server;
  let listenerUrl: string;
  let listenerHits = 0;

  beforeAll(async () => {
    rig = await attackRig();
    listener = createServer((_req, res) => {
      listenerHits += 1;
      res.end('eyJhbGciOiJub25lIn0.eyJyZWRpcmVjdF91cmkiOiJodHRwczovL2F0dGFja2VyLmV4YW1wbGUifQ.');
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    listenerUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/request.jwt`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => listener.close(() => resolve()));
    await rig.close();
  });

  const refusedWith = async (overrides: Record<string, string | string[] | undefined>, error: string) => {
    await expectRedirectError(rig, () => rig.authorize(goodParams('web', overrides)), error);
  };

  // RFC 9700 §2.1.2: no implicit grant, no response type that puts tokens in the URL.
  it.each([
    ['token (implicit grant)', 'token'],
    ['code token (hybrid with an access token)', 'code token'],
    ['id_token token', 'id_token token'],
    ['none (a silent session probe)', 'none'],
  ])('MUST answer response_type=%s with unsupported_response_type', (_name, responseType) => refusedWith({ response_type: responseType }, 'unsupported_response_type'));

  // RFC 9700 §4.17 (in-browser communication flows) and OAuth 2.1: only query and form_post exist, each also signed (JARM).
  it.each(['fragment', 'web_message', 'fragment.jwt', 'JWT'])('MUST refuse response_mode=%s with invalid_request', (mode) => refusedWith({ response_mode: mode }, 'invalid_request'));

  // RFC 6749 §3.1: parameters MUST NOT be included more than once; which copy would win is the attack.
  it('MUST refuse a repeated response_type', () => refusedWith({ response_type: ['code', 'token'] }, 'invalid_request'));
  it('MUST refuse a repeated client_id on the error page (which client would be proven?)', () =>
    expectErrorPage(rig, () => rig.authorize(goodParams('web', { client_id: ['web', 'other'] })), /invalid client/));

  // POST /authorize reads the body only: a redirect_uri smuggled into the query is not "the" one.
  it('MUST NOT combine a POST body with a redirect_uri smuggled in the query string', async () => {
    const { redirect_uri: _omit, ...body } = goodParams('web');
    await expectErrorPage(rig, () =>
      fetch(`${rig.issuer}/authorize?${new URLSearchParams({ redirect_uri: REDIRECT })}`, { method: 'POST', redirect: 'manual', body: encode(body), headers: { 'content-type': 'application/x-www-form-urlencoded' } }), /invalid redirect_uri/);
  });

  // Keycloak CVE-2020-10770: request_uri fetched blindly (SSRF). Castellan fetches only URIs the
  // client registered in request_uris (RFC 9101 §10.4); this client registered none, so it is refused unfetched.
  it('MUST refuse an unregistered request_uri without fetching it', async () => {
    await refusedWith({ request_uri: listenerUrl }, 'request_uri_not_supported');
    expect(listenerHits).toBe(0);
  });
  // RFC 9101 §6.3: an unsigned request object that does not even name the client is refused.
  it('MUST refuse an unsigned request object that tries to override the request', () =>
    refusedWith({ request: 'eyJhbGciOiJub25lIn0.eyJyZWRpcmVjdF91cmkiOiJodHRwczovL2F0dGFja2VyLmV4YW1wbGUifQ.' }, 'invalid_request_object'));
});
