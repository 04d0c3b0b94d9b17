/**
 * Storage interfaces for security operations: the assertion replay cache, the audit log, address
 * blocks, server-wide settings, threat findings and per-user data (export and erasure).
 */
import type { RequestTrace } from './request-trace-records.js';
import type { AccessTokenRecord, GrantRecord, RefreshTokenRecord, Tx } from './stores.js';
import type { ConsentRecord, LogoutDeliveryRecord, SessionRecord } from './browser-stores.js';

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
  /** The request inspector's recordings that name the user (by id or username), oldest first. */
  requestTraces: RequestTrace[];
}

export interface UserDataStore {
  /** Everything about the user; the username finds the inspector's recordings that name them (as erase removes them). */
  collect(userId: string, username: string, tx?: Tx): Promise<UserDataSnapshot>;
  /** Deletes every row about the user (the users row included) and returns the count per table. */
  erase(userId: string, username: string, tx?: Tx): Promise<Record<string, number>>;
}
