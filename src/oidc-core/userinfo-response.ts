/**
 * The UserInfo answer: plain JSON by default, or a JWS (application/jwt) for a client that
 * registered userinfo_signed_response_alg, signed with the server's active key of that alg.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#UserInfoResponse (§5.3.2)
 * @spec https://openid.net/specs/openid-connect-registration-1_0.html#ClientMetadata (userinfo_signed_response_alg)
 */
import type { Response } from 'express';
import type { JWTPayload } from 'jose';
import { sendJson } from '../http/respond.js';
import type { Context } from '../server/context.js';
import type { ClientRecord } from '../storage/stores.js';
import { isSupportedAlg, type Alg } from '../tokens/keystore.js';

export const USERINFO_JWT_MEDIA_TYPE = 'application/jwt';

/** The alg the client registered for signed UserInfo, or undefined for plain JSON. */
export function userinfoAlg(client: ClientRecord): Alg | undefined {
  const registered = client.metadata.userinfo_signed_response_alg;
  return isSupportedAlg(registered) ? registered : undefined;
}

/**
 * §5.3.2: a signed response SHOULD carry iss (the OP) and aud (the client); iat says when it was
 * made, for RPs that keep it. The claims' own names never collide: iss, aud and iat are not user claims.
 */
export function signedUserInfoClaims(ctx: Context, client: ClientRecord, claims: Record<string, unknown>): JWTPayload {
  return { ...claims, iss: ctx.config.issuer, aud: client.clientId, iat: ctx.clock() };
}

export async function sendUserInfo(ctx: Context, res: Response, client: ClientRecord, claims: Record<string, unknown>): Promise<void> {
  const alg = userinfoAlg(client);
  if (alg === undefined) {
    sendJson(res, 200, claims);
    return;
  }
  const jwt = await ctx.keystore.sign(signedUserInfoClaims(ctx, client, claims), { alg });
  res.set('Cache-Control', 'no-store').set('Pragma', 'no-cache').status(200).type(USERINFO_JWT_MEDIA_TYPE).send(jwt);
}
