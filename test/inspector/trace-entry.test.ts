/**
 * Building a trace from an observed exchange: which client it names, the requirement an error_uri
 * points to, what a redirect carried, and masking of every credential by name.
 */
import { describe, expect, it } from 'vitest';
import type { Response } from 'express';
import { formPostOf } from '../../src/inspector/trace-capture.js';
import { buildTrace, requirementOf } from '../../src/inspector/trace-entry.js';
import { formPostPage } from '../../src/rfc6749-oauth2/authorization-response.js';
import { decodeJwtParts, hintOf, MASKED, maskParams } from '../../src/inspector/secret-masking.js';

const jwt = (header: object, claims: object) => `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2lnbmF0dXJl`;

describe('trace entries', () => {
  it('reads the requirement from an error_uri ending /errors/<code>/<requirement>', () => {
    expect(requirementOf('https://id.example/errors/invalid_grant/RFC7636-4.6-1')).toBe('RFC7636-4.6-1');
    expect(requirementOf('https://id.example/docs')).toBeUndefined();
    const trace = buildTrace({ endpoint: 'token', method: 'POST', params: { client_id: 'app' }, status: 400, body: { error: 'invalid_grant', error_description: 'PKCE verifier mismatch', error_uri: 'http://localhost:3000/errors/invalid_grant/RFC7636-4.6-1' } }, 10, 1);
    expect(trace.error).toEqual({ code: 'invalid_grant', description: 'PKCE verifier mismatch', requirement: 'RFC7636-4.6-1', uri: 'http://localhost:3000/errors/invalid_grant/RFC7636-4.6-1' });
  });

  it('records the code of an authorization response redirect as a hint, and an error redirect\'s error', () => {
    const code = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5';
    const ok = buildTrace({ endpoint: 'authorization', method: 'GET', params: { client_id: 'app' }, status: 303, location: `https://app.example/cb?code=${code}&state=xyz&iss=http%3A%2F%2Flocalhost` }, 10, 1);
    expect(ok).toMatchObject({ redirect: 'https://app.example/cb', redirectParams: { code: MASKED, state: 'xyz' }, issued: [{ kind: 'code', format: 'opaque', hint: hintOf(code) }] });
    expect(JSON.stringify(ok)).not.toContain(code);
    const denied = buildTrace({ endpoint: 'authorization', method: 'GET', params: { client_id: 'app' }, status: 303, location: 'https://app.example/cb?error=access_denied&error_description=denied' }, 10, 1);
    expect(denied.error).toMatchObject({ code: 'access_denied', description: 'denied' });
  });

  it('names the client by client_id, the Basic user, a client assertion\'s sub, an id_token_hint\'s aud, or the registration answer', () => {
    const base = { endpoint: 'token', method: 'POST', status: 200 };
    expect(buildTrace({ ...base, params: {}, authorization: `Basic ${Buffer.from('my%20app:secret').toString('base64')}` }, 1, 1).clientId).toBe('my app');
    expect(buildTrace({ ...base, params: { client_assertion: jwt({ alg: 'RS256' }, { sub: 'jwt-client', iss: 'jwt-client' }) } }, 1, 1).clientId).toBe('jwt-client');
    expect(buildTrace({ ...base, endpoint: 'end_session', params: { id_token_hint: jwt({ alg: 'RS256' }, { aud: 'rp' }) } }, 1, 1).clientId).toBe('rp');
    expect(buildTrace({ ...base, endpoint: 'registration', params: { redirect_uris: ['https://a'] }, status: 201, body: { client_id: 'new', client_secret: 'very-secret-value', registration_access_token: 'rat-value' } }, 1, 1)).toMatchObject({
      clientId: 'new', issued: [{ kind: 'registration_access_token', format: 'opaque' }, { kind: 'client_secret', format: 'opaque' }],
    });
    expect(buildTrace({ ...base, params: {} }, 1, 1).clientId).toBe('');
  });

  it('masks every credential parameter and keeps a JWT\'s header and claims but never its signature', () => {
    const assertion = jwt({ alg: 'RS256', kid: 'k1' }, { iss: 'c', sub: 'c', aud: 'https://id.example/token' });
    const { params, masked } = maskParams({ client_assertion: assertion, password: 'hunter2', subject_token: 'st', actor_token: 'at', code_verifier: 'v', scope: 'openid' });
    expect(params).toEqual({ client_assertion: MASKED, password: MASKED, subject_token: MASKED, actor_token: MASKED, code_verifier: MASKED, scope: 'openid' });
    expect(masked.password).toEqual({ length: 7 });
    expect(masked.client_assertion.jwt).toEqual(decodeJwtParts(assertion));
    expect(JSON.stringify(masked)).not.toContain('c2lnbmF0dXJl');
  });

  it('masks the Authorization and DPoP headers', () => {
    const proof = jwt({ typ: 'dpop+jwt', alg: 'ES256' }, { htm: 'POST', htu: 'https://id.example/token', jti: 'j' });
    const trace = buildTrace({ endpoint: 'userinfo', method: 'GET', params: {}, status: 200, authorization: 'DPoP opaque-token-value', dpop: proof }, 1, 1);
    expect(trace.masked.Authorization).toEqual({ length: 23, scheme: 'DPoP', hint: hintOf('opaque-token-value') });
    expect(trace.masked.DPoP.jwt?.claims).toMatchObject({ htm: 'POST' });
    expect(JSON.stringify(trace)).not.toContain('opaque-token-value');
  });

  it('reads a form_post authorization response like a redirect: the code as a hint, state and iss as sent', () => {
    const code = 'Y29kZS12YWx1ZS1mb3ItZm9ybS1wb3N0LXJlc3BvbnNlcw';
    const html = formPostPage('https://app.example/cb?x=1&y=2', [['code', code], ['state', 'a"b<c'], ['iss', 'http://localhost:3000']]);
    const res = { getHeader: (name: string) => (name === 'content-type' ? 'text/html; charset=utf-8' : undefined) } as unknown as Response;
    const formPost = formPostOf(res, html);
    expect(formPost).toEqual({ action: 'https://app.example/cb?x=1&y=2', fields: { code, state: 'a"b<c', iss: 'http://localhost:3000' } });
    const trace = buildTrace({ endpoint: 'authorization', method: 'GET', params: { client_id: 'app' }, status: 200, formPost }, 1, 1);
    expect(trace).toMatchObject({ redirect: 'https://app.example/cb', redirectParams: { code: MASKED, state: 'a"b<c' }, issued: [{ kind: 'code', hint: hintOf(code) }] });
    expect(JSON.stringify(trace)).not.toContain(code);
  });
});
