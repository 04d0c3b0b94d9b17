import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { formBody } from '../../src/http/params.js';
import { ProxyMatcher } from '../../src/security/client-ip.js';
import { byClientIp, byClientIpAndClientId } from '../../src/security/rate-limit-keys.js';
import { basic } from '../support/token-fixtures.js';

/** An app that answers with the key the token policy would count by. */
function keyApp(trusted: string[] = []) {
  const app = express();
  const proxies = new ProxyMatcher(trusted);
  app.post('/token', formBody, (req, res) => {
    res.json({ token: byClientIpAndClientId(proxies)(req), ip: byClientIp(proxies)(req) });
  });
  return app;
}

const unsignedJwt = (claims: Record<string, unknown>) =>
  `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;

describe('token endpoint rate-limit key: client address + client_id', () => {
  it('reads the client_id from HTTP Basic, form-decoded as RFC 6749 §2.3.1 requires', async () => {
    const res = await request(keyApp()).post('/token').set('Authorization', basic('client one:x', 'secret')).type('form').send({ grant_type: 'client_credentials' });
    expect(res.body.token).toBe('127.0.0.1|client one:x');
    expect(res.body.ip).toBe('127.0.0.1');
  });

  it('reads the form body client_id', async () => {
    const res = await request(keyApp()).post('/token').type('form').send({ grant_type: 'authorization_code', client_id: 'public-app' });
    expect(res.body.token).toBe('127.0.0.1|public-app');
  });

  it("reads the client assertion's iss when no client_id is sent (RFC 7523 §3)", async () => {
    const res = await request(keyApp()).post('/token').type('form').send({
      grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: unsignedJwt({ iss: 'jwt-client', sub: 'jwt-client' }),
    });
    expect(res.body.token).toBe('127.0.0.1|jwt-client');
  });

  it('counts requests without any client identification by address alone', async () => {
    const res = await request(keyApp()).post('/token').type('form').send({ grant_type: 'client_credentials', client_assertion: 'not-a-jwt' });
    expect(res.body.token).toBe('127.0.0.1|-');
    const malformed = await request(keyApp()).post('/token').set('Authorization', 'Basic !!!').type('form').send({ grant_type: 'x' });
    expect(malformed.body.token).toBe('127.0.0.1|-');
  });

  it('uses the forwarded client address only behind a trusted proxy', async () => {
    const spoofed = await request(keyApp()).post('/token').set('X-Forwarded-For', '198.51.100.7').type('form').send({ client_id: 'c' });
    expect(spoofed.body.token).toBe('127.0.0.1|c');
    const proxied = await request(keyApp(['127.0.0.1'])).post('/token').set('X-Forwarded-For', '198.51.100.7').type('form').send({ client_id: 'c' });
    expect(proxied.body.token).toBe('198.51.100.7|c');
  });
});
