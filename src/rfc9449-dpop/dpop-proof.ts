/**
 * Checking one DPoP proof, the same way at every endpoint that accepts one: the header, the key,
 * the signature, the request it was made for, its age, its single use, and (at resources) the hash
 * of the access token it accompanies. Every failure is invalid_dpop_proof (or use_dpop_nonce);
 * callers decide the status: 400 at the token endpoint, 401 with a challenge at resources.
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-4.1 (exactly one DPoP header)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-4.2 (typ, alg, jwk; jti, htm, htu, iat; ath, nonce)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-4.3 (the checks, in this order)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-11.1 (replay: jti remembered within the window)
 * @spec https://www.rfc-editor.org/rfc/rfc7638 (the key's SHA-256 thumbprint, jkt)
 */
import { hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { OAuthError } from '../errors/oauth-error.js';
import { contributeMetadata } from '../oidc-discovery/provider-metadata.js';
import type { Context } from '../server/context.js';
import { hashHandle } from '../tokens/handles.js';
import { htuMatches } from './dpop-htu.js';
import { currentNonce, isFreshNonce } from './dpop-nonce.js';

/** Asymmetric algorithms only (§4.2: none and MACs MUST NOT be used); published as dpop_signing_alg_values_supported. */
export const DPOP_SIGNING_ALGS = ['ES256', 'ES384', 'PS256', 'PS384', 'RS256', 'EdDSA'] as const;

// RFC 9449 §5.1: the algorithms the server accepts for proofs.
contributeMetadata(() => ({ dpop_signing_alg_values_supported: [...DPOP_SIGNING_ALGS] }));

/** JWK members that carry private or symmetric key material (RFC 7518 §6, RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];
/** A proof is a header, a small payload and a signature; anything larger is not one. */
const MAX_PROOF_LENGTH = 8192;

export interface ProofCheck {
  /** The request's method (htm). */
  method: string;
  /** The endpoint's URL as the issuer publishes it, or its URLs (with an mTLS alias): what htu must name. */
  url: string | readonly string[];
  /** At a protected resource: the access token presented with the proof, whose hash ath must carry. */
  accessToken?: string;
}

export interface VerifiedProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key: what tokens are bound to. */
  jkt: string;
  /** The alg the proof was signed with (a FAPI 2.0 client is held to fewer). */
  alg: string;
}

export const invalidProof = (description: string, requirement: string) => new OAuthError('invalid_dpop_proof', description, { requirement });

/**
 * The request's DPoP proof, or undefined when it sends none. §4.3 point 1: exactly one DPoP header.
 * Read from the raw headers, since node joins repeated ones into one value; a comma inside one value
 * (never part of a compact JWS) is a list of proofs too.
 */
export function dpopHeader(req: Pick<IncomingMessage, 'rawHeaders'>): string | undefined {
  const values: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i].toLowerCase() === 'dpop') values.push(req.rawHeaders[i + 1]);
  }
  if (values.length === 0) return undefined;
  if (values.length !== 1 || values[0].includes(',')) throw invalidProof('exactly one DPoP header is allowed', 'RFC9449-4.3-1');
  return values[0].trim();
}

/** base64url(SHA-256(ASCII access token)): the ath claim (§4.2). */
export function accessTokenHash(accessToken: string): string {
  return hash('sha256', accessToken, 'base64url');
}

/** §4.3 points 4 to 7: typ, an asymmetric alg we support, and a public jwk in the header. */
function checkHeader(proof: string): { alg: string; jwk: JWK } {
  let header;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw invalidProof('the DPoP proof is not a well-formed JWT', 'RFC9449-4.3-2');
  }
  if (header.typ !== 'dpop+jwt') throw invalidProof('the DPoP proof typ must be dpop+jwt', 'RFC9449-4.3-3');
  const alg = header.alg;
  if (typeof alg !== 'string' || !(DPOP_SIGNING_ALGS as readonly string[]).includes(alg)) {
    throw invalidProof(`the DPoP proof alg must be one of ${DPOP_SIGNING_ALGS.join(', ')}`, 'RFC9449-4.3-4');
  }
  const jwk = header.jwk as Record<string, unknown> | undefined;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk) || typeof jwk.kty !== 'string') {
    throw invalidProof('the DPoP proof header must carry the public key as jwk', 'RFC9449-4.3-5');
  }
  // §4.3 point 7: the jwk MUST NOT contain a private key.
  if (jwk.kty === 'oct' || PRIVATE_MEMBERS.some((member) => member in jwk)) throw invalidProof('the DPoP proof jwk must be a public key', 'RFC9449-4.3-6');
  return { alg, jwk: jwk as JWK };
}

