/**
 * Storage interfaces, one per stored artifact, in domain terms: none names a driver or a query
 * builder. Implementations live in storage/sql, on the one statement layer. Every handle argument
 * is already its SHA-256 digest. `tx` lets a caller group reads and writes in one transaction.
 * Every method may throw the typed errors of storage-errors.ts (StorageUnavailableError when the
 * database does not answer within its timeout).
 */
import type { FaultReporter } from './fault-episodes.js';
import type { RetentionPolicy } from './sql/retention.js';

import type {
  ConsentStore, InteractionStore, LoginResetStore, LogoutDeliveryStore, MfaChallengeStore, MfaStore, RecoveryCodeStore, SessionStore,
} from './browser-stores.js';
import type {
  AuthorizationCodeRecord, AuthorizationCodeStore, RefreshTokenRecord, RefreshTokenStore, RefreshRetryAnswer, RefreshRetryStore, AccessTokenRecord, AccessTokenStore, DeviceAuthorizationStore,
} from './token-records.js';
import type { PushedRequestStore } from './token-records.js';
import type { AuditEvent, AuditStore, FindingStore, IpBlockStore, ReplayStore, SettingStore, UserDataStore } from './security-stores.js';
import type { TestControlStore } from './test-control-records.js';
import type { RequestTraceStore } from './request-trace-records.js';

// The browser-side, security-operations and issued-token interfaces live in their own files; everything is importable from here.
export type {
  SessionRecord, SessionStore, InteractionRecord, InteractionStore, ConsentRecord, ConsentStore, MfaRecord, MfaStore, RecoveryCodeStore, MfaChallengeRecord, MfaChallengeStore, LoginResetStore, LogoutDeliveryRecord, LogoutDeliveryStore,
} from './browser-stores.js';
export type {
  ReplayStore, AuditEvent, AuditFilter, StoredAuditEvent, AuditStore, IpBlockRecord, IpBlockStore, SettingStore, FindingRecord, FindingStore, UserDataSnapshot, UserDataStore,
} from './security-stores.js';
export type {
  AuthorizationCodeRecord, AuthorizationCodeStore, RefreshTokenRecord, RefreshTokenStore, RefreshRetryAnswer, RefreshRetryStore, TokenWithGrant, CodeWithGrant, AccessTokenRecord, AccessTokenStore, DeviceAuthorizationStatus, DeviceAuthorizationRecord, DevicePoll, DeviceAuthorizationStore,
} from './token-records.js';
export type { PushedRequestRecord, PushedRequestStore } from './token-records.js';

/** An open transaction, as callers hold it: opaque; only `Stores.transaction` makes one, only stores use it. */
export interface Tx {
  readonly inTransaction: true;
}

/** A code or refresh token (by its hash) marked consumed at `at`, only if it is not consumed yet. */
export interface SingleUseConsumption {
  /** device_code: an approved device authorization (RFC 8628), redeemed once. */
  kind: 'authorization_code' | 'refresh_token' | 'device_code';
  hash: string;
  at: number;
}

/** Rows that only need inserting (nothing read or updated first), written together atomically. */
export interface NewRows {
  grants?: GrantRecord[];
  authorizationCodes?: AuthorizationCodeRecord[];
  accessTokens?: AccessTokenRecord[];
  refreshTokens?: RefreshTokenRecord[];
  /** The sealed answer of a rotation, for a retry within the client's reuse grace period. */
  refreshRetryAnswers?: RefreshRetryAnswer[];
  auditEvents?: { event: AuditEvent; at: number }[];
}

export interface ClientRecord {
  clientId: string;
  secretHash: string | null;
  secretEncrypted: string | null;
  metadata: ClientMetadata;
  registrationTokenHash: string | null;
  createdAt: number;
  updatedAt: number;
}

