/**
 * Master key rotation: every sealed column re-encrypted with a new AES-256-GCM key in one
 * transaction; the key file replaced atomically (0600) after the commit with the old key kept as
 * .previous; nothing changed when any value cannot be opened; an interrupted rotation settled at the
 * next start; with CASTELLAN_MASTER_KEY the new key returned for the operator.
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V11.2)
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient, hmacSecret } from '../../src/clients/client-service.js';
import { SEALED_KINDS } from '../../src/storage/sql/sealed-value-store.js';
import { Keystore } from '../../src/tokens/keystore.js';
import { loadMasterKey, MasterKey, type Sealer } from '../../src/tokens/master-key.js';
import {
  forgetPreviousMasterKey, newKeyPath, previousKeyPath, rotateMasterKey, settleMasterKeyFile,
} from '../../src/tokens/master-key-rotation.js';
import { enrollUser } from '../mfa/mfa-fixtures.js';
import { sharedDatabase, type Node, type SharedDatabase } from '../security/shared-database.js';
import { backendName } from '../support/test-context.js';
import { createUser } from '../../src/users/user-service.js';

const SECRET = 'client-secret-jwt-secret-of-at-least-32-chars';

/** Every sealed value in the database, keyed `table/row`. */
async function sealedValues(node: Node): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  for (const kind of SEALED_KINDS) {
    for (const value of await node.stores.sealedValues.list(kind)) values.set(`${kind}/${value.id}`, value.sealed);
  }
  return values;
}

const opened = (sealer: Sealer, values: Map<string, string>) => new Map([...values].map(([k, v]) => [k, sealer.open(v)]));
const mode = (path: string) => statSync(path).mode & 0o777;

