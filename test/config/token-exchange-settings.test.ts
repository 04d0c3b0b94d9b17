import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { asTrustedIssuers } from '../../src/config/token-exchange-settings.js';

describe('TOKEN_EXCHANGE_TRUSTED_ISSUERS', () => {
  const entry = { issuer: 'https://idp.example', jwks_uri: 'https://idp.example/jwks' };

  it('parses a JSON array from the environment, defaulting to none', () => {
    expect(loadConfig({}).tokenExchangeTrustedIssuers).toEqual([]);
    expect(loadConfig({ TOKEN_EXCHANGE_TRUSTED_ISSUERS: JSON.stringify([entry]) }).tokenExchangeTrustedIssuers).toEqual([entry]);
  });

  it.each([
    ['not json'],
    [JSON.stringify({ issuer: 'x' })],
    [JSON.stringify([{ issuer: 'x' }])],
    [JSON.stringify([{ ...entry, jwks_uri: 'ftp://idp.example/jwks' }])],
    [JSON.stringify([{ ...entry, extra: true }])],
    [JSON.stringify([entry, entry])],
  ])('refuses %s', (raw) => {
    expect(asTrustedIssuers(raw)).toBeUndefined();
  });

  it('refuses the server\'s own issuer and http JWKS in production', () => {
    expect(() => loadConfig({ ISSUER: 'https://idp.example', TOKEN_EXCHANGE_TRUSTED_ISSUERS: JSON.stringify([entry]) })).toThrow(ConfigError);
    expect(() => loadConfig({ CASTELLAN_PRODUCTION: 'true', ISSUER: 'https://as.example', TOKEN_EXCHANGE_TRUSTED_ISSUERS: JSON.stringify([{ ...entry, jwks_uri: 'http://idp.example/jwks' }]) })).toThrow('must be https in production');
  });
});
