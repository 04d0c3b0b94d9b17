/**
 * Parsers and cross-checks for the security layer's settings: rate limits and penalties, trusted
 * proxies, CORS origins, TLS files and Redis. Each parser returns undefined for a bad value so
 * loadConfig reports it in its usual one-line form.
 * @spec https://www.rfc-editor.org/rfc/rfc6585#section-4 (429 Too Many Requests)
 * @spec https://fetch.spec.whatwg.org/#http-cors-protocol
 */
import { parseProxyEntry } from '../security/client-ip.js';
import { parseDuration } from './duration.js';

/** `points` requests per `duration` seconds. */
export interface RateLimitRule {
  points: number;
  duration: number;
}

/** After `violations` refused requests within the violation window, the key is banned for `duration` seconds. */
export interface PenaltyRule {
  violations: number;
  duration: number;
}

/** Comma-separated text (environment) or an array of strings (CONFIG_FILE); empty items dropped. */
export function asList(raw: unknown): string[] | undefined {
  if (Array.isArray(raw)) return raw.every((item) => typeof item === 'string') ? raw.map((item: string) => item.trim()).filter(Boolean) : undefined;
  if (typeof raw !== 'string') return undefined;
  return raw.split(',').map((item) => item.trim()).filter(Boolean);
}

const positiveInteger = (text: string) => (/^[1-9]\d{0,8}$/.test(text) ? Number(text) : undefined);
/** In-process counters expire through setTimeout, which cannot wait longer than about 24.8 days. */
export const MAX_LIMIT_SECONDS = 24 * 86_400;
const limitDuration = (text: string) => {
  const seconds = parseDuration(text);
  return seconds !== undefined && seconds <= MAX_LIMIT_SECONDS ? seconds : undefined;
};

/** `60` (per the policy's own window) or `60/PT1M`. */
export function asRateLimitRule(defaultWindow: number) {
  return (raw: unknown): RateLimitRule | undefined => {
    const text = typeof raw === 'number' ? String(raw) : raw;
    if (typeof text !== 'string') return undefined;
    const [pointsText, windowText, extra] = text.trim().split('/');
    const points = positiveInteger(pointsText);
    const duration = windowText === undefined ? defaultWindow : limitDuration(windowText);
    return points !== undefined && duration !== undefined && extra === undefined ? { points, duration } : undefined;
  };
}

/** `3/PT1H`: three violations give a ban of one hour. */
export function asPenaltyRule(raw: unknown): PenaltyRule | undefined {
  if (typeof raw !== 'string') return undefined;
  const [countText, durationText, extra] = raw.trim().split('/');
  const violations = positiveInteger(countText);
  const duration = durationText === undefined ? undefined : limitDuration(durationText);
  return violations !== undefined && duration !== undefined && extra === undefined ? { violations, duration } : undefined;
}

export function asProxyList(raw: unknown): string[] | undefined {
  const list = asList(raw);
  return list?.every((entry) => parseProxyEntry(entry) !== undefined) ? list : undefined;
}

/** `*`, or origins exactly as browsers send them: scheme://host[:port], no path or trailing slash. */
export function asOriginList(raw: unknown): string[] | undefined {
  const list = asList(raw);
  if (!list) return undefined;
  const valid = list.every((origin) => {
    if (origin === '*') return true;
    try {
      const url = new URL(origin);
      return ['http:', 'https:'].includes(url.protocol) && url.origin === origin;
    } catch {
      return false;
    }
  });
  return valid ? list : undefined;
}

export const asLimitDuration = (raw: unknown) => (typeof raw === 'string' ? limitDuration(raw) : undefined);

export const asRedisUrl = (raw: unknown) => (typeof raw === 'string' && /^rediss?:\/\/[^\s]+$/.test(raw) ? raw : undefined);

/** The security settings that loadConfig reads; the keys are appended to Config. */
export interface SecurityConfig {
  redisUrl?: string;
  trustedProxies: string[];
  behindProxy: boolean;
  rateLimitEnabled: boolean;
  rateLimitToken: RateLimitRule;
  rateLimitAuthorization: RateLimitRule;
  rateLimitUserinfo: RateLimitRule;
  rateLimitIntrospection: RateLimitRule;
  rateLimitRegistration: RateLimitRule;
  /** RFC 8628 §5.1: user_code entries per client address, and over all addresses together. */
  rateLimitDeviceVerification: RateLimitRule;
  rateLimitDeviceVerificationGlobal: RateLimitRule;
  rateLimitSoftBan: PenaltyRule;
  rateLimitHardBan: PenaltyRule;
  /** Seconds over which violations are counted per key. */
  rateLimitViolationWindow: number;
  /** `*` or the listed origins; when unset: `*` in development, none in production. */
  corsOrigins: string[];
  tlsCertFile?: string;
  tlsKeyFile?: string;
  httpRedirectPort?: number;
  /** Seconds a client may take to send the request headers, and the whole request with its body (slowloris). */
  httpHeadersTimeout: number;
  httpRequestTimeout: number;
}

/** Problems that involve more than one setting, in loadConfig's one-line style (values that failed to parse are undefined). */
export function securityProblems(config: Partial<SecurityConfig> & { production: boolean; issuer: string; port: number }): string[] {
  const problems: string[] = [];
  if (Boolean(config.tlsCertFile) !== Boolean(config.tlsKeyFile)) problems.push('TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  if (config.tlsCertFile && config.issuer?.startsWith('http:')) problems.push('ISSUER must be https when TLS_CERT_FILE is set');
  if (config.httpRedirectPort !== undefined && !config.tlsCertFile) problems.push('HTTP_REDIRECT_PORT needs TLS_CERT_FILE and TLS_KEY_FILE (it redirects to the https listener)');
  if (config.httpRedirectPort !== undefined && config.httpRedirectPort !== 0 && config.httpRedirectPort === config.port) problems.push('HTTP_REDIRECT_PORT must differ from PORT');
  if (config.behindProxy && (config.trustedProxies ?? []).length === 0) problems.push('BEHIND_PROXY=true needs TRUSTED_PROXIES (the addresses of the proxies whose X-Forwarded-* headers are believed)');
  if (config.production && config.corsOrigins?.includes('*')) problems.push('CORS_ORIGINS=* is not allowed when CASTELLAN_PRODUCTION=true: list the origins');
  // Node refuses a headers timeout longer than the request timeout that includes it.
  if (config.httpHeadersTimeout && config.httpRequestTimeout && config.httpHeadersTimeout > config.httpRequestTimeout) problems.push('HTTP_HEADERS_TIMEOUT must not be longer than HTTP_REQUEST_TIMEOUT');
  if (config.rateLimitSoftBan && config.rateLimitHardBan && config.rateLimitSoftBan.violations >= config.rateLimitHardBan.violations) problems.push('RATE_LIMIT_SOFT_BAN must take fewer violations than RATE_LIMIT_HARD_BAN');
  return problems;
}
