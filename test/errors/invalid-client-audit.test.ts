/**
 * A failed client authentication is audited with its cause (an unknown client or a wrong secret)
 * while the client receives one identical invalid_client for both.
 * @spec https://github.com/OWASP/ASVS/blob/v5.0.0/5.0/en/0x25-V16-Security-Logging-and-Error-Handling.md (V16.3.1)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (invalid_client)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName } from '../support/test-context.js';
import { basic, postToken } from '../support/token-fixtures.js';
import { lifecycleRig, type LifecycleRig } from '../support/token-lifecycle-fixtures.js';

describe(`OWASP ASVS 5.0 V16.3.1 the cause of a failed client authentication (${backendName})`, () => {
  let rig: LifecycleRig;
  beforeAll(async () => {
    rig = await lifecycleRig();
  });
  afterAll(() => rig.close());

  const latestFailure = async (clientId: string) => (await rig.ctx.stores.audit.list({ type: 'client.auth_failed', clientId, limit: 1 }))[0];
  const wrong = 'a-wrong-secret-that-must-not-be-logged-0123456789';

  it('MUST audit an unknown client apart from a wrong secret, and answer both identically', async () => {
    const unknown = await postToken(rig.app, { grant_type: 'client_credentials' }, { authorization: basic('no-such-client', wrong) });
    const mistaken = await postToken(rig.app, { grant_type: 'client_credentials' }, { authorization: basic('svc', wrong) });
    expect(unknown.status).toBe(401);
    expect(mistaken.status).toBe(401);
    expect(mistaken.body).toEqual(unknown.body);
    expect(mistaken.headers['www-authenticate']).toBe(unknown.headers['www-authenticate']);
    expect((await latestFailure('no-such-client'))?.details).toMatchObject({ cause: 'unknown_client' });
    expect((await latestFailure('svc'))?.details).toMatchObject({ cause: 'wrong_secret' });
    expect(JSON.stringify(await latestFailure('svc'))).not.toContain(wrong);
  });

  it('MUST tell the causes apart for secrets in the form body too', async () => {
    const unknown = await postToken(rig.app, { grant_type: 'client_credentials', client_id: 'nobody-here', client_secret: wrong });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error).toBe('invalid_client');
    expect((await latestFailure('nobody-here'))?.details).toMatchObject({ cause: 'unknown_client' });
  });
});
