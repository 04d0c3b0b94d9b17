/**
 * Settings of dynamic client registration and of outbound requests to client-supplied URLs: who may
 * register (anyone, holders of the initial access token, nobody), and whether outbound fetches may
 * reach private networks. Defaults depend on production mode, so they are resolved after loading.
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-3 (open registration or an initial access token)
 * @spec https://www.rfc-editor.org/rfc/rfc6750#section-2.1 (b64token syntax of a bearer token)
 * @spec https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html (SSRF through client-supplied URLs)
 */

/** `open`: anyone may register; `token`: only with the initial access token; `off`: nobody. */
export type RegistrationMode = 'open' | 'token' | 'off';

export interface RegistrationConfig {
  /** Resolved at load: token when an initial access token is set, else open in development, off in production. */
  registrationMode: RegistrationMode;
  /** The secret a caller sends as `Authorization: Bearer ...` to register in token mode. */
  registrationInitialAccessToken?: string;
  /** Let outbound requests (jwks_uri, back-channel logout) reach private and loopback addresses; default only outside production. */
  outboundAllowPrivateNetworks: boolean;
}

/** Least length of the initial access token: it guards an endpoint that creates credentials. */
export const MIN_INITIAL_ACCESS_TOKEN_LENGTH = 32;

export function asRegistrationMode(raw: unknown): RegistrationMode | undefined {
  if (raw === 'open' || raw === 'token' || raw === 'off') return raw;
  if (raw === false || raw === 'false') return 'off';
  return undefined;
}

/** A b64token (so it fits a Bearer header) of at least 32 characters. */
export function asInitialAccessToken(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.length < MIN_INITIAL_ACCESS_TOKEN_LENGTH || raw.length > 512) return undefined;
  return /^[A-Za-z0-9\-._~+/]+=*$/.test(raw) ? raw : undefined;
}

type Loaded = Partial<RegistrationConfig> & { production: boolean };

/**
 * Fills the defaults that depend on other settings. Production never defaults to open registration:
 * without an initial access token it is off until the operator says `open` explicitly.
 */
export function applyRegistrationDefaults(config: Loaded): void {
  config.registrationMode ??= config.registrationInitialAccessToken ? 'token' : config.production ? 'off' : 'open';
  config.outboundAllowPrivateNetworks ??= !config.production;
}

/** Problems that involve more than one setting, in loadConfig's one-line style. */
export function registrationProblems(config: Loaded): string[] {
  const problems: string[] = [];
  if (config.registrationMode === 'token' && !config.registrationInitialAccessToken) {
    problems.push('REGISTRATION_ENABLED=token needs REGISTRATION_INITIAL_ACCESS_TOKEN');
  }
  if (config.registrationMode === 'open' && config.registrationInitialAccessToken) {
    problems.push('REGISTRATION_INITIAL_ACCESS_TOKEN is set but REGISTRATION_ENABLED=open would ignore it: use token, or unset the token');
  }
  return problems;
}
