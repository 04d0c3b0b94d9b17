/**
 * Storage interfaces, one per stored artifact. Implementations live in storage/knex. Every handle
 * argument is already its SHA-256 digest. `tx` lets a caller group writes in one transaction.
 */
import type { Knex } from 'knex';

export type Tx = Knex | Knex.Transaction;

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
  token_endpoint_auth_method: 'client_secret_basic' | 'client_secret_post' | 'client_secret_jwt' | 'private_key_jwt' | 'none';
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
}

export interface GrantStore {
  find(id: string, tx?: Tx): Promise<GrantRecord | undefined>;
  insert(grant: GrantRecord, tx?: Tx): Promise<void>;
  /** Revokes the grant and so every code and token derived from it; returns false if already revoked. */
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
}

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
}

export interface AuthorizationCodeStore {
  insert(code: AuthorizationCodeRecord, tx?: Tx): Promise<void>;
  find(codeHash: string, tx?: Tx): Promise<AuthorizationCodeRecord | undefined>;
  /** Atomic single use: true for the one caller that consumed it. */
  consume(codeHash: string, now: number, tx?: Tx): Promise<boolean>;
}

export interface RefreshTokenRecord {
  tokenHash: string;
  grantId: string;
  clientId: string;
  scope: string;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
}

export interface RefreshTokenStore {
  insert(token: RefreshTokenRecord, tx?: Tx): Promise<void>;
  find(tokenHash: string, tx?: Tx): Promise<RefreshTokenRecord | undefined>;
  consume(tokenHash: string, now: number, tx?: Tx): Promise<boolean>;
  /** The token, its grant and the grant's username in one statement (introspection, revocation). */
  findWithGrant(tokenHash: string, tx?: Tx): Promise<TokenWithGrant<RefreshTokenRecord> | undefined>;
}

/** A token row joined with its grant (and the user's username, if any): one read instead of three. */
export interface TokenWithGrant<T> {
  token: T;
  grant: GrantRecord;
  username: string | null;
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
}

export interface AccessTokenStore {
  insert(token: AccessTokenRecord, tx?: Tx): Promise<void>;
  find(tokenHash: string, tx?: Tx): Promise<AccessTokenRecord | undefined>;
  /** Marks the token revoked; false when unknown or already revoked. */
  revoke(tokenHash: string, now: number, tx?: Tx): Promise<boolean>;
  /** The token, its grant and the grant's username in one statement (introspection, userinfo). */
  findWithGrant(tokenHash: string, tx?: Tx): Promise<TokenWithGrant<AccessTokenRecord> | undefined>;
}

export interface SessionRecord {
  idHash: string;
  userId: string;
  sid: string;
  authTime: number;
  acr: string | null;
  amr: string[] | null;
  createdAt: number;
  lastSeenAt: number;
  idleExpiresAt: number;
  absoluteExpiresAt: number;
}

export interface SessionStore {
  insert(session: SessionRecord, tx?: Tx): Promise<void>;
  find(idHash: string, tx?: Tx): Promise<SessionRecord | undefined>;
  findBySid(sid: string, tx?: Tx): Promise<SessionRecord | undefined>;
  touch(idHash: string, lastSeenAt: number, idleExpiresAt: number, tx?: Tx): Promise<void>;
  remove(idHash: string, tx?: Tx): Promise<boolean>;
}

export interface InteractionRecord {
  uidHash: string;
  request: Record<string, unknown>;
  userId: string | null;
  csrfTokenHash: string;
  createdAt: number;
  expiresAt: number;
}

export interface InteractionStore {
  insert(interaction: InteractionRecord, tx?: Tx): Promise<void>;
  find(uidHash: string, tx?: Tx): Promise<InteractionRecord | undefined>;
  setUser(uidHash: string, userId: string, tx?: Tx): Promise<void>;
  /** Deletes and reports whether it existed: an interaction completes once. */
  take(uidHash: string, tx?: Tx): Promise<boolean>;
}

export interface ConsentRecord {
  userId: string;
  clientId: string;
  scope: string;
  grantedAt: number;
}

