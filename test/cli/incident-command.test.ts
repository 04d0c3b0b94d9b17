/**
 * `castellan incident revoke-client` against a SQLite file: a running node then refuses the client's
 * tokens at introspection and UserInfo.
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-2.2
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { createUser } from '../../src/users/user-service.js';
import { basic, issueCode, postToken, REDIRECT, SECRET } from '../support/token-fixtures.js';
import { cliRig, type CliRig } from './cli-harness.js';
import { runningNode, type RunningNode } from './running-node.js';

describe('castellan incident revoke-client (SQLite file)', () => {
  let rig: CliRig;
  let node: RunningNode;
  let tokens: { access_token: string; refresh_token: string };

  beforeAll(async () => {
    rig = cliRig();
    node = await runningNode(rig);
    const { ctx } = node;
    await createClient(ctx, { client_id: 'leaky', client_secret: SECRET, redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'] });
    const user = await createUser(ctx, { username: 'iris', password: 'iris has a long password', claims: {} });
    const issued = await issueCode(ctx, { clientId: 'leaky', userId: user.id, scope: 'openid offline_access' });
    tokens = (await postToken(node.app, { grant_type: 'authorization_code', code: issued.code, redirect_uri: REDIRECT, code_verifier: issued.verifier }, { authorization: basic('leaky', SECRET) }).expect(200)).body;
  });
  afterAll(() => node.close());

  const introspect = (token: string) => request(node.app).post('/introspect').type('form').set('authorization', basic('leaky', SECRET)).send({ token });

  it('revokes every token of the client: introspection answers inactive, UserInfo refuses', async () => {
    expect((await introspect(tokens.access_token)).body.active).toBe(true);
    await request(node.app).get('/userinfo').set('authorization', `Bearer ${tokens.access_token}`).expect(200);
    const result = await rig.cli(['incident', 'revoke-client', 'leaky', '--reason', 'secret in a public repo']);
    expect(result).toMatchObject({ code: 0, stdout: 'Revoked every token of leaky: 1 grant, 1 refresh token and 1 access token that were still usable.\n' });
    expect((await introspect(tokens.access_token)).body).toStrictEqual({ active: false });
    expect((await introspect(tokens.refresh_token)).body).toStrictEqual({ active: false });
    await request(node.app).get('/userinfo').set('authorization', `Bearer ${tokens.access_token}`).expect(401);
    const [event] = await rig.withStores((stores) => stores.audit.list({ type: 'incident.client_revoked' }));
    expect(event).toMatchObject({ clientId: 'leaky', details: { grants: 1, reason: 'secret in a public repo' } });
  });

  it('answers --json, and reports nothing left to revoke the second time', async () => {
    const result = await rig.cli(['incident', 'revoke-client', 'leaky', '--json']);
    expect(JSON.parse(result.stdout)).toEqual({ client_id: 'leaky', grants_revoked: 0, refresh_tokens_revoked: 0, access_tokens_revoked: 0 });
  });

  it('exits 1 for an unknown client', async () => {
    expect(await rig.cli(['incident', 'revoke-client', 'nobody'])).toMatchObject({ code: 1, stderr: 'castellan: client "nobody" not found\n' });
  });
});
