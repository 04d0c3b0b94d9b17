import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPresentedToken } from '../../src/rfc8693-token-exchange/subject-token.js';
import { API } from '../support/token-lifecycle-fixtures.js';
import { AT, EXTERNAL_ISSUER, IDT, JWT, RT, exchangeRig, type ExchangeRig } from '../support/token-exchange-fixtures.js';
import { backendName } from '../support/test-context.js';

describe(`RFC 8693 §2.1 subject and actor tokens (${backendName})`, () => {
  let rig: ExchangeRig;
  beforeAll(async () => {
    rig = await exchangeRig();
  });
  afterAll(() => rig.close());

  it('reads a Castellan access token (opaque or JWT) with its grant, scope and audience', async () => {
    for (const clientId of ['web', 'web-jwt']) {
      const tokens = await rig.codeTokens(clientId, { scope: 'openid profile', resource: [API] });
      const read = await readPresentedToken(rig.ctx, tokens.access_token, AT, 'subject_token');
      expect(read).toMatchObject({ self: true, subject: rig.user.id, clientId, scope: 'openid profile', audience: [API], issuer: rig.ctx.config.issuer });
      expect(read.grant?.userId).toBe(rig.user.id);
    }
  });

  it('reads a refresh token by its hash and leaves it usable', async () => {
    const tokens = await rig.codeTokens('web', { resource: [API] });
    expect(await readPresentedToken(rig.ctx, tokens.refresh_token!, RT, 'subject_token')).toMatchObject({ type: RT, subject: rig.user.id });
    expect((await rig.refresh(tokens.refresh_token!)).access_token).toBeDefined();
  });

  it('verifies an ID token against our keys and ties it to its live grant', async () => {
    const tokens = await rig.codeTokens('web', { scope: 'openid' });
    expect(await readPresentedToken(rig.ctx, tokens.id_token!, IDT, 'subject_token')).toMatchObject({ type: IDT, subject: rig.user.id, clientId: 'web', audience: [] });
    // An ID token is not an access token, nor is an access token an ID token.
    await expect(readPresentedToken(rig.ctx, tokens.id_token!, AT, 'subject_token')).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('reads a trusted issuer\'s JWT with its act and may_act', async () => {
    const token = await rig.idp.sign({ sub: 'p', scope: 's', aud: ['x', 'y'], act: { sub: 'earlier' }, may_act: { sub: 'gateway' } });
    expect(await readPresentedToken(rig.ctx, token, JWT, 'subject_token')).toMatchObject({ self: false, issuer: EXTERNAL_ISSUER, subject: 'p', scope: 's', audience: ['x', 'y'], act: { sub: 'earlier' }, mayAct: { sub: 'gateway' } });
  });

  it('MUST answer invalid_request for unknown, revoked and wrongly typed tokens', async () => {
    const tokens = await rig.codeTokens('web', { resource: [API] });
    await rig.revoke({ token: tokens.refresh_token! });
    for (const [token, type] of [['unknown', AT], [tokens.access_token, AT], [tokens.refresh_token!, RT], [tokens.access_token, 'urn:ietf:params:oauth:token-type:saml2'], ['opaque', JWT]]) {
      await expect(readPresentedToken(rig.ctx, token, type, 'actor_token')).rejects.toMatchObject({ code: 'invalid_request' });
    }
  });
});
