/**
 * DPoP at the token endpoint: the phase that checks the request's proof (any grant, present or
 * future, goes through it), and the rules that tie what a grant redeems to the proof's key. The key's
 * thumbprint then travels to `issueTokenSet`, which binds the tokens in one place.
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-5 (proof at the token endpoint; public clients' refresh tokens bound)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-5.2 (dpop_bound_access_tokens: requests without a proof are refused)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-10 (dpop_jkt: the code is for that key only)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-4.3 (a proof sent to introspection or revocation is checked too)
 */
import type { Request, Response } from 'express';
import { OAuthError } from '../errors/oauth-error.js';
import { PATHS } from '../oidc-discovery/provider-metadata.js';
import type { Context } from '../server/context.js';
import type { ClientRecord } from '../storage/stores.js';
import { checkFapiProofAlg } from '../fapi2-security-profile/client-profile.js';
import { endpointUrls } from './dpop-htu.js';
import { dpopHeader, invalidProof, verifyDpopProof } from './dpop-proof.js';
import { nonceHeaders } from './dpop-nonce.js';

/**
 * The thumbprint of the key of a request's DPoP proof at one of our endpoints (`path`), checked like
 * any proof, and held to the algorithms of the authenticated `client`'s profile when one is given;
 * undefined when the request sends none. Introspection and revocation use it without a client.
 */
export async function endpointProof(ctx: Context, req: Request, path: string, client?: ClientRecord): Promise<string | undefined> {
  const proof = dpopHeader(req);
  if (proof === undefined) return undefined;
  const verified = await verifyDpopProof(ctx, proof, { method: req.method, url: endpointUrls(ctx, path) });
  if (client) checkFapiProofAlg(client.metadata, verified.alg);
  return verified.jkt;
}

/**
 * The thumbprint of the token request's valid proof, or undefined when it sends none. A client
 * registered with dpop_bound_access_tokens must send one (§5.2): a request without the DPoP header
 * lacks something required, which is invalid_request (RFC 6749 §5.2); invalid_dpop_proof is for a
 * proof that is there and wrong.
 */
export async function tokenRequestProof(ctx: Context, req: Request, client: ClientRecord): Promise<string | undefined> {
  const jkt = await endpointProof(ctx, req, PATHS.token, client);
  if (jkt === undefined && client.metadata.dpop_bound_access_tokens === true) {
    throw new OAuthError('invalid_request', 'this client must send a DPoP proof with every token request', { requirement: 'RFC9449-5.2-1' });
  }
  return jkt;
}

/**
 * What a code (dpop_jkt) or refresh token was bound to must be proven again with the same key: no
 * proof is invalid_dpop_proof, a proof by another key makes the code or token invalid for this request.
 */
export function checkBoundKey(boundJkt: string | null | undefined, presentedJkt: string | undefined, what: 'authorization code' | 'refresh token'): void {
  if (!boundJkt) return;
  if (presentedJkt === undefined) throw invalidProof(`the ${what} is bound to a DPoP key: send a DPoP proof made with it`, what === 'refresh token' ? 'RFC9449-5-3' : 'RFC9449-10-1');
  if (presentedJkt !== boundJkt) throw new OAuthError('invalid_grant', `the ${what} is bound to another DPoP key`, { requirement: 'RFC9449-10-1' });
}

/** Extension hook of introspection and revocation: a proof, when sent, must be valid; a fresh nonce goes back. */
export async function checkOptionalProof(ctx: Context, req: Request, res: Response, path: string): Promise<void> {
  if ((await endpointProof(ctx, req, path)) !== undefined) res.set(nonceHeaders(ctx));
}