/** RFC 7591 §2 client metadata plus Castellan's own fields. */
export interface ClientMetadata {
  client_name?: string;
  redirect_uris: string[];
  post_logout_redirect_uris?: string[];
  grant_types: string[];
  response_types: string[];
  token_endpoint_auth_method: 'client_secret_basic' | 'client_secret_post' | 'client_secret_jwt' | 'private_key_jwt' | 'none' | 'tls_client_auth' | 'self_signed_tls_client_auth';
  token_endpoint_auth_signing_alg?: string;
  application_type: 'web' | 'native';
  scope?: string;
  jwks?: { keys: Record<string, unknown>[] };
  jwks_uri?: string;
  id_token_signed_response_alg?: string;
  backchannel_logout_uri?: string;
  backchannel_logout_session_required?: boolean;
  /** Castellan: PKCE may be turned off only for confidential clients. */
  require_pkce: boolean;
  /** Castellan: opaque (default) or RFC 9068 JWT access tokens. */
  access_token_format?: 'opaque' | 'jwt';
  /** RFC 9449 §5.2: every token request must carry a DPoP proof (access tokens always bound). */
  dpop_bound_access_tokens?: boolean;
  /** Castellan: a client profile holding the client to a security profile (src/fapi2-security-profile/). */
  profile?: 'fapi2';
  /** RFC 8705 §2.1.2: the one certificate subject a tls_client_auth client is registered with. */
  tls_client_auth_subject_dn?: string;
  tls_client_auth_san_dns?: string;
  tls_client_auth_san_uri?: string;
  tls_client_auth_san_ip?: string;
  tls_client_auth_san_email?: string;
  /** RFC 8705 §3.4: access tokens are bound to the client certificate of the token request. */
  tls_client_certificate_bound_access_tokens?: boolean;
  /** RFC 9126 §5: this client's authorization requests must be pushed. */
  require_pushed_authorization_requests?: boolean;
  /** RFC 9101 §10.5: this client's authorization requests must be signed request objects. */
  require_signed_request_object?: boolean;
  /** OIDC Registration: the one algorithm this client's request objects use (none: unsigned). */
  request_object_signing_alg?: string;
  /** OIDC Registration: the request_uri values (by reference) this client may send. */
  request_uris?: string[];
  [extension: string]: unknown;
}

export interface ClientStore {
  find(clientId: string, tx?: Tx): Promise<ClientRecord | undefined>;
  list(tx?: Tx): Promise<ClientRecord[]>;
  insert(client: ClientRecord, tx?: Tx): Promise<void>;
  update(client: ClientRecord, tx?: Tx): Promise<void>;
  remove(clientId: string, tx?: Tx): Promise<boolean>;
}

