/**
 * TOTP as Castellan uses it: 160-bit Base32 secrets, otpauth URIs apps accept, one step of drift
 * either way, and a step never accepted twice.
 * @spec https://www.rfc-editor.org/rfc/rfc6238#section-5.2
 * @spec https://www.rfc-editor.org/rfc/rfc4226#section-4 (R6: 128-bit minimum, 160 recommended)
 * @spec https://github.com/google/google-authenticator/wiki/Key-Uri-Format
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchTotp, newTotpSecret, otpauthUri, totpCode, verifyTotp } from '../../src/mfa/totp.js';
import type { UserRecord } from '../../src/storage/stores.js';
import { backendName, createTestContextWithUser, type TestContext } from '../support/test-context.js';

describe('RFC 4226 §4 / RFC 6238 secrets and provisioning URIs', () => {
  it('MUST generate 160-bit secrets, different each time', () => {
    const secrets = new Set(Array.from({ length: 20 }, newTotpSecret));
    expect(secrets.size).toBe(20);
    for (const secret of secrets) {
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      expect(Buffer.from(secret, 'ascii').length * 5).toBe(160);
    }
  });

  it('MUST build an otpauth://totp URI naming issuer and account, with SHA1, 6 digits and 30 s', () => {
    const uri = new URL(otpauthUri('Castellan Test', 'alice@example.com', 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Castellan Test:alice@example.com');
    expect(Object.fromEntries(uri.searchParams)).toMatchObject({ secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', issuer: 'Castellan Test' });
    for (const [name, value] of [['algorithm', 'SHA1'], ['digits', '6'], ['period', '30']]) {
      const present = uri.searchParams.get(name);
      if (present !== null) expect(present).toBe(value);
    }
  });
});

describe('RFC 6238 §5.2 validation window', () => {
  const secret = newTotpSecret();
  const now = 1_800_000_015;

  it('MUST accept the current step and one step either side, and nothing further', async () => {
    const step = Math.floor(now / 30);
    expect(await matchTotp(secret, await totpCode(secret, now), now)).toBe(step);
    expect(await matchTotp(secret, await totpCode(secret, now - 30), now)).toBe(step - 1);
    expect(await matchTotp(secret, await totpCode(secret, now + 30), now)).toBe(step + 1);
    expect(await matchTotp(secret, await totpCode(secret, now - 60), now)).toBeUndefined();
    expect(await matchTotp(secret, await totpCode(secret, now + 60), now)).toBeUndefined();
  });

  it('MUST refuse steps at or before the last accepted one', async () => {
    const step = Math.floor(now / 30);
    expect(await matchTotp(secret, await totpCode(secret, now), now, step)).toBeUndefined();
    expect(await matchTotp(secret, await totpCode(secret, now), now, step - 1)).toBe(step);
  });

  it('MUST refuse malformed codes without throwing', async () => {
    for (const code of ['', '12345', '1234567', 'abcdef', '12 456', '١٢٣٤٥٦']) expect(await matchTotp(secret, code, now)).toBeUndefined();
  });
});

describe(`RFC 6238 §5.2 one use per code (${backendName})`, () => {
  let ctx: TestContext;
  let user: UserRecord;
  const secret = newTotpSecret();

  beforeAll(async () => {
    ({ ctx, user } = await createTestContextWithUser());
    await ctx.stores.mfa.insert({ userId: user.id, secretEncrypted: ctx.sealer.seal(secret), enabledAt: ctx.clock(), lastUsedStep: null });
  });
  afterAll(() => ctx.close());

  it('MUST accept a code once and record its step; two racing uses of one code: exactly one passes', async () => {
    const issuedAt = ctx.clock();
    const code = await totpCode(secret, issuedAt);
    const record = (await ctx.stores.mfa.find(user.id))!;
    const results = await Promise.all([verifyTotp(ctx, record, code), verifyTotp(ctx, record, code), verifyTotp(ctx, record, code)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await ctx.stores.mfa.find(user.id))!.lastUsedStep).toBe(Math.floor(issuedAt / 30));
    expect(await verifyTotp(ctx, (await ctx.stores.mfa.find(user.id))!, code)).toBe(false);
  });
});
