/**
 * The client credentials grant: a confidential client obtains an access token for itself. It still
 * gets a grant row (no user) so revoking everything of a client is one uniform statement.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.4.3 (no refresh token)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-3.3 (scope: see scope-policy.ts)
 * @spec https://www.rfc-editor.org/rfc/rfc8707#section-2.2 (resource: the token's audience)
 */
import { OAuthError } from '../errors/oauth-error.js';
import { grantResources } from '../rfc8707-resource-indicators/resource-policy.js';
import type { GrantModule } from '../server/grant-registry.js';
import type { GrantRecord } from '../storage/stores.js';
import { newId } from '../tokens/handles.js';
import { clientCredentialsSchema, type ClientCredentialsInput } from './client-credentials-grant.schema.js';
import { clientCredentialsScope } from './scope-policy.js';
import { issueTokenSet } from './token-response.js';
import { tokenLifetime } from '../clients/token-lifetimes.js';

export const clientCredentialsGrant: GrantModule<ClientCredentialsInput> = {
  grantType: 'client_credentials',
  schema: clientCredentialsSchema,

  async handle(ctx, input, client, request) {
    // RFC 6749 §4.4: only confidential clients; metadata validation forbids it too, this is the second line.
    if (client.metadata.token_endpoint_auth_method === 'none') {
      throw new OAuthError('unauthorized_client', 'a public client cannot use the client_credentials grant', { requirement: 'RFC6749-4.4-1' });
    }
    const scope = clientCredentialsScope(client, input.scope);
    const resource = grantResources(client, input.resource);
    const now = ctx.clock();
    const grant: GrantRecord = {
      id: newId(), clientId: client.clientId, userId: null, scope, claims: null, resource,
      authTime: null, acr: null, amr: null, sid: null,
      createdAt: now, expiresAt: now + tokenLifetime(ctx.config, client.metadata, 'access_token'), revokedAt: null, revokedReason: null,
    };
    // RFC 6749 §4.4.3: a refresh token SHOULD NOT be included; none is, and no ID token (no user).
    const tokens = await issueTokenSet(ctx, { grant, client, scope, dpopJkt: request.dpopJkt, certThumbprint: request.certThumbprint });
    return {
      body: tokens.body,
      userId: null,
      details: tokens.summary,
      newRows: { grants: [grant], ...tokens.rows },
    };
  },
};
