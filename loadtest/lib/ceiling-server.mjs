/**
 * The least any token server must do here, as a child process for `loadtest/ceiling.mjs`: parse the
 * request, make the one RS256 signature the flow needs, answer JSON. No client authentication, no
 * storage, no session, no consent, no rate limit, no audit: a bound on what any server built on the
 * same runtime can reach on this machine, not a server. CEILING_KIND picks the HTTP layer:
 * `express` (express 5, requests built with the app's prototypes as Castellan's listener does) or
 * `http` (node:http alone). CEILING_DIR set adds Castellan's required storage work on SQLite in
 * that directory (lib/ceiling-storage.mjs): the same server plus durable, audited rows.
 *
 * Routes: the discovery document; GET /authorize (302 to redirect_uri with a random code);
 * POST /token (client_credentials: a signed JWT access token; authorization_code: an opaque access
 * token and a signed ID token with at_hash); POST /introspect (active: true for any token).
 */
import { hash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import express from 'express';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { expressRequestClasses } from '../../dist/http/express-request-classes.js';
import { introspectionToken, openCeilingStorage } from './ceiling-storage.mjs';

const port = Number(process.env.CEILING_PORT);
const kind = process.env.CEILING_KIND ?? 'express';
const issuer = `http://127.0.0.1:${port}`;
const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
const kid = randomBytes(8).toString('hex');
const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] });
const discovery = JSON.stringify({
  issuer,
  authorization_endpoint: `${issuer}/authorize`,
  token_endpoint: `${issuer}/token`,
  introspection_endpoint: `${issuer}/introspect`,
  jwks_uri: `${issuer}/jwks`,
  response_types_supported: ['code'],
  token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
});

const storage = process.env.CEILING_DIR ? await openCeilingStorage({ dir: process.env.CEILING_DIR }) : undefined;
const INTROSPECTION_POOL = Number(process.env.CEILING_TOKENS ?? 0);
// The introspection scenario's token pool (ceiling.mjs names them the same way), stored before the run.
if (storage) await storage.seedTokens(Array.from({ length: INTROSPECTION_POOL }, (_, i) => introspectionToken(i)));

const sign = (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).setIssuer(issuer).setIssuedAt().setExpirationTime('5m').setJti(randomBytes(16).toString('base64url')).sign(privateKey);
const clientOf = (authorization, params) => (authorization ? Buffer.from(authorization.slice(6), 'base64').toString().split(':')[0] : params.get('client_id')) ?? 'unknown';

/** The token answer for `params` (URLSearchParams), or undefined for an unsupported grant. */
async function tokenAnswer(params, authorization) {
  const clientId = clientOf(authorization, params);
  if (params.get('grant_type') === 'client_credentials') {
    const jti = randomBytes(16).toString('base64url');
    const accessToken = await sign({ sub: clientId, client_id: clientId, aud: 'urn:ceiling:api', scope: params.get('scope') ?? '', jti });
    await storage?.clientCredentials(clientId, params.get('scope') ?? '', jti);
    return { access_token: accessToken, token_type: 'Bearer', expires_in: 300, scope: params.get('scope') ?? '' };
  }
  if (params.get('grant_type') === 'authorization_code') {
    const accessToken = randomBytes(32).toString('base64url');
    if (storage && !(await storage.redeemCode(params.get('code') ?? '', accessToken))) return { error: 'invalid_grant' };
    const digest = hash('sha256', accessToken, 'buffer');
    const idToken = await sign({ sub: 'user', aud: clientId, auth_time: Math.floor(Date.now() / 1000), at_hash: digest.subarray(0, 16).toString('base64url') });
    return { access_token: accessToken, token_type: 'Bearer', expires_in: 300, id_token: idToken, scope: 'openid' };
  }
  return undefined;
}

const introspection = async (params) => ({ active: storage ? await storage.introspect(params.get('token') ?? '') : true, client_id: 'ceiling', scope: 'api', token_type: 'Bearer', exp: Math.floor(Date.now() / 1000) + 300, sub: params.get('token')?.slice(0, 8) });

async function redirectWithCode(query) {
  const target = new URL(query.get('redirect_uri') ?? 'http://127.0.0.1:9/cb');
  const code = storage ? await storage.issueCode(query.get('client_id') ?? 'web', target.href, query.get('code_challenge')) : randomBytes(32).toString('base64url');
  target.searchParams.set('code', code);
  if (query.get('state')) target.searchParams.set('state', query.get('state'));
  target.searchParams.set('iss', issuer);
  return target.href;
}

function sendJson(res, status, body) {
  const json = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}

async function answer(method, path, query, body, authorization, res) {
  if (method === 'GET' && path === '/.well-known/openid-configuration') return sendJson(res, 200, discovery);
  if (method === 'GET' && path === '/jwks') return sendJson(res, 200, jwks);
  if (method === 'GET' && path === '/authorize') {
    res.writeHead(302, { Location: await redirectWithCode(query), 'Content-Length': 0 });
    return res.end();
  }
  if (method === 'POST' && path === '/token') {
    const tokens = await tokenAnswer(new URLSearchParams(body), authorization);
    if (!tokens) return sendJson(res, 400, { error: 'unsupported_grant_type' });
    return sendJson(res, tokens.error ? 400 : 200, tokens);
  }
  if (method === 'POST' && path === '/introspect') return sendJson(res, 200, await introspection(new URLSearchParams(body)));
  return sendJson(res, 404, { error: 'not_found' });
}

function bareHttp() {
  return createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url, issuer);
      answer(req.method, url.pathname, url.searchParams, Buffer.concat(chunks).toString('utf8'), req.headers.authorization, res).catch(() => sendJson(res, 500, { error: 'server_error' }));
    });
  });
}

function withExpress() {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const form = express.raw({ type: 'application/x-www-form-urlencoded', limit: '64kb' });
  const route = (req, res) => {
    const url = new URL(req.originalUrl, issuer);
    const body = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    answer(req.method, url.pathname, url.searchParams, body, req.headers.authorization, res).catch(() => sendJson(res, 500, { error: 'server_error' }));
  };
  app.get(['/.well-known/openid-configuration', '/jwks', '/authorize'], route);
  app.post(['/token', '/introspect'], form, route);
  // As Castellan's listener builds them: objects born with the app's prototypes.
  return createServer(expressRequestClasses(app), app);
}

const server = kind === 'http' ? bareHttp() : withExpress();
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
