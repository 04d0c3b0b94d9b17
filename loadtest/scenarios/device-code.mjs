/**
 * The device authorization grant as a device drives it before anyone approves: each iteration asks
 * for a device code and user code at the device authorization endpoint (a public client, as TVs and
 * CLIs are), then polls the token endpoint once and is told `authorization_pending`. Approval needs
 * a person at a browser, so it is not in the measured loop; this is the part of the flow that every
 * waiting device repeats, and the writes (a device authorization per iteration, the poll's
 * bookkeeping) are what a server under many waiting devices pays for.
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3.1
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3.4
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3.5
 */
import { formBody, FORM } from '../lib/auth.mjs';
import { CLIENTS } from '../lib/fixtures.mjs';
import { runLoad } from '../lib/runner.mjs';
import { correctness, threshold } from '../lib/thresholds.mjs';
import { runStandalone } from '../lib/standalone.mjs';

export const LABEL = 'device authorization + first poll';
export const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';

export function deviceCodeSteps(target, clientId = CLIENTS.device) {
  const headers = { 'content-type': FORM };
  return [
    {
      name: 'device_authorization',
      method: 'POST',
      path: target.paths.deviceAuthorization,
      headers,
      body: formBody({ client_id: clientId, scope: 'openid profile' }),
      expect: 200,
      check: (_status, body, context) => {
        const answer = JSON.parse(body);
        context.deviceCode = answer.device_code;
        return typeof answer.device_code === 'string' && typeof answer.user_code === 'string' && typeof answer.verification_uri === 'string';
      },
    },
    {
      name: 'poll',
      method: 'POST',
      path: target.paths.token,
      setup: (context) => ({ headers, body: formBody({ grant_type: DEVICE_CODE, device_code: context.deviceCode, client_id: clientId }) }),
      expect: 400,
      check: (_status, body) => JSON.parse(body).error === 'authorization_pending',
    },
  ];
}

export async function run(target, options = {}) {
  if (!target.paths.deviceAuthorization) {
    const row = { label: LABEL, target: target.name, available: false };
    const thresholds = options.requireAvailable ? [threshold(`${LABEL}: endpoint available`, false, 'no device_authorization_endpoint in discovery')] : [];
    return { scenario: 'device-code', rows: [row], thresholds };
  }
  const row = { label: LABEL, target: target.name, ...(await runLoad(target.url, deviceCodeSteps(target), options)) };
  return { scenario: 'device-code', rows: [row], thresholds: correctness(LABEL, row) };
}

await runStandalone(import.meta.url, run, { requireAvailable: true });
