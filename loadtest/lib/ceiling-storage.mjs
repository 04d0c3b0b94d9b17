/**
 * The storage work Castellan's flows cannot skip, on Castellan's own stores (dist/), for the
 * `ceiling-storage` server of `npm run bench:ceiling`: the ceiling server plus exactly the reads and
 * atomic writes each flow needs to be durable and audited, nothing else (no client authentication,
 * validation, rate limit or security headers). A rate this server does not reach cannot be reached by
 * any server that keeps Castellan's durable, audited storage on the same database.
 * - client credentials: one write (grant, access token, audit event);
 * - code flow: /authorize reads the session with its user and consent, then writes grant, code and
 *   audit event; the exchange reads the code with its grant and user, then consumes the code and
 *   writes the access token and audit event in one conditional write;
 * - introspection: one read of the token with its grant.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const DIST = new URL('../../dist/', import.meta.url);
const load = (path) => import(pathToFileURL(join(DIST.pathname, path)).href);

/** The i-th token of the introspection pool: ceiling.mjs presents them, the server stores them. */
export const introspectionToken = (i) => `token-${i}-${'x'.repeat(36)}`;

const hour = 3600;

/** Opens a fresh SQLite file in `dir` (or `databaseUrl`), migrated, with one signed-in user. */
export async function openCeilingStorage({ dir, databaseUrl }) {
  const { openStores } = await load('storage/sql/create-stores.js');
  // Handles, ids and their stored hashes as Castellan makes them.
  const { hashHandle, newHandle, newId } = await load('tokens/handles.js');
  const url = databaseUrl ?? `sqlite:${join(dir, 'ceiling.db')}`;
  const stores = await openStores(url, { checkpointOffThread: true });
  const now = () => Math.floor(Date.now() / 1000);
  const at = now();
  const sessionId = newHandle();
  const userId = newId();
  const sid = newId();
  await stores.users.insert({ id: userId, username: `ceiling-${userId}`, passwordHash: 'none', claims: { name: 'Ceiling' }, createdAt: at, updatedAt: at });
  await stores.sessions.insert({ idHash: hashHandle(sessionId), userId, sid, authTime: at, acr: null, amr: ['pwd'], createdAt: at, lastSeenAt: at, idleExpiresAt: at + hour, absoluteExpiresAt: at + hour });

  const grant = (clientId, scope, user) => ({
    id: newId(), clientId, userId: user ? userId : null, scope, claims: null, resource: null,
    authTime: user ? at : null, acr: null, amr: user ? ['pwd'] : null, sid: user ? sid : null, createdAt: now(), expiresAt: now() + hour, revokedAt: null, revokedReason: null,
  });
  const audit = (type, clientId, user) => ({ event: { type, clientId, userId: user ? userId : null, ip: '127.0.0.1', userAgent: 'autocannon', details: {} }, at: now() });
  const accessToken = (handle, g, format) => ({ tokenHash: format === 'jwt' ? handle : hashHandle(handle), format, grantId: g.id, clientId: g.clientId, scope: g.scope, audience: null, createdAt: now(), expiresAt: now() + hour, revokedAt: null });

  return {
    /** Client credentials: the issued JWT's jti recorded with its grant and audit event. */
    async clientCredentials(clientId, scope, jti) {
      const g = grant(clientId, scope, false);
      await stores.insertNewRows({ grants: [g], accessTokens: [accessToken(jti, g, 'jwt')], auditEvents: [audit('token.issued', clientId, false)] });
    },
    /** /authorize through the session: its read, then the code's write; returns the code. */
    async issueCode(clientId, redirectUri, challenge) {
      let found = await stores.sessions.findOfExistingUser(hashHandle(sessionId), clientId);
      if (found && !found.consent) {
        // The first authorization of a client: consent remembered once, as a signed-in user would.
        await stores.consents.upsert({ userId, clientId, scope: 'openid profile email', grantedAt: now() });
        found = await stores.sessions.findOfExistingUser(hashHandle(sessionId), clientId);
      }
      if (!found?.consent) throw new Error('the seeded session or its consent is missing');
      const code = newHandle();
      const g = grant(clientId, 'openid profile email', true);
      await stores.insertNewRows({
        grants: [g],
        authorizationCodes: [{ codeHash: hashHandle(code), grantId: g.id, clientId, redirectUri, codeChallenge: challenge, codeChallengeMethod: 'S256', nonce: null, scope: g.scope, createdAt: now(), expiresAt: now() + 60, consumedAt: null }],
        auditEvents: [audit('authorization.code_issued', clientId, true)],
      });
      return code;
    },
    /** The exchange: the code's read, then its consumption with the access token's write; false when unknown or used. */
    async redeemCode(code, accessHandle) {
      const found = await stores.codes.findWithGrant(hashHandle(code));
      if (!found || found.token.consumedAt !== null) return false;
      return stores.insertNewRows(
        { accessTokens: [accessToken(accessHandle, found.grant, 'opaque')], auditEvents: [audit('token.issued', found.grant.clientId, true)] },
        { kind: 'authorization_code', hash: hashHandle(code), at: now() },
      );
    },
    /** Stores opaque tokens for `handles` (introspection's pool). */
    async seedTokens(handles) {
      for (const handle of handles) {
        const g = grant('cc-opaque', 'api', false);
        await stores.insertNewRows({ grants: [g], accessTokens: [accessToken(handle, g, 'opaque')] });
      }
    },
    /** Introspection's read; true when the token is known and live. */
    async introspect(handle) {
      const found = await stores.accessTokens.findWithGrant(hashHandle(handle));
      return Boolean(found && found.token.expiresAt > now() && found.grant.revokedAt === null);
    },
    close: () => stores.close(),
  };
}
