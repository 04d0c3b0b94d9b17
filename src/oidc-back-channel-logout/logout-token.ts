/**
 * Mints the Logout Token posted to a client's backchannel_logout_uri: a signed JWT naming the ended
 * session (sid) and the user (sub), typed logout+jwt so it can never pass as an ID token.
 * @spec https://openid.net/specs/openid-connect-backchannel-1_0.html#LogoutToken
 * @spec https://openid.net/specs/openid-connect-backchannel-1_0.html#Security (short expiry, explicit typing)
 */
import type { JWTPayload } from 'jose';
import { idTokenAlg } from '../oidc-core/id-token.js';
import type { Context } from '../server/context.js';
import type { ClientRecord } from '../storage/stores.js';
import { newId } from '../tokens/handles.js';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** Explicit type of the JWT (header typ); registered as application/logout+jwt. */
export const LOGOUT_TOKEN_TYPE = 'logout+jwt';
/** Seconds a logout token is valid; the spec suggests at most two minutes against replay. */
export const LOGOUT_TOKEN_TTL = 120;

export interface LogoutSubject {
  /** The user's subject identifier, as in the ID tokens the client received. */
  sub: string;
  /** The ended session's sid, as in those ID tokens; null when the logout is not tied to a session. */
  sid: string | null;
}

/** The claims set; throws when the client requires a sid and none is known. */
export function logoutTokenClaims(ctx: Context, client: ClientRecord, subject: LogoutSubject): JWTPayload {
  // §2.4: a logout token carries sub, sid or both; the client may demand sid (backchannel_logout_session_required).
  if (client.metadata.backchannel_logout_session_required === true && !subject.sid) {
    throw new Error('the client requires a sid in logout tokens and this logout has none');
  }
  const now = ctx.clock();
  const claims: JWTPayload = {
    iss: ctx.config.issuer,
    sub: subject.sub,
    aud: client.clientId,
    iat: now,
    exp: now + LOGOUT_TOKEN_TTL,
    jti: newId(),
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
  };
  if (subject.sid) claims.sid = subject.sid;
  // §2.4: a logout token MUST NOT contain a nonce (so it cannot be replayed as an ID token): none is set.
  return claims;
}

/** Signs with the alg the client verifies ID tokens with, since it checks both with our JWKS. */
export async function mintLogoutToken(ctx: Context, client: ClientRecord, subject: LogoutSubject): Promise<string> {
  return ctx.keystore.sign(logoutTokenClaims(ctx, client, subject), { alg: idTokenAlg(ctx, client), typ: LOGOUT_TOKEN_TYPE });
}
