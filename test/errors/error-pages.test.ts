/**
 * The pages error_uri points to: an error code's page, a requirement's page rendered from spec/
 * (text, level, a link to the spec section) with the causes, fixes and library notes of
 * spec/explanations/errors.json; 404 for anything unknown; public, cacheable and script-free.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (error_uri: a human-readable page)
 */
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_TABLE } from '../../src/errors/oauth-error.js';
import { errorExplanations, requirementCatalogue, sectionUrl } from '../../src/errors/requirement-catalogue.js';
import { createTestContextWithApp, type TestContext } from '../support/test-context.js';

describe('error pages (src/errors/error-pages.ts)', () => {
  let ctx: TestContext;
  let app: Express;
  beforeAll(async () => {
    ({ ctx, app } = await createTestContextWithApp());
  });
  afterAll(() => ctx.close());

  it('MUST explain an error code with its defining section and usual causes', async () => {
    const response = await request(app).get('/errors/invalid_grant');
    expect(response.status).toBe(200);
    expect(response.text).toContain('<h1 id="error-code">invalid_grant</h1>');
    expect(response.text).toContain('href="https://www.rfc-editor.org/rfc/rfc6749#section-5.2"');
    expect(response.text).toContain('<ul id="causes">');
    expect(response.text).toContain('<ul id="fixes">');
  });

  it('MUST list every error code at /errors, linking to its page', async () => {
    const response = await request(app).get('/errors');
    expect(response.status).toBe(200);
    for (const code of Object.keys(ERROR_TABLE)) expect(response.text).toContain(`<a href="/errors/${code}">${code}</a>`);
  });

  it('MUST explain every error code Castellan sends', () => {
    const explained = errorExplanations().codes;
    expect(Object.keys(ERROR_TABLE).filter((code) => !explained[code]?.summary || !explained[code]?.causes?.length)).toEqual([]);
  });

  it('MUST explain a requirement with its text, level and a link to the section of its spec', async () => {
    const response = await request(app).get('/errors/invalid_grant/RFC7636-4.6-1');
    expect(response.status).toBe(200);
    expect(response.text).toContain('<p id="requirement-text">The server derives the challenge from the verifier and compares; on mismatch no token is issued (invalid_grant).</p>');
    expect(response.text).toContain('<span id="requirement-id">RFC7636-4.6-1</span>, MUST');
    expect(response.text).toContain('href="https://www.rfc-editor.org/rfc/rfc7636#section-4.6"');
    expect(response.text).toContain('Keep the verifier per authorization request');
    expect(sectionUrl('https://openid.net/specs/openid-connect-core-1_0.html', '3.1.2.1')).toBe('https://openid.net/specs/openid-connect-core-1_0.html#rfc.section.3.1.2.1');
  });

  it('MUST name the client library defaults that lead to a wrong authentication method', async () => {
    const response = await request(app).get('/errors/invalid_client/RFC6749-2.3-2');
    expect(response.status).toBe(200);
    expect(response.text).toContain('<dl id="libraries">');
    for (const library of ['openid-client', 'oauth4webapi', 'Spring Security', 'AppAuth']) expect(response.text).toContain(`<dt>${library}</dt>`);
    expect(response.text).toMatch(/client_secret_post whenever a client secret is given/);
    expect(response.text).toMatch(/castellan clients add defaults to client_secret_basic/);
  });

  it('MUST only reference requirements and codes that exist in its explanations', () => {
    const { codes, requirements } = errorExplanations();
    expect(Object.keys(codes).filter((code) => !(code in ERROR_TABLE))).toEqual([]);
    expect(Object.keys(requirements).filter((id) => !requirementCatalogue().has(id))).toEqual([]);
  });

  it('MUST answer an unknown code or requirement with a 404 HTML page', async () => {
    for (const path of ['/errors/not_a_code', '/errors/not_a_code/RFC7636-4.6-1', '/errors/invalid_grant/RFC0000-1-1', '/errors/<script>/x']) {
      const response = await request(app).get(path);
      expect(response.status, path).toBe(404);
      expect(response.headers['content-type']).toMatch(/text\/html/);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.text).not.toContain('<script>');
      expect(response.text).toContain('href="/errors/invalid_client"');
    }
  });

  it('MUST be public and cacheable, and carry no inline script', async () => {
    const response = await request(app).get('/errors/invalid_client/RFC6749-2.3-2');
    expect(response.headers['cache-control']).toBe('public, max-age=3600');
    expect(response.headers['content-security-policy']).toMatch(/script-src 'self'|default-src 'self'|script-src/);
    expect(response.text).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=/i);
  });
});
