/**
 * `castellan clients add|list|show|remove`: manage registered clients. The secret is printed once,
 * at creation; only its SHA-256 is stored. Removing a client revokes every grant it holds.
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-2 (client metadata)
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-3.2.1 (client information response)
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-5 (the token exchange policy: --exchange-* options)
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { AUTH_METHODS, GRANT_TYPES } from '../clients/client-metadata.js';
import { createClient, deleteClient, newClientId } from '../clients/client-service.js';
import { effectiveLifetime, LIFETIME_METADATA, type EffectiveLifetime, type LifetimeKind } from '../clients/token-lifetimes.js';
import type { Config } from '../config/config.js';
import { parseDuration } from '../config/duration.js';
import { POLICY_METADATA } from '../rfc8693-token-exchange/exchange-policy.js';
import { REGISTRABLE_REQUEST_OBJECT_ALGS } from '../rfc9101-jar/request-object-metadata.js';
import { tokenTypeFromName } from '../rfc8693-token-exchange/token-types.js';
import type { ClientRecord } from '../storage/stores.js';
import { jwksFromCertificateFile } from '../rfc8705-mtls/certificate-metadata.js';
import { SUPPORTED_ALGS } from '../tokens/keystore.js';
import { isoTime } from '../server/context.js';
import { CliError, collect, printFields, printJson, printTable, readJsonFile, withContext, type CliIo } from './output.js';

interface AddOptions {
  metadata?: string;
  resourceServer?: true | string[];
  name?: string;
  redirectUri?: string[];
  postLogoutRedirectUri?: string[];
  grantType?: string[];
  authMethod?: string;
  applicationType?: string;
  scope?: string;
  public?: boolean;
  requirePkce: boolean;
  accessTokenFormat?: string;
  dpopBoundAccessTokens?: boolean;
  profile?: string;
  tlsSubjectDn?: string;
  tlsSanDns?: string;
  tlsSanUri?: string;
  tlsSanIp?: string;
  tlsSanEmail?: string;
  tlsCertificate?: string;
  tlsBoundAccessTokens?: boolean;
  requirePar?: boolean;
  requireSignedRequestObject?: boolean;
  requestObjectSigningAlg?: string;
  requestUri?: string[];
  accessTokenLifetime?: number;
  refreshTokenLifetime?: number;
  idTokenLifetime?: number;
  authorizationCodeLifetime?: number;
  refreshReuseGrace?: number;
  idTokenAlg?: string;
  userinfoAlg?: string;
  authorizationResponseAlg?: string;
  jwks?: string;
  clientId?: string;
  clientSecret?: string;
  json?: boolean;
  exchangeSubjectType?: string[];
  exchangeSubjectIssuer?: string[];
  exchangeSubjectClient?: string[];
  exchangeAudience?: string[];
  exchangeScope?: string[];
  exchangeImpersonation?: boolean;
  exchangeDelegation?: boolean;
  exchangeActorType?: string[];
  exchangeActorIssuer?: string[];
}

/** The token exchange policy from --exchange-* options on top of the metadata file's; undefined when neither gives one. */
function exchangePolicyInput(options: AddOptions, fromFile: unknown): Record<string, unknown> | undefined {
  const given = {
    subject_token_types: options.exchangeSubjectType, subject_issuers: options.exchangeSubjectIssuer, subject_clients: options.exchangeSubjectClient,
    audiences: options.exchangeAudience, scopes: options.exchangeScope, impersonation: options.exchangeImpersonation, delegation: options.exchangeDelegation,
    actor_token_types: options.exchangeActorType, actor_issuers: options.exchangeActorIssuer,
  };
  const set = Object.entries(given).filter(([, value]) => value !== undefined);
  if (set.length === 0) return undefined;
  const base = typeof fromFile === 'object' && fromFile !== null ? (fromFile as Record<string, unknown>) : {};
  // An operator who sets a policy on the command line states both modes; an unstated one is off.
  return { impersonation: false, delegation: false, ...base, ...Object.fromEntries(set) };
}

/** Commander parser for a repeatable token type: a short name (access_token, jwt, ...) or its URN. */
const collectTokenType = (value: string, previous: string[] = []) => {
  const type = tokenTypeFromName(value);
  if (!type) throw new InvalidArgumentError('Allowed token types are access_token, refresh_token, id_token and jwt (or their URNs).');
  return [...previous, type];
};

const LIFETIME_SOURCES: Record<EffectiveLifetime['source'], string> = { client: 'this client', server: 'server default', capped: 'capped by the server maximum' };

