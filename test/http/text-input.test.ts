/**
 * Request text is UTF-8 without NUL everywhere it enters: the checks themselves, and every endpoint
 * that reads a query, a form, Basic credentials, a path segment or a JSON body answering 4xx to
 * ill-formed text, identically on SQLite and PostgreSQL (which refuses NUL in text columns).
 * @spec https://www.rfc-editor.org/rfc/rfc3629#section-3
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (invalid_request)
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStorableText, isWellFormedEncoded, jsonProblem, utf8Text } from '../../src/http/text-input.js';
import { browser, defaultParams, authorizeUrl, pathOf, registerClient } from '../support/browser-flow.js';
import { createTestContextWithApp, type TestContext } from '../support/test-context.js';

/** superagent would encode a Buffer body (as JSON, or its indices as a form); the bytes go as they are. */
const asIs = (raw: Buffer) => raw as unknown as string;
const basic = (raw: string) => `Basic ${Buffer.from(raw).toString('base64')}`;

describe('request text checks', () => {
  it('MUST refuse NUL and lone surrogates, and accept any other Unicode text', () => {
    expect(isStorableText('client-1 é 😀')).toBe(true);
    for (const bad of ['a\0b', 'a\ud800', '\udc00', 'x\ud83d']) expect(isStorableText(bad), JSON.stringify(bad)).toBe(false);
  });

  it('MUST refuse bytes that are not UTF-8, and NUL bytes, before decoding them', () => {
    expect(utf8Text(Buffer.from('a=é'))).toBe('a=é');
    for (const bytes of [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0x80], [0x61, 0x00]]) expect(utf8Text(Buffer.from(bytes)), String(bytes)).toBeUndefined();
  });

  it('MUST refuse percent-encoded sequences that are not UTF-8 or decode to NUL, and keep a stray % literal', () => {
    for (const good of ['a=b', 'a=%C3%A9', 'a=%F0%9F%98%80', 'a=100%', 'a=%zz', 'a=%E2%82%AC+x']) expect(isWellFormedEncoded(good), good).toBe(true);
    for (const bad of ['a=%00', 'a%00=b', 'a=%FF', 'a=%C3', 'a=%ED%A0%80', 'a=%C0%80', 'a=%F4%90%80%80', 'a=\0']) expect(isWellFormedEncoded(bad), bad).toBe(false);
  });

  it('MUST refuse JSON nested deeper than the limit without recursing past it, and ill-formed strings or names', () => {
    const deep = JSON.parse('['.repeat(5000) + ']'.repeat(5000));
    expect(jsonProblem(deep, 32)).toBe('too deep');
    expect(jsonProblem({ a: { b: [1, 'x', null] } }, 32)).toBeUndefined();
    expect(jsonProblem({ a: ['ok', 'b\u0000'] }, 32)).toBe('ill-formed text');
    expect(jsonProblem({ ['\ud800']: 1 }, 32)).toBe('ill-formed text');
  });
});

