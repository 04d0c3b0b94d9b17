/**
 * Attack family: spoofing the client's address and the server's own identity with request headers.
 * RFC 9700 §4.13: headers a reverse proxy would set (client address, protocol) must be believed
 * only from that proxy (RFC 7239 §8.1: they can be forged). Rotating a forged address must not
 * escape the rate limits or the login throttle, and Host or X-Forwarded-Host must never change the
 * issuer, the endpoints it advertises, or the iss it returns (which would undo the mix-up defence).
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName } from '../support/test-context.js';
import { attackRig, encode, goodParams, LoginForm, USER, type AttackRig } from './attack-rig.js';

const NO_BANS = { rateLimitSoftBan: { violations: 1000, duration: 60 }, rateLimitHardBan: { violations: 2000, duration: 60 } };

/** A request with headers fetch refuses to forge (Host). */
function raw(issuer: string, path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { hostname, port } = new URL(issuer);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe(`attack suite: client address and host header spoofing (${backendName})`, () => {
  describe('from a peer that is not a trusted proxy', () => {
    let rig: AttackRig;
    beforeAll(async () => {
      rig = await attackRig({ rateLimitToken: { points: 3, duration: 60 }, loginMaxAttemptsPerUserIp: 2, ...NO_BANS });
    });
    afterAll(() => rig.close());

    // Each header is one that some proxy or CDN uses to carry the client address.
    it.each([
      ['X-Forwarded-For', (n: number) => `203.0.113.${n}`],
      ['Forwarded', (n: number) => `for=203.0.113.${n};proto=https`],
      ['X-Real-IP', (n: number) => `203.0.113.${n}`],
      ['True-Client-IP', (n: number) => `203.0.113.${n}`],
      ['CF-Connecting-IP', (n: number) => `203.0.113.${n}`],
    ])('MUST NOT let a rotating %s header escape the token endpoint limit', async (header, value) => {
      // Each row spends its own budget: the limit is per address and client_id.
      const clientId = `spoof-${header.toLowerCase()}`;
      const statuses: number[] = [];
      for (let n = 1; n <= 5; n += 1) statuses.push((await rig.post('/token', { grant_type: 'client_credentials', client_id: clientId }, { [header]: value(n) })).status);
      expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
      expect(statuses.slice(3)).toEqual([429, 429]);
    });

    it('MUST NOT let a rotating X-Forwarded-For escape the login throttle', async () => {
      const form = await LoginForm.open(rig);
      const statuses: number[] = [];
      for (let n = 1; n <= 4; n += 1) statuses.push((await form.attempt(USER.username, `guess ${n}`, { 'x-forwarded-for': `203.0.113.${n}` })).status);
      expect(statuses).toEqual([401, 401, 429, 429]);
    });

    // RFC 9700 §4.13 (protocol header): X-Forwarded-Proto from anyone does not make the request https.
    it('MUST NOT believe X-Forwarded-Proto from an untrusted peer (no HSTS over plain http)', async () => {
      const response = await fetch(`${rig.issuer}/.well-known/openid-configuration`, { headers: { 'x-forwarded-proto': 'https' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('strict-transport-security')).toBeNull();
    });

    // Host header injection: metadata built from Host would point clients at the attacker.
    it.each([
      ['Host', { host: 'attacker.example' }],
      ['X-Forwarded-Host', { 'x-forwarded-host': 'attacker.example', 'x-forwarded-proto': 'https' }],
    ])('MUST NOT derive the issuer or endpoints from a forged %s header', async (_name, headers) => {
      const response = await raw(rig.issuer, '/.well-known/openid-configuration', headers);
      expect(response.status).toBe(200);
      const metadata = JSON.parse(response.body) as Record<string, unknown>;
      expect(metadata.issuer).toBe(rig.issuer);
      expect(JSON.stringify(metadata)).not.toContain('attacker.example');
    });
    // RFC 9207 §2: the iss a client checks against mix-up must be the configured issuer, not Host.
    it('MUST NOT return an iss derived from a forged Host header', async () => {
      const response = await raw(rig.issuer, `/authorize?${encode(goodParams('web', { scope: 'nonsense' }))}`, { host: 'attacker.example' });
      expect(response.status).toBe(303);
      const location = new URL(response.headers.location as string);
      expect(location.searchParams.get('error')).toBe('invalid_scope');
      expect(location.searchParams.get('iss')).toBe(rig.issuer);
    });
  });

  describe('behind a trusted proxy', () => {
    let rig: AttackRig;
    beforeAll(async () => {
      rig = await attackRig({ trustedProxies: ['127.0.0.1', '::1'], rateLimitToken: { points: 3, duration: 60 }, loginMaxAttemptsPerUserIp: 2, ...NO_BANS });
    });
    afterAll(() => rig.close());

    // The proxy appends the real address; whatever the client wrote to the left of it is forged.
    it('MUST NOT believe addresses the client prepended to X-Forwarded-For (token limit)', async () => {
      const statuses: number[] = [];
      for (let n = 1; n <= 5; n += 1) statuses.push((await rig.post('/token', { grant_type: 'client_credentials', client_id: 'prepended' }, { 'x-forwarded-for': `10.0.0.${n}, 198.51.100.77` })).status);
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
    });
    it('MUST NOT believe addresses the client prepended to X-Forwarded-For (login throttle)', async () => {
      const form = await LoginForm.open(rig, { 'x-forwarded-for': '198.51.100.78' });
      const statuses: number[] = [];
      for (let n = 1; n <= 4; n += 1) statuses.push((await form.attempt(USER.username, `guess ${n}`, { 'x-forwarded-for': `10.0.0.${n}, 198.51.100.78` })).status);
      expect(statuses).toEqual([401, 401, 429, 429]);
    });
  });
});