/** What each of the client's tokens lives, and why: its own value, the server's default, or the server's cap. */
function lifetimesOf(config: Config, client: ClientRecord): Record<LifetimeKind, EffectiveLifetime> {
  const kinds = Object.keys(LIFETIME_METADATA) as LifetimeKind[];
  return Object.fromEntries(kinds.map((kind) => [kind, effectiveLifetime(config, client.metadata, kind)])) as Record<LifetimeKind, EffectiveLifetime>;
}

/** The public view of a client: RFC 7591 names, never the secret hash or sealed secret. */
export function clientView(record: ClientRecord): Record<string, unknown> {
  return { client_id: record.clientId, client_id_issued_at: record.createdAt, ...record.metadata };
}

/** Metadata from --metadata FILE, then each explicit option on top. */
function metadataInput(options: AddOptions, command: Command): Record<string, unknown> {
  const input = options.metadata ? readJsonFile(options.metadata, 'metadata file') : {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new CliError('the metadata file must hold a JSON object');
  const metadata = { ...(input as Record<string, unknown>) };
  if (options.public && options.authMethod && options.authMethod !== 'none') throw new CliError('--public conflicts with --auth-method ' + options.authMethod);
  const set = (name: string, value: unknown) => {
    if (value !== undefined) metadata[name] = value;
  };
  set('client_id', options.clientId);
  if (typeof metadata.client_id !== 'string' || metadata.client_id === '') metadata.client_id = newClientId();
  set('client_secret', options.clientSecret);
  set('client_name', options.name);
  set('redirect_uris', options.redirectUri);
  set('post_logout_redirect_uris', options.postLogoutRedirectUri);
  set('grant_types', options.grantType);
  set('token_endpoint_auth_method', options.public ? 'none' : options.authMethod);
  set('application_type', options.applicationType);
  set('scope', options.scope);
  set('access_token_format', options.accessTokenFormat);
  set('dpop_bound_access_tokens', options.dpopBoundAccessTokens);
  set('profile', options.profile);
  // RFC 8705: the certificate subject of tls_client_auth, the certificate itself for self_signed_tls_client_auth.
  set('tls_client_auth_subject_dn', options.tlsSubjectDn);
  set('tls_client_auth_san_dns', options.tlsSanDns);
  set('tls_client_auth_san_uri', options.tlsSanUri);
  set('tls_client_auth_san_ip', options.tlsSanIp);
  set('tls_client_auth_san_email', options.tlsSanEmail);
  set('tls_client_certificate_bound_access_tokens', options.tlsBoundAccessTokens);
  if (options.tlsCertificate) metadata.jwks = jwksFromCertificateFile(options.tlsCertificate);
  set(LIFETIME_METADATA.access_token, options.accessTokenLifetime);
  set(LIFETIME_METADATA.refresh_token, options.refreshTokenLifetime);
  set(LIFETIME_METADATA.id_token, options.idTokenLifetime);
  set(LIFETIME_METADATA.authorization_code, options.authorizationCodeLifetime);
  set('refresh_token_reuse_grace', options.refreshReuseGrace);
  set('id_token_signed_response_alg', options.idTokenAlg);
  set('userinfo_signed_response_alg', options.userinfoAlg);
  set('authorization_signed_response_alg', options.authorizationResponseAlg);
  if (options.jwks) metadata.jwks = readJsonFile(options.jwks, 'JWK Set file');
  // --no-require-pkce has an implicit default of true; only an explicit flag overrides the file.
  if (command.getOptionValueSource('requirePkce') === 'cli') metadata.require_pkce = options.requirePkce;
  set('require_pushed_authorization_requests', options.requirePar);
  set('require_signed_request_object', options.requireSignedRequestObject);
  set('request_object_signing_alg', options.requestObjectSigningAlg);
  set('request_uris', options.requestUri);
  set(POLICY_METADATA, exchangePolicyInput(options, metadata[POLICY_METADATA]));
  set('served_resources', options.resourceServer === true ? [] : options.resourceServer);
  return metadata;
}

/** Commander parser for a lifetime: an ISO 8601 duration (PT15M), stored as seconds. */
const lifetimeOption = (value: string) => {
  const seconds = parseDuration(value);
  if (seconds === undefined || seconds < 1) throw new InvalidArgumentError('Expected an ISO 8601 duration such as PT15M.');
  return seconds;
};

/** Commander parser for a repeatable option restricted to `choices`. */
const collectChoice = (choices: readonly string[]) => (value: string, previous: string[] = []) => {
  if (!choices.includes(value)) throw new InvalidArgumentError(`Allowed choices are ${choices.join(', ')}.`);
  return [...previous, value];
};

function registerAdd(clients: Command, io: CliIo): void {
  clients
    .command('add')
    .description('register a client (prints client_id and, once, the client secret)')
    .option('--metadata <file>', 'RFC 7591 client metadata JSON; options below override it')
    .option('--name <name>', 'client_name')
    .option('--redirect-uri <uri>', 'redirect URI (repeatable)', collect)
    .option('--post-logout-redirect-uri <uri>', 'post-logout redirect URI (repeatable)', collect)
    .option('--grant-type <type>', `grant type, repeatable: ${GRANT_TYPES.join(', ')} (default authorization_code)`, collectChoice(GRANT_TYPES))
    .addOption(new Option('--auth-method <method>', 'token_endpoint_auth_method (default client_secret_basic)').choices(AUTH_METHODS))
    .addOption(new Option('--application-type <type>', 'web (default) or native').choices(['web', 'native']))
    .option('--scope <scope>', 'space-separated scopes the client may request')
    .option('--public', 'public client: token_endpoint_auth_method none (PKCE always required)')
    .option('--no-require-pkce', 'let this confidential client omit PKCE')
    .addOption(new Option('--access-token-format <format>', 'opaque (default) or jwt (RFC 9068)').choices(['opaque', 'jwt']))
    .option('--dpop-bound-access-tokens', 'every token request must carry a DPoP proof (RFC 9449 §5.2)')
    .addOption(new Option('--profile <profile>', 'hold the client to a security profile: fapi2 (FAPI 2.0: private_key_jwt or mTLS, PAR, PKCE, bound tokens, 60 s codes)').choices(['fapi2']))
    .option('--tls-subject-dn <dn>', 'tls_client_auth: the certificate subject DN (RFC 4514), e.g. "CN=client,O=Example"')
    .option('--tls-san-dns <name>', 'tls_client_auth: a dNSName the certificate must carry')
    .option('--tls-san-uri <uri>', 'tls_client_auth: a URI subjectAltName the certificate must carry')
    .option('--tls-san-ip <ip>', 'tls_client_auth: an IP address subjectAltName the certificate must carry')
    .option('--tls-san-email <email>', 'tls_client_auth: an email subjectAltName the certificate must carry')
    .option('--tls-certificate <file>', 'self_signed_tls_client_auth: the client\'s PEM certificate (stored as jwks with x5c)')
    .option('--tls-bound-access-tokens', 'access tokens bound to the client certificate (RFC 8705 §3)')
    .option('--access-token-lifetime <duration>', 'this client\'s access token lifetime, e.g. PT15M (capped by ACCESS_TOKEN_TTL_MAX)', lifetimeOption)
    .option('--refresh-token-lifetime <duration>', 'this client\'s refresh token (and grant) lifetime, e.g. P7D (capped by REFRESH_TOKEN_TTL_MAX)', lifetimeOption)
    .option('--id-token-lifetime <duration>', 'this client\'s ID token lifetime (capped by ID_TOKEN_TTL_MAX)', lifetimeOption)
    .option('--authorization-code-lifetime <duration>', 'this client\'s authorization code lifetime (capped by AUTHORIZATION_CODE_TTL_MAX)', lifetimeOption)
    .option('--refresh-reuse-grace <seconds>', 'a retried refresh token gets the same answer for this many seconds after rotation (0-60; default off)', (value: string) => {
      if (!/^\d{1,2}$/.test(value)) throw new InvalidArgumentError('Expected whole seconds from 0 to 60.');
      return Number(value);
    })
    .addOption(new Option('--id-token-alg <alg>', 'id_token_signed_response_alg (default: SIGNING_ALG)').choices(SUPPORTED_ALGS))
    .addOption(new Option('--userinfo-alg <alg>', 'userinfo_signed_response_alg: UserInfo answers as a signed JWT (default: plain JSON)').choices(SUPPORTED_ALGS))
    .addOption(new Option('--authorization-response-alg <alg>', 'authorization_signed_response_alg for JARM responses (default RS256)').choices(SUPPORTED_ALGS))
    .option('--jwks <file>', 'JWK Set file with the client public keys (private_key_jwt)')
    .option('--client-id <id>', 'choose the client_id (default: random)')
    .option('--client-secret <secret>', 'choose the secret, at least 32 characters (default: 256 random bits)')
    .option('--exchange-subject-type <type>', 'token exchange: accepted subject token type, repeatable (access_token, refresh_token, id_token, jwt)', collectTokenType)
    .option('--exchange-subject-issuer <issuer>', 'token exchange: "self" or a TOKEN_EXCHANGE_TRUSTED_ISSUERS issuer, repeatable (default self)', collect)
    .option('--exchange-subject-client <client_id>', 'token exchange: another client whose tokens may be exchanged, repeatable', collect)
    .option('--exchange-audience <audience>', 'token exchange: an audience or resource the client may ask for, repeatable', collect)
    .option('--exchange-scope <scope>', 'token exchange: a scope the issued token may carry, repeatable (default: no cap)', collect)
    .option('--exchange-impersonation', 'token exchange: may exchange without an actor token')
    .option('--exchange-delegation', 'token exchange: may exchange with an actor token (the token carries act)')
    .option('--exchange-actor-type <type>', 'token exchange: accepted actor token type, repeatable (default: the subject types)', collectTokenType)
    .option('--exchange-actor-issuer <issuer>', 'token exchange: "self" or a trusted issuer for actor tokens, repeatable (default self)', collect)
    .option('--resource-server [resource...]', 'a resource server: may introspect access tokens meant for these resources or for none in particular')
    .option('--require-par', 'authorization requests must be pushed first (RFC 9126 require_pushed_authorization_requests)')
    .option('--require-signed-request-object', 'authorization requests must be signed request objects (RFC 9101 require_signed_request_object)')
    .addOption(new Option('--request-object-signing-alg <alg>', 'the one algorithm of this client\'s request objects (none: unsigned)').choices(REGISTRABLE_REQUEST_OBJECT_ALGS))
    .option('--request-uri <uri>', 'a request_uri (request object by reference) the client may send, repeatable', collect)
    .option('--json', 'machine-readable output')
    .action(async (options: AddOptions, command: Command) => {
      const input = metadataInput(options, command);
      const { record, clientSecret } = await withContext(io, (ctx) => createClient(ctx, input));
      if (options.json) return printJson(io, { ...clientView(record), ...(clientSecret ? { client_secret: clientSecret, client_secret_expires_at: 0 } : {}) });
      io.stdout(`Client created.\n`);
      printFields(io, [['client_id', record.clientId], ...(clientSecret ? [['client_secret', clientSecret] as [string, string]] : [])]);
      if (clientSecret) io.stdout('The secret is shown only this once: Castellan stores only its hash.\n');
    });
}

export function registerClientsCommand(program: Command, io: CliIo): void {
  const clients = program.command('clients').description('manage registered clients');
  registerAdd(clients, io);

  clients
    .command('list')
    .description('list registered clients')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const records = await withContext(io, (ctx) => ctx.stores.clients.list());
      if (options.json) return printJson(io, records.map(clientView));
      printTable(io, ['CLIENT_ID', 'NAME', 'AUTH METHOD', 'GRANT TYPES', 'REDIRECT URIS'], records.map((r) => [
        r.clientId, r.metadata.client_name ?? '-', r.metadata.token_endpoint_auth_method, r.metadata.grant_types.join(','), r.metadata.redirect_uris.join(' ') || '-',
      ]));
    });

  clients
    .command('show')
    .description('show one client')
    .argument('<client_id>')
    .option('--json', 'machine-readable output')
    .action(async (clientId: string, options: { json?: boolean }) => {
      const found = await withContext(io, async (ctx) => {
        const client = await ctx.stores.clients.find(clientId);
        return client && { client, lifetimes: lifetimesOf(ctx.config, client) };
      });
      if (!found) throw new CliError(`client "${clientId}" not found`);
      const view = clientView(found.client);
      if (options.json) return printJson(io, { ...view, effective_lifetimes: found.lifetimes });
      printFields(io, [
        ...Object.entries(view).map(([name, value]): [string, string] => [
          name,
          name === 'client_id_issued_at' ? isoTime(value as number) : Array.isArray(value) ? value.join(' ') || '-' : typeof value === 'object' ? JSON.stringify(value) : String(value),
        ]),
        ...Object.entries(found.lifetimes).map(([kind, { seconds, source }]): [string, string] => [`${kind} lifetime`, `${seconds} s (${LIFETIME_SOURCES[source]})`]),
      ]);
    });

  clients
    .command('remove')
    .description('remove a client and revoke every grant (and so every token) it holds')
    .argument('<client_id>')
    .action(async (clientId: string) => {
      const revoked = await withContext(io, (ctx) => ctx.stores.transaction(async (tx) => {
        if (!(await ctx.stores.clients.find(clientId, tx))) throw new CliError(`client "${clientId}" not found`);
        // The same removal as RFC 7592 DELETE: grants revoked, row removed, audited, in one transaction.
        return deleteClient(ctx, clientId, 'client_removed', tx, { type: 'client.removed' });
      }));
      io.stdout(`Removed client ${clientId} (${revoked} grant${revoked === 1 ? '' : 's'} revoked).\n`);
    });
}
