/**
 * The two public documents every relying party fetches: the discovery document and the JWK Set.
 * @spec https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfigurationRequest
 * @spec https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
import { runLoad } from '../lib/runner.mjs';
import { correctness, floor, FLOORS } from '../lib/thresholds.mjs';
import { runStandalone } from '../lib/standalone.mjs';

export async function run(target, options = {}) {
  const documents = [
    { label: 'discovery document', path: target.paths.discovery, check: (body) => JSON.parse(body).issuer === target.meta.issuer, minimum: FLOORS.discovery },
    { label: 'JWKS', path: target.paths.jwks, check: (body) => JSON.parse(body).keys.some((k) => k.kty === 'RSA'), minimum: FLOORS.jwks },
  ];
  const rows = [];
  const thresholds = [];
  for (const doc of documents) {
    const steps = [{ name: doc.label, method: 'GET', path: doc.path, expect: 200, check: (_s, body) => doc.check(body) }];
    const row = { label: doc.label, target: target.name, ...(await runLoad(target.url, steps, options)) };
    rows.push(row);
    thresholds.push(...correctness(doc.label, row), ...floor(doc.label, row.rps, doc.minimum, 'requests/s', options.floors !== false));
  }
  return { scenario: 'discovery-jwks', rows, thresholds };
}

await runStandalone(import.meta.url, run);
