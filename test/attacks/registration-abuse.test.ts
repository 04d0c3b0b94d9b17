/**
 * Attack family: abuse of open dynamic client registration (RFC 7591 §5) and of client management
 * (RFC 7592 §2). Posing as an existing client or as a user (RFC 9700 §4.15), taking over another
 * client with one's own registration access token, smuggling server-assigned values in, and
 * pointing URLs the server will fetch at internal addresses (SSRF, Keycloak CVE-2026-1180).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName } from '../support/test-context.js';
import { attackRig, OTHER_REDIRECT, REDIRECT, type AttackRig } from './attack-rig.js';

interface Registered { client_id: string; registration_access_token: string; registration_client_uri: string; client_secret?: string; client_secret_expires_at?: number }

describe(`attack suite: registration abuse (${backendName})`, () => {
  let rig: AttackRig;
  beforeAll(async () => {
    // Development defaults allow private networks for local testing; the attack targets a server that does not.
    rig = await attackRig({ rateLimitRegistration: { points: 100, duration: 3600 }, outboundAllowPrivateNetworks: false });
  });
  afterAll(() => rig.close());

  const register = (metadata: Record<string, unknown>) =>
    fetch(`${rig.issuer}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: ['https://attacker.example/cb'], ...metadata }) });
  const registered = async (metadata: Record<string, unknown> = {}) => {
    const response = await register(metadata);
    expect(response.status).toBe(201);
    return (await response.json()) as Registered;
  };
  const refusedMetadata = async (metadata: Record<string, unknown>) => {
    const before = await rig.state();
    const response = await register(metadata);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_client_metadata');
    expect(await rig.state()).toEqual(before);
  };

  // RFC 9700 §4.15 and RFC 7591 §3.2.1: the server assigns client_id; asking for an existing one
  // (or a user's name) must neither take it over nor alias it.
  it('MUST NOT let a registration choose the client_id of an existing client', async () => {
    const client = await registered({ client_id: 'web' });
    expect(client.client_id).not.toBe('web');
    const web = await rig.ctx.stores.clients.find('web');
    expect(web?.metadata.redirect_uris).toEqual([REDIRECT]);
  });

  // Values only the server may set are ignored, not adopted (a never-expiring or chosen secret).
  it('MUST NOT adopt a client_secret or expiry chosen by the registrant', async () => {
    const client = await registered({ client_secret: 'attacker-chosen-secret-0123456789abcdef', client_secret_expires_at: 4_102_444_800 });
    expect(client.client_secret).not.toBe('attacker-chosen-secret-0123456789abcdef');
    const token = await rig.post('/token', { grant_type: 'authorization_code', code: 'x'.repeat(43), redirect_uri: 'https://attacker.example/cb' }, { authorization: `Basic ${Buffer.from(`${client.client_id}:attacker-chosen-secret-0123456789abcdef`).toString('base64')}` });
    expect(token.status).toBe(401);
  });

  // RFC 7592 §2.1: a registration access token is good for its own client only (401 otherwise).
  it.each(['GET', 'PUT', 'DELETE'])('MUST refuse %s on another client with one\'s own registration access token', async (method) => {
    const attacker = await registered();
    const victim = await registered({ redirect_uris: [OTHER_REDIRECT] });
    const before = await rig.state();
    const response = await fetch(victim.registration_client_uri, {
      method,
      headers: { authorization: `Bearer ${attacker.registration_access_token}`, 'content-type': 'application/json' },
      body: method === 'PUT' ? JSON.stringify({ client_id: victim.client_id, redirect_uris: ['https://attacker.example/cb'] }) : undefined,
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/invalid_token/);
    expect(await rig.state()).toEqual(before);
  });

  // RFC 7592 §2.2: an update cannot move the registration onto another client_id.
  it('MUST refuse an update that renames the client to an existing client_id', async () => {
    const attacker = await registered();
    const response = await fetch(attacker.registration_client_uri, {
      method: 'PUT',
      headers: { authorization: `Bearer ${attacker.registration_access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'web', redirect_uris: ['https://attacker.example/cb'] }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_client_metadata');
    expect((await rig.ctx.stores.clients.find('web'))?.metadata.redirect_uris).toEqual([REDIRECT]);
  });

  // RFC 6749 §3.1.2 / RFC 3986 §2: a redirect URI the URL parser has to repair is refused, since
  // the string compared at /authorize would not be the address the browser is sent to.
  it.each([
    ['CR/LF (header splitting)', 'https://attacker.example/cb\r\nSet-Cookie: planted=1'],
    ['a space and a quote (attribute breakout)', 'https://attacker.example/c b"><x'],
    ['a backslash (parsers disagree on the host)', 'https://rp.example\\@attacker.example/cb'],
  ])('MUST refuse to register a redirect_uri containing %s', async (_name, uri) => {
    const before = await rig.state();
    const response = await register({ redirect_uris: [uri] });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_redirect_uri');
    expect(await rig.state()).toEqual(before);
  });

  // Keycloak CVE-2026-1180: jwks_uri fetched without checking the destination (blind SSRF).
  it.each([
    ['the cloud metadata address', 'http://169.254.169.254/latest/meta-data/'],
    ['a loopback address', 'http://127.0.0.1:6379/'],
    ['a private network address', 'http://10.0.0.1/jwks.json'],
  ])('MUST refuse a jwks_uri pointing at %s', (_name, uri) => refusedMetadata({ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: uri }));
  it('MUST refuse a backchannel_logout_uri pointing at an internal address', () =>
    refusedMetadata({ backchannel_logout_uri: 'http://169.254.169.254/latest/meta-data/' }));

  // RFC 9700 §2.4 / §2.1.2: registration cannot bring back the grants the server dropped.
  it.each(['password', 'implicit'])('MUST refuse to register the %s grant', (grant) => refusedMetadata({ grant_types: [grant] }));
});
