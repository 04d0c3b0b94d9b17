/**
 * Proof of possession at the resource: a DPoP proof for a DPoP-bound token (RFC 9449 §4.3 and
 * §7.1), the TLS client certificate for a certificate-bound one (RFC 8705 §3). Each check throws a
 * ProofRejected naming the error code the WWW-Authenticate challenge carries.
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-4.3 (checking DPoP proofs)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-7.1 (ath, and the key matching cnf.jkt)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-11.1 (replay: jti remembered while iat is acceptable)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-3 (x5t#S256 equals the presented certificate's thumbprint)
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify } from 'jose';

/**
 * Asymmetric algorithms only: none and HS* prove nothing about a key (RFC 9449 §4.3 point 5).
 * RS256 (PKCS#1 v1.5) is left out by default, as FAPI 2.0 SP §5.4 asks; pass `dpopAlgs` to allow it.
 */
export const DEFAULT_DPOP_ALGS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'EdDSA'];
const ASYMMETRIC = /^(ES(256|384|512)|PS(256|384|512)|RS(256|384|512)|EdDSA)$/;

/** The accepted algorithms, refusing a configuration that names a symmetric one or none. */
export function dpopAlgs(configured = DEFAULT_DPOP_ALGS) {
  const bad = configured.filter((alg) => !ASYMMETRIC.test(alg));
  if (bad.length > 0 || configured.length === 0) throw new Error(`DPoP algorithms must be asymmetric JWS algorithms: ${bad.join(', ')}`);
  return [...configured];
}

export class ProofRejected extends Error {
  /** @param {'invalid_dpop_proof' | 'invalid_token'} code */
  constructor(code, description) {
    super(description);
    this.code = code;
  }
}

const sha256 = (input) => createHash('sha256').update(input).digest('base64url');

/** Constant-time comparison of two strings (their lengths are not secret). */
export function sameString(a, b) {
  const left = Buffer.from(String(a));
  const right = Buffer.from(String(b));
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The htu of a request as RFC 9449 §4.3 compares it: scheme and host normalised, no query, no fragment. */
export function comparableUri(value) {
  let url;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  // WHATWG URL parsing lower-cases scheme and host and drops a default port (RFC 3986 §6.2.2, §6.2.3).
  return url.protocol === 'https:' || url.protocol === 'http:' ? `${url.protocol}//${url.host}${url.pathname}` : undefined;
}

/** The replay cache holds only live entries and no room is left: the caller answers 503. */
export class ReplayCacheFull extends Error {}

/**
 * Remembers proof jtis until their iat falls out of the acceptance window. Bounded: when full of
 * live entries it refuses new proofs (the caller answers 503) rather than forget one and allow a replay.
 */
export class ReplayCache {
  constructor({ maxEntries = 100_000, clock = () => Math.floor(Date.now() / 1000) } = {}) {
    this.maxEntries = maxEntries;
    this.clock = clock;
    this.entries = new Map(); // key -> expiry second; insertion order is close to expiry order
  }

  /** True when `key` was new and is now remembered until `expiresAt`; false for a replay. */
  remember(key, expiresAt) {
    const now = this.clock();
    for (const [oldKey, expiry] of this.entries) {
      if (expiry > now) break;
      this.entries.delete(oldKey);
    }
    const known = this.entries.get(key);
    if (known !== undefined && known > now) return false;
    if (this.entries.size >= this.maxEntries) throw new ReplayCacheFull('DPoP replay cache is full');
    this.entries.set(key, expiresAt);
    return true;
  }
}

/**
 * Checks the one DPoP proof sent with a DPoP-bound token.
 * @param {{ proof: string, method: string, url: string, accessToken: string, jkt: string, algs: string[], replay: ReplayCache, skewSeconds: number, now: number }} input
 */
export async function checkDpopProof({ proof, method, url, accessToken, jkt, algs, replay, skewSeconds, now }) {
  const reject = (description) => new ProofRejected('invalid_dpop_proof', description);
  let verified;
  try {
    // EmbeddedJWK verifies with the header's jwk and refuses a private or symmetric one (§4.3 points 5-7).
    verified = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: algs });
  } catch {
    throw reject('the DPoP proof is not a valid dpop+jwt signed with its embedded public key');
  }
  const { payload, protectedHeader } = verified;
  if (Object.keys(protectedHeader.jwk ?? {}).some((member) => ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].includes(member))) {
    throw reject('the DPoP proof jwk must be a public key');
  }
  const { jti, htm, htu, iat, ath } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw reject('the DPoP proof needs a jti');
  // RFC 9449 §4.3 points 8 and 9: the proof names this request.
  if (htm !== method) throw reject('htm does not match the request method');
  if (typeof htu !== 'string' || comparableUri(htu) !== comparableUri(url)) throw reject('htu does not match the request URL');
  // §4.3 point 11: recent enough, and not from the future.
  if (typeof iat !== 'number' || !Number.isFinite(iat) || Math.abs(now - iat) > skewSeconds) throw reject('iat is outside the acceptable window');
  // §4.3 point 12 and §7.1: ath binds the proof to this very token.
  if (typeof ath !== 'string' || !sameString(ath, sha256(accessToken))) throw reject('ath does not match the access token');
  const thumbprint = await calculateJwkThumbprint(protectedHeader.jwk, 'sha256');
  // §7.1: the proof's key must be the one the token is bound to.
  if (!sameString(thumbprint, jkt)) throw new ProofRejected('invalid_token', 'the access token is bound to another key');
  // Remembered per key, so one client's jtis cannot collide with another's; kept until iat leaves the window.
  if (!replay.remember(`${thumbprint}:${jti}`, Math.max(iat, now) + skewSeconds + 1)) throw reject('the DPoP proof was already used');
}

/**
 * RFC 8705 §3: a certificate-bound token is good only over a TLS connection whose client
 * certificate has the bound SHA-256 thumbprint.
 */
export function checkCertificateBinding(socket, x5t) {
  const certificate = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
  if (!certificate?.raw) throw new ProofRejected('invalid_token', 'the access token is bound to a client certificate, and none was presented');
  if (!sameString(sha256(certificate.raw), x5t)) throw new ProofRejected('invalid_token', 'the access token is bound to another client certificate');
}
