/**
 * Finding the stored token behind a presented string, whatever its state: the hint orders the
 * lookups but never hides a token of the other kind; JWTs are found by their verified jti.
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.1 (token_type_hint)
 * @spec https://www.rfc-editor.org/rfc/rfc7009#section-2.1
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPresentedToken } from '../../src/rfc7662-introspection/presented-token.js';
import { backendName } from '../support/test-context.js';
import { lifecycleRig, type LifecycleRig } from '../support/token-lifecycle-fixtures.js';

describe(`RFC 7662 §2.1 token_type_hint lookups (${backendName})`, () => {
  let rig: LifecycleRig;
  beforeAll(async () => {
    rig = await lifecycleRig();
  });
  afterAll(() => rig.close());

  it('MUST find an access token and a refresh token under either hint, or none', async () => {
    const tokens = await rig.codeTokens('web');
    for (const hint of [undefined, 'access_token', 'refresh_token', 'something_else']) {
      expect((await findPresentedToken(rig.ctx, tokens.access_token, hint))?.kind).toBe('access_token');
      expect((await findPresentedToken(rig.ctx, tokens.refresh_token!, hint))?.kind).toBe('refresh_token');
    }
  });

  it('finds a JWT access token by its jti, with its grant', async () => {
    const tokens = await rig.codeTokens('web-jwt');
    const found = await findPresentedToken(rig.ctx, tokens.access_token, 'refresh_token');
    expect(found?.kind).toBe('access_token');
    expect(found?.found.token.tokenHash).toBe(decodeJwt(tokens.access_token).jti);
    expect(found?.found.grant.clientId).toBe('web-jwt');
  });

  it('returns tokens in any state (the caller judges): a consumed refresh token is still found', async () => {
    const first = await rig.codeTokens('web');
    await rig.refresh(first.refresh_token!);
    const found = await findPresentedToken(rig.ctx, first.refresh_token!);
    expect(found?.kind).toBe('refresh_token');
    expect(found?.kind === 'refresh_token' && found.found.token.consumedAt).not.toBeNull();
  });

  it('finds nothing for unknown handles and for JWTs that do not verify', async () => {
    expect(await findPresentedToken(rig.ctx, 'unknown-handle')).toBeUndefined();
    expect(await findPresentedToken(rig.ctx, 'eyJhbGciOiJub25lIn0.eyJqdGkiOiJ4In0.')).toBeUndefined();
    // A jti presented as if it were an opaque handle is hashed first, so it matches nothing.
    const tokens = await rig.codeTokens('web-jwt');
    expect(await findPresentedToken(rig.ctx, decodeJwt(tokens.access_token).jti as string)).toBeUndefined();
  });
});
