/**
 * The token endpoint's transactional branch: a grant that hands back `commit` instead of `newRows`
 * writes its rows inside the endpoint's transaction, together with the token.issued audit event; a
 * refusal it decides inside that transaction (a replay) still keeps what it wrote (the revocation).
 * No built-in grant takes this branch, so an extension grant registered here drives it.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.5 (extension grants)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
import type { Express } from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { OAuthError } from '../../src/errors/oauth-error.js';
import { issueTokenSet } from '../../src/rfc6749-oauth2/token-response.js';
import { registerGrant, type GrantModule, type GrantOutcome } from '../../src/server/grant-registry.js';
import type { GrantRecord, Tx } from '../../src/storage/stores.js';
import { findAccessToken } from '../../src/tokens/access-token.js';
import { newId } from '../../src/tokens/handles.js';
import { backendName, createTestContextWithApp, type TestContext } from '../support/test-context.js';
import { basic, postToken, SECRET, storedState } from '../support/token-fixtures.js';

const EXTENSION_GRANT = 'urn:castellan:test:transactional-grant';
const CLIENT_ID = 'extension-client';

interface ExtensionInput {
  /** `issue`: commit writes the rows; `refuse`: commit revokes `grant_id` and refuses; `neither`: no rows, no commit. */
  behaviour: 'issue' | 'refuse' | 'neither';
  grant_id?: string;
}

/** The transaction each commit ran in, so a test can compare it with the audit write's. */
const commitTransactions: Tx[] = [];

function liveGrant(now: number, lifetime: number): GrantRecord {
  return {
    id: newId(), clientId: CLIENT_ID, userId: null, scope: '', claims: null, resource: null,
    authTime: null, acr: null, amr: null, sid: null, createdAt: now, expiresAt: now + lifetime, revokedAt: null, revokedReason: null,
  };
}

const extensionGrant: GrantModule<ExtensionInput> = {
  grantType: EXTENSION_GRANT,
  schema: {
    type: 'object',
    properties: { behaviour: { type: 'string', enum: ['issue', 'refuse', 'neither'] }, grant_id: { type: 'string', maxLength: 64 } },
    required: ['behaviour'],
  },
  async handle(ctx, input, client): Promise<GrantOutcome> {
    const grant = liveGrant(ctx.clock(), ctx.config.accessTokenTtl);
    const tokens = await issueTokenSet(ctx, { grant, client, scope: '' });
    const outcome = { body: tokens.body, userId: null, details: tokens.summary };
    if (input.behaviour === 'neither') return outcome;
    if (input.behaviour === 'refuse') {
      return {
        ...outcome,
        async commit(tx) {
          commitTransactions.push(tx);
          await ctx.stores.grants.revoke(input.grant_id!, 'replayed', ctx.clock(), tx);
          return new OAuthError('invalid_grant', 'the grant was already used');
        },
      };
    }
    return {
      ...outcome,
      async commit(tx) {
        commitTransactions.push(tx);
        await ctx.stores.grants.insert(grant, tx);
        await ctx.stores.accessTokens.insert(tokens.accessToken.record, tx);
        return undefined;
      },
    };
  },
};

// The registry has no way to take a grant back out. Vitest gives each test file its own module
// graph, so this registration ends with the file and no other file's endpoint or metadata sees it.
registerGrant(extensionGrant);

describe(`RFC 6749 §4.5 extension grant committing in the token endpoint's transaction (${backendName})`, () => {
  let ctx: TestContext;
  let app: Express;
  const authorization = { authorization: basic(CLIENT_ID, SECRET) };
  const issuedEvents = async () => (await ctx.stores.audit.list({ type: 'token.issued' })).length;

  beforeAll(async () => {
    ({ ctx, app } = await createTestContextWithApp());
    // Client metadata only accepts the built-in grant types, so the extension is added to the stored row.
    const { record } = await createClient(ctx, { client_id: CLIENT_ID, client_secret: SECRET, grant_types: ['client_credentials'] });
    await ctx.stores.clients.update({ ...record, metadata: { ...record.metadata, grant_types: [...record.metadata.grant_types, EXTENSION_GRANT] } });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    commitTransactions.length = 0;
  });
  afterAll(() => ctx.close());

  it('MUST answer a committed issuance with the §5.1 response and record token.issued in the same transaction', async () => {
    const auditWrite = vi.spyOn(ctx.stores.audit, 'record');
    const before = await issuedEvents();
    const response = await postToken(app, { grant_type: EXTENSION_GRANT, behaviour: 'issue' }, authorization);
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(Object.keys(response.body).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    expect(response.body.token_type).toBe('Bearer');
    expect(await findAccessToken(ctx, response.body.access_token as string)).toBeDefined();

    expect(commitTransactions).toHaveLength(1);
    const [transaction] = commitTransactions;
    expect('isCompleted' in transaction && transaction.isCompleted()).toBe(true);
    const issuedWrite = auditWrite.mock.calls.find(([event]) => event.type === 'token.issued');
    expect(issuedWrite?.[0]).toMatchObject({ clientId: CLIENT_ID, details: { grant_type: EXTENSION_GRANT } });
    expect(issuedWrite?.[2]).toBe(transaction);
    expect(await issuedEvents()).toBe(before + 1);
  });

  it('MUST answer with the error a commit returns, keeping what it wrote (the revocation) and recording no issuance', async () => {
    const replayed = liveGrant(ctx.clock(), 3600);
    await ctx.stores.grants.insert(replayed);
    const before = await issuedEvents();
    const response = await postToken(app, { grant_type: EXTENSION_GRANT, behaviour: 'refuse', grant_id: replayed.id }, authorization);
    expect([response.status, response.body.error]).toEqual([400, 'invalid_grant']);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(commitTransactions).toHaveLength(1);
    expect(await ctx.stores.grants.find(replayed.id)).toMatchObject({ revokedAt: ctx.clock(), revokedReason: 'replayed' });
    expect(await issuedEvents()).toBe(before);
  });

  it('MUST answer 500 server_error when a grant gives neither rows nor a commit, writing nothing', async () => {
    const before = await storedState(ctx);
    const issuedBefore = await issuedEvents();
    const response = await postToken(app, { grant_type: EXTENSION_GRANT, behaviour: 'neither' }, authorization);
    expect([response.status, response.body.error]).toEqual([500, 'server_error']);
    expect(await storedState(ctx)).toEqual(before);
    expect(await issuedEvents()).toBe(issuedBefore);
  });
});
