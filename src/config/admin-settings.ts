/**
 * The admin credential and the developer surfaces it guards: the request inspector and token
 * debugger (on by default outside production) and the test control API (off unless asked for, and
 * refused in production). Without ADMIN_TOKEN every admin surface answers 404: nothing is reachable
 * with a credential nobody set.
 */
export interface AdminConfig {
  /** Bearer token (or Basic password) of the admin surfaces; at least 32 characters. */
  adminToken?: string;
  /** Request inspector, token debugger and report card pages (src/inspector/). */
  inspectorEnabled?: boolean;
  /** Test control API (src/test-control/): clock, forced failures, key rotation, reset. */
  testControlEnabled: boolean;
}

/** At least 32 printable characters without spaces: a long random value, never a word. */
export function asAdminToken(raw: unknown): string | undefined {
  return typeof raw === 'string' && /^[\x21-\x7e]{32,512}$/.test(raw) ? raw : undefined;
}

/** Defaults that depend on other settings, applied after parsing. */
export function applyAdminDefaults(config: AdminConfig & { production: boolean }): void {
  config.inspectorEnabled ??= !config.production;
}

/** Problems that involve more than one setting, in loadConfig's one-line style. */
export function adminProblems(config: AdminConfig & { production: boolean }): string[] {
  const problems: string[] = [];
  if (config.testControlEnabled && config.production) problems.push('TEST_CONTROL_ENABLED=true is refused when CASTELLAN_PRODUCTION=true: it lets a caller move the clock and reset all state');
  if (config.testControlEnabled && !config.adminToken) problems.push('TEST_CONTROL_ENABLED=true needs ADMIN_TOKEN: the test control API is always behind the admin credential');
  return problems;
}
