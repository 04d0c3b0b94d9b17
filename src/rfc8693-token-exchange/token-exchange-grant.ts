/**
 * The token exchange grant: a client presents a subject token (and, for delegation, an actor
 * token) and gets an access token for a target service. The phases, in order: read both tokens
 * (subject-token.ts) -> the client's policy accepts them (exchange-policy.ts) -> may_act (§4.4) ->
 * scope and audience (exchange-limits.ts) -> a new grant whose parent is the subject token's grant,
 * so the exchanged token dies with it, carrying `act` (§4.1) -> the §2.2.1 response. Refusals are
 * audited here (`token_exchange.refused`); the issuance is audited by the token endpoint with the
 * rows (`token.issued`, with subject, actor and exchanging client in its details).
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-2.1 (request)
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-2.2.1 (successful response: issued_token_type)
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-2.2.2 (error response)
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-1.1 (delegation and impersonation)
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-5 (security considerations)
 */
import { tokenLifetime } from '../clients/token-lifetimes.js';
import { TOKEN_EXCHANGE_GRANT_TYPE } from '../clients/client-metadata.js';
import { OAuthError } from '../errors/oauth-error.js';
import type { GrantModule, GrantOutcome } from '../server/grant-registry.js';
import { issueTokenSet } from '../rfc6749-oauth2/token-response.js';
import type { Context } from '../server/context.js';
import type { ClientRecord, GrantRecord } from '../storage/stores.js';
import { newId } from '../tokens/handles.js';
import { checkMayAct, issuedAct, type Party } from './act-claim.js';
import { checkActorAllowed, checkSubjectAllowed, exchangePolicyOf } from './exchange-policy.js';
import { exchangedAudience, exchangedScope } from './exchange-limits.js';
import { readPresentedToken, type ExchangeToken } from './subject-token.js';
import { tokenExchangeSchema, type TokenExchangeInput } from './token-exchange-grant.schema.js';
import { ISSUABLE_TOKEN_TYPES, TOKEN_TYPES } from './token-types.js';

/** What the audit log says about a presented token: who and whose, never the token. */
const described = (token: ExchangeToken) => ({
  sub: token.subject, iss: token.issuer, token_type: token.type, client_id: token.clientId, ...(token.grant ? { grant_id: token.grant.id } : {}),
});

async function exchange(ctx: Context, input: TokenExchangeInput, client: ClientRecord, dpopJkt: string | undefined, certThumbprint: string | undefined): Promise<GrantOutcome> {
  // §2.1: actor_token_type is REQUIRED with actor_token and MUST NOT be sent without it.
  if ((input.actor_token === undefined) !== (input.actor_token_type === undefined)) {
    throw new OAuthError('invalid_request', 'actor_token and actor_token_type must be sent together', { requirement: 'RFC8693-2.1-2' });
  }
  const requestedType = input.requested_token_type ?? TOKEN_TYPES.access_token;
  if (!(ISSUABLE_TOKEN_TYPES as readonly string[]).includes(requestedType)) {
    throw new OAuthError('invalid_request', `requested_token_type ${requestedType} is not supported: ask for ${ISSUABLE_TOKEN_TYPES.join(' or ')}`, { requirement: 'RFC8693-2.1-4' });
  }
  const policy = exchangePolicyOf(client);
  const subject = await readPresentedToken(ctx, input.subject_token, input.subject_token_type, 'subject_token');
  checkSubjectAllowed(policy, client, subject);
  const actor = input.actor_token !== undefined ? await readPresentedToken(ctx, input.actor_token, input.actor_token_type!, 'actor_token') : undefined;
  checkActorAllowed(policy, client, actor);

  // §4.4: without an actor token, the exchanging client is the party that would act.
  const acting: Party = actor ? { sub: actor.subject, iss: actor.issuer } : { sub: client.clientId, iss: ctx.config.issuer };
  checkMayAct(subject.mayAct, acting);
  const act = issuedAct(subject.act, actor && { sub: actor.subject, iss: actor.issuer }, ctx.config.issuer);

  const scope = exchangedScope(input.scope, subject.scope, policy);
  const exchanged = Boolean(subject.act) || Boolean(subject.grant?.subject);
  const audience = exchangedAudience(input, { audience: subject.audience, exchanged }, policy);

  const now = ctx.clock();
  const source = subject.grant;
  const grant: GrantRecord = {
    id: newId(), clientId: client.clientId, userId: source?.userId ?? null, scope, claims: null, resource: audience,
    authTime: source?.authTime ?? null, acr: source?.acr ?? null, amr: source?.amr ?? null, sid: null,
    // The new grant never outlives the subject token, and is revoked with the subject token's grant.
    createdAt: now, expiresAt: Math.min(now + tokenLifetime(ctx.config, client.metadata, 'access_token'), subject.expiresAt), revokedAt: null, revokedReason: null,
    parentGrantId: source?.id ?? null, subject: subject.subject, act: act ?? null,
  };
  const tokens = await issueTokenSet(ctx, {
    grant, client, scope, audience,
    format: requestedType === TOKEN_TYPES.jwt ? 'jwt' : undefined,
    notAfter: grant.expiresAt,
    // RFC 9449: with a proof, the exchanged token is bound to the exchanging client's key.
    dpopJkt,
    // RFC 8705 §3: and to its client certificate, for a client registered for that.
    certThumbprint,
  });
  return {
    // §2.2.1: issued_token_type is REQUIRED; token_type is Bearer, or DPoP when bound (RFC 9449 §5).
    body: { ...tokens.body, issued_token_type: requestedType },
    userId: grant.userId,
    details: {
      ...tokens.summary,
      exchanging_client: client.clientId,
      mode: actor ? 'delegation' : 'impersonation',
      issued_token_type: requestedType,
      subject: described(subject),
      actor: actor ? described(actor) : null,
      ...(act ? { act } : {}),
    },
    newRows: { grants: [grant], ...tokens.rows },
  };
}

export const tokenExchangeGrant: GrantModule<TokenExchangeInput> = {
  grantType: TOKEN_EXCHANGE_GRANT_TYPE,
  schema: tokenExchangeSchema,

  async handle(ctx, input, client, { origin, dpopJkt, certThumbprint }) {
    try {
      return await exchange(ctx, input, client, dpopJkt, certThumbprint);
    } catch (error) {
      if (error instanceof OAuthError) {
        // A refusal changes no state; its event is written on its own so it never delays the answer's error.
        await ctx.stores.audit.record({
          type: 'token_exchange.refused', clientId: client.clientId, ...origin,
          details: { error: error.code, reason: error.description, subject_token_type: input.subject_token_type, actor_token_type: input.actor_token_type ?? null },
        }, ctx.clock()).catch((cause: unknown) => ctx.logger.warn({ err: cause }, 'audit event not recorded'));
      }
      throw error;
    }
  },
};
