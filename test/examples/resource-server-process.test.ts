/**
 * The example resource server as a process and under failure: the documented command line, and a
 * Castellan that stalls, which must cost a bounded wait and a 503.
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.1
 * @spec https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startResourceServer, TLS_SETTINGS } from '../../examples/resource-server/resource-server.mjs';
import { createClient } from '../../src/clients/client-service.js';
import { TLS_CIPHERS } from '../../src/security/tls.js';
import { startTestServer, type RunningServer } from '../support/http-server.js';
import { backendName } from '../support/test-context.js';
import { basic, SECRET } from '../support/token-fixtures.js';

describe(`example resource server as a process (${backendName})`, () => {
  let castellan: RunningServer;

  async function bearerToken(): Promise<string> {
    const res = await fetch(`${castellan.issuer}/token`, {
      method: 'POST',
      headers: { authorization: basic('bearer-client', SECRET), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    return ((await res.json()) as { access_token: string }).access_token;
  }

  beforeAll(async () => {
    castellan = await startTestServer();
    await createClient(castellan.ctx, { client_id: 'bearer-client', client_secret: SECRET, grant_types: ['client_credentials'] });
    await createClient(castellan.ctx, { client_id: 'rs', client_secret: SECRET, grant_types: ['client_credentials'], served_resources: [] });
  });
  afterAll(() => castellan?.close());

  it('serves TLS with the same cipher list as Castellan (FAPI 2.0 SP §5.2.1: one TLS profile for AS and RS)', () => {
    expect(TLS_SETTINGS.ciphers).toBe(TLS_CIPHERS);
    expect(TLS_SETTINGS.minVersion).toBe('TLSv1.2');
  });

  describe('the command line (node examples/resource-server/resource-server.mjs)', () => {
    const script = new URL('../../examples/resource-server/resource-server.mjs', import.meta.url).pathname;

    it('refuses to start without ISSUER, RS_CLIENT_ID and RS_CLIENT_SECRET', () => {
      const run = spawnSync(process.execPath, [script], { env: { PATH: process.env.PATH }, encoding: 'utf8', timeout: 10_000 });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain('ISSUER is required');
    });

    it('serves /api/me from the environment it documents, and stops on SIGTERM', async () => {
      const child = spawn(process.execPath, [script], {
        env: { PATH: process.env.PATH, ISSUER: castellan.issuer, RS_CLIENT_ID: 'rs', RS_CLIENT_SECRET: SECRET, PORT: '0', HOST: '127.0.0.1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      try {
        const url = await new Promise<string>((resolve, reject) => {
          let output = '';
          child.stdout.on('data', (chunk) => {
            output += chunk;
            const match = /listening: (\S+)/.exec(output);
            if (match) resolve(match[1]);
          });
          child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
        });
        const token = await bearerToken();
        const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ client_id: 'bearer-client' });
      } finally {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
      }
    });
  });

  describe('a stalled Castellan', () => {
    it('costs a bounded wait and a 503, not a hang', async () => {
      const stalled: Server = createServer((req, res) => {
        const self = `http://127.0.0.1:${(stalled.address() as AddressInfo).port}`;
        // Discovery answers; introspection never does.
        if (req.url === '/.well-known/oauth-authorization-server') res.end(JSON.stringify({ issuer: self, introspection_endpoint: `${self}/introspect` }));
      });
      await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
      const issuer = `http://127.0.0.1:${(stalled.address() as AddressInfo).port}`;
      const slowRs = await startResourceServer({ issuer, clientId: 'rs', clientSecret: SECRET, introspectionTimeoutMs: 300, log: () => {} });
      try {
        const started = Date.now();
        const res = await fetch(`${slowRs.url}/api/me`, { headers: { authorization: 'Bearer some-token' } });
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('5');
        expect(Date.now() - started).toBeLessThan(2000);
      } finally {
        await slowRs.close();
        stalled.closeAllConnections();
        await new Promise<void>((resolve) => stalled.close(() => resolve()));
      }
    });
  });
});
