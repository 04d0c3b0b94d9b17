/**
 * Who may register as a resource server: `served_resources` is operator-set metadata of a
 * confidential client, listing absolute resource indicators; dynamic registration drops it.
 * @spec https://www.rfc-editor.org/rfc/rfc7662#section-4
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-2
 */
import { describe, expect, it } from 'vitest';
import { validateClientMetadata } from '../../src/clients/client-metadata.js';
import { registrationSchema, validateMetadataDocument } from '../../src/rfc7591-registration/registration.schema.js';
import { mayIntrospect, servedResources } from '../../src/rfc7662-introspection/introspection-policy.js';

const resourceServer = { grant_types: ['client_credentials'], response_types: [], token_endpoint_auth_method: 'client_secret_basic' };
const validate = (extra: Record<string, unknown>) => validateClientMetadata({ ...resourceServer, ...extra }, { production: false });

describe('Castellan policy: resource server clients (served_resources)', () => {
  it('keeps served_resources of a confidential client; an empty list serves only tokens without an audience', () => {
    expect(servedResources(validate({ served_resources: ['https://api.example/'] }))).toEqual(['https://api.example/']);
    expect(servedResources(validate({ served_resources: [] }))).toEqual([]);
    expect(servedResources(validate({}))).toBeUndefined();
  });

  it.each([
    ['a string', 'https://api.example/'],
    ['a relative URI', ['/api']],
    ['a URI with a fragment', ['https://api.example/#x']],
  ])('MUST refuse %s with invalid_client_metadata', (_label, value) => {
    expect(() => validate({ served_resources: value })).toThrow(expect.objectContaining({ code: 'invalid_client_metadata' }));
  });

  it('MUST refuse served_resources for a public client', () => {
    const publicClient = { grant_types: ['authorization_code'], redirect_uris: ['https://rp.example/cb'], token_endpoint_auth_method: 'none', served_resources: [] };
    expect(() => validateClientMetadata(publicClient, { production: false })).toThrow(expect.objectContaining({ code: 'invalid_client_metadata' }));
  });

  it('MUST drop served_resources sent to dynamic registration (only an operator makes a resource server)', () => {
    const kept = validateMetadataDocument(registrationSchema, { redirect_uris: ['https://rp.example/cb'], served_resources: [] });
    expect(kept).not.toHaveProperty('served_resources');
  });

  it('never shows a resource server another client\'s refresh token', () => {
    const found = { token: { clientId: 'c1', audience: null }, grant: {}, username: null };
    expect(mayIntrospect({ clientId: 'rs', served: [] }, { kind: 'refresh_token', found } as never)).toBe(false);
    expect(mayIntrospect({ clientId: 'rs', served: [] }, { kind: 'access_token', found } as never)).toBe(true);
  });
});
