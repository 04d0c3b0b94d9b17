/**
 * `castellan users unlock` and `castellan users mfa reset`, run in-process against the SQLite file a
 * running server context uses: an unlock takes effect on the server's next attempt without a restart.
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V6.3, V6.4)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { loadConfig } from '../../src/config/config.js';
import { bootstrap } from '../../src/server/bootstrap.js';
import { releaseContext, type Context } from '../../src/server/context.js';
import type { ClientRecord, UserRecord } from '../../src/storage/stores.js';
import { REDIRECT_URI } from '../support/browser-flow.js';
import { enrollUser } from '../mfa/mfa-fixtures.js';
import { LoginClient, TRUST_LOOPBACK } from '../security/login-client.js';
import { cliRig, type CliRig } from './cli-harness.js';

describe('castellan users unlock | mfa reset (SQLite file shared with a running server)', () => {
  let rig: CliRig;
  let server: Context;
  let client: ClientRecord;
  let ada: UserRecord;
  const password = 'analytical engine notes';

  beforeAll(async () => {
    rig = cliRig();
    expect((await rig.cli(['users', 'add', 'ada', '--password', password])).code).toBe(0);
    server = await bootstrap(loadConfig(rig.env, { logLevel: 'silent', ...TRUST_LOOPBACK, loginMaxAttemptsPerUserIp: 3 }));
    ({ record: client } = await createClient(server, { client_name: 'CLI test app', redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none' }));
    ada = (await server.stores.users.findByUsername('ada'))!;
  });
  afterAll(async () => {
    await releaseContext(server);
    await server.stores.close();
  });

  it('MUST end the delays of a username at once, and audit the unlock', async () => {
    const attacker = await new LoginClient(server, client, '198.51.100.9').open();
    for (let i = 0; i < 3; i += 1) expect((await attacker.login('ada', `guess ${i}`)).status).toBe(401);
    expect((await attacker.login('ada', password)).status).toBe(429);
    expect(await rig.cli(['users', 'unlock', 'ada'])).toEqual({ code: 0, stdout: 'Unlocked ada: failed sign-in attempts for this username are forgotten.\n', stderr: '' });
    expect((await attacker.login('ada', password)).status).toBe(303);
    expect(await server.stores.audit.list({ type: 'user.unlocked', userId: ada.id })).toHaveLength(1);
  });

  it('MUST remove the authenticator and recovery codes at an MFA reset, so the password alone signs in', async () => {
    await enrollUser(server, ada);
    const before = await new LoginClient(server, client, '203.0.113.9').open();
    expect((await before.login('ada', password)).location).toMatch(/\/mfa$/);
    expect(await rig.cli(['users', 'mfa', 'reset', 'ada'])).toEqual({ code: 0, stdout: 'Reset two-step verification for ada.\n', stderr: '' });
    expect(await server.stores.mfa.find(ada.id)).toBeUndefined();
    expect(await server.stores.recoveryCodes.countUnused(ada.id)).toBe(0);
    const after = await new LoginClient(server, client, '203.0.113.9').open();
    expect((await after.login('ada', password)).location).toMatch(/\/consent$/);
    expect(await rig.cli(['users', 'mfa', 'reset', 'ada'])).toMatchObject({ code: 0, stdout: 'ada had no two-step verification; nothing to reset.\n' });
    expect(await server.stores.audit.list({ type: 'mfa.reset', userId: ada.id })).toHaveLength(1);
  });

  it.each([
    [['users', 'unlock', 'nobody']],
    [['users', 'mfa', 'reset', 'nobody']],
  ])('MUST exit 1 with one line for an unknown user: %j', async (argv) => {
    const result = await rig.cli(argv);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('castellan: user "nobody" not found\n');
  });

  it('MUST remove MFA rows with the user (SQLite enforces no foreign keys)', async () => {
    expect((await rig.cli(['users', 'add', 'grace', '--password', 'compiler pioneer'])).code).toBe(0);
    const grace = (await server.stores.users.findByUsername('grace'))!;
    await enrollUser(server, grace);
    expect((await rig.cli(['users', 'remove', 'grace'])).code).toBe(0);
    expect(await server.stores.mfa.find(grace.id)).toBeUndefined();
    expect(await rig.withKnex((knex) => knex('recovery_codes').where({ user_id: grace.id }))).toEqual([]);
  });
});
