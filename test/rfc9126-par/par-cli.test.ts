/**
 * `castellan clients add` options of pushed authorization requests and request objects.
 * @spec https://www.rfc-editor.org/rfc/rfc9126#section-6 (require_pushed_authorization_requests)
 * @spec https://www.rfc-editor.org/rfc/rfc9101#section-10.5 (require_signed_request_object)
 */
import { writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliRig, type CliRig } from '../cli/cli-harness.js';

describe('castellan clients add: PAR and request object options', () => {
  let rig: CliRig;
  beforeAll(() => {
    rig = cliRig();
  });

  it('records --require-par, --require-signed-request-object, --request-object-signing-alg and --request-uri', async () => {
    const jwks = `${rig.dir}/keys.json`;
    writeFileSync(jwks, JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' }] }));
    const added = await rig.cli(['clients', 'add', '--client-id', 'fapi-rp', '--redirect-uri', 'https://rp.example/cb', '--jwks', jwks, '--require-par',
      '--require-signed-request-object', '--request-object-signing-alg', 'PS256', '--request-uri', 'https://rp.example/request.jwt']);
    expect(added.code, added.stderr).toBe(0);
    const record = await rig.withStores((stores) => stores.clients.find('fapi-rp'));
    expect(record!.metadata).toMatchObject({
      require_pushed_authorization_requests: true, require_signed_request_object: true, request_object_signing_alg: 'PS256', request_uris: ['https://rp.example/request.jwt'],
    });
  });

  it('refuses an algorithm it cannot verify', async () => {
    const added = await rig.cli(['clients', 'add', '--redirect-uri', 'https://rp.example/cb', '--request-object-signing-alg', 'HS256']);
    expect(added.code).not.toBe(0);
  });
});
