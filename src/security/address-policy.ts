/**
 * Which network addresses an outbound request may reach. Private, loopback, link-local, shared,
 * multicast and reserved ranges are refused so a client-supplied URL cannot make the server probe
 * its own network (SSRF). Cloud metadata services and link-local ranges are refused in every mode,
 * OUTBOUND_ALLOW_PRIVATE_NETWORKS included: no relying party lives there, and a metadata service
 * hands out the server's own cloud credentials.
 * @spec https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html (server-side request forgery via client metadata)
 * @spec https://www.rfc-editor.org/rfc/rfc6890 (special-purpose address registries)
 * @spec https://www.rfc-editor.org/rfc/rfc3927 (IPv4 link-local) and https://www.rfc-editor.org/rfc/rfc4291#section-2.5.6 (IPv6 link-local)
 */
import { BlockList, isIP } from 'node:net';

const forbidden = new BlockList();
const V4: [string, number][] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
];
const V6: [string, number][] = [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8], ['2001:db8::', 32], ['100::', 64],
];
for (const [net, prefix] of V4) forbidden.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of V6) forbidden.addSubnet(net, prefix, 'ipv6');

/**
 * Never reachable, whatever the policy: link-local (where AWS, GCP and Azure serve metadata at
 * 169.254.169.254) and the metadata addresses outside it: AWS over IPv6 (fd00:ec2::254), Alibaba
 * Cloud (100.100.100.200) and Oracle Cloud (192.0.0.192).
 */
const alwaysForbidden = new BlockList();
for (const [net, prefix] of [['169.254.0.0', 16], ['100.100.100.200', 32], ['192.0.0.192', 32]] as const) alwaysForbidden.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['fe80::', 10], ['fd00:ec2::254', 128]] as const) alwaysForbidden.addSubnet(net, prefix, 'ipv6');

/** Host names of metadata services that resolve only inside their cloud (GCP's, and the names some resolvers add). */
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

/** The IPv4 address embedded in an IPv4-mapped (::ffff:a.b.c.d), compatible or NAT64 IPv6 address. */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex) return undefined;
  const high = parseInt(hex[1], 16);
  const low = parseInt(hex[2], 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

function inList(list: BlockList, address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family === 0) return true;
  if (family === 4) return list.check(bare, 'ipv4');
  const v4 = embeddedIpv4(bare);
  if (v4) return list.check(v4, 'ipv4');
  return list.check(bare, 'ipv6');
}

/** True when `address` (an IP literal) is in a range outbound requests must not reach. */
export function isForbiddenAddress(address: string): boolean {
  return inList(forbidden, address) || inList(alwaysForbidden, address);
}

/** True when `address` (an IP literal) is a metadata or link-local address: refused even where private networks are allowed. */
export function isAlwaysForbiddenAddress(address: string): boolean {
  return inList(alwaysForbidden, address);
}

/** True when `hostname` names a cloud metadata service (any case, with or without the root dot). */
export function isMetadataHostName(hostname: string): boolean {
  return METADATA_NAMES.has(hostname.toLowerCase().replace(/\.$/, ''));
}
