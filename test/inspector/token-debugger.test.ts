/**
 * The token debugger's verdicts: active, expired, revoked, rotated, bad signature, not ours,
 * unknown, and an ID token (not stored), each with its reasons and grant.
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.2
 */
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debugToken } from '../../src/inspector/token-debugger.js';
import { newHandle } from '../../src/tokens/handles.js';
import { lifecycleRig, type LifecycleRig } from '../support/token-lifecycle-fixtures.js';

describe('token debugger verdicts', () => {
  let rig: LifecycleRig;
  beforeAll(async () => {
    rig = await lifecycleRig();
  });
  afterAll(() => rig.close());

  it('an active JWT access token: signature valid, its grant, introspection as its client gets it', async () => {
    const tokens = await rig.codeTokens('web-jwt');
    const verdict = await debugToken(rig.ctx, tokens.access_token);
    expect(verdict).toMatchObject({ format: 'jwt', signature: 'valid', kind: 'access_token', state: 'active', grant: { clientId: 'web-jwt', userId: rig.user.id }, introspection: { active: true, client_id: 'web-jwt' } });
    expect(verdict.jwt?.header.typ).toBe('at+jwt');
  });

  it('an active opaque token, found by its hash', async () => {
    const tokens = await rig.codeTokens('web');
    expect(await debugToken(rig.ctx, ` ${tokens.refresh_token!}\n`)).toMatchObject({ format: 'opaque', signature: 'none', kind: 'refresh_token', state: 'active' });
  });

  it('an expired JWT access token: still found by its jti, and said to be expired and when', async () => {
    const tokens = await rig.codeTokens('web-jwt');
    rig.ctx.clock.advance(tokens.expires_in + 1);
    try {
      const verdict = await debugToken(rig.ctx, tokens.access_token);
      expect(verdict).toMatchObject({ signature: 'valid', state: 'expired', introspection: { active: false } });
      expect(verdict.reasons.join(' ')).toMatch(/The token expired at \d{4}-/);
    } finally {
      rig.ctx.clock.advance(-(tokens.expires_in + 1));
    }
  });

  it('a revoked token, with the grant\'s revocation and its reason', async () => {
    const tokens = await rig.codeTokens('web');
    expect((await rig.revoke({ token: tokens.refresh_token! })).status).toBe(200);
    const verdict = await debugToken(rig.ctx, tokens.access_token);
    expect(verdict.state).toBe('revoked');
    expect(verdict.grant?.revokedAt).not.toBeNull();
    expect(verdict.reasons.join(' ')).toMatch(/grant was revoked at/);
  });

  it('a rotated refresh token: used once, so presenting it again is reuse', async () => {
    const tokens = await rig.codeTokens('web');
    await rig.refresh(tokens.refresh_token!);
    const verdict = await debugToken(rig.ctx, tokens.refresh_token!);
    expect(verdict.state).toBe('rotated');
    expect(verdict.reasons.join(' ')).toMatch(/used \(rotated\)/);
  });

  it('a JWT whose signature does not verify', async () => {
    const tokens = await rig.codeTokens('web-jwt');
    const [header, claims] = tokens.access_token.split('.');
    const forgedClaims = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(claims, 'base64url').toString()), scope: 'admin' })).toString('base64url');
    const verdict = await debugToken(rig.ctx, `${header}.${forgedClaims}.${tokens.access_token.split('.')[2]}`);
    expect(verdict).toMatchObject({ signature: 'invalid', state: 'bad-signature' });
  });

  it('tokens that are not ours: an unknown kid, another issuer, an unknown opaque handle', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const foreign = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'ES256', kid: 'someone-else' }).setIssuer('https://other.example').sign(privateKey);
    expect(await debugToken(rig.ctx, foreign)).toMatchObject({ signature: 'unknown-key', state: 'not-ours' });
    const otherIssuer = await rig.ctx.keystore.sign({ iss: 'https://other.example', sub: 'x' }, { typ: 'at+jwt' });
    expect(await debugToken(rig.ctx, otherIssuer)).toMatchObject({ signature: 'valid', state: 'not-ours' });
    expect(await debugToken(rig.ctx, newHandle())).toMatchObject({ format: 'opaque', state: 'unknown' });
    expect(await debugToken(rig.ctx, 'a.b.c')).toMatchObject({ state: 'unknown' });
  });

  it('an ID token: verified, not stored, valid until its exp', async () => {
    const tokens = await rig.codeTokens('web');
    const verdict = await debugToken(rig.ctx, tokens.id_token!);
    expect(verdict).toMatchObject({ kind: 'id_token', signature: 'valid', state: 'not-stored' });
    expect(verdict.grant).toBeUndefined();
  });
});
