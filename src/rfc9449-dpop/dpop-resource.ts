/**
 * DPoP at a protected resource (UserInfo, and any endpoint that takes access tokens): the token comes
 * with the DPoP scheme and a proof carrying its hash (ath), made with the key the token is bound to.
 * A bound token is never accepted as a bearer token, and an unbound token never with the DPoP scheme.
 * Errors are 401 with a DPoP challenge naming the accepted algorithms.
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-7.1 (Authorization: DPoP; the WWW-Authenticate DPoP challenge)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-7.2 (a bound token MUST NOT be accepted as Bearer)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-4.3 (point 12: ath, and the key matches the token's binding)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-9 (nonces at resources)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-3 (a certificate-bound token only with its certificate: rfc8705-mtls/certificate-binding.ts)
 */
import type { Request } from 'express';
import { challengeHeader, OAuthError, type Challenge, type OAuthErrorCode } from '../errors/oauth-error.js';
import { parsedFormBody } from '../http/params.js';
import { bearerError, bearerToken } from '../rfc6750-bearer/bearer-token.js';
import type { Context } from '../server/context.js';
import { resolveAccessToken, type ActiveAccessToken } from '../tokens/access-token.js';
import { checkResourceCertificate } from '../rfc8705-mtls/certificate-binding.js';
import { endpointUrls } from './dpop-htu.js';
import { nonceHeaders } from './dpop-nonce.js';
import { checkFapiProofAlg, FAPI2_SIGNING_ALGS } from '../fapi2-security-profile/client-profile.js';
import { dpopHeader, DPOP_SIGNING_ALGS, verifyDpopProof, type VerifiedProof } from './dpop-proof.js';

export type AuthorizationScheme = 'Bearer' | 'DPoP';

export interface PresentedAccessToken {
  token: string;
  scheme: AuthorizationScheme;
}

/** §7.1: the DPoP scheme with the algorithms proofs may use. */
const DPOP_CHALLENGE: Challenge = { scheme: 'DPoP', attributes: { algs: DPOP_SIGNING_ALGS.join(' ') } };

/** RFC 9449 §7.1: token68, as RFC 6750's b64token. */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

/** §7.1: the DPoP challenge of a request without credentials: the algorithms proofs may use, no error. */
export function dpopChallenge(): string {
  return challengeHeader(DPOP_CHALLENGE);
}

/** §7.1: the DPoP challenge, with the algorithms proofs may use. */
export function dpopError(code: OAuthErrorCode, description: string, requirement: string, headers: Record<string, string> = {}): OAuthError {
  const status = code === 'insufficient_scope' ? 403 : code === 'invalid_request' ? 400 : 401;
  return new OAuthError(code, description, { status, headers, requirement, challenge: DPOP_CHALLENGE });
}

/** The error of a resource request, challenged in the scheme the client used. */
export function resourceError(scheme: AuthorizationScheme, code: OAuthErrorCode, description: string, requirement: string, extra: Record<string, string> = {}): OAuthError {
  return scheme === 'DPoP' ? dpopError(code, description, requirement) : bearerError(code, description, requirement, extra);
}

/**
 * The presented access token and its scheme, or undefined without one. `Authorization: DPoP` is
 * read here; anything else goes to RFC 6750's reader, unchanged for bearer tokens.
 */
export function presentedAccessToken(req: Request): PresentedAccessToken | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string' || !/^dpop(\s|$)/i.test(header)) {
    const token = bearerToken(req);
    return token === undefined ? undefined : { token, scheme: 'Bearer' };
  }
  const token = header.slice(4).trim();
  if (!TOKEN68.test(token)) throw dpopError('invalid_request', 'The Authorization header is malformed', 'RFC9449-7.1-1');
  // RFC 6750 §2 as for bearer tokens: one way of sending the token only.
  if (req.method === 'POST' && parsedFormBody(req)?.access_token !== undefined) throw dpopError('invalid_request', 'Use only one way of sending the access token', 'RFC6750-2-1');
  return { token, scheme: 'DPoP' };
}

/** The proof of a DPoP-scheme request, checked with ath; its failures become 401 DPoP challenges. */
async function proofKey(ctx: Context, req: Request, token: string, path: string): Promise<VerifiedProof> {
  try {
    const proof = dpopHeader(req);
    if (proof === undefined) throw new OAuthError('invalid_dpop_proof', 'the DPoP scheme needs a DPoP proof', { requirement: 'RFC9449-7.1-1' });
    return await verifyDpopProof(ctx, proof, { method: req.method, url: endpointUrls(ctx, path), accessToken: token });
  } catch (error) {
    if (error instanceof OAuthError && (error.code === 'invalid_dpop_proof' || error.code === 'use_dpop_nonce')) {
      throw dpopError(error.code, error.description, error.requirement ?? 'RFC9449-7.1-1', error.headers);
    }
    throw error;
  }
}

/**
 * FAPI 2.0 SP §5.4.1 at the resource: a proof with an algorithm outside the FAPI ones is refused
 * when the token's client is a FAPI client (the client is read only for such an algorithm).
 */
async function checkProofAlgOfClient(ctx: Context, clientId: string, alg: string): Promise<void> {
  if ((FAPI2_SIGNING_ALGS as readonly string[]).includes(alg)) return;
  const client = await ctx.stores.clients.find(clientId);
  try {
    if (client) checkFapiProofAlg(client.metadata, alg);
  } catch (error) {
    const refused = error as OAuthError;
    throw dpopError('invalid_dpop_proof', refused.description, refused.requirement ?? 'FAPI2SP-5.4.1-2');
  }
}

/**
 * The active token behind a resource request at `path`, with its proof and binding checked.
 * `headers` receives what a success response sends too (a fresh DPoP-Nonce).
 */
export async function resolveResourceToken(ctx: Context, req: Request, presented: PresentedAccessToken, path: string, headers: Record<string, string>): Promise<ActiveAccessToken> {
  const { token, scheme } = presented;
  const proof = scheme === 'DPoP' ? await proofKey(ctx, req, token, path) : undefined;
  const jkt = proof?.jkt;
  const active = await resolveAccessToken(ctx, token);
  if (!active) throw resourceError(scheme, 'invalid_token', 'The access token is invalid, expired or revoked', 'RFC6750-3.1-1');
  if (proof !== undefined) await checkProofAlgOfClient(ctx, active.record.clientId, proof.alg);
  const bound = active.record.dpopJkt ?? undefined;
  // §7.2: a bound token sent as a bearer token is refused, with the challenge that says how to send it.
  if (bound !== undefined && scheme === 'Bearer') throw dpopError('invalid_token', 'The access token is DPoP-bound: send it with the DPoP scheme and a proof', 'RFC9449-7.2-1');
  if (bound === undefined && scheme === 'DPoP') throw dpopError('invalid_token', 'The access token is not DPoP-bound', 'RFC9449-7.1-3');
  if (bound !== undefined && bound !== jkt) throw dpopError('invalid_token', 'The DPoP proof was made with another key than the access token is bound to', 'RFC9449-7.1-2');
  // RFC 8705 §3: a certificate-bound token needs the same certificate on this request as well.
  checkResourceCertificate(ctx, req, active.record, (description) => resourceError(scheme, 'invalid_token', description, 'RFC8705-3-1'));
  if (scheme === 'DPoP') Object.assign(headers, nonceHeaders(ctx));
  return active;
}