/** §4.3 point 6: the signature verifies with the header's own key. */
async function verifySignature(ctx: Context, proof: string, alg: string, jwk: JWK): Promise<JWTPayload> {
  try {
    const key = await importJWK(jwk, alg);
    // exp and nbf, should a client add them, are checked against the injected clock like iat below.
    const { payload } = await jwtVerify(proof, key, { typ: 'dpop+jwt', algorithms: [alg], currentDate: new Date(ctx.clock() * 1000) });
    return payload;
  } catch {
    throw invalidProof('the DPoP proof signature does not verify with its jwk', 'RFC9449-4.3-5');
  }
}

/** §4.3 points 8 to 12: the claims say which request this proof is for, and when it was made. */
function checkClaims(ctx: Context, payload: JWTPayload, check: ProofCheck): { jti: string; iat: number } {
  const { jti, htm, htu, iat } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw invalidProof('the DPoP proof jti is missing or malformed', 'RFC9449-4.3-2');
  if (typeof htm !== 'string' || typeof htu !== 'string') throw invalidProof('the DPoP proof must carry htm and htu', 'RFC9449-4.3-2');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalidProof('the DPoP proof iat is missing or malformed', 'RFC9449-4.3-2');
  if (htm !== check.method) throw invalidProof('the DPoP proof htm does not match the request method', 'RFC9449-4.3-7');
  if (!htuMatches(htu, check.url)) throw invalidProof('the DPoP proof htu does not match the request URL', 'RFC9449-4.3-8');
  if (ctx.config.dpopNonceRequired && !isFreshNonce(ctx, payload.nonce)) {
    // §8: the client retries with the nonce it finds in the DPoP-Nonce header.
    throw new OAuthError('use_dpop_nonce', 'the DPoP proof must carry the nonce the server provided', { requirement: 'RFC9449-8-1', headers: { 'DPoP-Nonce': currentNonce(ctx) } });
  }
  const now = ctx.clock();
  if (now - iat > ctx.config.dpopProofMaxAge) throw invalidProof('the DPoP proof is too old', 'RFC9449-4.3-9');
  if (iat - now > ctx.config.dpopProofClockSkew) throw invalidProof('the DPoP proof iat is in the future', 'RFC9449-4.3-9');
  if (check.accessToken !== undefined && payload.ath !== accessTokenHash(check.accessToken)) {
    throw invalidProof('the DPoP proof ath does not match the access token', 'RFC9449-4.3-10');
  }
  return { jti, iat };
}

/** Verifies a proof for one request; its jti is then used up for every node (the shared replay store). */
export async function verifyDpopProof(ctx: Context, proof: string, check: ProofCheck): Promise<VerifiedProof> {
  if (proof.length === 0 || proof.length > MAX_PROOF_LENGTH || proof.split('.').length !== 3) throw invalidProof('the DPoP proof is not a well-formed JWT', 'RFC9449-4.3-2');
  const { alg, jwk } = checkHeader(proof);
  const payload = await verifySignature(ctx, proof, alg, jwk);
  const { jti, iat } = checkClaims(ctx, payload, check);
  const jkt = await calculateJwkThumbprint(jwk, 'sha256');
  // §11.1: a jti is accepted once while its proof could still be fresh. Keyed by the key's thumbprint
  // too, so nobody can use up another key's jti values.
  const rememberUntil = iat + ctx.config.dpopProofMaxAge + 1;
  if (!(await ctx.stores.replay.remember(hashHandle(`dpop:${jkt}:${jti}`), rememberUntil, ctx.clock()))) {
    throw invalidProof('the DPoP proof was already used', 'RFC9449-11.1-1');
  }
  return { jkt, alg };
}
