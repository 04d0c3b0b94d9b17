/**
 * Issuing the authorization code on approval: the grant row (root of every token family), the code
 * row (stored hashed), remembered consent and the audit event, written in one transaction (or one
 * atomic insert when remembered consent already covers the request).
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2 (short-lived, bound to client and redirect_uri)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-10.10 (codes must not be guessable: 256 bits)
 * @spec https://www.rfc-editor.org/rfc/rfc7636#section-4.4 (the challenge is kept with the code)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#IDToken (auth_time, acr, amr, nonce)
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-2.1 (the grant keeps the requested resources)
 */
import { OAuthError } from '../errors/oauth-error.js';
import { clientNoLongerRegistered } from '../errors/recurring-errors.js';
import type { Context } from '../server/context.js';
import { tokenLifetime } from '../clients/token-lifetimes.js';
import type { AuditEvent, AuthorizationCodeRecord, ClientRecord, ConsentRecord, GrantRecord, SessionRecord, Tx } from '../storage/stores.js';
import { hashHandle, newHandle, newId } from '../tokens/handles.js';
import { scopeList } from '../oidc-core/claims.js';
import { requireAuthTime } from '../oidc-core/claims-parameter.js';
import { usePushedRequest } from '../rfc9126-par/pushed-request-uri.js';
import type { AuthorizationRequest } from './authorization-request.js';

export interface CodeIssue {
  request: AuthorizationRequest;
  session: SessionRecord;
  /** The scope the user approved (or that remembered consent covers). */
  scope: string;
  /** The remembered consent as the caller already read it (undefined: none, or not read). */
  consent?: ConsentRecord;
  /** The client as the caller already read it; read here when absent (a resumed interaction). */
  client?: ClientRecord;
}

export interface IssuedCode {
  code: string;
  grant: GrantRecord;
}

interface CodeRows extends IssuedCode {
  row: AuthorizationCodeRecord;
  event: AuditEvent;
}

/** The client's registration, for its lifetimes; a client removed during the interaction gets no code. */
async function clientOf(ctx: Context, issue: CodeIssue): Promise<ClientRecord> {
  const client = issue.client ?? (await ctx.stores.clients.find(issue.request.clientId));
  if (!client) throw clientNoLongerRegistered();
  return client;
}

/**
 * The grant a signed-in user's approval creates, here and at the device consent step: the user and
 * how they authenticated (auth_time, acr, amr, sid) from the session, what was approved from the request.
 */
export function sessionGrant(ctx: Context, client: ClientRecord, session: SessionRecord, approved: Pick<GrantRecord, 'scope' | 'claims' | 'resource'>, now: number): GrantRecord {
  return {
    id: newId(),
    clientId: client.clientId,
    userId: session.userId,
    ...approved,
    authTime: session.authTime,
    acr: session.acr,
    amr: session.amr,
    sid: session.sid,
    createdAt: now,
    // The grant lives as long as the client's refresh tokens may (each rotation stays within it).
    expiresAt: now + tokenLifetime(ctx.config, client.metadata, 'refresh_token'),
    revokedAt: null,
    revokedReason: null,
  };
}

/** The grant, the code and its audit event, built in memory; nothing is written. */
function buildCode(ctx: Context, issue: CodeIssue, client: ClientRecord, now: number): CodeRows {
  const { request, session, scope } = issue;
  const grant = sessionGrant(ctx, client, session, {
    scope,
    // OIDC Core §3.1.2.1: with max_age the ID token MUST carry auth_time, recorded as an essential claim.
    claims: (request.maxAge !== null ? requireAuthTime(request.claims) : request.claims) as Record<string, unknown> | null,
    resource: request.resource ?? null,
  }, now);
  const code = newHandle();
  const row: AuthorizationCodeRecord = {
    codeHash: hashHandle(code),
    grantId: grant.id,
    clientId: request.clientId,
    redirectUri: request.redirectUri,
    codeChallenge: request.codeChallenge,
    codeChallengeMethod: request.codeChallengeMethod,
    nonce: request.nonce,
    scope,
    createdAt: now,
    expiresAt: now + tokenLifetime(ctx.config, client.metadata, 'authorization_code'),
    consumedAt: null,
    ...(request.dpopJkt !== undefined ? { dpopJkt: request.dpopJkt } : {}),
  };
  // The code itself never reaches the audit log.
  const event: AuditEvent = { type: 'authorization.code_issued', clientId: request.clientId, userId: session.userId, details: { grantId: grant.id, scope, sid: session.sid } };
  return { code, grant, row, event };
}

/** The scope consent must remember after this approval, or undefined when it already covers it. */
function widenedConsent(previous: ConsentRecord | undefined, scope: string): string | undefined {
  const known = scopeList(previous?.scope ?? '');
  const added = [...new Set(scopeList(scope))].filter((value) => !known.includes(value));
  return !previous || added.length > 0 ? [...known, ...added].join(' ') : undefined;
}

/** Writes grant, code, consent and audit with `tx`; the caller owns the transaction (and read the client before it). */
export async function issueAuthorizationCode(ctx: Context, issue: CodeIssue, client: ClientRecord, tx: Tx): Promise<IssuedCode> {
  const now = ctx.clock();
  const { code, grant, row, event } = buildCode(ctx, issue, client, now);
  const userId = issue.session.userId;
  const remembered = widenedConsent(await ctx.stores.consents.find(userId, issue.request.clientId, tx), issue.scope);
  // Remembered consent that already covers the scope is left as it is.
  if (remembered !== undefined) await ctx.stores.consents.upsert({ userId, clientId: issue.request.clientId, scope: remembered, grantedAt: now }, tx);
  // The one way a code is written: the same atomic insert as the silent path below, inside this transaction.
  await ctx.stores.insertNewRows({ grants: [grant], authorizationCodes: [row], auditEvents: [{ event, at: now }] }, undefined, tx);
  return { code, grant };
}

/**
 * Completes an authorization: consumes the interaction and the pushed request (when there are) and
 * issues the code in one transaction, so a replayed approval issues nothing. Through a session whose remembered consent
 * already covers the scope there is nothing to check or update: grant, code and audit event are
 * written in one atomic insert (the common silent re-authorization).
 */
export async function completeAuthorization(ctx: Context, issue: CodeIssue, interactionUidHash?: string): Promise<IssuedCode> {
  // Read before the transaction: on SQLite a read outside it would wait for the transaction's own turn.
  const client = await clientOf(ctx, issue);
  const pushed = issue.request.pushedRequestHash;
  if (interactionUidHash === undefined && pushed === undefined && issue.consent && widenedConsent(issue.consent, issue.scope) === undefined) {
    const now = ctx.clock();
    const { code, grant, row, event } = buildCode(ctx, issue, client, now);
    await ctx.stores.insertNewRows({ grants: [grant], authorizationCodes: [row], auditEvents: [{ event, at: now }] });
    return { code, grant };
  }
  return ctx.stores.transaction(async (tx) => {
    if (interactionUidHash !== undefined && !(await ctx.stores.interactions.take(interactionUidHash, tx))) {
      throw new OAuthError('invalid_request', 'This sign-in request was already completed', { requirement: 'RFC6749-10.12-2' });
    }
    if (pushed !== undefined) await usePushedRequest(ctx, issue.request.clientId, pushed, tx);
    return issueAuthorizationCode(ctx, issue, client, tx);
  });
}
