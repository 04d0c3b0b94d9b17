/**
 * What the test control API (src/test-control/) keeps in the database: forced failures, taken one
 * response at a time by every node alike, and the reset that empties the data tables.
 */
import type { Tx } from './stores.js';

/** How a forced response fails: an error answer, a delay, or an ID token a client must reject. */
export const FAILURE_KINDS = [
  'invalid_grant', 'temporarily_unavailable', 'server_error', 'delay',
  'id_token_bad_signature', 'id_token_wrong_iss', 'id_token_wrong_aud', 'id_token_wrong_nonce',
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/** Endpoints a failure can be aimed at. */
export const FAILURE_ENDPOINTS = ['token', 'userinfo'] as const;
export type FailureEndpoint = (typeof FAILURE_ENDPOINTS)[number];

export interface ForcedFailure {
  id: number;
  clientId: string;
  endpoint: FailureEndpoint;
  failure: FailureKind;
  /** Responses still to fail. */
  remaining: number;
  /** For `delay`: how long each response waits. */
  delayMs: number | null;
  createdAt: number;
}

export interface TestControlStore {
  addFailure(failure: Omit<ForcedFailure, 'id'>): Promise<ForcedFailure>;
  /** Rules with responses still to fail, oldest first. */
  pendingFailures(): Promise<ForcedFailure[]>;
  /** Deletes every rule; the number deleted. */
  clearFailures(): Promise<number>;
  /**
   * Takes one response from the oldest pending rule of `kinds` for this client and endpoint, by a
   * conditional update, so N concurrent requests on any nodes take exactly N; undefined when none.
   */
  takeFailure(clientId: string, endpoint: FailureEndpoint, kinds: readonly FailureKind[]): Promise<ForcedFailure | undefined>;
  /** Deletes the rows of every table but `keep` (children before the tables they reference); the tables emptied. */
  emptyTables(keep: readonly string[], tx: Tx): Promise<string[]>;
}
