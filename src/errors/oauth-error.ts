/**
 * The one error type of the protocol layer: a spec error code, a public description, and a private
 * cause that is logged but never sent.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 * @spec https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3.5 (authorization_pending, slow_down, expired_token)
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#AuthError
 * @spec https://www.rfc-editor.org/rfc/rfc9449#section-12.2 (invalid_dpop_proof, use_dpop_nonce)
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (error_uri: %x21 / %x23-5B / %x5D-7E)
 * @spec https://www.rfc-editor.org/rfc/rfc6750#section-3 (error_uri in the WWW-Authenticate challenge)
 */
import { StorageInputError, StorageUnavailableError } from '../storage/storage-errors.js';

/** HTTP status and defining section per error code. */
export const ERROR_TABLE = {
  invalid_request: { status: 400, section: 'RFC6749 §5.2' },
  invalid_client: { status: 401, section: 'RFC6749 §5.2' },
  invalid_grant: { status: 400, section: 'RFC6749 §5.2' },
  unauthorized_client: { status: 400, section: 'RFC6749 §5.2' },
  unsupported_grant_type: { status: 400, section: 'RFC6749 §5.2' },
  invalid_scope: { status: 400, section: 'RFC6749 §5.2' },
  access_denied: { status: 403, section: 'RFC6749 §4.1.2.1' },
  unsupported_response_type: { status: 400, section: 'RFC6749 §4.1.2.1' },
  server_error: { status: 500, section: 'RFC6749 §4.1.2.1' },
  temporarily_unavailable: { status: 503, section: 'RFC6749 §4.1.2.1' },
  invalid_token: { status: 401, section: 'RFC6750 §3.1' },
  insufficient_scope: { status: 403, section: 'RFC6750 §3.1' },
  invalid_target: { status: 400, section: 'RFC8707 §2' },
  interaction_required: { status: 400, section: 'OIDC Core §3.1.2.6' },
  login_required: { status: 400, section: 'OIDC Core §3.1.2.6' },
  consent_required: { status: 400, section: 'OIDC Core §3.1.2.6' },
  account_selection_required: { status: 400, section: 'OIDC Core §3.1.2.6' },
  invalid_request_uri: { status: 400, section: 'OIDC Core §3.1.2.6' },
  invalid_request_object: { status: 400, section: 'OIDC Core §3.1.2.6' },
  request_not_supported: { status: 400, section: 'OIDC Core §3.1.2.6' },
  request_uri_not_supported: { status: 400, section: 'OIDC Core §3.1.2.6' },
  registration_not_supported: { status: 400, section: 'OIDC Core §3.1.2.6' },
  invalid_redirect_uri: { status: 400, section: 'RFC7591 §3.2.2' },
  invalid_client_metadata: { status: 400, section: 'RFC7591 §3.2.2' },
  invalid_software_statement: { status: 400, section: 'RFC7591 §3.2.2' },
  unapproved_software_statement: { status: 400, section: 'RFC7591 §3.2.2' },
  too_many_requests: { status: 429, section: 'RFC6585 §4' },
  authorization_pending: { status: 400, section: 'RFC8628 §3.5' },
  slow_down: { status: 400, section: 'RFC8628 §3.5' },
  expired_token: { status: 400, section: 'RFC8628 §3.5' },
  // RFC 9449: 400 at the token endpoint; a protected resource answers 401 with a DPoP challenge.
  invalid_dpop_proof: { status: 400, section: 'RFC9449 §5' },
  use_dpop_nonce: { status: 400, section: 'RFC9449 §8' },
} as const;

export type OAuthErrorCode = keyof typeof ERROR_TABLE;

export interface OAuthErrorOptions {
  /** Private detail for logs; never sent to the client. */
  cause?: unknown;
  /** Overrides the table's status (e.g. 401 invalid_client only when credentials were attempted). */
  status?: number;
  /** Extra response headers, such as WWW-Authenticate. */
  headers?: Record<string, string>;
  /**
   * The requirement of spec/ this error enforces (e.g. RFC7636-4.6-1): it names the page the
   * error's error_uri points to.
   */
  requirement?: string;
  /**
   * A Bearer or DPoP challenge: WWW-Authenticate is written when the error is sent, because its
   * error_uri needs the issuer, which only the sender knows.
   */
  challenge?: Challenge;
  /**
   * Request values the HTML error page shows back (escaped) where redirecting is unsafe, such as
   * the redirect_uri that matched no registration. Never sent in JSON, redirects or challenges.
   */
  received?: Record<string, string>;
}

