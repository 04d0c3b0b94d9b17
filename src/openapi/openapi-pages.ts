/**
 * The server-rendered pages (login, consent, MFA, logout, account) and static assets, for the
 * OpenAPI document. Their forms are plain HTML with stable field names; every POST carries a CSRF
 * token and answers with a page or a 303 redirect.
 * @spec https://spec.openapis.org/oas/v3.1.0#paths-object
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.12 (303 after POST)
 */
import { ERROR_PAGES_PATH } from '../errors/error-pages.js';
import { PATHS } from '../oidc-discovery/provider-metadata.js';
import { CONFIRM_PATH, DONE_PATH } from '../oidc-rp-initiated-logout/end-session-endpoint.js';
import { endSessionSchema } from '../oidc-rp-initiated-logout/end-session.schema.js';
import { FORM_POST_SCRIPT_PATH } from '../rfc6749-oauth2/authorization-response.js';
import { CONSENTS_PATH, REVOKE_PATH } from '../ui/account-routes.js';
import { MFA_ACCOUNT_PATH } from '../ui/mfa-account.js';
import { formBody, htmlResponse, mergeSchemas, pageForm, pathParameter, queryParameters, redirectResponse, response, type Json } from './openapi-schema.js';

const CSRF = 'The form token from the page';
const page = (operationId: string, summary: string, extra: Json = {}): Json => ({
  operationId, tags: ['Pages'], summary, ...extra,
  responses: { 200: htmlResponse('The page'), 303: redirectResponse('Elsewhere in the flow'), 400: response('ErrorPage') },
});
/** Account pages need a session: without one they answer 401 with a page that links to sign-in. */
const accountPage = (operationId: string, summary: string): Json => {
  const described = page(operationId, summary);
  return { ...described, responses: { ...(described.responses as Json), 401: htmlResponse('No session: a page asking the user to sign in') } };
};
const submit = (operationId: string, summary: string, fields: Record<string, string>, required: string[]): Json => ({
  operationId, tags: ['Pages'], summary, requestBody: pageForm(fields, required),
  responses: {
    200: htmlResponse('The page again, with a message'),
    303: redirectResponse('The next step'),
    400: response('ErrorPage'), 401: htmlResponse('Wrong credentials or no session'), 403: response('ErrorPage'), 429: htmlResponse('Throttled; Retry-After says when to try again'),
  },
});
const asset = (operationId: string, summary: string, type: string): Json => ({
  get: { operationId, tags: ['Assets'], summary, responses: { 200: { description: summary, content: { [type]: { schema: { type: 'string' } } } } } },
});

/** Public, cacheable pages explaining an error; 404 for an unknown code or requirement. */
const errorPage = (operationId: string, summary: string, parameters: Json[]): Json => ({
  ...(parameters.length > 0 ? { parameters } : {}),
  get: {
    operationId, tags: ['Pages'], summary,
    responses: { 200: htmlResponse('The explanation'), ...(parameters.length > 0 ? { 404: htmlResponse('Unknown code or requirement: the list of error codes') } : {}) },
  },
});

const interaction = (get: Json, post: Json): Json => ({
  parameters: [pathParameter('uid', 'The interaction id from the redirect; bound to the browser by a cookie')],
  get,
  post,
});

