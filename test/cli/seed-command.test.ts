/**
 * `castellan seed FILE`, run in-process on a SQLite file: applies, is idempotent, and a bad file
 * writes nothing.
 */
import { GRANT_TYPES } from '../../src/clients/client-metadata.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import argon2 from 'argon2';
import { beforeAll, describe, expect, it } from 'vitest';
import { secretMatches } from '../../src/clients/client-service.js';
import { cliRig, type CliRig } from './cli-harness.js';

const example = JSON.parse(readFileSync(new URL('../../seed/example.json', import.meta.url), 'utf8'));

describe('castellan seed (SQLite file)', () => {
  let rig: CliRig;
  const counts = () => rig.withStores(async (stores) => ({ clients: (await stores.clients.list()).length, users: (await stores.users.list()).length }));
  beforeAll(() => {
    rig = cliRig();
  });

  it('refuses a bad seed file with exit 1, naming the entry, and writes nothing', async () => {
    const path = join(rig.dir, 'bad.json');
    // The first client and the user are fine; the second client is not, so nothing may be written.
    writeFileSync(path, JSON.stringify({ ...example, clients: [example.clients[0], { client_id: 'broken', grant_types: ['implicit'] }] }));
    const result = await rig.cli(['seed', path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`castellan: clients[1] (client_id "broken"): grant_types[0] must be one of ${GRANT_TYPES.join(', ')}\n`);
    expect(await counts()).toEqual({ clients: 0, users: 0 });
  });

  it('applies seed/example.json: the clients with their secrets, and alice with her password and claims', async () => {
    const result = await rig.cli(['seed', 'seed/example.json']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`clients created: ${example.clients.map((c: { client_id: string }) => c.client_id).join(', ')}`);
    expect(result.stdout).toContain('users created: alice');
    for (const entry of example.clients) {
      const record = await rig.withStores((stores) => stores.clients.find(entry.client_id));
      expect(record?.metadata.redirect_uris).toEqual(entry.redirect_uris ?? []);
      if (entry.client_secret) expect(secretMatches(record!, entry.client_secret)).toBe(true);
      else expect(record?.secretHash).toBeNull();
    }
    const alice = await rig.withStores((stores) => stores.users.findByUsername('alice'));
    expect(alice?.claims).toEqual(example.users[0].claims);
    expect(await argon2.verify(alice!.passwordHash, example.users[0].password)).toBe(true);
  });

  it('is idempotent: applying again changes nothing and reports what already exists', async () => {
    const before = await rig.withStores(async (stores) => ({ clients: await stores.clients.list(), users: await stores.users.list() }));
    const again = await rig.cli(['seed', 'seed/example.json', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({
      clients: { created: [], existing: example.clients.map((c: { client_id: string }) => c.client_id) },
      users: { created: [], existing: ['alice'] },
    });
    const after = await rig.withStores(async (stores) => ({ clients: await stores.clients.list(), users: await stores.users.list() }));
    expect(after).toEqual(before);
  });

  it('adds only what is new when the file grows', async () => {
    const path = join(rig.dir, 'grown.json');
    writeFileSync(path, JSON.stringify({ ...example, users: [...example.users, { username: 'bob', password: 'bob password 123' }] }));
    const result = await rig.cli(['seed', path, '--json']);
    expect(JSON.parse(result.stdout).users).toEqual({ created: ['bob'], existing: ['alice'] });
  });

  it('exits 1 with one line for a missing file and for invalid JSON', async () => {
    expect(await rig.cli(['seed', join(rig.dir, 'absent.json')])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^castellan: cannot read seed file .*absent\.json: ENOENT\n$/) });
    const path = join(rig.dir, 'broken.json');
    writeFileSync(path, '{"clients": [');
    expect(await rig.cli(['seed', path])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^castellan: seed file .*broken\.json is not valid JSON: .+\n$/) });
  });
});
