/**
 * The inspector pages over supertest with the admin token: gate, clients, a client's requests,
 * the report card and the token debugger form (CSRF-safe: a sealed form token is required).
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recorderFor } from '../../src/inspector/trace-recorder.js';
import { StorageUnavailableError } from '../../src/storage/storage-errors.js';
import { issueFormToken } from '../../src/ui/session-form-token.js';
import { basic, issueCode, postToken, REDIRECT, SECRET } from '../support/token-fixtures.js';
import { lifecycleRig, type LifecycleRig } from '../support/token-lifecycle-fixtures.js';

const ADMIN = 'inspector-admin-token-0123456789abcdefghij';
const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1];

describe('Request inspector pages', () => {
  let rig: LifecycleRig;
  let accessToken: string;
  const admin = (path: string) => request(rig.app).get(path).set('authorization', `Bearer ${ADMIN}`);

  beforeAll(async () => {
    rig = await lifecycleRig({ adminToken: ADMIN });
    const issued = await issueCode(rig.ctx, { clientId: 'web-jwt', userId: rig.user.id });
    const form = { grant_type: 'authorization_code', code: issued.code, redirect_uri: REDIRECT, code_verifier: issued.verifier };
    accessToken = (await postToken(rig.app, form, { authorization: basic('web-jwt', SECRET) })).body.access_token;
    await postToken(rig.app, form, { authorization: basic('web-jwt', SECRET) });
    await request(rig.app).get(`/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'public', redirect_uri: REDIRECT, scope: 'openid' })}`);
    await recorderFor(rig.ctx).flush();
  });
  afterAll(() => rig.close());

  it('asks a browser for the admin credential (401, Basic challenge) and accepts it as the Basic password', async () => {
    const response = await request(rig.app).get('/admin/inspector').set('accept', 'text/html');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Basic realm="castellan-admin"/);
    await request(rig.app).get('/admin/inspector').set('authorization', `Basic ${Buffer.from(`me:${ADMIN}`).toString('base64')}`).expect(200);
  });

  it('lists the clients with recent activity', async () => {
    const response = await admin('/admin/inspector').expect(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.text).toContain('data-client-id="web-jwt"');
    expect(response.text).toContain('data-client-id="public"');
    expect(response.text).not.toMatch(/<script|style=/);
  });

  it('shows a client\'s requests: outcome, masked parameters, the error, decoded tokens', async () => {
    const response = await admin('/admin/inspector/clients/web-jwt').expect(200);
    expect(response.text).toMatch(/<span class="status failed">400<\/span>/);
    expect(response.text).toMatch(/<span class="error-code">invalid_grant<\/span>/);
    expect(response.text).toMatch(/data-param="code">masked \(43 chars, #[0-9a-f]{12}\)/);
    expect(response.text).toContain('data-kind="access_token"');
    expect(response.text).toContain('&quot;typ&quot;: &quot;at+jwt&quot;');
    expect(response.text).not.toContain(accessToken);
    expect(response.text).not.toContain(accessToken.split('.')[2]);
  });

  it('shows the report card with what the server observed, and says that only that is listed', async () => {
    const response = await admin('/admin/inspector/clients/public/report').expect(200);
    expect(response.text).toContain('id="observed-only"');
    expect(response.text).toContain('data-flag="no-state"');
    expect(response.text).toContain('data-flag="no-nonce"');
    // PKCE is required of a public client: the request was refused, so nothing was skipped.
    expect(response.text).not.toContain('data-flag="no-pkce"');
    const web = await admin('/admin/inspector/clients/web-jwt/report').expect(200);
    expect(web.text).toContain('data-flag="code-reused"');
  });

  it('inspects a pasted token only with the form token of its own page (CSRF)', async () => {
    const form = await admin('/admin/inspector/token').expect(200);
    const post = (body: Record<string, string>) => request(rig.app).post('/admin/inspector/token').set('authorization', `Bearer ${ADMIN}`).type('form').send(new URLSearchParams(body).toString());
    expect((await post({ token: accessToken })).status).toBe(403);
    expect((await post({ token: accessToken, csrf: 'forged' })).status).toBe(403);
    // A sealed form token of another page (here the consents page's) is not the debugger's.
    expect((await post({ token: accessToken, csrf: issueFormToken(rig.ctx, 'consents', null, null) })).status).toBe(403);
    const answer = await post({ token: accessToken, csrf: csrfOf(form.text) }).expect(200);
    // The code was presented twice, which revoked the grant and so this token.
    expect(answer.text).toContain('data-state="revoked"');
    expect(answer.text).toMatch(/Its grant was revoked at/);
    expect(answer.text).toContain('data-signature="valid"');
    expect(answer.text).toContain('id="grant"');
    expect(answer.text).not.toContain(accessToken.split('.')[2]);
  });

  it('answers a database fault with 503 and Retry-After, as every other page does', async () => {
    const clients = rig.ctx.stores.requestTraces.clients;
    rig.ctx.stores.requestTraces.clients = () => Promise.reject(new StorageUnavailableError('database', 'timed out', { retryAfterSeconds: 7 }));
    try {
      const response = await admin('/admin/inspector');
      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toBe('7');
      expect(response.headers['cache-control']).toBe('no-store');
    } finally {
      rig.ctx.stores.requestTraces.clients = clients;
    }
  });

  it('is not reachable when the inspector is off or no ADMIN_TOKEN is set (404)', async () => {
    rig.ctx.config.inspectorEnabled = false;
    try {
      await admin('/admin/inspector').expect(404);
    } finally {
      rig.ctx.config.inspectorEnabled = true;
    }
    const token = rig.ctx.config.adminToken;
    rig.ctx.config.adminToken = undefined;
    try {
      await admin('/admin/inspector/token').expect(404);
    } finally {
      rig.ctx.config.adminToken = token;
    }
  });
});
