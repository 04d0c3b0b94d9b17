/**
 * Configuration: documented defaults, overridden by an optional JSON file (CONFIG_FILE) and then by
 * environment variables; every value is validated at start with one message per bad value.
 */
import { readFileSync } from 'node:fs';
import { parseDuration } from './duration.js';
import {
  asLimitDuration, asOriginList, asPenaltyRule, asProxyList, asRateLimitRule, asRedisUrl, securityProblems, type SecurityConfig,
} from './security-settings.js';
import {
  applyRegistrationDefaults, asInitialAccessToken, asRegistrationMode, registrationProblems, type RegistrationConfig,
} from './registration-settings.js';
import {
  asAttemptBudget, asIssuerName, asPasswordMinLength, asThrottleDuration, type LoginConfig,
} from './login-settings.js';
import { asResourceList, type ResourceConfig } from './resource-settings.js';
import { asOptionalInterval, asPositiveDuration, asWebhookUrl, threatProblems, type ThreatConfig } from './threat-settings.js';
import { asTimeoutMs, type StorageConfig } from './storage-settings.js';
import { asTrustedIssuers, tokenExchangeProblems, type TokenExchangeConfig } from './token-exchange-settings.js';
import { asNonceLifetime, asProofAge, type DpopConfig } from './dpop-settings.js';
import { lifetimeProblems, type LifetimeConfig } from './lifetime-settings.js';
import { asWorkerCount, workerProblems, type WorkerConfig } from './worker-settings.js';
import { asParTtl, type ParConfig } from './par-settings.js';
import { adminProblems, applyAdminDefaults, asAdminToken, type AdminConfig } from './admin-settings.js';
import { asTraceCount, TRACE_COUNT_RULE, type InspectorConfig } from './inspector-settings.js';
import { asCertificateHeader, asMtlsBaseUrl, mtlsProblems, type MtlsConfig } from './mtls-settings.js';
import { isSupportedAlg, SUPPORTED_ALGS, type Alg } from '../tokens/keystore.js';

export type SigningAlg = Alg;

export interface Config extends SecurityConfig, LoginConfig, RegistrationConfig, ResourceConfig, ThreatConfig, StorageConfig, TokenExchangeConfig, DpopConfig, LifetimeConfig, WorkerConfig, AdminConfig, MtlsConfig, InspectorConfig, ParConfig {
  port: number;
  issuer: string;
  databaseUrl: string;
  /** Lifetimes in seconds. */
  accessTokenTtl: number;
  refreshTokenTtl: number;
  authorizationCodeTtl: number;
  idTokenTtl: number;
  sessionIdleTtl: number;
  sessionAbsoluteTtl: number;
  interactionTtl: number;
  /** RFC 8628: lifetime of a device_code and its user_code, and the minimum seconds between polls. */
  deviceCodeTtl: number;
  devicePollInterval: number;
  /** Scheduled key rotation period in seconds. */
  keyRotationInterval: number;
  signingAlg: SigningAlg;
  rsaModulusLength: 2048 | 3072 | 4096;
  /** When true, a client assertion's aud must be exactly the issuer (RFC 7523 §3 as tightened by draft-ietf-oauth-rfc7523bis). */
  strictAssertionAudience: boolean;
  /** Base64 (32 bytes) master key; when absent a key file next to the SQLite database is used. */
  masterKey?: string;
  masterKeyFile: string;
  seedFile?: string;
  logLevel: string;
  /** Production mode: https issuer and https redirect URIs required. */
  production: boolean;
  /** Seconds a node may serve a client row from memory (src/storage/client-cache.ts); 0 turns caching off. */
  clientCacheTtl: number;
}

/** Environment variable, JSON file key, default, and parser for each setting. */
interface Setting<K extends keyof Config> {
  key: K;
  env: string;
  default?: Config[K];
  parse: (raw: unknown) => Config[K] | undefined;
  describe: string;
}

