/**
 * RFC 6238 Appendix B test vectors (SHA-1 rows) through otplib as src/mfa/totp.ts configures it:
 * 30-second steps from T0 = 0. The 6-digit codes apps show are the last six digits of the 8-digit
 * vectors (the same truncated value modulo 10^6).
 * @spec https://www.rfc-editor.org/rfc/rfc6238#appendix-B
 */
import { generate } from 'otplib';
import { describe, expect, it } from 'vitest';
import { matchTotp, totpCode } from '../../src/mfa/totp.js';

/** The ASCII seed "12345678901234567890" (20 bytes) in Base32. */
const SEED = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

const VECTORS: [number, string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('RFC 6238 Appendix B (SHA-1)', () => {
  it.each(VECTORS)('MUST give the 8-digit vector at T=%i', async (time, expected) => {
    expect(await generate({ secret: SEED, epoch: time, period: 30, digits: 8, algorithm: 'sha1' })).toBe(expected);
  });

  it.each(VECTORS)('MUST give the vector\'s last six digits as the 6-digit code at T=%i', async (time, expected) => {
    expect(await totpCode(SEED, time)).toBe(expected.slice(2));
  });

  it('MUST match a vector\'s code to its time step T = floor(time / 30)', async () => {
    expect(await matchTotp(SEED, '005924', 1234567890)).toBe(Math.floor(1234567890 / 30));
  });
});
