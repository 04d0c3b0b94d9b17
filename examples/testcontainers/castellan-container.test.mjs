// Castellan in a Testcontainers container (Node, the `testcontainers` npm package), driven by the
// test control API. Not run in Castellan's CI (no Docker there); see README.md.
// npm install --save-dev testcontainers vitest
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { GenericContainer, Wait } from 'testcontainers';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';

const CONTAINER_PORT = 3000;
const adminToken = randomBytes(32).toString('base64url');
let container;
let issuer;

async function freePort() {
  const server = createServer();
  await new Promise((done) => server.listen(0, done));
  const { port } = server.address();
  await new Promise((done) => server.close(done));
  return port;
}

async function admin(method, path, body) {
  const response = await fetch(`${issuer}/admin/test/${path}`, {
    method,
    headers: { Authorization: `Bearer ${adminToken}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: await response.json() };
}

beforeAll(async () => {
  // The issuer must be the URL tests reach: choose the host port first and bind it explicitly.
  const hostPort = await freePort();
  issuer = `http://localhost:${hostPort}`;
  container = await new GenericContainer('castellan:local')
    .withEnvironment({
      PORT: String(CONTAINER_PORT),
      ISSUER: issuer,
      SEED_FILE: 'seed/example.json',
      TEST_CONTROL_ENABLED: 'true',
      ADMIN_TOKEN: adminToken,
    })
    .withExposedPorts({ container: CONTAINER_PORT, host: hostPort })
    .withWaitStrategy(Wait.forHttp('/.well-known/openid-configuration', CONTAINER_PORT).forStatusCode(200))
    .withStartupTimeout(60_000)
    .start();
}, 120_000);

afterAll(async () => container?.stop());

beforeEach(async () => {
  expect((await admin('POST', 'reset')).status).toBe(200);
});

it('moves the clock forward an hour', async () => {
  const moved = await admin('POST', 'clock', { advance: 'PT1H' });
  expect(moved.body.offset_seconds).toBe(3600);
  // ... the RP's access tokens have now expired: exercise its refresh path here.
});

it('forces the next token response to be temporarily_unavailable', async () => {
  const forced = await admin('POST', 'failures', { client_id: 'staging-web', failure: 'temporarily_unavailable', count: 1 });
  expect(forced.status).toBe(201);
});
