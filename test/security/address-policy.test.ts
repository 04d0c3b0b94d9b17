import { describe, expect, it } from 'vitest';
import { isAlwaysForbiddenAddress, isForbiddenAddress, isMetadataHostName } from '../../src/security/address-policy.js';

describe('outbound address policy against SSRF (OWASP SSRF Prevention Cheat Sheet)', () => {
  it.each([
    '127.0.0.1', '127.9.9.9', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
    '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', '::ffff:127.0.0.1', '::ffff:7f00:1',
    '::ffff:169.254.169.254', '64:ff9b::a9fe:a9fe', '[::1]', 'not-an-ip',
  ])('MUST refuse %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows the public address %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(false);
  });

  it.each([
    '169.254.169.254', '169.254.0.1', '169.254.255.255', 'fd00:ec2::254', '100.100.100.200', '192.0.0.192', 'fe80::1', 'febf::1',
    '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '64:ff9b::a9fe:a9fe', '[fd00:ec2::254]', '::ffff:100.100.100.200',
  ])('MUST refuse the metadata or link-local address %s under every policy', (address) => {
    expect(isAlwaysForbiddenAddress(address)).toBe(true);
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each(['127.0.0.1', '10.0.0.1', '192.168.1.1', 'fd12::1', '::1', '100.64.0.1', '8.8.8.8'])('leaves %s to the private-network setting', (address) => {
    expect(isAlwaysForbiddenAddress(address)).toBe(false);
  });

  it('MUST recognise cloud metadata host names in any case, with the root dot', () => {
    for (const name of ['metadata.google.internal', 'METADATA.google.internal.', 'metadata.goog']) expect(isMetadataHostName(name), name).toBe(true);
    expect(isMetadataHostName('metadata.example.com')).toBe(false);
  });
});
