/**
 * An example protected resource for Castellan's access tokens: GET or POST /api/me answers who the
 * token speaks for. Tokens are checked by introspection; a DPoP-bound token needs the DPoP scheme
 * and a fresh proof, a certificate-bound one the same TLS client certificate. See README.md.
 * @spec https://www.rfc-editor.org/rfc/rfc6750#section-2.1 (Authorization: Bearer)
 * @spec https://www.rfc-editor.org/rfc/rfc6750#section-3 (WWW-Authenticate and error codes)
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-7.1 (Authorization: DPoP, algs in the challenge)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-3 (certificate-bound access tokens)
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { pathToFileURL } from 'node:url';
import { introspectionClient, IntrospectionUnavailable } from './introspection-client.mjs';
import { checkCertificateBinding, checkDpopProof, dpopAlgs, ProofRejected, ReplayCache, ReplayCacheFull } from './sender-constraint.mjs';

const REALM = 'realm="castellan-example-api"';

/**
 * FAPI 2.0 SP §5.2.1 and BCP 195 (RFC 9325 §4.2) hold a resource server to the same TLS as the
 * authorization server: TLS 1.3 preferred, and for TLS 1.2 only the ECDHE AES-GCM suites (no DHE).
 * The same list as Castellan's own listener (src/security/tls.ts), kept here so the example stands alone;
 * test/examples/resource-server-process.test.ts fails if the two lists drift apart.
 */
export const TLS_SETTINGS = {
  minVersion: 'TLSv1.2',
  honorCipherOrder: true,
  ciphers: [
    'TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256',
    'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256',
    'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  ].join(':'),
};
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}


/** The one Authorization header as { scheme, token }, a refusal string when malformed, undefined when absent. */
function credentials(req) {
  const values = req.headersDistinct.authorization ?? [];
  if (values.length === 0) return undefined;
  if (values.length > 1) return 'more than one Authorization header';
  const match = /^([A-Za-z]+) +(\S+)$/.exec(values[0]);
  if (!match || !TOKEN68.test(match[2]) || match[2].length > 8192) return 'malformed Authorization header';
  const scheme = match[1].toLowerCase() === 'dpop' ? 'DPoP' : match[1].toLowerCase() === 'bearer' ? 'Bearer' : undefined;
  return scheme ? { scheme, token: match[2] } : 'unsupported authorization scheme';
}

/**
 * Starts the resource server; resolves once it listens.
 * @param {{ issuer: string, clientId: string, clientSecret: string, port?: number, host?: string,
 *   publicBaseUrl?: string, tls?: { cert: string | Buffer, key: string | Buffer },
 *   introspectionTimeoutMs?: number, dpopSkewSeconds?: number, dpopAlgs?: string[], replayCacheSize?: number,
 *   log?: (line: string) => void, fetch?: typeof fetch }} options
 */
