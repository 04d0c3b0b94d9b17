import { describe, expect, it } from 'vitest';
import { certificateSubject, DnSyntaxError, parseDistinguishedName, sameDistinguishedName } from '../../src/rfc8705-mtls/distinguished-name.js';
import { makeTestPki } from './mtls-fixtures.js';

const same = (a: string, b: string) => sameDistinguishedName(parseDistinguishedName(a), parseDistinguishedName(b));

describe('RFC 8705 §2.1.2 subject DN comparison (RFC 4514)', () => {
  it('MUST match a DN spelled differently: attribute type names, OIDs, case and insignificant spaces', () => {
    expect(same('CN=client-a,O=Castellan Test,C=SE', 'cn=Client-A, o=castellan  test , c=se')).toBe(true);
    expect(same('CN=client-a,O=Castellan Test,C=SE', '2.5.4.3=client-a,organizationName=Castellan Test,countryName=SE')).toBe(true);
  });

  it('MUST treat escapes as the characters they stand for', () => {
    expect(same('O=Example\\, Inc,C=US', 'O=Example\\2C Inc,C=US')).toBe(true);
    expect(same('CN=J\\C3\\BCrgen', 'CN=Jürgen')).toBe(true);
  });

  it('MUST NOT match a DN with other values, another order of RDNs, or fewer RDNs', () => {
    expect(same('CN=client-a,O=Castellan Test,C=SE', 'CN=client-b,O=Castellan Test,C=SE')).toBe(false);
    expect(same('CN=client-a,O=Castellan Test,C=SE', 'C=SE,O=Castellan Test,CN=client-a')).toBe(false);
    expect(same('CN=client-a,O=Castellan Test,C=SE', 'CN=client-a,O=Castellan Test')).toBe(false);
    // An escaped comma is part of the value, not a second RDN.
    expect(same('O=a\\,C=SE', 'O=a,C=SE')).toBe(false);
  });

  it('compares the values of a multi-valued RDN in any order', () => {
    expect(same('OU=Dev+O=Example,C=US', 'O=Example+OU=Dev,C=US')).toBe(true);
  });

  it('refuses strings that are not DNs', () => {
    expect(() => parseDistinguishedName('')).toThrow(DnSyntaxError);
    expect(() => parseDistinguishedName('client-a')).toThrow(DnSyntaxError);
    expect(() => parseDistinguishedName('CN=a\\')).toThrow(DnSyntaxError);
  });

  it('MUST read the subject of a certificate in RFC 4514 order (most specific RDN first)', () => {
    const pki = makeTestPki();
    try {
      expect(sameDistinguishedName(certificateSubject(pki.clientA.x509), parseDistinguishedName('CN=client-a,O=Castellan Test,C=SE'))).toBe(true);
      expect(sameDistinguishedName(certificateSubject(pki.clientB.x509), parseDistinguishedName('CN=client-a,O=Castellan Test,C=SE'))).toBe(false);
    } finally {
      pki.close();
    }
  });
});
