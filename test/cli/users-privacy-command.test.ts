/**
 * `castellan users export|delete` against a SQLite file: the export as JSON (stdout or a 0600 file,
 * no hashes), and deletion that leaves no row about the user.
 * @spec https://eur-lex.europa.eu/eli/reg/2016/679/oj (GDPR Art. 15, 17)
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliRig, type CliRig } from './cli-harness.js';

describe('castellan users export and delete (SQLite file)', () => {
  let rig: CliRig;
  let userId: string;
  beforeAll(async () => {
    rig = cliRig();
    await rig.cli(['users', 'add', 'dora', '--password', 'dora has a long password', '--claim', 'name=Dora Data', '--claim', 'email=dora@example.com']);
    await rig.cli(['users', 'add', 'bob', '--password', 'bob has a long password too']);
    userId = (await rig.withStores((stores) => stores.users.findByUsername('dora')))!.id;
    await rig.withStores(async (stores) => {
      await stores.consents.upsert({ userId, clientId: 'shop', scope: 'openid email', grantedAt: 1_700_000_000 });
      await stores.sessions.insert({ idHash: 'session-hash-of-dora-000000000000000000000', userId, sid: 'dora-sid', authTime: 1, acr: null, amr: ['pwd'], createdAt: 1, lastSeenAt: 1, idleExpiresAt: 4_000_000_000, absoluteExpiresAt: 4_000_000_000 });
    });
  });

  it('exports claims, consents and sessions as JSON, without hashes', async () => {
    const result = await rig.cli(['users', 'export', 'dora']);
    expect(result.code).toBe(0);
    const document = JSON.parse(result.stdout);
    expect(document).toMatchObject({
      user: { sub: userId, username: 'dora' }, claims: { name: 'Dora Data', email: 'dora@example.com' },
      consents: [{ client_id: 'shop', scope: 'openid email', granted_at: 1_700_000_000 }], sessions: [{ sid: 'dora-sid', amr: ['pwd'] }],
    });
    expect(result.stdout).not.toMatch(/argon2|session-hash-of-dora|password/);
  });

  it('writes the export to a new file with mode 0600', async () => {
    const path = join(rig.dir, 'dora.json');
    expect(await rig.cli(['users', 'export', 'dora', '--output', path])).toMatchObject({ code: 0, stdout: `Wrote what is stored about dora to ${path}.\n` });
    expect(JSON.parse(readFileSync(path, 'utf8')).user.username).toBe('dora');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect((await rig.cli(['users', 'export', 'dora', '--output', path])).stderr).toBe(`castellan: cannot write ${path}: EEXIST\n`);
  });

  it('deletes the user and every row about them, keeping other users', async () => {
    const result = await rig.cli(['users', 'delete', 'dora']);
    expect(result).toMatchObject({ code: 0, stdout: 'Deleted user dora: 0 grants, 0 tokens, 1 session and 1 consent removed; 1 audit event anonymised.\n' });
    const leftovers = await rig.withKnex(async (knex) => {
      const tables: string[] = (await knex('sqlite_master').where({ type: 'table' }).pluck('name')).filter((name: string) => !name.startsWith('sqlite_'));
      const found: string[] = [];
      for (const table of tables) for (const row of await knex(table).select('*')) if (JSON.stringify(row).match(new RegExp(`${userId}|dora`))) found.push(table);
      return found;
    });
    expect(leftovers).toEqual([]);
    expect(JSON.parse((await rig.cli(['users', 'list', '--json'])).stdout).map((u: { username: string }) => u.username)).toEqual(['bob']);
    expect(await rig.cli(['users', 'export', 'dora'])).toMatchObject({ code: 1, stderr: 'castellan: user "dora" not found\n' });
  });
});