export async function startResourceServer(options) {
  const introspect = introspectionClient({ issuer: options.issuer, clientId: options.clientId, clientSecret: options.clientSecret, timeoutMs: options.introspectionTimeoutMs ?? 3000, cacheSeconds: options.introspectionCacheSeconds ?? 0, fetch: options.fetch });
  const replay = new ReplayCache({ maxEntries: options.replayCacheSize });
  const skewSeconds = options.dpopSkewSeconds ?? 60;
  const log = options.log ?? ((line) => console.log(line));
  const algs = dpopAlgs(options.dpopAlgs);

  /** 401 or 400 with the RFC 6750 §3 / RFC 9449 §7.1 challenge of the scheme the client used. */
  function refuse(res, scheme, code, description, status = code === 'invalid_request' ? 400 : 401) {
    const quoted = description.replace(/["\\]/g, '');
    const challenge = scheme === 'DPoP'
      ? `DPoP error="${code}", error_description="${quoted}", algs="${algs.join(' ')}"`
      : `Bearer ${REALM}, error="${code}", error_description="${quoted}"`;
    send(res, status, { error: code, error_description: description }, { 'www-authenticate': challenge });
    return `${status} ${code}: ${description}`;
  }

  let publicBaseUrl = options.publicBaseUrl?.replace(/\/+$/, '');

  /** Answers one request; returns the line to log (never a token). */
  async function handle(req, res) {
    let url;
    try {
      url = new URL(req.url ?? '/', 'http://resource.invalid');
    } catch {
      return send(res, 400, { error: 'invalid_request' }), '400 malformed request target';
    }
    if (url.pathname !== '/api/me') return send(res, 404, { error: 'not_found' }), '404';
    if (req.method !== 'GET' && req.method !== 'POST') return send(res, 405, { error: 'method_not_allowed' }, { allow: 'GET, POST' }), '405';
    const presented = credentials(req);
    if (presented === undefined) {
      // RFC 6750 §3.1: a request without credentials gets the challenges but no error code.
      send(res, 401, { error_description: 'an access token is required' }, { 'www-authenticate': `Bearer ${REALM}, DPoP algs="${algs.join(' ')}"` });
      return '401 no credentials';
    }
    if (typeof presented === 'string') return refuse(res, 'Bearer', presented === 'unsupported authorization scheme' ? 'invalid_token' : 'invalid_request', presented);
    const { scheme, token } = presented;
    const proofs = req.headersDistinct.dpop ?? [];

    let info;
    try {
      info = await introspect(token);
    } catch (error) {
      if (!(error instanceof IntrospectionUnavailable)) throw error;
      send(res, 503, { error: 'temporarily_unavailable', error_description: 'the authorization server could not be asked about the token' }, { 'retry-after': '5' });
      return `503 ${error.message}`;
    }
    if (info.active !== true) return refuse(res, scheme, 'invalid_token', 'the access token is not active');
    const cnf = typeof info.cnf === 'object' && info.cnf !== null ? info.cnf : {};

    try {
      if (typeof cnf.jkt === 'string' || info.token_type === 'DPoP') {
        // RFC 9449 §7.1: a DPoP-bound token presented as a bearer token is refused (a stolen one must not work).
        if (scheme !== 'DPoP') return refuse(res, 'DPoP', 'invalid_token', 'a DPoP-bound access token needs the DPoP authorization scheme');
        if (proofs.length !== 1) return refuse(res, 'DPoP', 'invalid_dpop_proof', 'exactly one DPoP proof header is required');
        const now = Math.floor(Date.now() / 1000);
        await checkDpopProof({ proof: proofs[0], method: req.method, url: publicBaseUrl + url.pathname, accessToken: token, jkt: String(cnf.jkt), algs, replay, skewSeconds, now });
      } else if (scheme === 'DPoP') {
        return refuse(res, 'DPoP', 'invalid_token', 'the access token is not DPoP-bound');
      }
      if (typeof cnf['x5t#S256'] === 'string') checkCertificateBinding(req.socket, cnf['x5t#S256']);
    } catch (error) {
      if (error instanceof ProofRejected) return refuse(res, scheme, error.code, error.message);
      if (error instanceof ReplayCacheFull) {
        send(res, 503, { error: 'temporarily_unavailable', error_description: 'too many recent DPoP proofs' }, { 'retry-after': '5' });
        return '503 replay cache full';
      }
      throw error;
    }
    send(res, 200, { sub: info.sub, client_id: info.client_id, scope: info.scope ?? '' });
    return `200 client ${info.client_id}`;
  }

  const listener = (req, res) => {
    // FAPI: echo the interaction id the client sent, else name this interaction.
    const interaction = req.headers['x-fapi-interaction-id'];
    res.setHeader('x-fapi-interaction-id', typeof interaction === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(interaction) ? interaction : randomUUID());
    req.resume(); // the body is not used; drain it
    handle(req, res).then(
      (line) => log(`${req.method} ${req.url?.split('?')[0]} -> ${line}`),
      (error) => {
        log(`${req.method} ${req.url?.split('?')[0]} -> 500 ${error?.name ?? 'error'}`);
        if (!res.headersSent) send(res, 500, { error: 'server_error' });
      },
    );
  };
  const server = options.tls
    // RFC 8705 §3: ask for a client certificate, but do not judge it by CA; clients use self-signed ones.
    ? createHttpsServer({ ...TLS_SETTINGS, cert: options.tls.cert, key: options.tls.key, requestCert: true, rejectUnauthorized: false, maxHeaderSize: 16384 }, listener)
    : createHttpServer({ maxHeaderSize: 16384 }, listener);
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address();
  const host = options.host === undefined ? '127.0.0.1' : options.host === '0.0.0.0' ? 'localhost' : options.host;
  const url = `${options.tls ? 'https' : 'http'}://${host}:${port}`;
  // The htu every proof must name is built from this configured base, never from the Host header.
  publicBaseUrl ??= url;
  return {
    url,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const env = process.env;
  for (const name of ['ISSUER', 'RS_CLIENT_ID', 'RS_CLIENT_SECRET']) {
    if (!env[name]) {
      console.error(`${name} is required; see examples/resource-server/README.md`);
      process.exit(2);
    }
  }
  const tls = env.TLS_CERT_FILE && env.TLS_KEY_FILE ? { cert: readFileSync(env.TLS_CERT_FILE), key: readFileSync(env.TLS_KEY_FILE) } : undefined;
  const server = await startResourceServer({
    issuer: env.ISSUER, clientId: env.RS_CLIENT_ID, clientSecret: env.RS_CLIENT_SECRET,
    port: Number(env.PORT ?? 3444), host: env.HOST ?? '0.0.0.0', publicBaseUrl: env.PUBLIC_BASE_URL, tls,
    dpopAlgs: env.DPOP_ALGS ? env.DPOP_ALGS.split(/[\s,]+/).filter(Boolean) : undefined,
    introspectionCacheSeconds: env.INTROSPECTION_CACHE_SECONDS ? Number(env.INTROSPECTION_CACHE_SECONDS) : undefined,
  });
  console.log(`resource server listening: ${env.PUBLIC_BASE_URL ?? server.url}/api/me`);
  const stop = () => server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
