/**
 * One log line per fault episode of a dependency, not one stack per request: the first failure of
 * an episode is reported with its cause, later failures are only counted, and the first success
 * afterwards reports the recovery with that count. A dependency that fails for an hour writes two
 * lines, however many requests it refused.
 */
import { StorageUnavailableError, type StorageDependency } from './storage-errors.js';

export interface FaultReport {
  dependency: StorageDependency;
  state: 'failing' | 'recovered';
  /** The cause of the first failure of the episode (no credentials: the messages are our own or the driver's). */
  cause?: string;
  /** On recovery: failures during the episode, and how long it lasted. */
  failures?: number;
  durationMs?: number;
}

export type FaultReporter = (report: FaultReport) => void;

/** Until a logger is attached (start-up, the CLI), episodes go to stderr as one line each. */
export const stderrReporter: FaultReporter = (report) => {
  const detail = report.state === 'failing' ? `: ${report.cause}` : ` after ${report.failures} failed operations in ${report.durationMs} ms`;
  process.stderr.write(`castellan: ${report.dependency} ${report.state}${detail}\n`);
};

export class FaultEpisodes {
  private since: number | undefined;
  private failures = 0;
  private reporter: FaultReporter = stderrReporter;

  /** `retryAfterSeconds`: what a refused request is told to wait (the dependency's timeout, at least 1 s). */
  constructor(readonly dependency: StorageDependency, private readonly retryAfterSeconds = 5) {}

  /** Where reports go from now on (the server's logger). */
  reportTo(reporter: FaultReporter): void {
    this.reporter = reporter;
  }

  get failing(): boolean {
    return this.since !== undefined;
  }

  failed(cause: string): void {
    this.failures += 1;
    if (this.since !== undefined) return;
    this.since = Date.now();
    this.reporter({ dependency: this.dependency, state: 'failing', cause });
  }

  /** Records a failure and gives the error that answers it: 503 with Retry-After (OAuthError.from). */
  unavailable(message: string, cause?: unknown): StorageUnavailableError {
    this.failed(message);
    return new StorageUnavailableError(this.dependency, message, { cause, retryAfterSeconds: this.retryAfterSeconds });
  }

  succeeded(): void {
    if (this.since === undefined) return;
    const report: FaultReport = { dependency: this.dependency, state: 'recovered', failures: this.failures, durationMs: Date.now() - this.since };
    this.since = undefined;
    this.failures = 0;
    this.reporter(report);
  }
}