export interface UserRecord {
  id: string;
  username: string;
  passwordHash: string;
  claims: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

export interface UserStore {
  findById(id: string, tx?: Tx): Promise<UserRecord | undefined>;
  findByUsername(username: string, tx?: Tx): Promise<UserRecord | undefined>;
  list(tx?: Tx): Promise<UserRecord[]>;
  insert(user: UserRecord, tx?: Tx): Promise<void>;
  update(user: UserRecord, tx?: Tx): Promise<void>;
  remove(id: string, tx?: Tx): Promise<boolean>;
}

export type KeyState = 'next' | 'active' | 'retired';

export interface SigningKeyRecord {
  kid: string;
  alg: string;
  state: KeyState;
  publicJwk: Record<string, unknown>;
  privateEncrypted: string;
  createdAt: number;
  activatedAt: number | null;
  retiredAt: number | null;
  removeAfter: number | null;
}

export interface SigningKeyStore {
  /** Keys that are published: next, active and retired ones not yet past removeAfter. */
  listPublished(now: number, tx?: Tx): Promise<SigningKeyRecord[]>;
  listAll(tx?: Tx): Promise<SigningKeyRecord[]>;
  insert(key: SigningKeyRecord, tx?: Tx): Promise<void>;
  update(key: SigningKeyRecord, tx?: Tx): Promise<void>;
  removeExpired(now: number, tx?: Tx): Promise<number>;
  /**
   * Makes `tx` the only transaction changing keys until it ends, so two nodes deciding at once
   * (start-up, scheduled rotation) cannot both create or rotate keys.
   */
  lockForChange(tx: Tx): Promise<void>;
}

export interface GrantRecord {
  id: string;
  clientId: string;
  userId: string | null;
  scope: string;
  claims: Record<string, unknown> | null;
  resource: string[] | null;
  authTime: number | null;
  acr: string | null;
  amr: string[] | null;
  sid: string | null;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
  revokedReason: string | null;
  /**
   * RFC 8693 token exchange only (absent on every other grant): the grant of the subject token this
   * grant was exchanged from. Revoking that grant revokes this one, and this grant counts as revoked
   * while its parent is (or when the parent is gone).
   */
  parentGrantId?: string | null;
  /** RFC 8693: the `sub` of the subject token, the subject of every token of this grant. */
  subject?: string | null;
  /** RFC 8693 §4.1: the act claim of this grant's tokens (the current actor, prior ones nested). */
  act?: ActClaim | null;
}

/** RFC 8693 §4.1: who acts for the subject; a nested `act` is the actor before this one. */
export interface ActClaim {
  sub: string;
  iss?: string;
  act?: ActClaim;
}

export interface GrantStore {
  find(id: string, tx?: Tx): Promise<GrantRecord | undefined>;
  /**
   * Revokes the grant and so every code and token derived from it, and every grant exchanged from
   * it (RFC 8693), however deep; every revoke method below cascades the same way and counts the
   * exchanged grants it revoked. Returns false if nothing was left to revoke.
   */
  revoke(id: string, reason: string, now: number, tx?: Tx): Promise<boolean>;
  revokeByClient(clientId: string, reason: string, now: number, tx?: Tx): Promise<number>;
  /** Refresh and access tokens of the client's live grants that are still usable (incident reports). */
  countUsableTokensByClient(clientId: string, now: number, tx?: Tx): Promise<{ refreshTokens: number; accessTokens: number }>;
  revokeBySid(sid: string, reason: string, now: number, tx?: Tx): Promise<number>;
  /** Every grant of a user (user removal, incident response). */
  revokeByUser(userId: string, reason: string, now: number, tx?: Tx): Promise<number>;
  /** Every grant issued within one browser session (logout). */
  listBySid(sid: string, tx?: Tx): Promise<GrantRecord[]>;
  /** A user's grants to one client (consent withdrawn). */
  revokeByUserAndClient(userId: string, clientId: string, reason: string, now: number, tx?: Tx): Promise<number>;
  /** Grants of a user with a client that are not revoked (expired ones included). */
  listUnrevokedByUserAndClient(userId: string, clientId: string, tx?: Tx): Promise<GrantRecord[]>;
}

/** A user as tokens describe them: everything but the password hash. */
export type UserProfile = Omit<UserRecord, 'passwordHash'>;

/** Deleting what can no longer be used, in bounded batches (security/audit-retention.ts runs it). */
export interface RetentionStore {
  /** One pass over every table; the rows deleted per table. */
  purgeExpired(now: number, policy?: RetentionPolicy): Promise<Record<string, number>>;
}

/** A value sealed with the master key: a signing key's private half, a client_secret_jwt secret, a TOTP secret. */
export interface SealedValue {
  /** Where it is kept: signing keys, clients (client_secret_jwt secrets), user_mfa (TOTP secrets). */
  kind: 'signing_keys' | 'clients' | 'user_mfa';
  /** The owner's key (kid, client_id, user_id). */
  id: string;
  sealed: string;
}

/** Master key rotation's view of every sealed value. */
export interface SealedValueStore {
  list(kind: SealedValue['kind'], tx?: Tx): Promise<SealedValue[]>;
  /** Any one sealed value (to tell which key the database is sealed with), or undefined. */
  first(tx?: Tx): Promise<string | undefined>;
  /** Replaces `value.sealed` with `sealed` only if it is still `value.sealed`; false otherwise. */
  replace(value: SealedValue, sealed: string, tx?: Tx): Promise<boolean>;
}

export interface Stores {
  clients: ClientStore;
  users: UserStore;
  keys: SigningKeyStore;
  grants: GrantStore;
  codes: AuthorizationCodeStore;
  refreshTokens: RefreshTokenStore;
  refreshRetryAnswers: RefreshRetryStore;
  accessTokens: AccessTokenStore;
  deviceAuthorizations: DeviceAuthorizationStore;
  sessions: SessionStore;
  interactions: InteractionStore;
  consents: ConsentStore;
  replay: ReplayStore;
  audit: AuditStore;
  logoutDeliveries: LogoutDeliveryStore;
  mfa: MfaStore;
  recoveryCodes: RecoveryCodeStore;
  mfaChallenges: MfaChallengeStore;
  loginResets: LoginResetStore;
  ipBlocks: IpBlockStore;
  settings: SettingStore;
  findings: FindingStore;
  userData: UserDataStore;
  retention: RetentionStore;
  sealedValues: SealedValueStore;
  /** Forced failures and the reset of the test control API (off unless TEST_CONTROL_ENABLED). */
  testControl: TestControlStore;
  /** The request inspector's recordings (src/inspector/). */
  requestTraces: RequestTraceStore;
  pushedRequests: PushedRequestStore;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * The one way codes and tokens are issued: new rows in several tables, all or none, in one round
   * trip where the database allows. With `consume`, a single-use artifact (a code, a refresh token)
   * is marked used in the same atomic write, and when it was already used nothing at all is written
   * and the answer is false. Inside `tx`, the rows join that transaction.
   */
  insertNewRows(rows: NewRows, consume?: SingleUseConsumption, tx?: Tx): Promise<boolean>;
  /** Where fault episodes of the database are reported (one line per episode). */
  reportFaultsTo(reporter: FaultReporter): void;
  close(): Promise<void>;
}
