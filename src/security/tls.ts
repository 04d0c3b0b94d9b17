/**
 * The listeners of a node: https when TLS_CERT_FILE and TLS_KEY_FILE are set (TLS 1.2 with the
 * FAPI 2.0 AES-GCM suites only, TLS 1.3 preferred, client certificates requested for RFC 8705), an
 * optional plain-http listener that only redirects to https, or plain http when TLS is terminated
 * elsewhere (or in development).
 * @spec https://www.rfc-editor.org/rfc/rfc9325#section-4.2 (TLS 1.2 cipher suite recommendations)
 * @spec https://www.rfc-editor.org/rfc/rfc10015 (finite-field DHE deprecated in TLS 1.2)
 * @spec https://openid.net/specs/fapi-2_0-security-profile.html#section-5.2.1 (TLS 1.2 only with the BCP 195 ECDHE AES-GCM suites)
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-2 (the client certificate is requested; rfc8705-mtls/ decides what it proves)
 * @spec https://www.rfc-editor.org/rfc/rfc8996 (TLS 1.0 and 1.1 deprecated)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-1.6 (TLS on every endpoint)
 * @spec https://www.rfc-editor.org/rfc/rfc9110#section-15.5.9 (408 Request Timeout, with a body: http/listener-errors.ts)
 * @spec https://owasp.org/www-community/attacks/Slow_Loris (slow headers and bodies hold connections)
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Config } from '../config/config.js';
import { expressRequestClasses } from '../http/express-request-classes.js';
import { answerClientError } from '../http/listener-errors.js';
import { OAuthError } from '../errors/oauth-error.js';
import { trustAnchorPem } from '../rfc8705-mtls/trust-anchors.js';

/**
 * TLS 1.3 suites first (preferred), then for TLS 1.2 only the four suites RFC 9325 §4.2 (BCP 195)
 * recommends, which FAPI 2.0 SP §5.2.1 allows: ECDHE with AES-GCM, for an RSA or an EC certificate.
 * No finite-field DHE (RFC 9325 §4.5 said SHOULD NOT; RFC 10015 deprecates it, and the FAPI 2.0
 * conformance suite fails a server that accepts it), no CBC, no static RSA key exchange, no
 * ChaCha20 below TLS 1.3.
 */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
] as const;
export const TLS_CIPHERS = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', ...TLS12_CIPHERS].join(':');

