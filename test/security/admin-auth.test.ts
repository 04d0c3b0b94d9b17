/**
 * The admin gate: 404 unless the surface is on and ADMIN_TOKEN is set, 401 with a Basic challenge
 * for a missing or wrong credential, and the token accepted as a Bearer token or a Basic password.
 * @spec https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 * @spec https://www.rfc-editor.org/rfc/rfc7617#section-2
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import request from 'supertest';
import { describe, expect, it, vi } from 'vitest';
import { OAuthError } from '../../src/errors/oauth-error.js';
import { isAdmin, presentedAdminCredential, requireAdmin } from '../../src/security/admin-auth.js';
import * as handles from '../../src/tokens/handles.js';
import { loadConfig, type Config } from '../../src/config/config.js';

const TOKEN = 'admin-token-0123456789-abcdefghijklmnopqrstuvwxyz';

function gatedApp(overrides: Partial<Config>) {
  const config = loadConfig({}, { logLevel: 'silent', ...overrides });
  const app = express();
  app.get('/admin/thing', requireAdmin({ config }, (c) => c.inspectorEnabled === true), (_req, res) => {
    res.json({ ok: true });
  });
  app.use((error: OAuthError, _req: Request, res: Response, _next: NextFunction) => {
    res.set(error.headers).status(error.status).json(error.toJSON());
  });
  return app;
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('admin credential gate', () => {
  it('answers 404 when no ADMIN_TOKEN is set, whatever is presented', async () => {
    await request(gatedApp({ inspectorEnabled: true })).get('/admin/thing').set('authorization', `Bearer ${TOKEN}`).expect(404);
  });

  it('answers 404 when the surface is off, even with the right token', async () => {
    await request(gatedApp({ adminToken: TOKEN, inspectorEnabled: false })).get('/admin/thing').set('authorization', `Bearer ${TOKEN}`).expect(404);
  });

  it('is off by default in production (CASTELLAN_PRODUCTION=true) and on otherwise', () => {
    expect(loadConfig({ CASTELLAN_PRODUCTION: 'true', ISSUER: 'https://id.example' }).inspectorEnabled).toBe(false);
    expect(loadConfig({}).inspectorEnabled).toBe(true);
    expect(loadConfig({ INSPECTOR_ENABLED: 'false' }).inspectorEnabled).toBe(false);
  });

  it('answers 401 with a Basic challenge to a missing or wrong credential', async () => {
    const app = gatedApp({ adminToken: TOKEN, inspectorEnabled: true });
    for (const authorization of [undefined, `Bearer ${TOKEN}x`, basic('admin', 'wrong'), `Bearer ${TOKEN.slice(0, -1)}`, 'Digest abc']) {
      const call = request(app).get('/admin/thing');
      const response = await (authorization ? call.set('authorization', authorization) : call);
      expect(response.status).toBe(401);
      expect(response.body.error).toBe('invalid_token');
      expect(response.headers['www-authenticate']).toBe('Basic realm="castellan-admin", charset="UTF-8"');
    }
  });

  it('accepts the token as a Bearer token and as the Basic password of any user', async () => {
    const app = gatedApp({ adminToken: TOKEN, inspectorEnabled: true });
    await request(app).get('/admin/thing').set('authorization', `Bearer ${TOKEN}`).expect(200, { ok: true });
    await request(app).get('/admin/thing').set('authorization', `bearer ${TOKEN}`).expect(200);
    await request(app).get('/admin/thing').set('authorization', basic('anyone', TOKEN)).expect(200);
    expect(presentedAdminCredential(basic('a', 'p:with:colons'))).toBe('p:with:colons');
  });

  it('compares in constant time (safeEqual over SHA-256 digests)', () => {
    const safeEqual = vi.spyOn(handles, 'safeEqual');
    const config = loadConfig({}, { adminToken: TOKEN });
    const req = { headers: { authorization: `Bearer ${TOKEN}` } } as Request;
    expect(isAdmin({ config }, req)).toBe(true);
    expect(safeEqual).toHaveBeenCalledWith(TOKEN, TOKEN);
    safeEqual.mockRestore();
  });
});
