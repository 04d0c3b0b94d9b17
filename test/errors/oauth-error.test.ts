/**
 * The error body every endpoint sends: the code, a description limited to the characters the spec
 * allows, and nothing of an unexpected failure's internals.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 */
import { describe, expect, it } from 'vitest';
import { OAuthError } from '../../src/errors/oauth-error.js';

describe('RFC 6749 §5.2 error response body', () => {
  it('MUST keep error_description within %x20-21 / %x23-5B / %x5D-7E', () => {
    const body = new OAuthError('invalid_request', 'bad "value" \\ with ünïcode\nand a newline').toJSON();
    expect(body.error).toBe('invalid_request');
    expect(body.error_description).toMatch(/^[\x20-\x21\x23-\x5B\x5D-\x7E]*$/);
    expect(body.error_description).toContain('bad');
  });

  it('MUST answer 400 for the §5.2 codes except invalid_client, which is 401', () => {
    for (const code of ['invalid_request', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope'] as const) {
      expect(new OAuthError(code, 'x').status, code).toBe(400);
    }
    expect(new OAuthError('invalid_client', 'x').status).toBe(401);
  });

  it('MUST turn an unexpected failure into server_error without its message (§4.1.2.1)', () => {
    const error = OAuthError.from(new Error('connection to db.internal:5432 refused'));
    expect(error.code).toBe('server_error');
    expect(JSON.stringify(error.toJSON())).not.toContain('db.internal');
  });
});
