/**
 * Login hardening settings: documented defaults, and one clear message per bad value.
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 6.2.1: at least 8 characters)
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { mfaIssuerName } from '../../src/config/login-settings.js';
import { configProblems } from '../support/config-problems.js';

describe('login settings', () => {
  it('MUST default to 5 per username+address, 20 per username, 100 per address, a day\'s window, 15 minutes at most, 12 characters', () => {
    expect(loadConfig({})).toMatchObject({
      loginMaxAttemptsPerUserIp: 5, loginMaxAttemptsPerUser: 20, loginMaxAttemptsPerIp: 100, loginThrottleWindow: 86_400, loginMaxDelay: 900, passwordMinLength: 12,
    });
  });

  it('MUST read each setting from the environment', () => {
    const config = loadConfig({
      LOGIN_MAX_ATTEMPTS_PER_USER_IP: '3', LOGIN_MAX_ATTEMPTS_PER_USER: '50', LOGIN_MAX_ATTEMPTS_PER_IP: '500', LOGIN_THROTTLE_WINDOW: 'PT6H',
      LOGIN_MAX_DELAY: 'PT1H', PASSWORD_MIN_LENGTH: '15', MFA_ISSUER_NAME: 'Example Corp',
    });
    expect(config).toMatchObject({
      loginMaxAttemptsPerUserIp: 3, loginMaxAttemptsPerUser: 50, loginMaxAttemptsPerIp: 500, loginThrottleWindow: 21_600, loginMaxDelay: 3600, passwordMinLength: 15, mfaIssuerName: 'Example Corp',
    });
  });

  it.each([
    ['LOGIN_MAX_ATTEMPTS_PER_USER_IP', '0'],
    ['LOGIN_MAX_ATTEMPTS_PER_USER', 'many'],
    ['LOGIN_MAX_ATTEMPTS_PER_IP', '-1'],
    ['LOGIN_THROTTLE_WINDOW', 'P30D'],
    ['LOGIN_MAX_DELAY', '900'],
    ['PASSWORD_MIN_LENGTH', '7'],
    ['MFA_ISSUER_NAME', 'a:b'],
  ])('MUST refuse %s=%s with a one-line message', (name, value) => {
    const found = configProblems({ [name]: value });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`^${name}=".*" is not valid: expected `));
  });

  it('MUST name the issuer in authenticator apps by MFA_ISSUER_NAME, else the issuer\'s host name without the port', () => {
    expect(mfaIssuerName(loadConfig({ ISSUER: 'https://login.example.com:8443' }))).toBe('login.example.com');
    expect(mfaIssuerName(loadConfig({ MFA_ISSUER_NAME: 'Example' }))).toBe('Example');
  });
});
