/**
 * `castellan users add|list|remove`, run in-process on a SQLite file. Passwords are argon2id hashes
 * that no command prints.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#StandardClaims
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import argon2 from 'argon2';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliRig, type CliRig } from './cli-harness.js';

describe('castellan users (SQLite file)', () => {
  let rig: CliRig;
  beforeAll(() => {
    rig = cliRig();
  });

  it('adds a user with --password and --claim; the stored hash verifies the password', async () => {
    const added = await rig.cli(['users', 'add', 'ada', '--password', 'analytical engine', '--claim', 'name=Ada Lovelace',
      '--claim', 'email=ada@example.com', '--claim', 'email_verified=true', '--claim', 'address={"country":"GB"}']);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toMatch(/^Created user ada \(sub [0-9a-f]{32}\)\.$/m);
    const user = await rig.withStores((stores) => stores.users.findByUsername('ada'));
    expect(user!.claims).toEqual({ name: 'Ada Lovelace', email: 'ada@example.com', email_verified: true, address: { country: 'GB' } });
    expect(user!.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await argon2.verify(user!.passwordHash, 'analytical engine')).toBe(true);
  });

  it('reads the password from stdin when stdin is not a terminal (first line only)', async () => {
    const added = await rig.cli(['users', 'add', 'grace', '--json'], { stdin: 'compiler pioneer\n', tty: false });
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ username: 'grace', claims: {} });
    const user = await rig.withStores((stores) => stores.users.findByUsername('grace'));
    expect(await argon2.verify(user!.passwordHash, 'compiler pioneer')).toBe(true);
  });

  it('takes claims from a file, with --claim on top', async () => {
    const path = join(rig.dir, 'claims.json');
    writeFileSync(path, JSON.stringify({ given_name: 'Katherine', family_name: 'Johnson', locale: 'en-US' }));
    const added = await rig.cli(['users', 'add', 'katherine', '--password-stdin', '--claims', path, '--claim', 'locale=en-GB', '--json'], { stdin: 'orbital mechanics' });
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout).claims).toEqual({ given_name: 'Katherine', family_name: 'Johnson', locale: 'en-GB' });
  });

  it('lists users as a table and as JSON, never with password hashes', async () => {
    const table = await rig.cli(['users', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^USERNAME +SUB +NAME +EMAIL +CREATED$/);
    expect(table.stdout).toMatch(/^ada +[0-9a-f]{32} +Ada Lovelace +ada@example\.com +\d{4}-/m);
    const json = await rig.cli(['users', 'list', '--json']);
    const users = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(users.map((u) => u.username)).toEqual(['ada', 'grace', 'katherine']);
    for (const output of [table.stdout, json.stdout]) {
      expect(output).not.toContain('$argon2');
      expect(output).not.toMatch(/password/i);
    }
  });

  it.each([
    [['users', 'add', 'bob', '--password', 'short pw'], {}, /^castellan: password must be at least 12 characters$/],
    [['users', 'add', 'bob', '--password', 'password1234'], {}, /^castellan: password is too common/],
    [['users', 'add', 'bob'], { tty: true }, /^castellan: a password is required: pass --password or pipe it with --password-stdin$/],
    [['users', 'add', 'bob', '--password-stdin'], { stdin: '' }, /^castellan: no password on stdin$/],
    [['users', 'add', 'ada', '--password', 'long enough pw'], {}, /^castellan: user ada already exists$/],
    [['users', 'add', 'bob', '--password', 'long enough pw', '--claim', 'email_verified=maybe'], {}, /^castellan: claims: email_verified must be boolean$/],
    [['users', 'add', 'bob', '--password', 'long enough pw', '--claim', 'email=not-an-email'], {}, /^castellan: claims: email must match format "email"$/],
    [['users', 'add', 'bob', '--password', 'long enough pw', '--claim', 'favourite_colour=blue'], {}, /^castellan: claims\.favourite_colour is not a standard OpenID Connect claim$/],
    [['users', 'add', 'bob', '--password', 'long enough pw', '--claim', 'novalue'], {}, /^castellan: --claim novalue: expected name=value$/],
    [['users', 'remove', 'nobody'], {}, /^castellan: user "nobody" not found$/],
  ])('exits 1 with a one-line message for %j', async (argv, options, message) => {
    const result = await rig.cli(argv as string[], options as { tty?: boolean; stdin?: string });
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd()).toMatch(message);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('stores nothing when the password policy refuses', async () => {
    await rig.cli(['users', 'add', 'bob', '--password', 'short pw']);
    expect(await rig.withStores((stores) => stores.users.findByUsername('bob'))).toBeUndefined();
  });

  it('removes a user and revokes their grants', async () => {
    const user = await rig.withStores((stores) => stores.users.findByUsername('grace'));
    await rig.withStores((stores) => stores.insertNewRows({ grants: [{
      id: 'grace-grant', clientId: 'any', userId: user!.id, scope: 'openid', claims: null, resource: null, authTime: 1, acr: null, amr: null,
      sid: null, createdAt: 1, expiresAt: 4_000_000_000, revokedAt: null, revokedReason: null,
    }] }));
    expect(await rig.cli(['users', 'remove', 'grace'])).toMatchObject({ code: 0, stdout: 'Removed user grace (1 grant revoked).\n' });
    expect(await rig.withStores((stores) => stores.users.findByUsername('grace'))).toBeUndefined();
    expect(await rig.withStores((stores) => stores.grants.find('grace-grant'))).toMatchObject({ revokedReason: 'user_removed' });
    const listed = JSON.parse((await rig.cli(['users', 'list', '--json'])).stdout) as { username: string }[];
    expect(listed.map((u) => u.username)).not.toContain('grace');
  });
});
