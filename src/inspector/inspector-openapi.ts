/**
 * The inspector's pages and stylesheet, for the OpenAPI document. Every page needs the ADMIN_TOKEN
 * (Bearer, or the Basic password) and answers 404 while the inspector is off or no token is set.
 * @spec https://spec.openapis.org/oas/v3.1.0#paths-object
 */
import { htmlResponse, pageForm, pathParameter, type Json } from '../openapi/openapi-schema.js';
import { INSPECTOR_BASE, INSPECTOR_STYLESHEET_PATH } from './inspector-layout.js';

const GATE = ' Needs ADMIN_TOKEN as a Bearer token or Basic password; 404 while INSPECTOR_ENABLED is false or no ADMIN_TOKEN is set.';
const adminResponses = (extra: Json = {}): Json => ({
  200: htmlResponse('The page'),
  ...extra,
  401: htmlResponse('No or a wrong admin credential; WWW-Authenticate: Basic'),
  404: htmlResponse('The inspector is off, or no ADMIN_TOKEN is set'),
});
const adminPage = (operationId: string, summary: string, extra: Json = {}): Json => ({ operationId, tags: ['Inspector'], summary: summary + GATE, ...extra, responses: adminResponses() });
const clientParameter = pathParameter('clientId', 'The client_id the requests named');

export function inspectorPaths(): Json {
  return {
    [INSPECTOR_BASE]: { get: adminPage('inspectorClients', 'Clients with recently recorded requests') },
    [`${INSPECTOR_BASE}/clients/{clientId}`]: {
      parameters: [clientParameter],
      get: adminPage('inspectorClientRequests', 'A client\'s recent requests: outcome, masked parameters, errors, decoded tokens', {
        parameters: [{ name: 'limit', in: 'query', required: false, description: 'How many (default 50, at most 500)', schema: { type: 'integer', minimum: 1 } }],
      }),
    },
    [`${INSPECTOR_BASE}/clients/{clientId}/report`]: { parameters: [clientParameter], get: adminPage('inspectorReportCard', 'What the server observed the client get wrong') },
    [`${INSPECTOR_BASE}/token`]: {
      get: adminPage('tokenDebuggerForm', 'The token debugger form'),
      post: {
        operationId: 'tokenDebugger', tags: ['Inspector'], summary: `Decode and check a token: signature, state and why, grant.${GATE}`,
        requestBody: pageForm({ csrf: 'The form token from the page', token: 'The token to check' }, ['csrf', 'token']),
        responses: adminResponses({ 400: htmlResponse('No token, or too long'), 403: htmlResponse('The form token is missing, expired or forged') }),
      },
    },
    [INSPECTOR_STYLESHEET_PATH]: {
      get: { operationId: 'inspectorStylesheet', tags: ['Assets'], summary: 'The inspector pages\' stylesheet', responses: { 200: { description: 'The stylesheet', content: { 'text/css': { schema: { type: 'string' } } } } } },
    },
  };
}
