/**
 * The hostile values the operation fuzzer sends: fixed cases for each known way text goes wrong,
 * plus a few values from a seeded generator (mulberry32), so every run sends the same requests.
 */
export type Json = Record<string, any>;

/** mulberry32: a small deterministic generator; the seed fixes every run. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = generator(0x5eed_2026);
const randomInt = (below: number) => Math.floor(random() * below);
const randomBytes = (length: number) => Buffer.from(Array.from({ length }, () => randomInt(256)));
/** UTF-16 code units at random, surrogate halves included. */
const randomUnits = (length: number) => String.fromCharCode(...Array.from({ length }, () => randomInt(0x10000)));

/** Every byte as %XX: what a client sends when it percent-encodes arbitrary octets. */
export const percentEncode = (bytes: Buffer): string => [...bytes].map((byte) => `%${byte.toString(16).padStart(2, '0').toUpperCase()}`).join('');

export const HOSTILE_BYTES: { label: string; bytes: Buffer }[] = [
  { label: 'NUL', bytes: Buffer.from('a\0b') },
  { label: 'invalid UTF-8 byte 0xFF', bytes: Buffer.from([0x61, 0xff, 0x62]) },
  { label: 'UTF-8-encoded lone surrogate', bytes: Buffer.from([0xed, 0xa0, 0x80]) },
  { label: 'truncated UTF-8 sequence', bytes: Buffer.from([0x61, 0xc3]) },
  { label: 'overlong NUL', bytes: Buffer.from([0xc0, 0x80]) },
  { label: '100 KB value', bytes: Buffer.alloc(100_000, 'a') },
  ...[1, 2, 3].map((n) => ({ label: `seeded random bytes #${n}`, bytes: randomBytes(1 + randomInt(48)) })),
];

/** JSON text, not values: a value nested 30,000 deep could not even be stringified by the test. */
const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
const text = (value: unknown) => JSON.stringify(value);

export const HOSTILE_JSON: { label: string; json: string }[] = [
  { label: 'string with NUL', json: text('a\u0000b') },
  { label: 'lone high surrogate', json: text('a\ud800') },
  { label: 'lone low surrogate', json: text('\udc00b') },
  { label: 'array nested 2,000 deep', json: deep(2000) },
  // 60 KB: just inside the 64 KB body limit, deep enough to overflow any recursion over it.
  { label: 'array nested 30,000 deep', json: deep(30_000) },
  { label: 'object nested 100 deep', json: '{"a":'.repeat(100) + '1' + '}'.repeat(100) },
  { label: '100 KB string', json: text('a'.repeat(100_000)) },
  { label: 'array with a NUL member', json: text(['https://rp.example/cb', 'a\u0000']) },
  { label: 'object with a NUL member', json: text({ keys: [{ kty: 'a\u0000' }] }) },
  { label: 'member name with a lone surrogate', json: '{"\\ud800":1}' },
  { label: 'number', json: '1e308' },
  { label: 'boolean', json: 'true' },
  { label: 'seeded random code units', json: text(randomUnits(32)) },
];

/**
 * Header variants: the operation's own Authorization scheme carrying the hostile bytes (Basic
 * credentials are base64 of `id:secret`, so raw bytes reach the server's decoder), a junk bearer
 * token, and headers near and beyond node's 16 KB limit.
 */
export function hostileHeaders(authorization: string | undefined): { label: string; headers: Record<string, string> }[] {
  const basic = (bytes: Buffer) => `Basic ${Buffer.concat([bytes, Buffer.from(':secret')]).toString('base64')}`;
  const variants: { label: string; headers: Record<string, string> }[] = [
    ...HOSTILE_BYTES.filter((b) => b.bytes.length < 1000).flatMap(({ label, bytes }) => [
      { label: `Basic client_id=${label} (raw)`, headers: { authorization: basic(bytes) } },
      { label: `Basic client_id=${label} (percent-encoded)`, headers: { authorization: basic(Buffer.from(percentEncode(bytes))) } },
    ]),
    { label: 'Bearer with latin-1 junk', headers: { authorization: `Bearer ${randomBytes(32).toString('latin1').replace(/[\0-\x1f\x7f]/g, 'x')}` } },
    { label: 'Authorization of 12 KB', headers: { authorization: `Bearer ${'a'.repeat(12_000)}` } },
    { label: 'cookie with hostile values', headers: { cookie: `castellan_session=${percentEncode(Buffer.from('a\0b'))}; castellan_interaction=${'%FF'.repeat(10)}` } },
    { label: 'header of 100 KB', headers: { 'x-fuzz': 'a'.repeat(100_000) } },
  ];
  return authorization === undefined ? variants.filter((v) => !v.label.startsWith('Basic')) : variants;
}
