/**
 * Storage interfaces for the browser side: sessions, interactions, consents, MFA enrolments and
 * challenges, login throttle resets and back-channel logout deliveries.
 */
import type { Tx } from './stores.js';

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
  /**
   * The session, only while its user still exists (one read for both); with `consentFor`, also the
   * user's remembered consent for that client, if any, in the same read.
   */
  findOfExistingUser(idHash: string, consentFor?: string, tx?: Tx): Promise<{ session: SessionRecord; consent: ConsentRecord | undefined } | undefined>;
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
