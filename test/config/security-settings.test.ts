import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { configProblems } from '../support/config-problems.js';

describe('security settings', () => {
  it('defaults to the security guide: limits, penalties, no proxies, memory counters', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      rateLimitEnabled: true,
      rateLimitToken: { points: 60, duration: 60 },
      rateLimitAuthorization: { points: 120, duration: 60 },
      rateLimitUserinfo: { points: 300, duration: 60 },
      rateLimitIntrospection: { points: 180, duration: 60 },
      rateLimitRegistration: { points: 5, duration: 3600 },
      rateLimitSoftBan: { violations: 3, duration: 3600 },
      rateLimitHardBan: { violations: 10, duration: 86_400 },
      rateLimitViolationWindow: 86_400,
      trustedProxies: [],
      behindProxy: false,
    });
    expect(config.redisUrl).toBeUndefined();
    expect(config.tlsCertFile).toBeUndefined();
  });

  it('reads limits as a count per the policy window or as count/window', () => {
    const config = loadConfig({ RATE_LIMIT_TOKEN: '30', RATE_LIMIT_REGISTRATION: '10', RATE_LIMIT_USERINFO: '1000/PT10M', RATE_LIMIT_SOFT_BAN: '5/PT30M', RATE_LIMIT_ENABLED: 'false' });
    expect(config.rateLimitToken).toEqual({ points: 30, duration: 60 });
    expect(config.rateLimitRegistration).toEqual({ points: 10, duration: 3600 });
    expect(config.rateLimitUserinfo).toEqual({ points: 1000, duration: 600 });
    expect(config.rateLimitSoftBan).toEqual({ violations: 5, duration: 1800 });
    expect(config.rateLimitEnabled).toBe(false);
  });

  it('reads lists: TRUSTED_PROXIES and CORS_ORIGINS', () => {
    const config = loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, ::1 ,', CORS_ORIGINS: 'https://app.example,http://localhost:5173' });
    expect(config.trustedProxies).toEqual(['10.0.0.0/8', '::1']);
    expect(config.corsOrigins).toEqual(['https://app.example', 'http://localhost:5173']);
  });

  it('allows any CORS origin in development and none in production unless listed', () => {
    expect(loadConfig({}).corsOrigins).toEqual(['*']);
    expect(loadConfig({ CASTELLAN_PRODUCTION: 'true', ISSUER: 'https://id.example' }).corsOrigins).toEqual([]);
  });

  it.each([
    [{ RATE_LIMIT_TOKEN: '0' }, 'RATE_LIMIT_TOKEN="0" is not valid'],
    [{ RATE_LIMIT_TOKEN: '60/minute' }, 'RATE_LIMIT_TOKEN="60/minute" is not valid'],
    [{ RATE_LIMIT_AUTHORIZATION: '120/P30D' }, 'RATE_LIMIT_AUTHORIZATION="120/P30D" is not valid'],
    [{ RATE_LIMIT_HARD_BAN: '10' }, 'RATE_LIMIT_HARD_BAN="10" is not valid'],
    [{ TRUSTED_PROXIES: '10.0.0.0/8,proxy.internal' }, 'TRUSTED_PROXIES="10.0.0.0/8,proxy.internal" is not valid'],
    [{ CORS_ORIGINS: 'https://app.example/' }, 'CORS_ORIGINS="https://app.example/" is not valid'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL="localhost:6379" is not valid'],
    [{ HTTP_REDIRECT_PORT: '70000' }, 'HTTP_REDIRECT_PORT="70000" is not valid'],
  ])('reports %o as one clear problem', (env, message) => {
    const problems = configProblems(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  it.each([
    [{ TLS_CERT_FILE: 'cert.pem', ISSUER: 'https://id.example' }, 'TLS_CERT_FILE and TLS_KEY_FILE must be set together'],
    [{ TLS_CERT_FILE: 'c.pem', TLS_KEY_FILE: 'k.pem' }, 'ISSUER must be https when TLS_CERT_FILE is set'],
    [{ HTTP_REDIRECT_PORT: '8080' }, 'HTTP_REDIRECT_PORT needs TLS_CERT_FILE and TLS_KEY_FILE'],
    [{ TLS_CERT_FILE: 'c.pem', TLS_KEY_FILE: 'k.pem', ISSUER: 'https://id.example', PORT: '8443', HTTP_REDIRECT_PORT: '8443' }, 'HTTP_REDIRECT_PORT must differ from PORT'],
    [{ BEHIND_PROXY: 'true' }, 'BEHIND_PROXY=true needs TRUSTED_PROXIES'],
    [{ CASTELLAN_PRODUCTION: 'true', ISSUER: 'https://id.example', CORS_ORIGINS: '*' }, 'CORS_ORIGINS=* is not allowed when CASTELLAN_PRODUCTION=true'],
    [{ RATE_LIMIT_SOFT_BAN: '10/PT1H' }, 'RATE_LIMIT_SOFT_BAN must take fewer violations than RATE_LIMIT_HARD_BAN'],
  ])('reports the inconsistent combination %o', (env, message) => {
    expect(configProblems(env)).toEqual([expect.stringContaining(message)]);
  });

  it('accepts a consistent TLS setup with a redirect listener', () => {
    const config = loadConfig({ TLS_CERT_FILE: 'c.pem', TLS_KEY_FILE: 'k.pem', ISSUER: 'https://id.example', HTTP_REDIRECT_PORT: '8080', REDIS_URL: 'redis://:pw@cache:6379/2' });
    expect(config).toMatchObject({ tlsCertFile: 'c.pem', tlsKeyFile: 'k.pem', httpRedirectPort: 8080, redisUrl: 'redis://:pw@cache:6379/2' });
  });
});
