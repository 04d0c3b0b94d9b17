/**
 * Session-bound form tokens (CSRF for the logout and account forms): sealed, purpose-bound,
 * expiring, and accepted only from the session they were issued to.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFormSession, FORM_TOKEN_TTL, issueFormToken, openFormToken } from '../../src/ui/session-form-token.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

describe(`RFC 6749 §10.12 session-bound form tokens (${backendName})`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('round-trips the form state for the session it was issued to', () => {
    const token = issueFormToken(ctx, 'logout', 'sid-1', { postLogoutRedirectUri: 'https://rp.example/bye' });
    const opened = openFormToken<{ postLogoutRedirectUri: string }>(ctx, 'logout', token);
    expect(opened.data.postLogoutRedirectUri).toBe('https://rp.example/bye');
    expect(() => checkFormSession(opened, 'sid-1')).not.toThrow();
  });

  it('does not reveal its contents', () => {
    expect(issueFormToken(ctx, 'logout', 'sid-visible', { state: 'secret-state' })).not.toMatch(/sid-visible|secret-state/);
  });

  it('MUST reject a token issued to another session', () => {
    const opened = openFormToken(ctx, 'logout', issueFormToken(ctx, 'logout', 'sid-1', null));
    expect(() => checkFormSession(opened, 'sid-2')).toThrow(expect.objectContaining({ status: 403 }));
  });

  it('MUST reject a token made for another form', () => {
    const token = issueFormToken(ctx, 'consents', 'sid-1', null);
    expect(() => openFormToken(ctx, 'logout', token)).toThrow(expect.objectContaining({ code: 'invalid_request', status: 403 }));
  });

  it('MUST reject an expired token', () => {
    const token = issueFormToken(ctx, 'logout', 'sid-1', null);
    ctx.clock.advance(FORM_TOKEN_TTL);
    try {
      expect(() => openFormToken(ctx, 'logout', token)).toThrow(expect.objectContaining({ status: 403 }));
    } finally {
      ctx.clock.advance(-FORM_TOKEN_TTL);
    }
  });

  it('MUST reject tampered, foreign, missing and oversized tokens', async () => {
    const token = issueFormToken(ctx, 'logout', 'sid-1', null);
    const parts = token.split('.');
    const flipped = [...parts.slice(0, 3), (parts[3][0] === 'A' ? 'B' : 'A') + parts[3].slice(1)].join('.');
    const other = await createTestContext();
    try {
      const foreign = issueFormToken(other, 'logout', 'sid-1', null);
      for (const presented of [flipped, foreign, undefined, '', ['a', 'b'], 'x'.repeat(20_000)]) {
        expect(() => openFormToken(ctx, 'logout', presented)).toThrow(expect.objectContaining({ status: 403 }));
      }
    } finally {
      await other.close();
    }
  });
});
