/**
 * `castellan keys list|rotate`, run in-process on a SQLite file.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#RotateSigKeys
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cliRig, type CliRig } from './cli-harness.js';

interface KeyView { kid: string; alg: string; state: string; published: boolean; public_jwk: Record<string, unknown>; remove_after: number | null }

describe('castellan keys (SQLite file)', () => {
  let rig: CliRig;
  const list = async () => JSON.parse((await rig.cli(['keys', 'list', '--json'])).stdout) as KeyView[];
  beforeAll(() => {
    rig = cliRig();
  });

  it('lists an active and a next key per algorithm on a new database, public parts only', async () => {
    const keys = await list();
    for (const alg of ['RS256', 'ES256']) {
      expect(keys.filter((k) => k.alg === alg).map((k) => k.state).sort()).toEqual(['active', 'next']);
    }
    for (const key of keys) {
      expect(key.published).toBe(true);
      expect(key.public_jwk).not.toHaveProperty('d');
      expect(key).not.toHaveProperty('privateEncrypted');
    }
    const table = await rig.cli(['keys', 'list']);
    expect(table.stdout.split('\n')[0]).toMatch(/^KID +ALG +STATE +CREATED +ACTIVATED +RETIRED +UNPUBLISHED AFTER$/);
    expect(table.stdout).not.toContain('v1.');
  });

  it('rotate: the old active key retires, next becomes active, and a new next key exists', async () => {
    const before = await list();
    const rotated = await rig.cli(['keys', 'rotate']);
    expect(rotated.code).toBe(0);
    const after = await list();
    for (const alg of ['RS256', 'ES256']) {
      const oldActive = before.find((k) => k.alg === alg && k.state === 'active')!;
      const oldNext = before.find((k) => k.alg === alg && k.state === 'next')!;
      const find = (kid: string) => after.find((k) => k.kid === kid)!;
      expect(find(oldActive.kid)).toMatchObject({ state: 'retired', published: true });
      expect(find(oldActive.kid).remove_after).toBeGreaterThan(0);
      expect(find(oldNext.kid).state).toBe('active');
      const newNext = after.filter((k) => k.alg === alg && k.state === 'next');
      expect(newNext).toHaveLength(1);
      expect([oldActive.kid, oldNext.kid]).not.toContain(newNext[0].kid);
      expect(rotated.stdout).toContain(`${alg}: active ${oldNext.kid}, next ${newNext[0].kid}`);
    }
  });

  it('rotate --alg ES256 leaves the RS256 keys alone', async () => {
    const before = await list();
    expect((await rig.cli(['keys', 'rotate', '--alg', 'ES256'])).code).toBe(0);
    const after = await list();
    const rsa = (keys: KeyView[]) => keys.filter((k) => k.alg === 'RS256').map((k) => `${k.kid}:${k.state}`).sort();
    expect(rsa(after)).toEqual(rsa(before));
    expect(after.filter((k) => k.alg === 'ES256' && k.state === 'retired')).toHaveLength(2);
  });

  it('refuses an unsupported --alg with one line and exit 1', async () => {
    const result = await rig.cli(['keys', 'rotate', '--alg', 'HS256']);
    expect(result).toMatchObject({ code: 1, stderr: 'castellan: --alg HS256 is not supported (use RS256 or PS256 or ES256 or EdDSA)\n' });
  });
});
