/**
 * Answers for requests the listener refuses before express sees them: headers or body too slow
 * (408), headers too large (431), a request line or header that is not HTTP (400). Node's default
 * sends a bare status line; a client (or the engineer reading its logs) then gets no hint which
 * limit it hit. These answers carry the same RFC 6749 §5.2-shaped JSON as every other refusal.
 * @spec https://www.rfc-editor.org/rfc/rfc9110#section-15.5.9 (408 Request Timeout)
 * @spec https://www.rfc-editor.org/rfc/rfc6585#section-5 (431 Request Header Fields Too Large)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (error, error_description)
 */
import type { Duplex } from 'node:stream';
import { OAuthError } from '../errors/oauth-error.js';

interface Refusal {
  status: number;
  reason: string;
  description: string;
}

function refusalFor(code: string | undefined): Refusal {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, reason: 'Request Timeout', description: 'The request was not received in time (HTTP_HEADERS_TIMEOUT / HTTP_REQUEST_TIMEOUT)' };
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, reason: 'Request Header Fields Too Large', description: 'The request headers are too large' };
  return { status: 400, reason: 'Bad Request', description: 'The request is not well-formed HTTP' };
}

/** The raw response; written only while nothing else has been written on the connection. With the issuer, the body has its error_uri. */
export function clientErrorResponse(code: string | undefined, issuer?: string): string {
  const { status, reason, description } = refusalFor(code);
  const body = JSON.stringify(new OAuthError('invalid_request', description, { requirement: 'CASTELLAN-HTTP-1' }).toJSON(issuer));
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`;
}

/** The listener's 'clientError' handler: answer once if the connection is still clean, then close it. */
export function answerClientError(issuer?: string) {
  return (error: Error & { code?: string }, socket: Duplex & { bytesWritten?: number }): void => {
    // A reset connection has nobody to answer; a response already under way cannot get a second one.
    if (error.code === 'ECONNRESET' || !socket.writable || (socket.bytesWritten ?? 0) > 0) {
      socket.destroy();
      return;
    }
    socket.end(clientErrorResponse(error.code, issuer));
  };
}