export function pagePaths(): Json {
  return {
    '/': { get: { operationId: 'home', tags: ['Pages'], summary: 'Redirects to the OpenID configuration', responses: { 302: redirectResponse('To /.well-known/openid-configuration') } } },
    '/interaction/{uid}/login': interaction(
      page('loginPage', 'Login page (name="username", name="password", id="login-submit")'),
      submit('login', 'Sign in with username and password', { csrf: CSRF, username: 'Username', password: 'Password' }, ['csrf', 'username', 'password'])),
    '/interaction/{uid}/consent': interaction(
      page('consentPage', 'Consent page (id="approve", id="deny")'),
      submit('consent', 'Approve or deny the request', { csrf: CSRF, decision: 'approve or deny' }, ['csrf', 'decision'])),
    '/interaction/{uid}/device': interaction(
      page('deviceConsentPage', 'RFC 8628 device consent page with the remote-phishing warning (id="device-warning", id="approve", id="deny")'),
      submit('deviceConsent', 'Approve or deny a device; 303 to the done page', { csrf: CSRF, decision: 'approve or deny' }, ['csrf', 'decision'])),
    [PATHS.deviceVerification]: {
      get: page('deviceCodePage', 'RFC 8628 verification URI: the code entry form (name="user_code", id="device-submit"), pre-filled from ?user_code=', {
        parameters: [{ name: 'user_code', in: 'query', required: false, description: 'From verification_uri_complete; the user still confirms it', schema: { type: 'string', maxLength: 64 } }],
      }),
      post: submit('deviceCode', 'Enter a user code; 303 to the login or device consent step, or the form again (400, 429 with Retry-After)', { csrf: CSRF, user_code: 'The code shown on the device' }, ['csrf', 'user_code']),
    },
    [`${PATHS.deviceVerification}/done`]: {
      get: page('deviceDonePage', 'After the decision: return to your device', {
        parameters: [{ name: 'outcome', in: 'query', required: false, description: 'approved or denied', schema: { type: 'string', enum: ['approved', 'denied'] } }],
      }),
    },
    '/interaction/{uid}/mfa': interaction(
      page('mfaPage', 'Second factor page (name="otp", id="mfa-submit", or a recovery code)'),
      submit('mfa', 'Enter a TOTP code or a recovery code', { csrf: CSRF, otp: 'TOTP code', recovery_code: 'A recovery code' }, ['csrf'])),
    [MFA_ACCOUNT_PATH]: {
      get: accountPage('mfaAccountPage', 'TOTP enrolment: QR code and key, or the current status'),
      post: submit('enrollMfa', 'Turn on TOTP with the password and a first code', { csrf: CSRF, password: 'Current password', otp: 'First TOTP code' }, ['csrf', 'password', 'otp']),
    },
    [CONSENTS_PATH]: { get: accountPage('consentsPage', 'The applications the user consented to, each with a revoke form') },
    [REVOKE_PATH]: { post: submit('revokeConsent', 'Withdraw consent from one application and revoke its grants', { csrf: CSRF, client_id: 'The application' }, ['csrf', 'client_id']) },
    [PATHS.endSession]: {
      get: page('endSession', 'RP-Initiated Logout request: asks the End-User to confirm', { parameters: queryParameters(endSessionSchema) }),
      post: page('endSessionPost', 'RP-Initiated Logout request sent as a form', { requestBody: formBody(mergeSchemas(endSessionSchema), false) }),
    },
    [CONFIRM_PATH]: { post: submit('confirmLogout', 'The End-User\'s answer: logout or stay', { csrf: CSRF, decision: 'logout or stay' }, ['csrf', 'decision']) },
    [DONE_PATH]: {
      get: page('logoutDone', 'Signed-out (or still signed-in) page', {
        parameters: [
          { name: 'outcome', in: 'query', required: false, schema: { enum: ['stayed'] } },
          { name: 'ui_locales', in: 'query', required: false, schema: { type: 'string', maxLength: 255 } },
        ],
      }),
    },
    [ERROR_PAGES_PATH]: errorPage('errorCodesPage', 'The error codes Castellan sends, each linking to its explanation', []),
    [`${ERROR_PAGES_PATH}/{code}`]: errorPage('errorCodePage', 'What an error code means, its usual causes and fixes (the error_uri of errors without a requirement)', [pathParameter('code', 'An error code, such as invalid_client')]),
    [`${ERROR_PAGES_PATH}/{code}/{requirementId}`]: errorPage('errorRequirementPage', 'The rule of spec/ an error enforces, its spec section, usual causes, fixes and client library notes (the error_uri of errors)', [pathParameter('code', 'An error code, such as invalid_client'), pathParameter('requirementId', 'A requirement id, such as RFC6749-2.3-2')]),
    '/assets/castellan.css': asset('stylesheet', 'The pages\' stylesheet', 'text/css'),
    [FORM_POST_SCRIPT_PATH]: asset('formPostScript', 'Submits the form_post page (external, as the CSP forbids inline script)', 'application/javascript'),
  };
}
