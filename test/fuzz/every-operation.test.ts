/**
 * No input earns a 5xx: for every operation openapi.json documents, every parameter, body field and
 * credential header it declares is replaced in turn by hostile values (NUL, invalid UTF-8 raw and
 * percent-encoded, lone surrogates, deep JSON, 100 KB values, seeded random bytes) while the rest of
 * the request stays valid enough to reach deep code. A failure names the operation, the field and
 * the input. Deterministic (seeded), bounded, and run on SQLite and PostgreSQL like every suite.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (bad input is invalid_request, never server_error)
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-3.2.2 (invalid_client_metadata)
 */
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/server/app.js';
import { authorizeUrl, csrfOf, defaultParams, pathOf, registerClient, registerUser } from '../support/browser-flow.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { HOSTILE_BYTES, HOSTILE_JSON, hostileHeaders, percentEncode, type Json } from './hostile-inputs.js';

const document = JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8')) as Json;
const METHODS = ['get', 'post', 'put', 'delete'] as const;
const REDIRECT = 'https://rp.example/cb';
const asIs = (raw: Buffer) => raw as unknown as string;
const BODY_CREDENTIALS = new Set(['client_id', 'client_secret', 'client_assertion', 'client_assertion_type']);

interface Field {
  name: string;
  where: 'path' | 'query' | 'form' | 'json';
}

interface Operation {
  method: (typeof METHODS)[number];
  path: string;
  fields: Field[];
  /** Property values that make the unmutated request plausible (consts and enums of the schema). */
  constants: Record<string, string>;
  security: string[];
}

/** The operations of openapi.json; a oneOf body (the token request) is one operation per variant. DELETE last: it ends the client. */
function operations(): Operation[] {
  const found: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths as Record<string, Json>)) {
    for (const method of METHODS) {
      const operation = item[method] as Json | undefined;
      if (!operation) continue;
      const parameters = [...((item.parameters as Json[]) ?? []), ...((operation.parameters as Json[]) ?? [])];
      const base: Field[] = parameters.map((p) => ({ name: p.name as string, where: p.in as Field['where'] }));
      const security = ((operation.security as Json[]) ?? []).flatMap((s) => Object.keys(s));
      const content = (operation.requestBody as Json | undefined)?.content as Json | undefined;
      const [media, body] = content ? (Object.entries(content)[0] as [string, Json]) : [undefined, undefined];
      const where = media === 'application/json' ? 'json' : 'form';
      const schemas = ((body?.schema as Json | undefined)?.oneOf as Json[] | undefined) ?? (body ? [body.schema as Json] : [{}]);
      for (const schema of schemas) {
        const properties = (schema.properties ?? {}) as Record<string, Json>;
        const constants: Record<string, string> = {};
        for (const [name, property] of Object.entries(properties)) {
          const value = property.const ?? (property.enum as unknown[] | undefined)?.[0];
          if (typeof value === 'string') constants[name] = value;
        }
        found.push({ method, path, security, constants, fields: [...base, ...Object.keys(properties).map((name) => ({ name, where }) as Field)] });
      }
    }
  }
  return found.sort((a, b) => Number(a.method === 'delete') - Number(b.method === 'delete'));
}

