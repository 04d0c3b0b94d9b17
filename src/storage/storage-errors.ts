/**
 * The typed errors every store throws, whatever the driver: callers never see a driver's error.
 * - StorageUnavailableError: the database (or Redis) did not answer in time, refused the
 *   connection, or stayed busy; the request may succeed later (503 `temporarily_unavailable`).
 * - StorageInputError: the database refused a value (a NUL byte, an out-of-range number); input
 *   validation should have refused it first, so this is the safety net (400 `invalid_request`).
 * - StorageConflictError: a unique key already holds the row (a store decides what that means).
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1 (temporarily_unavailable)
 */

export type StorageDependency = 'database' | 'redis';

export class StorageError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class StorageUnavailableError extends StorageError {
  /** Seconds a client should wait before retrying (the Retry-After header). */
  readonly retryAfterSeconds: number;

  constructor(readonly dependency: StorageDependency, message: string, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(message, options);
    this.retryAfterSeconds = options.retryAfterSeconds ?? 5;
  }
}

export class StorageInputError extends StorageError {}

export class StorageConflictError extends StorageError {}

/** A statement parameter PostgreSQL would refuse (NUL in text) is refused the same way on SQLite. */
export function assertStorableText(value: string): void {
  if (value.includes('\u0000')) throw new StorageInputError('a text value contains a NUL byte');
}