export interface ConsentStore {
  find(userId: string, clientId: string, tx?: Tx): Promise<ConsentRecord | undefined>;
  upsert(consent: ConsentRecord, tx?: Tx): Promise<void>;
  remove(userId: string, clientId: string, tx?: Tx): Promise<boolean>;
  /** The user's remembered consents, oldest first (the account page). */
  listByUser(userId: string, tx?: Tx): Promise<ConsentRecord[]>;
}

export interface ReplayStore {
  /** Records a one-time key; false when it was already recorded and has not expired. */
  remember(keyHash: string, expiresAt: number, now: number, tx?: Tx): Promise<boolean>;
}

export interface AuditEvent {
  type: string;
  clientId?: string | null;
  userId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditFilter {
  type?: string;
  /** Any of these types; an entry ending in `*` matches a prefix (`login.*`). */
  types?: string[];
  clientId?: string;
  userId?: string;
  ip?: string;
  /** Epoch seconds, inclusive. */
  since?: number;
  /** Epoch seconds, exclusive. */
  until?: number;
  /** Only events with a larger id (following the log). */
  afterId?: number;
  limit?: number;
  /** Newest first (default) or oldest first. */
  order?: 'asc' | 'desc';
}

export type StoredAuditEvent = AuditEvent & { id: number; at: number };

export interface AuditStore {
  record(event: AuditEvent, at: number, tx?: Tx): Promise<void>;
  list(filter: AuditFilter, tx?: Tx): Promise<StoredAuditEvent[]>;
  /** Addresses with at least `minimum` events of these types since `since` (threat detection). */
  countByIp(types: string[], since: number, minimum: number, tx?: Tx): Promise<{ ip: string; count: number }[]>;
  /** Clients with events of these types from at least `minimumIps` addresses and `minimumEvents` in all, since `since`. */
  clientSpread(types: string[], since: number, minimumIps: number, minimumEvents: number, tx?: Tx): Promise<{ clientId: string; ips: number; events: number }[]>;
}

/** A blocked client address or CIDR range; `expiresAt` null blocks until removed. */
export interface IpBlockRecord {
  ip: string;
  reason: string;
  source: 'detector' | 'operator';
  createdAt: number;
  expiresAt: number | null;
}

export interface IpBlockStore {
  /** Blocks in force at `now`. */
  listActive(now: number, tx?: Tx): Promise<IpBlockRecord[]>;
  /** Adds the block, replacing an expired one; false when a block in force already covers that entry. */
  add(block: IpBlockRecord, now: number, tx?: Tx): Promise<boolean>;
  /** Sets the block whatever was there (an operator's decision wins over the detector's). */
  put(block: IpBlockRecord, tx?: Tx): Promise<void>;
  remove(ip: string, tx?: Tx): Promise<boolean>;
}

/** Server-wide flags (emergency mode) that every node polls. */
export interface SettingStore {
  get(name: string, tx?: Tx): Promise<{ value: unknown; updatedAt: number } | undefined>;
  put(name: string, value: unknown, now: number, tx?: Tx): Promise<void>;
}

export interface FindingRecord {
  id?: number;
  kind: string;
  subject: string;
  details: Record<string, unknown> | null;
  createdAt: number;
  windowStart: number;
}

export interface FindingStore {
  /** Records the finding unless one of the same kind and subject exists since `since` or in the same window. */
  recordOnce(finding: FindingRecord, since: number, tx?: Tx): Promise<boolean>;
  list(filter: { kind?: string; since?: number; limit?: number }, tx?: Tx): Promise<FindingRecord[]>;
}

/** Everything stored about one user, for an export (no hashes, no sealed secrets). */
export interface UserDataSnapshot {
  consents: ConsentRecord[];
  sessions: Omit<SessionRecord, 'idHash'>[];
  grants: GrantRecord[];
  refreshTokens: Omit<RefreshTokenRecord, 'tokenHash'>[];
  accessTokens: Omit<AccessTokenRecord, 'tokenHash'>[];
  mfa: { enabledAt: number; recoveryCodesUnused: number } | null;
  logoutDeliveries: Omit<LogoutDeliveryRecord, 'userId'>[];
  auditEvents: StoredAuditEvent[];
}

export interface UserDataStore {
  collect(userId: string, tx?: Tx): Promise<UserDataSnapshot>;
  /** Deletes every row about the user (the users row included) and returns the count per table. */
  erase(userId: string, username: string, tx?: Tx): Promise<Record<string, number>>;
}

/** A confirmed TOTP enrolment; the secret is sealed with the master key (AES-256-GCM). */
export interface MfaRecord {
  userId: string;
  secretEncrypted: string;
  enabledAt: number;
  /** The last RFC 6238 time step accepted, so no code is accepted twice. */
  lastUsedStep: number | null;
}

export interface MfaStore {
  find(userId: string, tx?: Tx): Promise<MfaRecord | undefined>;
  /** False when the user is already enrolled. */
  insert(record: MfaRecord, tx?: Tx): Promise<boolean>;
  /** Atomic replay guard: true only when `step` is later than the last accepted step. */
  advanceStep(userId: string, step: number, tx?: Tx): Promise<boolean>;
  remove(userId: string, tx?: Tx): Promise<boolean>;
}

export interface RecoveryCodeStore {
  /** Drops the user's codes and stores the new ones (SHA-256 of each). */
  replace(userId: string, codeHashes: string[], now: number, tx?: Tx): Promise<void>;
  /** Atomic single use: true for the one caller that used it. */
  consume(userId: string, codeHash: string, now: number, tx?: Tx): Promise<boolean>;
  countUnused(userId: string, tx?: Tx): Promise<number>;
  removeAll(userId: string, tx?: Tx): Promise<number>;
}

/** An interaction whose password step succeeded and whose MFA step is pending. */
export interface MfaChallengeRecord {
  uidHash: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
}

export interface MfaChallengeStore {
  /** Creates or replaces the interaction's pending MFA step. */
  put(challenge: MfaChallengeRecord, tx?: Tx): Promise<void>;
  find(uidHash: string, tx?: Tx): Promise<MfaChallengeRecord | undefined>;
  /** Deletes and reports whether it existed: a challenge is passed once. */
  take(uidHash: string, tx?: Tx): Promise<boolean>;
}

/** A generation per username; bumping it starts every username-keyed login throttle afresh. */
export interface LoginResetStore {
  generation(username: string, tx?: Tx): Promise<number>;
  bump(username: string, now: number, tx?: Tx): Promise<number>;
}

/** A pending back-channel logout notification to one client. */
export interface LogoutDeliveryRecord {
  id: string;
  clientId: string;
  /** The logout token's sub. */
  userId: string;
  /** The ended session's sid, for the logout token's sid claim. */
  sid: string | null;
  /** Attempts made so far. */
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
  lastError: string | null;
}

export interface LogoutDeliveryStore {
  insert(delivery: LogoutDeliveryRecord, tx?: Tx): Promise<void>;
  find(id: string, tx?: Tx): Promise<LogoutDeliveryRecord | undefined>;
  /** Deliveries whose next attempt is due, earliest first. */
  due(now: number, limit: number, tx?: Tx): Promise<LogoutDeliveryRecord[]>;
  /** Atomic lease: true for the one caller that moved next_attempt_at from the expected value. */
  claim(id: string, expectedNextAttemptAt: number, leaseUntil: number, tx?: Tx): Promise<boolean>;
  reschedule(id: string, attempts: number, nextAttemptAt: number, lastError: string, tx?: Tx): Promise<void>;
  remove(id: string, tx?: Tx): Promise<boolean>;
}

export interface Stores {
  db: Knex;
  clients: ClientStore;
  users: UserStore;
  keys: SigningKeyStore;
  grants: GrantStore;
  codes: AuthorizationCodeStore;
  refreshTokens: RefreshTokenStore;
  accessTokens: AccessTokenStore;
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
  /** Runs `work` in one transaction. */
  transaction<T>(work: (tx: Knex.Transaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