describe(`fuzzing every documented operation (${backendName})`, () => {
  let ctx: TestContext;
  let server: Server;
  let agent: ReturnType<typeof request.agent>;
  const known: Record<string, string> = {};
  let credentials: { basic: string; bearer: string; registration: string };

  beforeAll(async () => {
    ctx = await createTestContext({ rateLimitEnabled: false, loginMaxAttemptsPerUserIp: 1_000_000, loginMaxAttemptsPerUser: 1_000_000, loginMaxAttemptsPerIp: 1_000_000 });
    server = createServer(createApp(ctx)).listen(0, '127.0.0.1');
    agent = request.agent(server);
    // A browser with an interaction (its cookie and csrf) and a session, so pages get past their first check.
    const { user, password } = await registerUser(ctx);
    const publicClient = await registerClient(ctx, { redirect_uris: [REDIRECT], post_logout_redirect_uris: [REDIRECT] });
    const start = await agent.get(authorizeUrl(defaultParams(publicClient, { redirect_uri: REDIRECT }))).expect(303);
    const loginPath = pathOf(start.headers.location as string);
    known.uid = loginPath.split('/')[2];
    known.csrf = csrfOf((await agent.get(loginPath).expect(200)).text);
    known.username = user.username;
    known.password = password;
    await agent.post(loginPath).type('form').send({ csrf: known.csrf, username: user.username, password }).expect(303);
    Object.assign(known, defaultParams(publicClient, { redirect_uri: REDIRECT }), { post_logout_redirect_uri: REDIRECT, response_mode: 'query' });
    // A registered confidential client: Basic credentials, a token to introspect, and its registration access token.
    const registered = await agent.post('/register').send({ redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'client_credentials'] }).expect(201);
    const { client_id: clientId, client_secret: secret, registration_access_token: registration } = registered.body as Record<string, string>;
    credentials = { basic: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`, bearer: '', registration };
    const token = await agent.post('/token').set('authorization', credentials.basic).type('form').send('grant_type=client_credentials').expect(200);
    credentials.bearer = `Bearer ${token.body.access_token as string}`;
    Object.assign(known, { client_id: clientId, token: token.body.access_token as string, access_token: token.body.access_token as string, decision: 'approve' });
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await ctx.close();
  });

  /** The valid value of a field (what a well-behaved client would send), if there is one. */
  const valueOf = (operation: Operation, field: Field): string | undefined =>
    operation.constants[field.name] ?? (field.where === 'path' && field.name === 'client_id' ? known.client_id : known[field.name]);

  /** The client authenticates with Basic unless the body's own credentials are under test (two methods at once is invalid_request, RFC 6749 §2.3). */
  function authorization(operation: Operation, mutated?: Field): string | undefined {
    if (operation.path.startsWith('/register/')) return `Bearer ${credentials.registration}`;
    if (operation.security.includes('clientSecretBasic')) return mutated && BODY_CREDENTIALS.has(mutated.name) ? undefined : credentials.basic;
    if (operation.security.includes('bearer')) return credentials.bearer;
    return undefined;
  }

  /** Sends `operation` with `mutated` replaced by `value` (bytes for urlencoded places, any JSON value or raw bytes for JSON). */
  function send(operation: Operation, mutated: Field | undefined, value: { bytes?: Buffer; raw?: boolean; json?: string; jsonBytes?: Buffer }, headers: Record<string, string> = {}) {
    const credential = authorization(operation, mutated);
    const encode = (field: Field): string | undefined => {
      // With Basic (or its hostile variants) a body client_id would only make the request a mismatch.
      if (field.where === 'form' && BODY_CREDENTIALS.has(field.name) && field !== mutated && (credential !== undefined || headers.authorization)) return undefined;
      if (field !== mutated) {
        const valid = valueOf(operation, field);
        return valid === undefined ? undefined : encodeURIComponent(valid);
      }
      return value.bytes ? percentEncode(value.bytes) : undefined;
    };
    let path = operation.path;
    for (const field of operation.fields.filter((f) => f.where === 'path')) path = path.replace(`{${field.name}}`, encode(field) ?? 'x');
    const query = operation.fields.filter((f) => f.where === 'query').flatMap((f) => (encode(f) === undefined ? [] : [`${f.name}=${encode(f)}`]));
    let test = agent[operation.method](query.length > 0 ? `${path}?${query.join('&')}` : path);
    if (credential) test = test.set('authorization', credential);
    for (const [name, header] of Object.entries(headers)) test = test.set(name, header);
    const form = operation.fields.filter((f) => f.where === 'form');
    if (form.length > 0) {
      const parts = form.flatMap((f) => {
        if (f === mutated && value.raw && value.bytes) return [Buffer.concat([Buffer.from(`${f.name}=`), value.bytes])];
        const encoded = encode(f);
        return encoded === undefined ? [] : [Buffer.from(`${f.name}=${encoded}`)];
      });
      const body = Buffer.concat(parts.flatMap((part, index) => (index === 0 ? [part] : [Buffer.from('&'), part])));
      // superagent would form-encode a Buffer's indices; the bytes go as they are.
      return test.type('form').serialize(asIs).send(body);
    }
    const json = operation.fields.filter((f) => f.where === 'json');
    if (json.length > 0) {
      const object: Json = operation.path.startsWith('/register/') ? { client_id: known.client_id } : {};
      object.redirect_uris = [REDIRECT];
      const mutating = mutated?.where === 'json' ? mutated.name : undefined;
      if (mutating) delete object[mutating];
      const head = Buffer.from(JSON.stringify(object).slice(0, -1));
      // The hostile member goes in as text; raw bytes inside its string, where a lenient decoder would make U+FFFD of them.
      const member = value.json !== undefined ? Buffer.from(value.json) : value.jsonBytes ? Buffer.concat([Buffer.from('"'), value.jsonBytes, Buffer.from('"')]) : undefined;
      const body = mutating && member ? Buffer.concat([head, Buffer.from(`,${JSON.stringify(mutating)}:`), member, Buffer.from('}')]) : Buffer.concat([head, Buffer.from('}')]);
      return test.set('content-type', 'application/json').serialize(asIs).send(body);
    }
    return test;
  }

  it('MUST NOT answer any hostile parameter, body field or header of any operation with a 5xx', async () => {
    const failures: string[] = [];
    let sent = 0;
    const check = async (operation: Operation, label: string, pending: PromiseLike<request.Response>) => {
      sent += 1;
      const res = await pending;
      if (res.status >= 500) failures.push(`${operation.method.toUpperCase()} ${operation.path} ${label} -> ${res.status} ${res.text.slice(0, 200)}`);
    };
    for (const operation of operations()) {
      for (const field of operation.fields) {
        for (const { label, bytes } of HOSTILE_BYTES) {
          await check(operation, `${field.where} ${field.name}=${label} (percent-encoded)`, send(operation, field, { bytes }));
          if (field.where === 'form') await check(operation, `${field.where} ${field.name}=${label} (raw bytes)`, send(operation, field, { bytes, raw: true }));
          if (field.where === 'json') await check(operation, `${field.where} ${field.name}=${label} (raw bytes in a JSON string)`, send(operation, field, { jsonBytes: bytes }));
        }
        if (field.where !== 'json') continue;
        for (const { label, json } of HOSTILE_JSON) await check(operation, `json ${field.name}=${label}`, send(operation, field, { json }));
      }
      for (const { label, headers } of hostileHeaders(authorization(operation))) await check(operation, `header ${label}`, send(operation, undefined, {}, headers));
    }
    expect(sent).toBeGreaterThan(1000);
    expect(failures, `${failures.length} of ${sent} requests got a 5xx:\n${failures.join('\n')}`).toEqual([]);
  }, 120_000);
});
