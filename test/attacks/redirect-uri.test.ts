/**
 * Attack family: redirect URI tricks that make an authorization server deliver the code to the
 * attacker (RFC 9700 §4.1.1; countermeasure §4.1.3: exact string matching, loopback port only).
 * Every variant must end on the HTML error page: no Location header, nothing stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName } from '../support/test-context.js';
import { attackRig, expectErrorPage, expectJsonError, goodParams, NATIVE_REDIRECT, REDIRECT, type AttackRig } from './attack-rig.js';

describe(`attack suite: redirect URI manipulation (${backendName})`, () => {
  let rig: AttackRig;
  beforeAll(async () => {
    rig = await attackRig();
  });
  afterAll(() => rig.close());

  const refused = async (redirectUri: string, clientId = 'web') => {
    await expectErrorPage(rig, () => rig.authorize(goodParams(clientId, { redirect_uri: redirectUri })), /invalid redirect_uri/);
  };

  // Each row is a published bypass of a redirect URI check that was not an exact string comparison.
  it.each([
    // RFC 9700 §4.1.1: a wholly foreign redirect URI.
    ['an unregistered host', 'https://attacker.example/cb'],
    // RFC 9700 §4.1.1: suffix/prefix host matching ("rp.example" as a prefix of the attacker's domain).
    ['the registered host as a prefix of the attacker\'s domain', 'https://rp.example.attacker.example/cb'],
    // Keycloak CVE-2026-7504 (user-info with several "@" confusing the parser) and RFC 3986 §3.2.1 user-info.
    ['user-info that puts the attacker\'s host after "@"', 'https://rp.example@attacker.example/cb'],
    ['several "@" in the user-info', 'https://rp.example@rp.example@attacker.example/cb'],
    // RFC 9700 §4.1.3 and Keycloak CVE-2026-3872 (path traversal with "..;/").
    ['a path traversal below the registered path', 'https://rp.example/cb/../../logout?next=https://attacker.example'],
    ['a "..;/" traversal', 'https://rp.example/cb/..;/attacker'],
    // Percent-encoded traversal: a server that decodes before comparing would see "/cb/../x".
    ['a percent-encoded traversal', 'https://rp.example/cb/%2e%2e/x'],
    // RFC 9700 §4.1.3: no pattern matching, so a wildcard that happens to be registered-looking fails.
    ['a sub-path of the registered path', 'https://rp.example/cb/attacker'],
    // RFC 9700 §4.11.1: an added query turns a client-side open redirector into a code leak.
    ['an added query parameter aimed at the client\'s own redirector', `${REDIRECT}?next=https://attacker.example`],
    // RFC 6749 §3.1.2: no fragment; a fragment with "@" tricks naive parsers.
    ['a fragment', `${REDIRECT}#@attacker.example`],
    // RFC 9700 §4.1.3: no normalisation of case, default port or scheme.
    ['a different case in scheme and host', 'HTTPS://RP.EXAMPLE/cb'],
    ['the explicit default port', 'https://rp.example:443/cb'],
    ['plain http instead of https', 'http://rp.example/cb'],
    // WHATWG URL parsing treats "\" as "/" for special schemes, which some validators do not.
    ['a backslash before "@"', 'https://rp.example\\@attacker.example/cb'],
    // Trailing control characters that a lenient parser would strip.
    ['a trailing newline', `${REDIRECT}\n`],
  ])('MUST refuse %s without redirecting', (_name, redirectUri) => refused(redirectUri));

  // Keycloak CVE-2024-8883: a loopback registration became "any URL on localhost". RFC 8252 §7.3
  // lets only the port of a loopback IP literal vary.
  it('MUST NOT extend the loopback port exception to the name localhost', () => refused('http://localhost:8080/native', 'native'));
  it('MUST NOT extend the loopback port exception to another path', () => refused('http://127.0.0.1:8080/other', 'native'));
  it('MUST NOT extend the loopback exception to a host that starts with 127.0.0.1', () => refused('http://127.0.0.1.attacker.example/native', 'native'));

  it('still accepts the loopback IP literal on an ephemeral port (control for the rows above)', async () => {
    const response = await rig.authorize(goodParams('native', { redirect_uri: NATIVE_REDIRECT.replace('127.0.0.1', '127.0.0.1:50123') }));
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toMatch(/\/interaction\/[^/]+\/login$/);
  });

  // RFC 6749 §4.1.3 / RFC 9700 §4.1.1: a code obtained for the registered URI cannot be redeemed
  // with a different one (the attacker's redirect_uri must match the one bound to the code).
  it('MUST refuse at the token endpoint a redirect_uri that differs from the one bound to the code', async () => {
    const code = await rig.freshCode('web');
    await expectJsonError(rig, () => rig.exchange('web', code, { redirect_uri: `${REDIRECT}/` }), 400, 'invalid_grant', true);
  });
});