/** RFC 6750 §3 / RFC 9449 §7.1 / RFC 7617 §2: the scheme, a realm, and attributes after the error's own. */
export interface Challenge {
  scheme: 'Bearer' | 'DPoP' | 'Basic';
  realm?: string;
  attributes?: Record<string, string>;
}

/**
 * The one builder of a WWW-Authenticate challenge: the scheme, then the realm, the error's own
 * parameters (none for a request without credentials, RFC 6750 §3.1) and the challenge's attributes.
 */
export function challengeHeader(challenge: Challenge, error: Record<string, string> = {}): string {
  const { scheme, realm, attributes = {} } = challenge;
  const params = Object.entries({ ...(realm === undefined ? {} : { realm }), ...error, ...attributes });
  return params.length === 0 ? scheme : `${scheme} ${params.map(([name, value]) => `${name}="${value}"`).join(', ')}`;
}

export class OAuthError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly requirement?: string;
  readonly challenge?: Challenge;
  readonly received: Record<string, string>;

  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    options: OAuthErrorOptions = {},
  ) {
    super(`${code}: ${description}`, { cause: options.cause });
    this.name = 'OAuthError';
    this.status = options.status ?? ERROR_TABLE[code].status;
    this.headers = options.headers ?? {};
    this.requirement = options.requirement;
    this.challenge = options.challenge;
    this.received = options.received ?? {};
  }

  /**
   * The RFC 6749 §5.2 body. error_description is restricted to %x20-21 / %x23-5B / %x5D-7E. With
   * the issuer it carries error_uri (JSON.stringify's own call passes '' and gets none).
   */
  toJSON(issuer?: string): { error: OAuthErrorCode; error_description: string; error_uri?: string } {
    const body = { error: this.code, error_description: sanitizeDescription(this.description) };
    return issuer ? { ...body, error_uri: this.errorUri(issuer) } : body;
  }

  /** The page explaining this error on the issuer: /errors/<code>/<requirement>, or /errors/<code>. */
  errorUri(issuer: string): string {
    return errorUri(issuer, this.code, this.requirement);
  }

  /** The headers to send, with the WWW-Authenticate challenge rendered when the error has one. */
  responseHeaders(issuer?: string): Record<string, string> {
    if (!this.challenge) return this.headers;
    const error = { error: this.code, error_description: sanitizeDescription(this.description), ...(issuer ? { error_uri: this.errorUri(issuer) } : {}) };
    return { ...this.headers, 'WWW-Authenticate': challengeHeader(this.challenge, error) };
  }

  /**
   * Anything that is not an OAuthError becomes server_error with no internals exposed, except the
   * storage layer's typed errors: a dependency that did not answer is 503 temporarily_unavailable
   * with Retry-After (the request may be repeated), and a value the database refused is the
   * caller's invalid_request.
   */
  static from(error: unknown): OAuthError {
    if (error instanceof OAuthError) return error;
    if (error instanceof StorageUnavailableError) {
      return new OAuthError('temporarily_unavailable', 'The service is temporarily unavailable; retry later', { requirement: 'RFC6749-4.1.2.1-4', cause: error, headers: { 'Retry-After': String(error.retryAfterSeconds) } });
    }
    if (error instanceof StorageInputError) return new OAuthError('invalid_request', 'A parameter holds a value that cannot be stored (such as a NUL character)', { requirement: 'RFC6749-5.2-7', cause: error });
    return new OAuthError('server_error', 'The server encountered an unexpected condition', { requirement: 'RFC6749-5.2-6', cause: error });
  }
}

/**
 * RFC 6749 §5.2: error_uri is %x21 / %x23-5B / %x5D-7E. The issuer is a URL and the code and
 * requirement id are [a-z_] and [A-Za-z0-9.-], so percent-encoding the path parts keeps it there.
 */
export function errorUri(issuer: string, code: string, requirement?: string): string {
  const path = requirement === undefined ? code : `${code}/${requirement}`;
  return `${issuer}/errors/${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** RFC 6749 §5.2 limits error_description to printable ASCII without `"` and `\`. */
export function sanitizeDescription(text: string): string {
  return text.replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, '?').slice(0, 512);
}
