/**
 * The answers openapi.json documents for what arrives before an endpoint runs are the answers the
 * server gives: 413 for an oversized body, 431 for oversized headers, and the documented 400 and
 * 401 bodies of /register/{client_id}, /userinfo and the account pages.
 * @spec https://spec.openapis.org/oas/v3.1.0#responses-object
 * @spec https://www.rfc-editor.org/rfc/rfc9110#section-15.5.14 (413 Content Too Large)
 * @spec https://www.rfc-editor.org/rfc/rfc6585#section-5 (431 Request Header Fields Too Large)
 * @spec https://www.rfc-editor.org/rfc/rfc6750#section-3.1 (no error code when no token was sent)
 */
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/server/app.js';
import { createTestContext, type TestContext } from '../support/test-context.js';

type Json = Record<string, any>;
const document = JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8')) as Json;
const METHODS = ['get', 'post', 'put', 'delete'] as const;
const operations = Object.entries(document.paths as Json).flatMap(([path, item]) =>
  METHODS.filter((method) => item[method]).map((method) => ({ method, path: path.replace(/\{[^}]+\}/g, 'x'), operation: item[method] as Json })));

describe('OpenAPI responses match what the server answers', () => {
  let ctx: TestContext;
  let server: Server;

  beforeAll(async () => {
    ctx = await createTestContext({ rateLimitEnabled: false });
    server = createServer(createApp(ctx)).listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await ctx.close();
  });

  it('MUST answer 413 with invalid_request to a body over 64 KB at every operation that takes one, and document it', async () => {
    const withBody = operations.filter(({ operation }) => operation.requestBody);
    expect(withBody.length).toBeGreaterThan(10);
    for (const { method, path, operation } of withBody) {
      const type = Object.keys(operation.requestBody.content)[0] as string;
      const res = await request(server)[method](path).set('content-type', type).send(`a=${'x'.repeat(70_000)}`);
      expect(res.status, `${method} ${path}`).toBe(413);
      expect(res.body.error, `${method} ${path}`).toBe('invalid_request');
      expect(operation.responses, `${method} ${path}`).toHaveProperty('413');
    }
  });

  it('MUST answer 431 to headers over 16 KB at every operation, and document it', async () => {
    for (const { method, path, operation } of operations) {
      const res = await request(server)[method](path).set('x-padding', 'x'.repeat(20_000));
      expect(res.status, `${method} ${path}`).toBe(431);
      expect(operation.responses, `${method} ${path}`).toHaveProperty('431');
      expect(operation.responses, `${method} ${path}`).toHaveProperty('408');
    }
  });

  it('MUST answer /userinfo without a token with a bare challenge and an empty body, as documented', async () => {
    const res = await request(server).get('/userinfo').expect(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="castellan", DPoP algs="[^"]+"$/);
    expect(res.text).toBe('');
    expect(document.paths['/userinfo'].get.responses['401'].description).toMatch(/empty body/);
  });

  it('MUST answer 400 invalid_request to a client_id path that is not UTF-8 text, at each documented method', async () => {
    for (const method of ['get', 'put', 'delete'] as const) {
      const res = await request(server)[method]('/register/a%00b').set('authorization', 'Bearer x');
      expect(res.status, method).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(document.paths['/register/{client_id}'][method].responses).toHaveProperty('400');
    }
  });

  it('MUST answer the account pages without a session with 401, as documented', async () => {
    for (const path of ['/account/mfa', '/account/consents']) {
      const res = await request(server).get(path);
      expect(res.status, path).toBe(401);
      expect(res.type).toBe('text/html');
      expect(document.paths[path].get.responses).toHaveProperty('401');
    }
  });
});
