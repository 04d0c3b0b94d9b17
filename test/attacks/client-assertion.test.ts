/**
 * Attack family: forged, confused and replayed JWT client assertions (RFC 7523 §3, RFC 9700 §2.5).
 * Each row is a published JWT library or OAuth server flaw; each must end in RFC 6749 §5.2
 * invalid_client (401) with nothing issued.
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/clients/client-service.js';
import { backendName } from '../support/test-context.js';
import { attackRig, basic, expectJsonError, SECRET, type AttackRig } from './attack-rig.js';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe(`attack suite: JWT client assertions (${backendName})`, () => {
  let rig: AttackRig;
  let rsa: CryptoKeyPair;
  let ec: CryptoKeyPair;
  let attacker: CryptoKeyPair;
  let rsaPublicJwk: JWK;

  beforeAll(async () => {
    rig = await attackRig();
    rsa = await generateKeyPair('RS256', { extractable: true });
    ec = await generateKeyPair('ES256', { extractable: true });
    attacker = await generateKeyPair('RS256', { extractable: true });
    rsaPublicJwk = { ...(await exportJWK(rsa.publicKey)), kid: 'pk1', alg: 'RS256' };
    const service = { grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt' };
    await createClient(rig.ctx, { client_id: 'pk', ...service, jwks: { keys: [rsaPublicJwk] } });
    await createClient(rig.ctx, { client_id: 'es', ...service, jwks: { keys: [{ ...(await exportJWK(ec.publicKey)), kid: 'es1', alg: 'ES256' }] } });
    await createClient(rig.ctx, { client_id: 'hs', client_secret: SECRET, grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_jwt' });
  });
  afterAll(() => rig.close());

  const claims = (clientId: string, extra: Record<string, unknown> = {}) => ({ iss: clientId, sub: clientId, aud: rig.issuer, jti: randomUUID(), ...extra });
  const sign = (payload: Record<string, unknown>, key: CryptoKey | Uint8Array, header: Record<string, unknown> = { alg: 'RS256' }) =>
    new SignJWT(payload).setProtectedHeader(header as { alg: string }).setIssuedAt().setExpirationTime('2m').sign(key);
  const present = (assertion: string, headers: Record<string, string> = {}, extra: Record<string, string> = {}) =>
    rig.post('/token', { grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: assertion, ...extra }, headers);
  const refused = (assertion: string | Promise<string>, headers: Record<string, string> = {}, extra: Record<string, string> = {}) =>
    expectJsonError(rig, async () => present(await assertion, headers, extra), 401, 'invalid_client');

  // CVE-2022-23540 (jsonwebtoken) and the original 2015 "alg: none" advisories: an unsigned token.
  it('MUST refuse an unsigned assertion (alg none)', () => {
    const now = Math.floor(Date.now() / 1000);
    return refused(`${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims('pk'), iat: now, exp: now + 60 })}.`);
  });

  // CVE-2015-9235 (jsonwebtoken): HS256 "signed" with the client's public key as the HMAC secret.
  it('MUST refuse an HS256 assertion keyed with the client\'s RSA public key (PEM)', async () => {
    const pem = await exportSPKI(rsa.publicKey);
    return refused(sign(claims('pk'), new TextEncoder().encode(pem), { alg: 'HS256' }));
  });
  it('MUST refuse an HS256 assertion keyed with the client\'s public JWK as JSON', () =>
    refused(sign(claims('pk'), new TextEncoder().encode(JSON.stringify(rsaPublicJwk)), { alg: 'HS256' })));

  // The reverse confusion: an asymmetric assertion for a client_secret_jwt client.
  it('MUST refuse an RS256 assertion for a client that authenticates with client_secret_jwt', () =>
    refused(sign(claims('hs'), attacker.privateKey)));

  // CVE-2018-0114 (node-jose): the verification key taken from the token's own "jwk" header.
  it('MUST refuse an assertion that carries its own verification key in the jwk header', async () => {
    const jwk = await exportJWK(attacker.publicKey);
    return refused(sign(claims('pk'), attacker.privateKey, { alg: 'RS256', jwk }));
  });
  // RFC 7515 §4.1.2 jku / §4.1.5 x5u: a header pointing at the attacker's key set is not a registration.
  it('MUST refuse an assertion whose jku header points at the attacker\'s key set', () =>
    refused(sign(claims('pk'), attacker.privateKey, { alg: 'RS256', kid: 'pk1', jku: 'https://attacker.example/jwks.json' })));

  // Client impersonation: iss/sub name the victim client, the signature is the attacker's own key.
  it('MUST refuse an assertion for another client signed with the attacker\'s key and its kid', () =>
    refused(sign(claims('pk'), attacker.privateKey, { alg: 'RS256', kid: 'pk1' })));

  // CVE-2022-21449 ("psychic signatures", Java ECDSA): r = s = 0 verifies anything on a broken verifier.
  it('MUST refuse an ES256 assertion with an all-zero signature', () => {
    const now = Math.floor(Date.now() / 1000);
    const signingInput = `${b64({ alg: 'ES256', kid: 'es1' })}.${b64({ ...claims('es'), iat: now, exp: now + 60 })}`;
    return refused(`${signingInput}.${Buffer.alloc(64).toString('base64url')}`);
  });

  // Ory Hydra CVE-2020-5300 / fosite CVE-2020-15222: jti not checked, so a captured assertion replays.
  it('MUST accept an assertion once and refuse its replay', async () => {
    const assertion = await sign(claims('pk'), rsa.privateKey, { alg: 'RS256', kid: 'pk1' });
    expect((await present(assertion)).status).toBe(200);
    await refused(assertion);
  });

  // RFC 7523 §3 item 3: an assertion minted for another authorization server is not for us.
  it('MUST refuse an assertion whose aud is another server', () =>
    refused(sign(claims('pk', { aud: 'https://other-as.example' }), rsa.privateKey, { alg: 'RS256', kid: 'pk1' })));
  // RFC 7523 §3 item 4: expired.
  it('MUST refuse an expired assertion', () =>
    refused(new SignJWT(claims('pk')).setProtectedHeader({ alg: 'RS256', kid: 'pk1' }).setIssuedAt(Math.floor(Date.now() / 1000) - 600).setExpirationTime(Math.floor(Date.now() / 1000) - 300).sign(rsa.privateKey)));
  // RFC 7523 §3 item 7 (replay window): a year-long assertion defeats jti bookkeeping.
  it('MUST refuse an assertion that lives for a year', () =>
    refused(new SignJWT(claims('pk')).setProtectedHeader({ alg: 'RS256', kid: 'pk1' }).setIssuedAt().setExpirationTime('365d').sign(rsa.privateKey)));
  // RFC 7523 §3 items 1-2: iss and sub must both be the client; a mismatch is a confused deputy.
  it('MUST refuse an assertion whose iss and sub name different clients', () =>
    refused(sign(claims('pk', { iss: 'es' }), rsa.privateKey, { alg: 'RS256', kid: 'pk1' })));
  // RFC 7521 §4.2: a client_id parameter that names another client than the assertion.
  it('MUST refuse a client_id parameter that contradicts the assertion', () =>
    refused(sign(claims('pk'), rsa.privateKey, { alg: 'RS256', kid: 'pk1' }), {}, { client_id: 'es' }));
  // RFC 7523 §2.2: only the jwt-bearer assertion type exists here.
  it('MUST refuse an unknown client_assertion_type', () =>
    expectJsonError(rig, async () => rig.post('/token', { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer', client_assertion: await sign(claims('pk'), rsa.privateKey, { alg: 'RS256', kid: 'pk1' }) }), 401, 'invalid_client'));

  // RFC 6749 §2.3: more than one authentication method in one request (which one wins?) is refused.
  it('MUST refuse an assertion sent together with Basic credentials', async () => {
    const assertion = await sign(claims('pk'), rsa.privateKey, { alg: 'RS256', kid: 'pk1' });
    await expectJsonError(rig, () => present(assertion, { authorization: basic('web') }), 400, 'invalid_request');
  });
});