describe('ill-formed request text at the endpoints', () => {
  let ctx: TestContext;
  let app: Awaited<ReturnType<typeof createTestContextWithApp>>['app'];

  beforeAll(async () => {
    ({ ctx, app } = await createTestContextWithApp({ rateLimitEnabled: false }));
  });
  afterAll(() => ctx.close());

  const expectInvalidRequest = (res: request.Response) => {
    expect(res.status, res.text).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  };

  it('MUST answer invalid_request to NUL or invalid UTF-8 in HTTP Basic credentials at /token, /introspect and /revoke', async () => {
    for (const path of ['/token', '/introspect', '/revoke']) {
      for (const credentials of ['a%00b:x', 'a\0b:x', 'a%FFb:x', 'a%ED%A0%80:x']) {
        const res = await request(app).post(path).set('authorization', basic(credentials)).type('form').send('grant_type=client_credentials&token=t');
        expectInvalidRequest(res);
      }
      const raw = await request(app).post(path).set('authorization', `Basic ${Buffer.from([0x61, 0xff, 0x3a, 0x78]).toString('base64')}`).type('form').send('token=t');
      expectInvalidRequest(raw);
    }
  });

  it('MUST answer invalid_request to NUL in Basic credentials or the form when the token rate limit reads the client_id first', async () => {
    const limited = await createTestContextWithApp({ rateLimitEnabled: true });
    try {
      expectInvalidRequest(await request(limited.app).post('/token').set('authorization', basic('a%00b:x')).type('form').send('grant_type=client_credentials'));
      expectInvalidRequest(await request(limited.app).post('/token').type('form').send('grant_type=client_credentials&client_id=a%00b'));
    } finally {
      await limited.ctx.close();
    }
  });

  it('MUST answer invalid_request to NUL or invalid UTF-8 in form bodies, percent-encoded or raw', async () => {
    for (const path of ['/token', '/introspect', '/revoke']) {
      for (const body of ['grant_type=client_credentials&client_id=a%00b', 'token=t&client_id=a%C3', Buffer.concat([Buffer.from('token=t&client_id=a'), Buffer.from([0xff])])]) {
        // superagent would form-encode a Buffer's indices; the bytes go as they are.
        expectInvalidRequest(await request(app).post(path).type('form').serialize(asIs).send(body as string));
      }
    }
  });

  it('MUST refuse NUL in client_id at /authorize with an HTML error page, never a redirect', async () => {
    const res = await request(app).get('/authorize?response_type=code&client_id=a%00b&redirect_uri=https%3A%2F%2Fclient.example%2Fcb').expect(400);
    expect(res.type).toBe('text/html');
    expect(res.text).toContain('invalid_request');
    expect(res.headers.location).toBeUndefined();
  });

  it('MUST refuse NUL in the logout request and in the /register/{client_id} path', async () => {
    const logout = await request(app).get('/logout?client_id=a%00b').set('accept', 'application/json');
    expect(logout.status).toBe(400);
    const managed = await request(app).get('/register/a%00b').set('authorization', 'Bearer x');
    expectInvalidRequest(managed);
    const invalid = await request(app).get('/register/a%FFb').set('authorization', 'Bearer x');
    expect(invalid.status).toBe(400);
  });

  it('MUST refuse NUL in the login form username with a page, not a database error', async () => {
    const client = await registerClient(ctx);
    const agent = browser(ctx);
    const start = await agent.get(authorizeUrl(defaultParams(client))).expect(303);
    const loginPath = pathOf(start.headers.location as string);
    const res = await agent.post(loginPath).type('form').send('csrf=x&username=a%00b&password=secret');
    expect(res.status).toBe(400);
    expect(res.type).toBe('text/html');
  });

  it('MUST answer invalid_client_metadata to a registration body that is not UTF-8 or whose strings hold NUL or lone surrogates', async () => {
    const bodies = [
      Buffer.concat([Buffer.from('{"client_name":"a'), Buffer.from([0xff]), Buffer.from('","redirect_uris":["https://a.example/cb"]}')]),
      Buffer.from('{"client_name":"a\\u0000b","redirect_uris":["https://a.example/cb"]}'),
      Buffer.from('{"client_name":"a\\ud800b","redirect_uris":["https://a.example/cb"]}'),
    ];
    for (const body of bodies) {
      const res = await request(app).post('/register').set('content-type', 'application/json').serialize(asIs).send(body);
      expect(res.status, res.text).toBe(400);
      expect(res.body.error, res.text).toBe('invalid_client_metadata');
    }
  });

  it('MUST answer invalid_client_metadata to JSON nested 2,000 levels deep at POST and PUT /register', async () => {
    const deep = `{"redirect_uris":["https://a.example/cb"],"jwks":${'['.repeat(2000)}${']'.repeat(2000)}}`;
    const post = await request(app).post('/register').set('content-type', 'application/json').send(deep);
    expect(post.status).toBe(400);
    expect(post.body).toMatchObject({ error: 'invalid_client_metadata', error_description: expect.stringContaining('deeper') });
    const registered = await request(app).post('/register').send({ redirect_uris: ['https://a.example/cb'] }).expect(201);
    const put = await request(app).put(`/register/${registered.body.client_id}`).set('authorization', `Bearer ${registered.body.registration_access_token}`)
      .set('content-type', 'application/json').send(deep);
    expect(put.status).toBe(400);
    expect(put.body.error).toBe('invalid_client_metadata');
  });
});
