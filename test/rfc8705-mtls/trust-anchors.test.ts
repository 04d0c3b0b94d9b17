/**
 * The trust anchors of tls_client_auth: MTLS_CA_FILE read once for both the TLS listener's
 * certificate request and the chain check, and only its CA certificates kept.
 * @spec https://www.rfc-editor.org/rfc/rfc8705#section-2.1 (chain validated against trust anchors)
 */
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainProblem, pemCertificates, trustAnchorPem, trustAnchors } from '../../src/rfc8705-mtls/trust-anchors.js';
import { clientCertificateOptions } from '../../src/security/tls.js';
import { makeTestPki, type TestPki } from './mtls-fixtures.js';

describe('RFC 8705 §2.1 trust anchors (MTLS_CA_FILE)', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = makeTestPki();
  });
  afterAll(() => pki.close());

  it('reads the bundle once: the listener and the chain check share it, even after the file is gone', () => {
    const caFile = join(pki.dir, 'read-once.pem');
    copyFileSync(pki.caFile, caFile);
    const config = { mtlsCaFile: caFile };
    expect(clientCertificateOptions(config)).toMatchObject({ requestCert: true, rejectUnauthorized: false, ca: trustAnchorPem(config) });
    rmSync(caFile);
    const anchors = trustAnchors(config);
    expect(anchors).toHaveLength(1);
    expect(chainProblem(pki.clientA.x509, anchors, Math.floor(Date.now() / 1000))).toBeUndefined();
    expect(chainProblem(pki.rogueA.x509, anchors, Math.floor(Date.now() / 1000))).toBe('the certificate was not issued by a trusted CA');
  });

  it('has no anchors and asks for no CA when MTLS_CA_FILE is unset', () => {
    expect(trustAnchors({})).toEqual([]);
    expect(clientCertificateOptions({})).toEqual({ requestCert: true, rejectUnauthorized: false });
  });

  it('finds every PEM certificate block of a text, in order', () => {
    expect(pemCertificates(`junk\n${pki.clientA.cert}\nmore\n${pki.clientB.cert}`).map((pem) => pem.slice(0, 27))).toEqual(['-----BEGIN CERTIFICATE-----', '-----BEGIN CERTIFICATE-----']);
    expect(pemCertificates('no certificate here')).toEqual([]);
  });
});
