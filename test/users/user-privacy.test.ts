/**
 * A user's right of access and right to erasure: the export holds claims, consents, sessions, grants
 * and tokens in readable form and no hash or secret; deletion leaves no row about the user in any
 * table (every table of the schema is scanned, so a new table cannot be forgotten), and other users
 * keep everything.
 * @spec https://eur-lex.europa.eu/eli/reg/2016/679/oj (GDPR Art. 15, 17)
 */
import request from 'supertest';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/server/app.js';
import type { UserRecord } from '../../src/storage/stores.js';
import { createUser } from '../../src/users/user-service.js';
import { deleteUserData, exportUserData } from '../../src/users/user-privacy.js';
import { enrollUser } from '../mfa/mfa-fixtures.js';
import { authorizeThroughPages, authorizeUrl, browser, csrfOf, defaultParams, pathOf, pkcePair, REDIRECT_URI, registerClient } from '../support/browser-flow.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { basic, SECRET } from '../support/token-fixtures.js';

/** Every table of the schema with every row, as JSON text. */
export async function everyRow(db: Knex): Promise<Map<string, string[]>> {
  const tables: string[] = db.client.dialect === 'sqlite3'
    ? (await db('sqlite_master').where({ type: 'table' }).andWhereNot('name', 'like', 'sqlite_%').select('name')).map((r: { name: string }) => r.name)
    : (await db.raw('select table_name from information_schema.tables where table_schema = current_schema()')).rows.map((r: { table_name: string }) => r.table_name);
  const rows = new Map<string, string[]>();
  for (const table of tables) rows.set(table, (await db(table).select('*')).map((row: unknown) => JSON.stringify(row)));
  return rows;
}

const PASSWORD = 'a privacy test passphrase';

