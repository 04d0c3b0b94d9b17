/**
 * Fixtures for token exchange tests: the lifecycle rig's clients and user, exchanging clients with
 * their policies, an external issuer whose JWKS is served on loopback (allowed outside production),
 * and form posts of exchange requests.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { createClient } from '../../src/clients/client-service.js';
import { TOKEN_EXCHANGE_GRANT_TYPE } from '../../src/clients/client-metadata.js';
import { TOKEN_TYPES } from '../../src/rfc8693-token-exchange/token-types.js';
import { API, CALENDAR, JWT_API, lifecycleRig, type LifecycleRig } from './token-lifecycle-fixtures.js';
import { basic, postToken, SECRET } from './token-fixtures.js';

export const EXTERNAL_ISSUER = 'https://idp.partner.example';
export const UNTRUSTED_ISSUER = 'https://evil.example';
export const ORDERS = 'urn:example:orders';

/** A key pair and a JWKS endpoint on 127.0.0.1 serving its public half. */
export interface ExternalIssuer {
  jwksUri: string;
  sign(claims: JWTPayload, options?: { issuer?: string; key?: CryptoKey }): Promise<string>;
  /** A key the JWKS does not publish. */
  strangerKey: CryptoKey;
  close(): Promise<void>;
  fetches: number;
}

export async function externalIssuer(): Promise<ExternalIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const stranger = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'partner-1', alg: 'ES256', use: 'sig' };
  const state = { fetches: 0 };
  const server: Server = createServer((req, res) => {
    state.fetches += 1;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    jwksUri: `http://127.0.0.1:${port}/jwks`,
    strangerKey: stranger.privateKey,
    get fetches() {
      return state.fetches;
    },
    async sign(claims, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iat: now, exp: now + 600, ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: 'partner-1', typ: 'JWT' })
        .setIssuer(options.issuer ?? EXTERNAL_ISSUER)
        .sign(options.key ?? privateKey);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface ExchangeRig extends LifecycleRig {
  idp: ExternalIssuer;
  exchange(form: Record<string, string | string[] | undefined>, clientId?: string): ReturnType<typeof postToken>;
}

const ALL_TYPES = Object.values(TOKEN_TYPES);

/** Exchange policies of the rig's clients. */
export async function exchangeRig(): Promise<ExchangeRig> {
  const idp = await externalIssuer();
  const rig = await lifecycleRig({ tokenExchangeTrustedIssuers: [{ issuer: EXTERNAL_ISSUER, jwks_uri: idp.jwksUri }], outboundAllowPrivateNetworks: true });
  const { ctx } = rig;
  const exchanger = (clientId: string, policy: Record<string, unknown>, extra: Record<string, unknown> = {}) => createClient(ctx, {
    client_id: clientId, client_secret: SECRET, grant_types: [TOKEN_EXCHANGE_GRANT_TYPE, 'client_credentials'], token_exchange: policy, ...extra,
  });
  // Exchanges the web client's user tokens and external ones, for several services, either way.
  await exchanger('gateway', {
    subject_token_types: ALL_TYPES, subject_issuers: ['self', EXTERNAL_ISSUER], subject_clients: ['web', 'web-jwt'],
    audiences: [API, CALENDAR, JWT_API, ORDERS], impersonation: true, delegation: true, actor_issuers: ['self', EXTERNAL_ISSUER],
  });
  // Narrow: its own access tokens only, for the calendar, scope openid at most, impersonation only.
  await exchanger('narrow', { subject_token_types: [TOKEN_TYPES.access_token], audiences: [CALENDAR], scopes: ['openid'], impersonation: true, delegation: false });
  // Downstream of the gateway: exchanges the gateway's exchanged tokens, delegation only.
  await exchanger('downstream', { subject_token_types: [TOKEN_TYPES.access_token, TOKEN_TYPES.jwt], subject_clients: ['gateway'], audiences: [API, CALENDAR, ORDERS], impersonation: false, delegation: true });
  // Registered for the grant type, but with no policy: may not exchange at all.
  await createClient(ctx, { client_id: 'no-policy', client_secret: SECRET, grant_types: [TOKEN_EXCHANGE_GRANT_TYPE] });
  return {
    ...rig,
    idp,
    exchange: (form, clientId = 'gateway') => postToken(rig.app, { grant_type: TOKEN_EXCHANGE_GRANT_TYPE, ...form }, { authorization: basic(clientId, SECRET) }),
    async close() {
      await rig.close();
      await idp.close();
    },
  };
}

export const AT = TOKEN_TYPES.access_token;
export const RT = TOKEN_TYPES.refresh_token;
export const IDT = TOKEN_TYPES.id_token;
export const JWT = TOKEN_TYPES.jwt;