describe(`master key rotation (${backendName})`, () => {
  let shared: SharedDatabase;
  let node: Node;
  let oldRaw: Buffer;
  let file: string;

  beforeEach(async () => {
    oldRaw = randomBytes(32);
    file = join(mkdtempSync(join(tmpdir(), 'castellan-mk-')), 'master.key');
    writeFileSync(file, oldRaw.toString('base64') + '\n', { mode: 0o600 });
    shared = await sharedDatabase(1, { masterKeyFile: file }, { sealer: new MasterKey(oldRaw) });
    node = shared.nodes[0];
    // Something in every sealed column: signing keys (bootstrap), a client_secret_jwt secret, a TOTP secret.
    await createClient(node, { client_id: 'hmac-client', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_jwt', grant_types: ['client_credentials'] });
    await enrollUser(node, await createUser(node, { username: 'mfa-user', password: 'a long enough password', claims: {} }));
  });
  afterEach(() => shared.close());

  it('MUST re-encrypt every sealed column with a new key file (0600), keep the old key as .previous, and audit it', async () => {
    const before = await sealedValues(node);
    expect([...before.keys()].map((k) => k.split('/')[0]).sort()).toEqual(['clients', ...Array(8).fill('signing_keys'), 'user_mfa']);
    const plain = opened(node.sealer, before);

    const rotation = await rotateMasterKey(node.stores, node.config, node.sealer, node.clock());
    expect(rotation).toMatchObject({ file, resealed: { signing_keys: 8, clients: 1, user_mfa: 1 } });

    const fresh = loadMasterKey({ masterKeyFile: file });
    expect(readFileSync(file, 'utf8').trim()).toBe(rotation.key);
    expect(readFileSync(previousKeyPath(file), 'utf8').trim()).toBe(oldRaw.toString('base64'));
    expect([mode(file), mode(previousKeyPath(file))]).toEqual([0o600, 0o600]);
    expect(existsSync(newKeyPath(file))).toBe(false);

    const after = await sealedValues(node);
    expect(opened(fresh, after)).toEqual(plain);
    for (const value of after.values()) expect(() => node.sealer.open(value)).toThrow();
    // What the sealed values serve still works with the new key: signing and the HMAC secret.
    const keystore = new Keystore({ stores: node.stores, sealer: fresh, clock: node.clock, rsaModulusLength: 2048, retirementPeriod: 3600 });
    await keystore.reload();
    expect(await keystore.sign({ sub: 'x' })).toMatch(/^ey/);
    expect(hmacSecret({ ...node, sealer: fresh }, (await node.stores.clients.find('hmac-client'))!)).toBe(SECRET);
    const [event] = await node.stores.audit.list({ type: 'master_key.rotated' });
    expect(event.details).toEqual({ resealed: { signing_keys: 8, clients: 1, user_mfa: 1 }, key_source: 'file' });
    expect(JSON.stringify(event)).not.toContain(rotation.key);
  });

  it('MUST change nothing when a value cannot be opened with the current key', async () => {
    const foreign = new MasterKey(randomBytes(32)).seal('sealed with some other key');
    await shared.knex('clients').where({ client_id: 'hmac-client' }).update({ secret_encrypted: foreign });
    const before = await sealedValues(node);
    await expect(rotateMasterKey(node.stores, node.config, node.sealer, node.clock())).rejects.toThrow('the clients of hmac-client cannot be opened with the current master key; nothing was changed');
    expect(await sealedValues(node)).toEqual(before);
    expect(readFileSync(file, 'utf8').trim()).toBe(oldRaw.toString('base64'));
    expect([existsSync(newKeyPath(file)), existsSync(previousKeyPath(file))]).toEqual([false, false]);
    expect(await node.stores.audit.list({ type: 'master_key.rotated' })).toEqual([]);
  });

  it('MUST return the new key and leave files alone with CASTELLAN_MASTER_KEY', async () => {
    const config = { masterKey: oldRaw.toString('base64'), masterKeyFile: join(mkdtempSync(join(tmpdir(), 'castellan-mk-')), 'unused.key') };
    const plain = opened(node.sealer, await sealedValues(node));
    const rotation = await rotateMasterKey(node.stores, config, node.sealer, node.clock());
    expect(rotation.file).toBeUndefined();
    expect(Buffer.from(rotation.key, 'base64')).toHaveLength(32);
    expect(opened(new MasterKey(Buffer.from(rotation.key, 'base64')), await sealedValues(node))).toEqual(plain);
    expect(existsSync(config.masterKeyFile)).toBe(false);
    await expect(settleMasterKeyFile(node.stores, config)).resolves.toBe('none');
  });

  it('MUST complete a rotation interrupted after its commit, at the next start', async () => {
    const rotation = await rotateMasterKey(node.stores, node.config, node.sealer, node.clock());
    // The state a crash between the commit and the rename leaves: the old key file, the new key staged.
    renameSync(file, newKeyPath(file));
    renameSync(previousKeyPath(file), file);
    expect(await settleMasterKeyFile(node.stores, node.config)).toBe('completed');
    expect(readFileSync(file, 'utf8').trim()).toBe(rotation.key);
    expect(readFileSync(previousKeyPath(file), 'utf8').trim()).toBe(oldRaw.toString('base64'));
    expect(existsSync(newKeyPath(file))).toBe(false);
  });

  it('MUST discard a staged key when the rotation never committed, and refuse to rotate over one', async () => {
    writeFileSync(newKeyPath(file), randomBytes(32).toString('base64'), { mode: 0o600 });
    await expect(rotateMasterKey(node.stores, node.config, node.sealer, node.clock())).rejects.toThrow(/did not finish/);
    expect(await settleMasterKeyFile(node.stores, node.config)).toBe('discarded');
    expect(existsSync(newKeyPath(file))).toBe(false);
    expect(readFileSync(file, 'utf8').trim()).toBe(oldRaw.toString('base64'));
  });

  it('MUST forget the previous key once a start succeeded, and only then', async () => {
    expect(forgetPreviousMasterKey(node.config)).toBe(false);
    await rotateMasterKey(node.stores, node.config, node.sealer, node.clock());
    expect(forgetPreviousMasterKey(node.config)).toBe(true);
    expect(existsSync(previousKeyPath(file))).toBe(false);
  });
});
