/**
 * Storage interfaces for what a grant issues: authorization codes, refresh tokens (and the sealed
 * answers a retry within a client's grace period gets), access tokens, and RFC 8628 device
 * authorizations. Like every store, keyed by SHA-256 digests of the handles.
 */
import type { GrantRecord, Tx, UserProfile } from './stores.js';

export interface AuthorizationCodeRecord {
  codeHash: string;
  grantId: string;
  clientId: string;
  redirectUri: string;
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
  nonce: string | null;
  scope: string;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
  /** RFC 9449 §10: the JWK thumbprint (dpop_jkt) the token request must prove; null or absent when none. */
  dpopJkt?: string | null;
}

export interface AuthorizationCodeStore {
  /** The code with its grant and the grant's user (the ID token's claims) in one read; undefined when code or grant is missing. */
  findWithGrant(codeHash: string, tx?: Tx): Promise<CodeWithGrant | undefined>;
}

export interface RefreshTokenRecord {
  tokenHash: string;
  grantId: string;
  clientId: string;
  scope: string;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
  /** RFC 9449 §5: the JWK thumbprint a public client's refresh token is bound to; null or absent when unbound. */
  dpopJkt?: string | null;
  /** RFC 8705 §4: the certificate thumbprint (x5t#S256) a public client's refresh token is bound to. */
  x5tS256?: string | null;
}

export interface RefreshTokenStore {
  find(tokenHash: string, tx?: Tx): Promise<RefreshTokenRecord | undefined>;
  /** The token, its grant and the grant's username in one statement (introspection, revocation). */
  findWithGrant(tokenHash: string, tx?: Tx): Promise<TokenWithGrant<RefreshTokenRecord> | undefined>;
}

/** A rotation's token response, sealed with a key only the holder of the consumed refresh token can derive. */
export interface RefreshRetryAnswer {
  /** SHA-256 of the refresh token the rotation consumed. */
  parentHash: string;
  clientId: string;
  grantId: string;
  sealed: string;
  createdAt: number;
  expiresAt: number;
}

export interface RefreshRetryStore {
  find(parentHash: string, tx?: Tx): Promise<RefreshRetryAnswer | undefined>;
}

/** A token row joined with its grant (and the user's username, if any): one read instead of three. */
export interface TokenWithGrant<T> {
  token: T;
  grant: GrantRecord;
  username: string | null;
}

export interface CodeWithGrant extends TokenWithGrant<AuthorizationCodeRecord> {
  /** The grant's user; null for a grant without one, or when the user has been deleted. */
  user: UserProfile | null;
}

export interface AccessTokenRecord {
  tokenHash: string;
  format: 'opaque' | 'jwt';
  grantId: string;
  clientId: string;
  scope: string;
  audience: string[] | null;
  createdAt: number;
  expiresAt: number;
  /** RFC 7009: set when this one token was revoked (its grant may still be live). */
  revokedAt: number | null;
  /** RFC 9449 §6: the JWK thumbprint (cnf.jkt) of a DPoP-bound token; null or absent for a bearer token. */
  dpopJkt?: string | null;
  /** RFC 8705 §3: the client certificate thumbprint (cnf x5t#S256) of a certificate-bound token. */
  x5tS256?: string | null;
}

export interface AccessTokenStore {
  find(tokenHash: string, tx?: Tx): Promise<AccessTokenRecord | undefined>;
  /** Marks the token revoked; false when unknown or already revoked. */
  revoke(tokenHash: string, now: number, tx?: Tx): Promise<boolean>;
  /** The token, its grant and the grant's username in one statement (introspection, userinfo). */
  findWithGrant(tokenHash: string, tx?: Tx): Promise<TokenWithGrant<AccessTokenRecord> | undefined>;
}

export type DeviceAuthorizationStatus = 'pending' | 'approved' | 'denied';

/** RFC 8628: one device authorization request, from the device's first request until its tokens are issued. */
export interface DeviceAuthorizationRecord {
  deviceCodeHash: string;
  /** SHA-256 of the normalised user_code (upper case, no separators). */
  userCodeHash: string;
  clientId: string;
  /** The scope the user is asked to approve (already decided by the scope policy). */
  scope: string;
  status: DeviceAuthorizationStatus;
  /** Seconds the device must wait between polls; grows by 5 with each slow_down. */
  pollInterval: number;
  lastPolledAt: number | null;
  /** Set on approval: the grant (user, session, scope) the tokens will belong to. */
  grantId: string | null;
  /** The user who approved or denied. */
  userId: string | null;
  createdAt: number;
  expiresAt: number;
  decidedAt: number | null;
  /** Set when the tokens were issued (by the issuance write's consumption). */
  consumedAt: number | null;
}

/** What one poll was: on time, too soon (the interval has grown), or of a row that does not exist. */
export type DevicePoll = 'on_time' | 'too_fast' | 'missing';

export interface DeviceAuthorizationStore {
  /** False (nothing written) when the user_code's hash is already held by another row. */
  insert(record: DeviceAuthorizationRecord, tx?: Tx): Promise<boolean>;
  find(deviceCodeHash: string, tx?: Tx): Promise<DeviceAuthorizationRecord | undefined>;
  findByUserCode(userCodeHash: string, tx?: Tx): Promise<DeviceAuthorizationRecord | undefined>;
  /** Records a poll at `now` atomically; a poll within the interval raises the interval by `penalty` seconds. */
  poll(deviceCodeHash: string, now: number, penalty: number, tx?: Tx): Promise<DevicePoll>;
  /** Only a pending, unexpired request becomes approved (for `grantId`); false otherwise. */
  approve(deviceCodeHash: string, grantId: string, userId: string, now: number, tx?: Tx): Promise<boolean>;
  /** Only a pending, unexpired request becomes denied; false otherwise. */
  deny(deviceCodeHash: string, userId: string, now: number, tx?: Tx): Promise<boolean>;
}

/** RFC 9126: the validated parameters of a pushed authorization request, until its request_uri is used. */
export interface PushedRequestRecord {
  /** SHA-256 of the random part of the request_uri. */
  handleHash: string;
  clientId: string;
  /** The authorization request's parameters as they are to be processed at /authorize. */
  params: Record<string, string | string[]>;
  createdAt: number;
  expiresAt: number;
}

export interface PushedRequestStore {
  insert(record: PushedRequestRecord, tx?: Tx): Promise<void>;
  /** The request's parameters when it exists, belongs to `clientId`, is unexpired at `now` and unused; else undefined. */
  find(handleHash: string, clientId: string, now: number): Promise<PushedRequestRecord['params'] | undefined>;
  /**
   * Marks the request used, only when it belongs to `clientId` and was not used before (one
   * conditional update); false otherwise. Expiry is not checked: it was when the request was read,
   * and the sign-in that read it has its own lifetime.
   */
  consume(handleHash: string, clientId: string, at: number, tx?: Tx): Promise<boolean>;
}
