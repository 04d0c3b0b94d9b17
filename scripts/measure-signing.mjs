#!/usr/bin/env node
/**
 * Measures what one ID token signature costs per algorithm and key size (RS256 with 2048, 3072 and
 * 4096-bit keys, ES256, PS256, EdDSA with Ed25519), using jose's SignJWT over a typical ID token payload, and prints a Markdown
 * table: median milliseconds per signature and per verification, and signatures per second per core.
 * Usage: npm run measure:signing [-- ROUNDS]   (default 300 rounds per row, after 30 warm-up rounds)
 * @spec https://www.rfc-editor.org/rfc/rfc7518#section-3.1 (RS256, ES256, PS256)
 * @spec https://www.rfc-editor.org/rfc/rfc8037#section-3.1 (EdDSA)
 */
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import { generateKeyPair, jwtVerify, SignJWT } from 'jose';

const rounds = Number(process.argv[2] ?? 300);
const warmup = 30;

const now = Math.floor(Date.now() / 1000);
const payload = {
  iss: 'https://id.example.com',
  sub: 'f5c0f7c21755ae5c0c324f4cc537ed75',
  aud: 'staging-web',
  exp: now + 3600,
  iat: now,
  auth_time: now - 30,
  nonce: 'n-0S6_WzA2Mj',
  sid: '08a5019c-17e1-4977-8f42-65a12843ea02',
  at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q',
  acr: '1',
  amr: ['pwd'],
  azp: 'staging-web',
  name: 'Alice Liddell',
  email: 'alice@example.com',
  email_verified: true,
};

const rows = [
  { alg: 'RS256', key: 'RSA 2048', options: { modulusLength: 2048 } },
  { alg: 'RS256', key: 'RSA 3072', options: { modulusLength: 3072 } },
  { alg: 'RS256', key: 'RSA 4096', options: { modulusLength: 4096 } },
  { alg: 'ES256', key: 'EC P-256', options: {} },
  { alg: 'PS256', key: 'RSA 2048', options: { modulusLength: 2048 } },
  { alg: 'EdDSA', key: 'OKP Ed25519', options: { crv: 'Ed25519' } },
];

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

async function timed(work) {
  const samples = [];
  for (let i = 0; i < warmup + rounds; i++) {
    const started = performance.now();
    await work();
    if (i >= warmup) samples.push(performance.now() - started);
  }
  return median(samples);
}

const lines = [
  '| alg | key | sign, median ms | verify, median ms | signatures/s per core |',
  '|---|---|---:|---:|---:|',
];
for (const row of rows) {
  const { privateKey, publicKey } = await generateKeyPair(row.alg, row.options);
  const sign = () => new SignJWT(payload).setProtectedHeader({ alg: row.alg, kid: 'k1', typ: 'JWT' }).sign(privateKey);
  const token = await sign();
  const signMs = await timed(sign);
  const verifyMs = await timed(() => jwtVerify(token, publicKey, { issuer: payload.iss, audience: payload.aud }));
  lines.push(`| ${row.alg} | ${row.key} | ${signMs.toFixed(3)} | ${verifyMs.toFixed(3)} | ${Math.round(1000 / signMs).toLocaleString('en-US')} |`);
}
console.log(lines.join('\n'));
console.log(`\n${rounds} rounds per row (median, after ${warmup} warm-up rounds); Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}.`);
