/**
 * Syntax of resource indicators and of the multi-valued `resource` parameter.
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-2
 * @spec https://www.rfc-editor.org/rfc/rfc3986#section-4.3
 */
import { describe, expect, it } from 'vitest';
import { clientCredentialsSchema } from '../../src/rfc6749-oauth2/client-credentials-grant.schema.js';
import {
  isResourceIndicator, RESOURCE_MAX_COUNT, RESOURCE_MAX_LENGTH, requestedResources,
} from '../../src/rfc8707-resource-indicators/resource-indicator.js';
import { validateParams } from '../../src/schema/validator.js';

describe('RFC 8707 §2 resource indicator syntax', () => {
  it.each([
    'https://api.example/',
    'https://api.example:8443/v1/orders',
    'https://tenant.example/api?tenant=42',
    'urn:example:resource-server',
    'http://127.0.0.1:9000/',
    'https://api.example/%7Euser',
  ])('accepts the absolute URI %s', (value) => {
    expect(isResourceIndicator(value)).toBe(true);
  });

  it.each([
    ['a relative reference', '/api'],
    ['a bare word', 'api'],
    ['a fragment', 'https://api.example/#section'],
    ['an empty fragment', 'https://api.example/#'],
    ['a space', 'https://api.example/a b'],
    ['a broken percent-encoding', 'https://api.example/%zz'],
    ['an empty hier-part', 'https:'],
    ['a scheme starting with a digit', '1http://api.example/'],
    ['a non-ASCII character', 'https://api.example/é'],
    ['an unparseable host', 'http://[bad/'],
    ['too many characters', `https://api.example/${'a'.repeat(RESOURCE_MAX_LENGTH)}`],
  ])('MUST refuse %s', (_label, value) => {
    expect(isResourceIndicator(value)).toBe(false);
  });
});

describe('RFC 8707 §2 requestedResources', () => {
  it('is undefined when the parameter was not sent', () => {
    expect(requestedResources(undefined)).toBeUndefined();
  });

  it('takes one value or several, keeping order and dropping repeats', () => {
    expect(requestedResources('https://a.example/')).toEqual(['https://a.example/']);
    expect(requestedResources(['https://b.example/', 'https://a.example/', 'https://b.example/'])).toEqual(['https://b.example/', 'https://a.example/']);
  });

  it('MUST answer a fragment with invalid_target', () => {
    expect(() => requestedResources(['https://a.example/', 'https://b.example/#x'])).toThrow(expect.objectContaining({ code: 'invalid_target', description: 'resource must not contain a fragment' }));
  });

  it('MUST answer a value that is not an absolute URI with invalid_target', () => {
    expect(() => requestedResources('not a uri')).toThrow(expect.objectContaining({ code: 'invalid_target' }));
  });
});

describe('the resource parameter in request schemas', () => {
  const validate = (resource: string | string[]) => validateParams<{ resource?: string | string[] }>(clientCredentialsSchema, { resource });

  it('keeps a single value as a string and a repeated one as an array', () => {
    expect(validate('https://a.example/').resource).toBe('https://a.example/');
    expect(validate(['https://a.example/', 'https://b.example/']).resource).toEqual(['https://a.example/', 'https://b.example/']);
  });

  it('MUST bound the length of each value and the number of values (invalid_request "too long")', () => {
    const tooLong = 'x'.repeat(RESOURCE_MAX_LENGTH + 1);
    for (const resource of [tooLong, ['https://a.example/', tooLong], Array(RESOURCE_MAX_COUNT + 1).fill('https://a.example/')]) {
      expect(() => validate(resource)).toThrow(expect.objectContaining({ code: 'invalid_request', description: 'resource is too long' }));
    }
  });
});