describe(`users export and delete (${backendName})`, () => {
  let ctx: TestContext;
  let subject: UserRecord;
  let bystander: UserRecord;
  let tokens: Record<string, string>;

  /** Signs `user` in through the pages, consents, and exchanges the code: session, consent, grant, tokens. */
  async function signInAndGetTokens(user: UserRecord, clientId: string): Promise<Record<string, string>> {
    const client = (await ctx.stores.clients.find(clientId))!;
    const pkce = pkcePair();
    const redirect = await authorizeThroughPages(browser(ctx), defaultParams(client, { code_challenge: pkce.challenge, scope: 'openid profile offline_access' }), user.username, PASSWORD);
    const response = await request(createApp(ctx)).post('/token').type('form').set('authorization', basic(clientId, SECRET))
      .send({ grant_type: 'authorization_code', code: redirect.searchParams.get('code'), redirect_uri: REDIRECT_URI, code_verifier: pkce.verifier }).expect(200);
    return response.body;
  }

  beforeAll(async () => {
    ctx = await createTestContext();
    await registerClient(ctx, { client_id: 'privacy-rp', client_name: 'Privacy RP', token_endpoint_auth_method: 'client_secret_jwt', client_secret: SECRET, grant_types: ['authorization_code', 'refresh_token'] });
    await registerClient(ctx, { client_id: 'privacy-rp2', token_endpoint_auth_method: 'client_secret_basic', client_secret: SECRET, grant_types: ['authorization_code', 'refresh_token'] });
    subject = await createUser(ctx, { username: 'privacy-subject', password: PASSWORD, claims: { name: 'Pat Subject', email: 'pat@example.com' } });
    bystander = await createUser(ctx, { username: 'privacy-bystander', password: PASSWORD, claims: { name: 'Bea Bystander' } });
    tokens = await signInAndGetTokens(subject, 'privacy-rp2');
    await signInAndGetTokens(bystander, 'privacy-rp2');
    // A failed login (audited with the user), an MFA enrolment, an unlock, a pending logout notice, an open interaction.
    const agent = browser(ctx);
    const login = pathOf((await agent.get(authorizeUrl(defaultParams((await ctx.stores.clients.find('privacy-rp2'))!))).expect(303)).headers.location as string);
    await agent.post(login).type('form').send({ csrf: csrfOf((await agent.get(login)).text), username: subject.username, password: 'wrong password' }).expect(401);
    await enrollUser(ctx, subject);
    await ctx.stores.loginResets.bump(subject.username, ctx.clock());
    await ctx.stores.logoutDeliveries.insert({ id: 'privacy-delivery', clientId: 'privacy-rp2', userId: subject.id, sid: 'sid-1', attempts: 1, nextAttemptAt: ctx.clock() + 60, createdAt: ctx.clock(), lastError: 'timeout' });
    // A device authorization the subject denied (an approved one hangs off a grant, which goes too).
    const now = ctx.clock();
    await ctx.stores.deviceAuthorizations.insert({ deviceCodeHash: 'privacy-device', userCodeHash: 'privacy-user-code', clientId: 'privacy-rp2', scope: 'openid', status: 'pending', pollInterval: 5, lastPolledAt: null, grantId: null, userId: null, createdAt: now, expiresAt: now + 600, decidedAt: null, consumedAt: null });
    await ctx.stores.deviceAuthorizations.deny('privacy-device', subject.id, now);
    // The request inspector's recordings: one names the subject (a decoded ID token), one the bystander.
    const traced = (sub: string, hint: string) => ({
      clientId: 'privacy-rp2', at: now, endpoint: 'token', method: 'POST', status: 200, durationMs: 4, params: { grant_type: 'authorization_code', code: '***' }, masked: {},
      issued: [{ kind: 'id_token', format: 'jwt' as const, hint, jwt: { header: { alg: 'RS256' }, claims: { sub, aud: 'privacy-rp2' } } }],
    });
    await ctx.stores.requestTraces.append([traced(subject.id, 'hint-of-subject-token'), traced(bystander.id, 'hint-of-bystander-token')], 200);
  });
  afterAll(() => ctx.close());

  it('MUST export claims, consents, sessions, grants, tokens and the inspector\'s recordings naming the user, with no hash or secret', async () => {
    const document = await exportUserData(ctx, subject);
    expect(document).toMatchObject({
      user: { sub: subject.id, username: 'privacy-subject' },
      claims: { name: 'Pat Subject', email: 'pat@example.com' },
      consents: [{ client_id: 'privacy-rp2', scope: expect.stringContaining('openid') }],
      sessions: [expect.objectContaining({ sid: expect.any(String), amr: ['pwd'] })],
      grants: [expect.objectContaining({ client_id: 'privacy-rp2', refresh_tokens: [expect.objectContaining({ used_at: null })], access_tokens: [expect.objectContaining({ format: 'opaque' })] })],
      mfa: { enabled: true, recovery_codes_unused: 10 },
      logout_notices: [{ client_id: 'privacy-rp2', sid: 'sid-1', attempts: 1, created_at: expect.any(Number) }],
    });
    expect(document.request_traces).toEqual([expect.objectContaining({
      client_id: 'privacy-rp2', endpoint: 'token', status: 200, issued: [{ kind: 'id_token', format: 'jwt', claims: { sub: subject.id, aud: 'privacy-rp2' }, expires_in: null }],
    })]);
    expect(JSON.stringify(document)).not.toContain('hint-of-subject-token');
    const types = (document.audit_events as { type: string }[]).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['user.created', 'login.succeeded', 'login.failed', 'mfa.enrolled', 'token.issued']));
    const text = JSON.stringify(document);
    const db = ctx.knex;
    const secrets = [
      subject.passwordHash, tokens.access_token, tokens.refresh_token, tokens.id_token,
      ...(await db('sessions').where({ user_id: subject.id }).pluck('id_hash')),
      ...(await db('refresh_tokens').pluck('token_hash')), ...(await db('access_tokens').pluck('token_hash')),
      ...(await db('user_mfa').pluck('secret_encrypted')), ...(await db('recovery_codes').pluck('code_hash')),
    ];
    expect(secrets.length).toBeGreaterThan(6);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/\$argon2|"v1\.[A-Za-z0-9_-]+\./);
    // Nothing about anyone else.
    expect(text).not.toContain(bystander.id);
  });

  it('MUST delete the user with every grant, token, consent and session, leaving no row about them in any table', async () => {
    const before = await everyRow(ctx.knex);
    const mentions = [...before.values()].flat().filter((row) => row.includes(subject.id) || row.includes(subject.username));
    expect(mentions.length).toBeGreaterThan(15);
    const removed = await deleteUserData(ctx, subject);
    expect(removed).toMatchObject({ users: 1, grants: 1, sessions: 1, consents: 1, refresh_tokens: 1, access_tokens: 1, user_mfa: 1, recovery_codes: 10, login_throttle_resets: 1, logout_deliveries: 1, device_authorizations: 1 });
    for (const [table, rows] of await everyRow(ctx.knex)) {
      for (const row of rows) {
        expect(row.includes(subject.id) || row.includes(subject.username), `${table}: ${row}`).toBe(false);
      }
    }
    // The tokens are dead, and the bystander keeps everything.
    await request(createApp(ctx)).get('/userinfo').set('authorization', `Bearer ${tokens.access_token}`).expect(401);
    expect(await ctx.stores.users.findById(bystander.id)).toBeDefined();
    expect(await ctx.stores.consents.listByUser(bystander.id)).toHaveLength(1);
    const [deleted] = await ctx.stores.audit.list({ type: 'user.deleted' });
    expect(deleted).toMatchObject({ userId: null, details: { removed: expect.objectContaining({ users: 1 }) } });
  });
});
