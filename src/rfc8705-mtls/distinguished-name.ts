/**
 * Distinguished names compared as RFC 8705 §2.1.2 asks: the registered tls_client_auth_subject_dn is
 * an RFC 4514 string, and the certificate's subject matches it when both name the same attributes
 * with equal values, whatever their spelling: attribute types by short name or OID, escapes
 * (`\,` `\2C`), the order of values inside a multi-valued RDN, case and insignificant spaces
 * (caseIgnoreMatch after RFC 4518 preparation).
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-2.1.2 (expected subject DN in RFC 4514 format)
 * @spec https://www.rfc-editor.org/rfc/rfc4514#section-3 (parsing a string back to a DN)
 * @spec https://www.rfc-editor.org/rfc/rfc4518#section-2 (string preparation: case folding, insignificant spaces)
 */
import type { X509Certificate } from 'node:crypto';

/** One RDN: its attribute type=value pairs, normalised and sorted. */
export type NormalizedRdn = string[];

/** Short names, long names and OIDs of the attribute types certificates use, all to one spelling. */
const TYPE_ALIASES: Record<string, string> = {
  cn: 'cn', commonname: 'cn', '2.5.4.3': 'cn',
  c: 'c', countryname: 'c', '2.5.4.6': 'c',
  o: 'o', organizationname: 'o', '2.5.4.10': 'o',
  ou: 'ou', organizationalunitname: 'ou', '2.5.4.11': 'ou',
  l: 'l', localityname: 'l', '2.5.4.7': 'l',
  st: 'st', stateorprovincename: 'st', s: 'st', '2.5.4.8': 'st',
  street: 'street', streetaddress: 'street', '2.5.4.9': 'street',
  dc: 'dc', domaincomponent: 'dc', '0.9.2342.19200300.100.1.25': 'dc',
  uid: 'uid', userid: 'uid', '0.9.2342.19200300.100.1.1': 'uid',
  serialnumber: 'serialnumber', '2.5.4.5': 'serialnumber',
  title: 'title', '2.5.4.12': 'title',
  sn: 'sn', surname: 'sn', '2.5.4.4': 'sn',
  gn: 'gn', givenname: 'gn', '2.5.4.42': 'gn',
  organizationidentifier: 'organizationidentifier', '2.5.4.97': 'organizationidentifier',
  emailaddress: 'emailaddress', email: 'emailaddress', e: 'emailaddress', '1.2.840.113549.1.9.1': 'emailaddress',
};

export class DnSyntaxError extends Error {}

const normalizeType = (raw: string): string => {
  const type = raw.trim().toLowerCase().replace(/^oid\./, '');
  if (!/^([a-z][a-z0-9-]*|\d+(\.\d+)+)$/.test(type)) throw new DnSyntaxError(`"${raw}" is not an attribute type`);
  return TYPE_ALIASES[type] ?? type;
};

/** RFC 4518 §2: compatibility normalisation, case folding, one space between words, none around. */
const normalizeValue = (value: string): string => value.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();

/** RFC 4514 §3 unescaping: `\` then a special character, or two hex digits of a UTF-8 byte. */
function unescapeValue(raw: string): string {
  const text = raw.trim();
  // A #-prefixed BER encoding is compared as given (lower-cased hex).
  if (text.startsWith('#')) return text.toLowerCase();
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] !== '\\') {
      bytes.push(...Buffer.from(text[i], 'utf8'));
      continue;
    }
    const hex = text.slice(i + 1, i + 3);
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (i + 1 < text.length) {
      bytes.push(...Buffer.from(text[i + 1], 'utf8'));
      i += 1;
    } else throw new DnSyntaxError('a DN value ends in a lone backslash');
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Splits on `separator` where it is not escaped by a backslash. */
function splitUnescaped(text: string, separators: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] === '\\' && i + 1 < text.length) {
      current += text[i] + text[i + 1];
      i += 1;
    } else if (separators.includes(text[i])) {
      parts.push(current);
      current = '';
    } else current += text[i];
  }
  parts.push(current);
  return parts;
}

function parseRdn(text: string): NormalizedRdn {
  return splitUnescaped(text, '+').map((ava) => {
    const eq = ava.indexOf('=');
    if (eq <= 0) throw new DnSyntaxError(`"${ava.trim()}" is not type=value`);
    return `${normalizeType(ava.slice(0, eq))}=${normalizeValue(unescapeValue(ava.slice(eq + 1)))}`;
  }).sort();
}

/**
 * An RFC 4514 string (most specific RDN first, such as `CN=client,O=Example,C=US`) as normalised
 * RDNs, most specific first. Throws DnSyntaxError when it is not a DN.
 */
export function parseDistinguishedName(dn: string): NormalizedRdn[] {
  if (dn.trim().length === 0) throw new DnSyntaxError('the DN is empty');
  return splitUnescaped(dn, ',;').map(parseRdn);
}

/**
 * The certificate's subject in the same form. Node prints one RDN a line, in certificate order
 * (least specific first), values escaped as RFC 2253 does and multi-valued RDNs joined with ` + `.
 */
export function certificateSubject(certificate: X509Certificate): NormalizedRdn[] {
  if (!certificate.subject) return [];
  return certificate.subject.split('\n').reverse().map((line) => parseRdn(line.replace(/ \+ /g, '+')));
}

export function sameDistinguishedName(a: NormalizedRdn[], b: NormalizedRdn[]): boolean {
  return a.length === b.length && a.every((rdn, i) => rdn.length === b[i].length && rdn.every((ava, j) => ava === b[i][j]));
}
