import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { configProblems } from '../support/config-problems.js';

const TOKEN = 'an-initial-access-token-of-enough-length-0123';
const PRODUCTION = { CASTELLAN_PRODUCTION: 'true', ISSUER: 'https://id.example.com' };

describe('registration and outbound settings', () => {
  it('defaults to open registration and private networks allowed in development', () => {
    expect(loadConfig({})).toMatchObject({ registrationMode: 'open', outboundAllowPrivateNetworks: true });
  });

  it('never defaults to open registration or private networks in production', () => {
    expect(loadConfig(PRODUCTION)).toMatchObject({ registrationMode: 'off', outboundAllowPrivateNetworks: false });
  });

  it('defaults to token mode whenever an initial access token is set', () => {
    expect(loadConfig({ REGISTRATION_INITIAL_ACCESS_TOKEN: TOKEN }).registrationMode).toBe('token');
    expect(loadConfig({ ...PRODUCTION, REGISTRATION_INITIAL_ACCESS_TOKEN: TOKEN })).toMatchObject({ registrationMode: 'token', registrationInitialAccessToken: TOKEN });
  });

  it('lets production open registration or private networks only when told explicitly', () => {
    expect(loadConfig({ ...PRODUCTION, REGISTRATION_ENABLED: 'open', OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' })).toMatchObject({ registrationMode: 'open', outboundAllowPrivateNetworks: true });
    expect(loadConfig({ REGISTRATION_ENABLED: 'false' }).registrationMode).toBe('off');
  });

  it.each([
    [{ REGISTRATION_ENABLED: 'yes' }, /^REGISTRATION_ENABLED="yes" is not valid: expected open, token/],
    [{ REGISTRATION_INITIAL_ACCESS_TOKEN: 'short' }, /^REGISTRATION_INITIAL_ACCESS_TOKEN=.* at least 32 characters/],
    [{ REGISTRATION_INITIAL_ACCESS_TOKEN: `${TOKEN} with spaces` }, /^REGISTRATION_INITIAL_ACCESS_TOKEN=/],
    [{ REGISTRATION_ENABLED: 'token' }, /^REGISTRATION_ENABLED=token needs REGISTRATION_INITIAL_ACCESS_TOKEN$/],
    [{ REGISTRATION_ENABLED: 'open', REGISTRATION_INITIAL_ACCESS_TOKEN: TOKEN }, /^REGISTRATION_INITIAL_ACCESS_TOKEN is set but REGISTRATION_ENABLED=open/],
    [{ OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'maybe' }, /^OUTBOUND_ALLOW_PRIVATE_NETWORKS="maybe" is not valid/],
  ])('reports %j in one line', (env, message) => {
    const reported = configProblems(env);
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatch(message);
  });
});