export interface Listeners {
  /** The application's listener: https when TLS is configured, else http. */
  server: HttpServer | HttpsServer;
  secure: boolean;
  /** The http listener that redirects to https (HTTP_REDIRECT_PORT). */
  redirect?: HttpServer;
  /** Binds PORT (and HTTP_REDIRECT_PORT); resolves with the ports actually bound. */
  listen(): Promise<{ port: number; redirectPort?: number }>;
  /** Stops accepting, lets requests finish, cuts connections still open after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

type TlsSettings = Pick<Config, 'port' | 'issuer' | 'tlsCertFile' | 'tlsKeyFile' | 'httpRedirectPort' | 'httpHeadersTimeout' | 'httpRequestTimeout'> & Partial<Pick<Config, 'mtlsCaFile'>>;

/**
 * RFC 8705 on the same listener as browsers: the client certificate is asked for but never required,
 * and a certificate the TLS layer cannot verify is not a reason to end the handshake (self-signed
 * client certificates are valid credentials). rfc8705-mtls/ validates it where it is used. The CAs
 * of MTLS_CA_FILE are named in the request, so a browser offers only certificates they issued.
 */
export function clientCertificateOptions(config: Partial<Pick<Config, 'mtlsCaFile'>>) {
  // The bundle is read once, here or by the chain check, whichever comes first.
  const ca = trustAnchorPem(config);
  return { requestCert: true, rejectUnauthorized: false, ...(ca !== undefined ? { ca } : {}) };
}

/**
 * Node's defaults let a client take 60 s for its headers and 300 s for its body, and look for
 * expired requests every 30 s: a few hundred slow clients hold every connection. Requests get
 * seconds instead (HTTP_HEADERS_TIMEOUT, HTTP_REQUEST_TIMEOUT; 408 when exceeded), and the check
 * runs often enough to enforce them: a quarter of the shorter limit, between 250 ms and 1 s.
 */
export function requestTimeouts(config: Pick<Config, 'httpHeadersTimeout' | 'httpRequestTimeout'>) {
  const headersTimeout = config.httpHeadersTimeout * 1000;
  const requestTimeout = config.httpRequestTimeout * 1000;
  const connectionsCheckingInterval = Math.min(1000, Math.max(250, Math.min(headersTimeout, requestTimeout) / 4));
  return { headersTimeout, requestTimeout, connectionsCheckingInterval };
}

/** Castellan terminates TLS itself when both TLS_CERT_FILE and TLS_KEY_FILE are set. */
const terminatesTls = (config: Pick<Config, 'tlsCertFile' | 'tlsKeyFile'>): boolean => Boolean(config.tlsCertFile && config.tlsKeyFile);

/** The plain-http redirector runs only beside an https listener, on HTTP_REDIRECT_PORT. */
export function redirectListenerEnabled(config: Pick<Config, 'tlsCertFile' | 'tlsKeyFile' | 'httpRedirectPort'>): boolean {
  return terminatesTls(config) && config.httpRedirectPort !== undefined;
}

export function createListeners(config: TlsSettings, app: Express): Listeners {
  const secure = terminatesTls(config);
  // Requests and responses built with the app's prototypes (see express-request-classes.ts).
  const classes = expressRequestClasses(app);
  const timeouts = requestTimeouts(config);
  const server = secure
    ? createHttpsServer({
        ...classes,
        ...timeouts,
        cert: readFileSync(config.tlsCertFile as string),
        key: readFileSync(config.tlsKeyFile as string),
        minVersion: 'TLSv1.2',
        ciphers: TLS_CIPHERS,
        honorCipherOrder: true,
        // The well-known RFC 7919 groups for the DHE suites.
        dhparam: 'auto',
        ...clientCertificateOptions(config),
      }, app)
    : createHttpServer({ ...classes, ...timeouts }, app);
  const redirect = redirectListenerEnabled(config) ? createHttpServer(timeouts, redirectToHttps(config.issuer)) : undefined;
  const servers = redirect ? [server, redirect] : [server];
  for (const each of servers) each.on('clientError', answerClientError(config.issuer));
  return {
    server,
    secure,
    redirect,
    async listen() {
      await bind(server, config.port);
      if (redirect) await bind(redirect, config.httpRedirectPort as number);
      return { port: (server.address() as AddressInfo).port, redirectPort: redirect ? (redirect.address() as AddressInfo).port : undefined };
    },
    async close(graceMs = 10_000) {
      await Promise.all(servers.map((each) => stop(each, graceMs)));
    },
  };
}

/**
 * Plain http only ever answers with a redirect to the issuer's https origin (never to the Host
 * header, which the client controls). Other methods than GET and HEAD are refused rather than
 * redirected: their body (credentials, codes) has already crossed the network in clear, and a
 * silent redirect would teach clients that this works.
 */
export function redirectToHttps(issuer: string) {
  const target = new URL(issuer);
  target.protocol = 'https:';
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(400, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', Connection: 'close' });
      res.end(JSON.stringify(new OAuthError('invalid_request', 'Use https', { requirement: 'CASTELLAN-HTTP-1' }).toJSON(issuer)));
      return;
    }
    const location = new URL(req.url ?? '/', target.origin);
    res.writeHead(301, { Location: location.href, 'Cache-Control': 'no-store' });
    res.end();
  };
}

function bind(server: HttpServer | HttpsServer, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // No host: all interfaces, IPv6 and IPv4 where available.
    server.listen(port, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function stop(server: HttpServer | HttpsServer, graceMs: number): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    force.unref();
    server.close((error) => {
      clearTimeout(force);
      if (error) reject(error);
      else resolve();
    });
    // Idle keep-alive connections would otherwise hold close() open until they time out.
    server.closeIdleConnections();
  });
}
