import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuthError } from '../../src/errors/oauth-error.js';
import {
  checkClientMayUseCode, checkRedirectUri, checkResponseMode, checkResponseType, findClient, pageLocale,
  responseTarget,
} from '../../src/rfc6749-oauth2/authorization-request.js';
import { authorizationRequestSchema, type AuthorizationRequestParams } from '../../src/rfc6749-oauth2/authorization-request.schema.js';
import { validateParams, type Params } from '../../src/schema/validator.js';
import type { ClientRecord } from '../../src/storage/stores.js';
import { backendName, createTestContextWithClient, type TestContext } from '../support/test-context.js';
import { REDIRECT_URI, registerClient } from '../support/browser-flow.js';

function codeOf(work: () => unknown): string | undefined {
  try {
    work();
  } catch (error) {
    return (error as OAuthError).code;
  }
  return undefined;
}

describe(`RFC 6749 §4.1.1 authorization request checks (${backendName})`, () => {
  let ctx: TestContext;
  let client: ClientRecord;

  beforeAll(async () => {
    ({ ctx, client } = await createTestContextWithClient());
  });
  afterAll(() => ctx.close());

  describe('client_id and redirect_uri (errors shown on a page)', () => {
    it('MUST find a registered client and reject unknown, missing and repeated client_id', async () => {
      expect((await findClient(ctx, { client_id: client.clientId })).clientId).toBe(client.clientId);
      for (const params of [{ client_id: 'nobody' }, {}, { client_id: [client.clientId, client.clientId] }] as Params[]) {
        await expect(findClient(ctx, params)).rejects.toThrow(/invalid client/);
      }
    });

    it('MUST return the redirect_uri exactly as sent when registered', () => {
      expect(checkRedirectUri(client, { redirect_uri: REDIRECT_URI })).toBe(REDIRECT_URI);
    });

    it('MUST reject a missing, repeated or unregistered redirect_uri with "invalid redirect_uri"', () => {
      for (const params of [{}, { redirect_uri: [REDIRECT_URI, REDIRECT_URI] }, { redirect_uri: `${REDIRECT_URI}/x` }] as Params[]) {
        expect(() => checkRedirectUri(client, params)).toThrow(/invalid redirect_uri/);
      }
    });

    it('MUST NOT echo a state that would fail validation, and picks the response mode', () => {
      expect(responseTarget({ state: 'abc' }, REDIRECT_URI, client)).toEqual({ clientId: client.clientId, redirectUri: REDIRECT_URI, responseMode: 'query', state: 'abc' });
      expect(responseTarget({ state: ['a', 'b'], response_mode: 'form_post' }, REDIRECT_URI, client)).toMatchObject({ state: null, responseMode: 'form_post' });
      expect(responseTarget({ state: 'x'.repeat(2049) }, REDIRECT_URI, client).state).toBeNull();
    });

    it('carries the JARM signing alg for a JWT response mode, so the response needs no second read of the client', () => {
      const jarm = { ...client, metadata: { ...client.metadata, authorization_signed_response_alg: 'PS256' } };
      expect(responseTarget({ response_mode: 'jwt' }, REDIRECT_URI, jarm)).toMatchObject({ responseMode: 'query.jwt', signingAlg: 'PS256' });
      expect(responseTarget({ response_mode: 'form_post.jwt' }, REDIRECT_URI, client)).toMatchObject({ responseMode: 'form_post.jwt', signingAlg: 'RS256' });
      expect(responseTarget({ response_mode: 'query' }, REDIRECT_URI, jarm)).not.toHaveProperty('signingAlg');
    });
  });

  describe('syntax (schema)', () => {
    const base = { client_id: 'c', redirect_uri: REDIRECT_URI };
    it('MUST strip unrecognised parameters (RFC 6749 §3.1: ignored)', () => {
      const params = validateParams<AuthorizationRequestParams>(authorizationRequestSchema, { ...base, display: 'popup', extra: ['a', 'b'] });
      expect(params).toEqual(base);
    });

    it('MUST reject a repeated parameter with invalid_request', () => {
      expect(() => validateParams(authorizationRequestSchema, { ...base, state: ['a', 'b'] })).toThrow(/more than once/);
    });

    it('MUST bound the length of state', () => {
      expect(() => validateParams(authorizationRequestSchema, { ...base, state: 's'.repeat(2048) })).not.toThrow();
      expect(() => validateParams(authorizationRequestSchema, { ...base, state: 's'.repeat(2049) })).toThrow(/too long/);
    });
  });

  describe('response_type and response_mode', () => {
    it('MUST require response_type and accept only code', () => {
      expect(codeOf(() => checkResponseType({} as AuthorizationRequestParams))).toBe('invalid_request');
      expect(codeOf(() => checkResponseType({ response_type: 'code' } as AuthorizationRequestParams))).toBeUndefined();
      for (const type of ['token', 'id_token', 'code id_token', 'code token', 'code id_token token']) {
        expect(codeOf(() => checkResponseType({ response_type: type } as AuthorizationRequestParams))).toBe('unsupported_response_type');
      }
    });

    it('MUST accept query and form_post and refuse fragment', () => {
      expect(checkResponseMode({} as AuthorizationRequestParams)).toBe('query');
      expect(checkResponseMode({ response_mode: 'form_post' } as AuthorizationRequestParams)).toBe('form_post');
      expect(codeOf(() => checkResponseMode({ response_mode: 'fragment' } as AuthorizationRequestParams))).toBe('invalid_request');
      // JARM's jwt modes are accepted (test/jarm/response-modes.test.ts); an unknown mode is not.
      expect(codeOf(() => checkResponseMode({ response_mode: 'web_message' } as AuthorizationRequestParams))).toBe('invalid_request');
    });

    it('MUST refuse a client without the code flow with unauthorized_client', async () => {
      const machine = await registerClient(ctx, { grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' });
      expect(codeOf(() => checkClientMayUseCode(machine))).toBe('unauthorized_client');
      expect(codeOf(() => checkClientMayUseCode(client))).toBeUndefined();
    });

  });

  it('MAY take the page language from ui_locales, ignoring malformed tags', () => {
    expect(pageLocale('fr-CA en')).toBe('fr-CA');
    expect(pageLocale('"><x de')).toBe('de');
    expect(pageLocale(undefined)).toBeNull();
  });
});
