/**
 * The signing key life cycle: next -> active -> retired -> removed, per alg, with the state in the
 * database so every node agrees; and two nodes deciding at the same moment (start-up on an empty
 * database, the scheduled rotation) change the keys once, not twice.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#RotateSigKeys
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SigningKeyRecord } from '../../src/storage/stores.js';
import { Keystore, SUPPORTED_ALGS } from '../../src/tokens/keystore.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

const DAY = 86_400;

describe(`Keystore (${backendName})`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  /** Another node's keystore over the same database. */
  const node = () => new Keystore({ stores: ctx.stores, sealer: ctx.sealer, clock: ctx.clock, rsaModulusLength: 2048, retirementPeriod: DAY });
  const byState = (keys: SigningKeyRecord[], alg: string, state: string) => keys.filter((k) => k.alg === alg && k.state === state);

  it('MUST hold exactly one active and one next key per alg after start-up', async () => {
    const keys = await ctx.stores.keys.listAll();
    for (const alg of SUPPORTED_ALGS) {
      expect(byState(keys, alg, 'active')).toHaveLength(1);
      expect(byState(keys, alg, 'next')).toHaveLength(1);
    }
  });

  it('MUST promote the published next key, retire the active one (still published), and publish a new next', async () => {
    const before = await ctx.stores.keys.listAll();
    const nextRs = byState(before, 'RS256', 'next')[0];
    const activeRs = byState(before, 'RS256', 'active')[0];
    const [promoted] = await ctx.keystore.rotate(['RS256']);
    expect(promoted.kid).toBe(nextRs.kid);
    const after = await ctx.stores.keys.listAll();
    expect(byState(after, 'RS256', 'active').map((k) => k.kid)).toEqual([nextRs.kid]);
    expect(byState(after, 'RS256', 'retired').map((k) => k.kid)).toContain(activeRs.kid);
    expect(byState(after, 'RS256', 'next')).toHaveLength(1);
    expect(byState(after, 'RS256', 'next')[0].kid).not.toBe(nextRs.kid);
    const published = (await ctx.keystore.jwks()).keys.map((k) => k.kid);
    expect(published).toEqual(expect.arrayContaining([activeRs.kid, nextRs.kid]));
  });

  it('MUST rotate on schedule only when the active key is older than the interval', async () => {
    const keystore = node();
    await keystore.reload();
    expect(await keystore.rotateIfDue(30 * DAY)).toBe(false);
    ctx.clock.advance(31 * DAY);
    expect(await keystore.rotateIfDue(30 * DAY)).toBe(true);
    expect(await keystore.rotateIfDue(30 * DAY)).toBe(false);
  });

  it('MUST rotate once when two nodes find the rotation due at the same moment', async () => {
    const [first, second] = [node(), node()];
    await Promise.all([first.reload(), second.reload()]);
    ctx.clock.advance(91 * DAY);
    const eventsBefore = (await ctx.stores.audit.list({ type: 'keys.rotated', limit: 1000 })).length;
    const outcomes = await Promise.all([first.rotateIfDue(90 * DAY), second.rotateIfDue(90 * DAY)]);
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    const keys = await ctx.stores.keys.listAll();
    for (const alg of SUPPORTED_ALGS) {
      expect(byState(keys, alg, 'active')).toHaveLength(1);
      expect(byState(keys, alg, 'next')).toHaveLength(1);
    }
    expect((await ctx.stores.audit.list({ type: 'keys.rotated', limit: 1000 })).length).toBe(eventsBefore + 1);
  });

  it('MUST publish one key per alg and state, PS256 on its own RSA key and EdDSA on an Ed25519 OKP key (RFC 8037 §2)', async () => {
    const { keys } = await ctx.keystore.jwks();
    const active = await ctx.stores.keys.listAll();
    const kidOf = (alg: string) => byState(active, alg, 'active')[0].kid;
    expect(keys.find((k) => k.kid === kidOf('EdDSA'))).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(keys.find((k) => k.kid === kidOf('PS256'))).toMatchObject({ kty: 'RSA', alg: 'PS256', use: 'sig' });
    expect(kidOf('PS256')).not.toBe(kidOf('RS256'));
    for (const key of keys) expect(key).not.toHaveProperty('d');
  });

  it('MUST give a database holding only RS256 and ES256 keys the new algs\' keys at start, keeping the old ones', async () => {
    const before = await ctx.stores.keys.listAll();
    for (const key of before.filter((k) => k.alg === 'PS256' || k.alg === 'EdDSA')) await ctx.knex('signing_keys').where({ kid: key.kid }).delete();
    const kept = (await ctx.stores.keys.listAll()).map((k) => k.kid).sort();
    const upgraded = node();
    await upgraded.initialise();
    const after = await ctx.stores.keys.listAll();
    expect(after.map((k) => k.kid)).toEqual(expect.arrayContaining(kept));
    for (const alg of ['PS256', 'EdDSA'] as const) {
      expect(byState(after, alg, 'active')).toHaveLength(1);
      expect(byState(after, alg, 'next')).toHaveLength(1);
      const jwt = await upgraded.sign({ sub: 'x' }, { alg });
      const { alg: signedWith, kid } = JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString());
      expect(signedWith).toBe(alg);
      expect(kid).toBe(byState(after, alg, 'active')[0].kid);
    }
  });

  it('MUST create keys once when several nodes start on a database without keys', async () => {
    for (const key of await ctx.stores.keys.listAll()) await ctx.knex('signing_keys').where({ kid: key.kid }).delete();
    await Promise.all([node().initialise(), node().initialise(), node().initialise()]);
    const keys = await ctx.stores.keys.listAll();
    for (const alg of SUPPORTED_ALGS) {
      expect(byState(keys, alg, 'active')).toHaveLength(1);
      expect(byState(keys, alg, 'next')).toHaveLength(1);
    }
  });
});
