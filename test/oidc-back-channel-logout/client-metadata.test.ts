/**
 * Back-Channel Logout §2.2 and RP-Initiated Logout §3.1: the client metadata that registers
 * logout endpoints (backchannel_logout_uri, backchannel_logout_session_required, post_logout_redirect_uris).
 */
import { describe, expect, it } from 'vitest';
import { validateClientMetadata } from '../../src/clients/client-metadata.js';

const base = { redirect_uris: ['https://rp.example/cb'] };
const dev = { production: false };
const production = { production: true };

describe('Back-Channel Logout §2.2 client metadata', () => {
  it('accepts an https backchannel_logout_uri with port, path and query, and the session flag', () => {
    const metadata = validateClientMetadata({ ...base, backchannel_logout_uri: 'https://rp.example:8443/bc?tenant=1', backchannel_logout_session_required: true }, production);
    expect(metadata).toMatchObject({ backchannel_logout_uri: 'https://rp.example:8443/bc?tenant=1', backchannel_logout_session_required: true });
  });

  it('MUST NOT accept a fragment', () => {
    expect(() => validateClientMetadata({ ...base, backchannel_logout_uri: 'https://rp.example/bc#x' }, production)).toThrow(expect.objectContaining({ code: 'invalid_client_metadata' }));
  });

  it('MAY allow http only for a confidential client (outside production)', () => {
    expect(validateClientMetadata({ ...base, backchannel_logout_uri: 'http://127.0.0.1:8080/bc' }, dev).backchannel_logout_uri).toBe('http://127.0.0.1:8080/bc');
    expect(() => validateClientMetadata({ ...base, token_endpoint_auth_method: 'none', backchannel_logout_uri: 'http://127.0.0.1:8080/bc' }, dev))
      .toThrow(expect.objectContaining({ code: 'invalid_client_metadata', description: expect.stringMatching(/https for a public client/) }));
  });

  it('refuses http in production', () => {
    expect(() => validateClientMetadata({ ...base, backchannel_logout_uri: 'http://rp.example/bc' }, production)).toThrow(expect.objectContaining({ code: 'invalid_client_metadata' }));
  });

  it('refuses a non-boolean backchannel_logout_session_required', () => {
    expect(() => validateClientMetadata({ ...base, backchannel_logout_session_required: 'true' }, dev)).toThrow(expect.objectContaining({ code: 'invalid_client_metadata' }));
  });
});

describe('RP-Initiated Logout §3.1 post_logout_redirect_uris', () => {
  it('keeps registered values as given, for exact matching later', () => {
    expect(validateClientMetadata({ ...base, post_logout_redirect_uris: ['https://rp.example/bye?x=1'] }, production).post_logout_redirect_uris).toEqual(['https://rp.example/bye?x=1']);
  });

  it('refuses fragments, non-https in production and non-arrays', () => {
    for (const value of [['https://rp.example/bye#f'], ['http://rp.example/bye'], 'https://rp.example/bye']) {
      expect(() => validateClientMetadata({ ...base, post_logout_redirect_uris: value }, production)).toThrow();
    }
  });
});
