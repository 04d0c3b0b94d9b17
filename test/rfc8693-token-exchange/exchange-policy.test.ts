import { describe, expect, it } from 'vitest';
import { TOKEN_EXCHANGE_GRANT_TYPE, validateClientMetadata } from '../../src/clients/client-metadata.js';
import { checkActorAllowed, checkSubjectAllowed, exchangePolicyOf, validateExchangePolicy } from '../../src/rfc8693-token-exchange/exchange-policy.js';
import { TOKEN_TYPES } from '../../src/rfc8693-token-exchange/token-types.js';
import type { ClientRecord } from '../../src/storage/stores.js';

const metadata = { grant_types: [TOKEN_EXCHANGE_GRANT_TYPE], token_endpoint_auth_method: 'client_secret_basic' as const };
const minimal = { subject_token_types: [TOKEN_TYPES.access_token], audiences: ['https://api.example/'], impersonation: true, delegation: false };
const client = (policy?: unknown) => ({ clientId: 'me', metadata: { ...metadata, token_exchange: policy } }) as unknown as ClientRecord;
const mine = { type: TOKEN_TYPES.access_token, self: true, issuer: 'https://as.example', clientId: 'me' } as const;

describe('RFC 8693 §5 exchange policy (deny by default)', () => {
  it('fills in the defaults: self issuers, own client only, actor types as subject types', () => {
    expect(validateExchangePolicy(minimal, metadata)).toEqual({ ...minimal, subject_issuers: ['self'], subject_clients: [], actor_token_types: [TOKEN_TYPES.access_token], actor_issuers: ['self'] });
  });

  it.each([
    [[], 'must be an object'],
    [{ ...minimal, extra: 1 }, 'unknown member extra'],
    [{ ...minimal, subject_token_types: ['urn:ietf:params:oauth:token-type:saml2'] }, 'not a supported token type'],
    [{ ...minimal, audiences: [] }, 'audiences must not be empty'],
    [{ ...minimal, impersonation: false }, 'impersonation or delegation must be true'],
    [{ ...minimal, delegation: 'yes' }, 'delegation must be true or false'],
    [{ ...minimal, scopes: ['a b'] }, 'scope tokens'],
  ])('refuses %j with invalid_client_metadata', (value, message) => {
    expect(() => validateExchangePolicy(value, metadata)).toThrow(message);
  });

  it('needs the grant type and a confidential client, and is kept by client metadata validation', () => {
    expect(() => validateExchangePolicy(minimal, { ...metadata, grant_types: ['client_credentials'] })).toThrow('needs the grant type');
    expect(() => validateExchangePolicy(minimal, { ...metadata, token_endpoint_auth_method: 'none' })).toThrow('public client');
    expect(validateClientMetadata({ grant_types: [TOKEN_EXCHANGE_GRANT_TYPE], token_exchange: minimal }, { production: false }).token_exchange).toMatchObject(minimal);
  });

  it('refuses, when the client is saved, an issuer that is neither self nor trusted by the server', () => {
    const trusted = [{ issuer: 'https://idp.partner.example' }];
    const external = { ...minimal, subject_issuers: ['self', 'https://idp.partner.example'] };
    expect(validateExchangePolicy(external, metadata, trusted)?.subject_issuers).toEqual(['self', 'https://idp.partner.example']);
    expect(() => validateExchangePolicy({ ...minimal, subject_issuers: ['https://unknown.example'] }, metadata, trusted)).toThrow('subject_issuers: https://unknown.example is neither "self" nor in TOKEN_EXCHANGE_TRUSTED_ISSUERS');
    expect(() => validateExchangePolicy({ ...minimal, delegation: true, actor_issuers: ['https://unknown.example'] }, metadata, [])).toThrow('actor_issuers: https://unknown.example');
    expect(() => validateClientMetadata({ grant_types: [TOKEN_EXCHANGE_GRANT_TYPE], token_exchange: external }, { production: false, tokenExchangeTrustedIssuers: [] })).toThrow('neither "self" nor');
  });

  it('a client without a policy is unauthorized_client', () => {
    expect(() => exchangePolicyOf(client())).toThrow(expect.objectContaining({ code: 'unauthorized_client' }));
  });

  it('accepts the client\'s own tokens and those of listed clients; refuses other clients, issuers and types', () => {
    const policy = validateExchangePolicy({ ...minimal, subject_clients: ['web'] }, metadata)!;
    expect(() => checkSubjectAllowed(policy, client(policy), mine)).not.toThrow();
    expect(() => checkSubjectAllowed(policy, client(policy), { ...mine, clientId: 'web' })).not.toThrow();
    expect(() => checkSubjectAllowed(policy, client(policy), { ...mine, clientId: 'other' })).toThrow('another client');
    expect(() => checkSubjectAllowed(policy, client(policy), { ...mine, self: false, issuer: 'https://idp.example' })).toThrow('issuer');
    expect(() => checkSubjectAllowed(policy, client(policy), { ...mine, type: TOKEN_TYPES.jwt })).toThrow('may not exchange');
  });

  it('delegation needs delegation: true and an actor token of the client itself', () => {
    const impersonationOnly = validateExchangePolicy(minimal, metadata)!;
    expect(() => checkActorAllowed(impersonationOnly, client(impersonationOnly), undefined)).not.toThrow();
    expect(() => checkActorAllowed(impersonationOnly, client(impersonationOnly), mine)).toThrow('impersonation only');
    const delegationOnly = validateExchangePolicy({ ...minimal, impersonation: false, delegation: true }, metadata)!;
    expect(() => checkActorAllowed(delegationOnly, client(delegationOnly), undefined)).toThrow('only with an actor_token');
    expect(() => checkActorAllowed(delegationOnly, client(delegationOnly), mine)).not.toThrow();
    expect(() => checkActorAllowed(delegationOnly, client(delegationOnly), { ...mine, clientId: 'other' })).toThrow('another client');
  });
});
