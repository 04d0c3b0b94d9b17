import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { registerClient } from '../support/browser-flow.js';
import { ADMIN_TOKEN, testControlNode, type TestControlNode } from './test-control-node.js';

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), env, stdin: { isTTY: true, read: async () => '' } });
  return { code, stdout, stderr, json: () => JSON.parse(stdout) };
}

describe('castellan test-control (over HTTP to a running server)', () => {
  let node: TestControlNode;
  let server: Server;
  let url: string;
  beforeAll(async () => {
    node = await testControlNode();
    server = createServer(node.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await node.close();
  });

  it('MUST move the clock, show it and reset it, with the token from --admin-token or ADMIN_TOKEN', async () => {
    const moved = await cli(['test-control', 'clock', '--advance', 'PT1H', '--url', url, '--admin-token', ADMIN_TOKEN]);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.json().offset_seconds).toBe(3600);
    const seconds = await cli(['test-control', 'clock', '--advance', '60', '--url', url], { ADMIN_TOKEN });
    expect(seconds.json().offset_seconds).toBe(3660);
    expect((await cli(['test-control', 'clock', '--url', url], { ADMIN_TOKEN })).json().offset_seconds).toBe(3660);
    expect((await cli(['test-control', 'clock', '--reset', '--url', url], { ADMIN_TOKEN })).json().offset_seconds).toBe(0);
    expect((await cli(['test-control', 'status'], { ADMIN_TOKEN, CASTELLAN_URL: url })).json()).toMatchObject({ test_control: true, clock: { offset_seconds: 0 } });
  });

  it('MUST force, list and clear failures, rotate keys and reset', async () => {
    const client = await registerClient(node.ctx);
    const forced = await cli(['test-control', 'fail', client.clientId, 'delay', '--delay-ms', '50', '--count', '3', '--url', url], { ADMIN_TOKEN });
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.json()).toMatchObject({ client_id: client.clientId, failure: 'delay', remaining: 3, delay_ms: 50 });
    expect((await cli(['test-control', 'fail', '--list', '--url', url], { ADMIN_TOKEN })).json().failures).toHaveLength(1);
    expect((await cli(['test-control', 'fail', '--clear', '--url', url], { ADMIN_TOKEN })).json().cleared).toBe(1);
    expect((await cli(['test-control', 'rotate-keys', '--url', url], { ADMIN_TOKEN })).json().active.length).toBeGreaterThan(0);
    const reset = await cli(['test-control', 'reset', '--url', url], { ADMIN_TOKEN });
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.json().tables_emptied).toBeGreaterThan(0);
    expect(await node.ctx.stores.clients.find(client.clientId)).toBeUndefined();
  });

  it('MUST report refusals in one line: no token, a wrong token, bad input, an unreachable server', async () => {
    const noToken = await cli(['test-control', 'status', '--url', url]);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/needs the admin token/);
    const wrong = await cli(['test-control', 'status', '--url', url, '--admin-token', 'x'.repeat(40)]);
    expect(wrong.stderr).toMatch(/refused the admin token/);
    const bad = await cli(['test-control', 'fail', 'no-such-client', 'invalid_grant', '--url', url], { ADMIN_TOKEN });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/answered 400: invalid_request \(no client no-such-client\)/);
    const count = await cli(['test-control', 'fail', 'c', 'invalid_grant', '--count', '-1', '--url', url], { ADMIN_TOKEN });
    expect(count.code).toBe(1);
    const gone = await cli(['test-control', 'status', '--url', 'http://127.0.0.1:1'], { ADMIN_TOKEN });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1/);
    expect(gone.stderr.trim().split('\n')).toHaveLength(1);
  });
});