const asString = (raw: unknown) => (typeof raw === 'string' && raw.length > 0 ? raw : undefined);
const asDuration = (raw: unknown) => (typeof raw === 'string' ? parseDuration(raw) : undefined);
const asBoolean = (raw: unknown) => {
  if (typeof raw === 'boolean') return raw;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  return undefined;
};
const asPort = (raw: unknown) => {
  const port = Number(raw);
  return Number.isInteger(port) && port >= 0 && port <= 65535 ? port : undefined;
};
const asIssuer = (raw: unknown) => {
  if (typeof raw !== 'string') return undefined;
  try {
    const url = new URL(raw);
    // OIDC Discovery §3: issuer is https (http allowed here for local use), no query or fragment.
    if (!['http:', 'https:'].includes(url.protocol) || url.search || url.hash || raw.endsWith('/')) return undefined;
    return raw;
  } catch {
    return undefined;
  }
};

const seconds = (iso: string) => parseDuration(iso) as number;

export const SETTINGS: Setting<keyof Config>[] = [
  { key: 'port', env: 'PORT', default: 3000, parse: asPort, describe: 'an integer 0-65535' },
  { key: 'issuer', env: 'ISSUER', default: 'http://localhost:3000', parse: asIssuer, describe: 'an http(s) URL without query, fragment or trailing slash' },
  { key: 'databaseUrl', env: 'DATABASE_URL', default: 'sqlite:./data/castellan.sqlite', parse: (raw) => (typeof raw === 'string' && /^(sqlite:|postgres(ql)?:\/\/)/.test(raw) ? raw : undefined), describe: 'sqlite:PATH or postgres://...' },
  { key: 'workers', env: 'WORKERS', default: 1, parse: (raw) => asWorkerCount(raw), describe: 'auto (one per core) or an integer from 1 to 64' },
  { key: 'databaseTimeout', env: 'DATABASE_TIMEOUT', default: 3_000, parse: asTimeoutMs, describe: 'an ISO 8601 duration from PT0.05S to PT10M, such as PT3S' },
  { key: 'databaseStartupWait', env: 'DATABASE_STARTUP_WAIT', default: 30_000, parse: asTimeoutMs, describe: 'an ISO 8601 duration from PT0.05S to PT10M, such as PT30S' },
  { key: 'accessTokenTtl', env: 'ACCESS_TOKEN_TTL', default: seconds('PT1H'), parse: asDuration, describe: 'an ISO 8601 duration such as PT1H' },
  { key: 'refreshTokenTtl', env: 'REFRESH_TOKEN_TTL', default: seconds('P30D'), parse: asDuration, describe: 'an ISO 8601 duration such as P30D' },
  { key: 'authorizationCodeTtl', env: 'AUTHORIZATION_CODE_TTL', default: seconds('PT10M'), parse: asDuration, describe: 'an ISO 8601 duration such as PT10M' },
  { key: 'idTokenTtl', env: 'ID_TOKEN_TTL', default: seconds('PT1H'), parse: asDuration, describe: 'an ISO 8601 duration such as PT1H' },
  // Ceilings of per-client lifetimes (clients/token-lifetimes.ts); unset, the lifetime above is the ceiling.
  { key: 'accessTokenTtlMax', env: 'ACCESS_TOKEN_TTL_MAX', parse: asDuration, describe: 'an ISO 8601 duration such as PT2H' },
  { key: 'refreshTokenTtlMax', env: 'REFRESH_TOKEN_TTL_MAX', parse: asDuration, describe: 'an ISO 8601 duration such as P90D' },
  { key: 'idTokenTtlMax', env: 'ID_TOKEN_TTL_MAX', parse: asDuration, describe: 'an ISO 8601 duration such as PT2H' },
  { key: 'authorizationCodeTtlMax', env: 'AUTHORIZATION_CODE_TTL_MAX', parse: asDuration, describe: 'an ISO 8601 duration such as PT10M' },
  { key: 'sessionIdleTtl', env: 'SESSION_IDLE_TTL', default: seconds('PT30M'), parse: asDuration, describe: 'an ISO 8601 duration such as PT30M' },
  { key: 'sessionAbsoluteTtl', env: 'SESSION_ABSOLUTE_TTL', default: seconds('PT12H'), parse: asDuration, describe: 'an ISO 8601 duration such as PT12H' },
  { key: 'interactionTtl', env: 'INTERACTION_TTL', default: seconds('PT15M'), parse: asDuration, describe: 'an ISO 8601 duration such as PT15M' },
  { key: 'deviceCodeTtl', env: 'DEVICE_CODE_TTL', default: seconds('PT10M'), parse: asDuration, describe: 'an ISO 8601 duration such as PT10M' },
  { key: 'devicePollInterval', env: 'DEVICE_POLL_INTERVAL', default: seconds('PT5S'), parse: asDuration, describe: 'an ISO 8601 duration such as PT5S' },
  { key: 'keyRotationInterval', env: 'KEY_ROTATION_INTERVAL', default: seconds('P90D'), parse: asDuration, describe: 'an ISO 8601 duration such as P90D' },
  { key: 'signingAlg', env: 'SIGNING_ALG', default: 'RS256', parse: (raw) => (isSupportedAlg(raw) ? raw : undefined), describe: SUPPORTED_ALGS.join(', ') },
  { key: 'rsaModulusLength', env: 'RSA_KEY_BITS', default: 2048, parse: (raw) => ([2048, 3072, 4096].includes(Number(raw)) ? (Number(raw) as 2048) : undefined), describe: '2048, 3072 or 4096' },
  { key: 'strictAssertionAudience', env: 'STRICT_ASSERTION_AUDIENCE', default: false, parse: asBoolean, describe: 'true or false' },
  { key: 'masterKey', env: 'CASTELLAN_MASTER_KEY', parse: (raw) => (typeof raw === 'string' && Buffer.from(raw, 'base64').length === 32 ? raw : undefined), describe: '32 bytes in base64' },
  { key: 'masterKeyFile', env: 'MASTER_KEY_FILE', default: './data/master.key', parse: asString, describe: 'a file path' },
  { key: 'seedFile', env: 'SEED_FILE', parse: asString, describe: 'a path to a seed JSON file' },
  { key: 'logLevel', env: 'LOG_LEVEL', default: 'info', parse: (raw) => (typeof raw === 'string' && ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(raw) ? raw : undefined), describe: 'fatal, error, warn, info, debug, trace or silent' },
  { key: 'clientCacheTtl', env: 'CLIENT_CACHE_TTL', default: 5, parse: asOptionalInterval, describe: 'an ISO 8601 duration such as PT5S, or 0 to read every client from the database' },
  { key: 'production', env: 'CASTELLAN_PRODUCTION', default: false, parse: asBoolean, describe: 'true or false' },
  // Security layer: rate limits, proxies, CORS, TLS (src/security/).
  { key: 'redisUrl', env: 'REDIS_URL', parse: asRedisUrl, describe: 'redis://[user:password@]host[:port][/db] or rediss://...' },
  { key: 'redisTimeout', env: 'REDIS_TIMEOUT', default: 1_000, parse: asTimeoutMs, describe: 'an ISO 8601 duration from PT0.05S to PT10M, such as PT1S' },
  { key: 'trustedProxies', env: 'TRUSTED_PROXIES', default: [], parse: asProxyList, describe: 'comma-separated IP addresses or CIDRs (IPv4 or IPv6)' },
  { key: 'behindProxy', env: 'BEHIND_PROXY', default: false, parse: asBoolean, describe: 'true or false' },
  { key: 'rateLimitEnabled', env: 'RATE_LIMIT_ENABLED', default: true, parse: asBoolean, describe: 'true or false' },
  { key: 'rateLimitToken', env: 'RATE_LIMIT_TOKEN', default: { points: 60, duration: 60 }, parse: asRateLimitRule(60), describe: 'requests per minute, or requests/window such as 60/PT1M (window at most P24D)' },
  { key: 'rateLimitAuthorization', env: 'RATE_LIMIT_AUTHORIZATION', default: { points: 120, duration: 60 }, parse: asRateLimitRule(60), describe: 'requests per minute, or requests/window such as 120/PT1M (window at most P24D)' },
  { key: 'rateLimitUserinfo', env: 'RATE_LIMIT_USERINFO', default: { points: 300, duration: 60 }, parse: asRateLimitRule(60), describe: 'requests per minute, or requests/window such as 300/PT1M (window at most P24D)' },
  { key: 'rateLimitIntrospection', env: 'RATE_LIMIT_INTROSPECTION', default: { points: 180, duration: 60 }, parse: asRateLimitRule(60), describe: 'requests per minute, or requests/window such as 180/PT1M (window at most P24D)' },
  { key: 'rateLimitRegistration', env: 'RATE_LIMIT_REGISTRATION', default: { points: 5, duration: 3600 }, parse: asRateLimitRule(3600), describe: 'requests per hour, or requests/window such as 5/PT1H (window at most P24D)' },
  { key: 'rateLimitDeviceVerification', env: 'RATE_LIMIT_DEVICE_VERIFICATION', default: { points: 10, duration: 60 }, parse: asRateLimitRule(60), describe: 'requests per minute, or requests/window such as 10/PT1M (window at most P24D)' },
  { key: 'rateLimitDeviceVerificationGlobal', env: 'RATE_LIMIT_DEVICE_VERIFICATION_GLOBAL', default: { points: 300, duration: 60 }, parse: asRateLimitRule(60), describe: 'requests per minute, or requests/window such as 300/PT1M (window at most P24D)' },
  { key: 'rateLimitSoftBan', env: 'RATE_LIMIT_SOFT_BAN', default: { violations: 3, duration: 3600 }, parse: asPenaltyRule, describe: 'violations/ban duration such as 3/PT1H (ban at most P24D)' },
  { key: 'rateLimitHardBan', env: 'RATE_LIMIT_HARD_BAN', default: { violations: 10, duration: 86_400 }, parse: asPenaltyRule, describe: 'violations/ban duration such as 10/P1D (ban at most P24D)' },
  { key: 'rateLimitViolationWindow', env: 'RATE_LIMIT_VIOLATION_WINDOW', default: 86_400, parse: asLimitDuration, describe: 'an ISO 8601 duration such as P1D (at most P24D)' },
  { key: 'corsOrigins', env: 'CORS_ORIGINS', parse: asOriginList, describe: '* or comma-separated origins such as https://app.example.com' },
  { key: 'tlsCertFile', env: 'TLS_CERT_FILE', parse: asString, describe: 'a path to a PEM certificate (chain)' },
  { key: 'tlsKeyFile', env: 'TLS_KEY_FILE', parse: asString, describe: 'a path to a PEM private key' },
  { key: 'httpRedirectPort', env: 'HTTP_REDIRECT_PORT', parse: asPort, describe: 'an integer 0-65535' },
  { key: 'httpHeadersTimeout', env: 'HTTP_HEADERS_TIMEOUT', default: 10, parse: asDuration, describe: 'an ISO 8601 duration such as PT10S' },
  { key: 'httpRequestTimeout', env: 'HTTP_REQUEST_TIMEOUT', default: 30, parse: asDuration, describe: 'an ISO 8601 duration such as PT30S' },
  // Dynamic client registration and outbound requests to client URLs (src/rfc7591-registration/, src/security/safe-fetch.ts).
  { key: 'registrationMode', env: 'REGISTRATION_ENABLED', parse: asRegistrationMode, describe: 'open, token (needs REGISTRATION_INITIAL_ACCESS_TOKEN) or off' },
  { key: 'registrationInitialAccessToken', env: 'REGISTRATION_INITIAL_ACCESS_TOKEN', parse: asInitialAccessToken, describe: 'at least 32 characters of A-Z a-z 0-9 - . _ ~ + /' },
  { key: 'outboundAllowPrivateNetworks', env: 'OUTBOUND_ALLOW_PRIVATE_NETWORKS', parse: asBoolean, describe: 'true or false' },
  // Login hardening: throttling, password policy, MFA (src/security/login-*.ts, src/mfa/).
  { key: 'loginMaxAttemptsPerUserIp', env: 'LOGIN_MAX_ATTEMPTS_PER_USER_IP', default: 5, parse: asAttemptBudget, describe: 'a positive integer' },
  { key: 'loginMaxAttemptsPerUser', env: 'LOGIN_MAX_ATTEMPTS_PER_USER', default: 20, parse: asAttemptBudget, describe: 'a positive integer' },
  { key: 'loginMaxAttemptsPerIp', env: 'LOGIN_MAX_ATTEMPTS_PER_IP', default: 100, parse: asAttemptBudget, describe: 'a positive integer' },
  { key: 'loginThrottleWindow', env: 'LOGIN_THROTTLE_WINDOW', default: 86_400, parse: asThrottleDuration, describe: 'an ISO 8601 duration such as P1D (at most P24D)' },
  { key: 'loginMaxDelay', env: 'LOGIN_MAX_DELAY', default: 900, parse: asThrottleDuration, describe: 'an ISO 8601 duration such as PT15M (at most P24D)' },
  { key: 'passwordMinLength', env: 'PASSWORD_MIN_LENGTH', default: 12, parse: asPasswordMinLength, describe: 'an integer 8-128' },
  { key: 'mfaIssuerName', env: 'MFA_ISSUER_NAME', parse: asIssuerName, describe: 'a name of 1-64 characters without ":"' },
  // Resource indicators (src/rfc8707-resource-indicators/, src/rfc9068-jwt-access-token/).
  { key: 'jwtAccessTokenResources', env: 'JWT_ACCESS_TOKEN_RESOURCES', default: [], parse: asResourceList, describe: 'comma-separated absolute URIs without fragment' },
  // Token exchange (src/rfc8693-token-exchange/): external issuers whose JWTs may be exchanged.
  { key: 'tokenExchangeTrustedIssuers', env: 'TOKEN_EXCHANGE_TRUSTED_ISSUERS', default: [], parse: asTrustedIssuers, describe: 'a JSON array of {"issuer": "...", "jwks_uri": "http(s)://..."}, each issuer once' },
  // DPoP, RFC 9449 (src/rfc9449-dpop/).
  { key: 'dpopProofMaxAge', env: 'DPOP_PROOF_MAX_AGE', default: 60, parse: asProofAge, describe: 'an ISO 8601 duration up to PT10M, such as PT60S' },
  { key: 'dpopProofClockSkew', env: 'DPOP_PROOF_CLOCK_SKEW', default: 10, parse: asProofAge, describe: 'an ISO 8601 duration up to PT10M, such as PT10S' },
  { key: 'dpopNonceRequired', env: 'DPOP_NONCE_REQUIRED', default: false, parse: asBoolean, describe: 'true or false' },
  { key: 'dpopNonceLifetime', env: 'DPOP_NONCE_LIFETIME', default: 300, parse: asNonceLifetime, describe: 'an ISO 8601 duration from PT1M to P1D, such as PT5M' },
  // Audit, threat detection and incident response (src/security/audit*.ts, threat-detection.ts, ip-blocklist.ts).
  { key: 'threatDetectionInterval', env: 'THREAT_DETECTION_INTERVAL', default: 60, parse: asOptionalInterval, describe: 'an ISO 8601 duration such as PT1M, or 0 to turn the detector off' },
  { key: 'threatWebhookUrl', env: 'THREAT_WEBHOOK_URL', parse: asWebhookUrl, describe: 'an http(s) URL without credentials or fragment' },
  { key: 'auditRetention', env: 'AUDIT_RETENTION', default: seconds('P90D'), parse: asPositiveDuration, describe: 'an ISO 8601 duration such as P90D' },
  { key: 'ipBlockDuration', env: 'IP_BLOCK_DURATION', default: seconds('P1D'), parse: asPositiveDuration, describe: 'an ISO 8601 duration such as P1D' },
  // Admin credential and developer surfaces (src/config/admin-settings.ts, src/security/admin-auth.ts).
  { key: 'adminToken', env: 'ADMIN_TOKEN', parse: asAdminToken, describe: '32 to 512 printable characters without spaces' },
  { key: 'inspectorEnabled', env: 'INSPECTOR_ENABLED', parse: asBoolean, describe: 'true or false (default: true unless CASTELLAN_PRODUCTION=true)' },
  { key: 'inspectorMaxPerClient', env: 'INSPECTOR_MAX_PER_CLIENT', default: 200, parse: asTraceCount, describe: TRACE_COUNT_RULE },
  { key: 'inspectorRetention', env: 'INSPECTOR_RETENTION', default: seconds('PT24H'), parse: asPositiveDuration, describe: 'an ISO 8601 duration such as PT24H' },
  { key: 'testControlEnabled', env: 'TEST_CONTROL_ENABLED', default: false, parse: asBoolean, describe: 'true or false' },
  // Mutual TLS, RFC 8705 (src/rfc8705-mtls/, src/config/mtls-settings.ts).
  { key: 'mtlsCaFile', env: 'MTLS_CA_FILE', parse: asString, describe: 'a path to a PEM bundle of CA certificates' },
  { key: 'mtlsCertificateHeader', env: 'MTLS_CERTIFICATE_HEADER', parse: asCertificateHeader, describe: 'a header name such as X-SSL-Client-Cert' },
  { key: 'mtlsBaseUrl', env: 'MTLS_BASE_URL', parse: asMtlsBaseUrl, describe: 'an https URL such as https://mtls.example.com' },
  // Pushed authorization requests, RFC 9126 (src/rfc9126-par/).
  { key: 'parTtl', env: 'PAR_TTL', default: 60, parse: asParTtl, describe: 'an ISO 8601 duration from PT5S to PT10M, such as PT60S' },
  { key: 'requirePar', env: 'REQUIRE_PAR', default: false, parse: asBoolean, describe: 'true or false' },
];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/** Builds the configuration; `overrides` (already typed) win over env and file, for tests. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const problems: string[] = [];
  let file: Record<string, unknown> = {};
  if (env.CONFIG_FILE) {
    try {
      file = JSON.parse(readFileSync(env.CONFIG_FILE, 'utf8'));
    } catch (error) {
      problems.push(`CONFIG_FILE ${env.CONFIG_FILE}: ${(error as Error).message}`);
    }
    for (const name of Object.keys(file)) {
      if (!SETTINGS.some((s) => s.key === name)) problems.push(`CONFIG_FILE: unknown setting "${name}"`);
    }
  }
  const config: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    if (setting.key in overrides) {
      config[setting.key] = overrides[setting.key];
      continue;
    }
    const fromEnv = env[setting.env];
    const raw = fromEnv !== undefined && fromEnv !== '' ? fromEnv : file[setting.key];
    if (raw === undefined) {
      config[setting.key] = setting.default;
      continue;
    }
    const value = setting.parse(raw);
    if (value === undefined) {
      const source = fromEnv !== undefined && fromEnv !== '' ? setting.env : `CONFIG_FILE ${setting.key}`;
      problems.push(`${source}=${JSON.stringify(raw)} is not valid: expected ${setting.describe}`);
    } else config[setting.key] = value;
  }
  const result = config as unknown as Config;
  if (result.production && result.issuer?.startsWith('http:')) problems.push('ISSUER must be https when CASTELLAN_PRODUCTION=true');
  // Browsers may call the public endpoints from anywhere in development; production lists its origins.
  result.corsOrigins ??= result.production ? [] : ['*'];
  problems.push(...securityProblems(result));
  applyRegistrationDefaults(result);
  problems.push(...registrationProblems(result));
  problems.push(...threatProblems(result));
  problems.push(...tokenExchangeProblems(result));
  problems.push(...lifetimeProblems(result));
  problems.push(...workerProblems(result));
  applyAdminDefaults(result);
  problems.push(...adminProblems(result));
  problems.push(...mtlsProblems(result));
  if (problems.length > 0) throw new ConfigError(problems);
  return result;
}
