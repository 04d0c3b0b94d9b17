/**
 * The request inspector's store: recent requests to the protocol endpoints, per client, with every
 * secret already masked by the recorder (src/inspector/secret-masking.ts). Nothing here can be
 * used as a credential: masked values keep a length and a one-way hint, tokens only their decoded
 * header and claims (never the signature) or, when opaque, their type and lifetime.
 * @spec https://www.rfc-editor.org/rfc/rfc6819#section-5.1.4.1.3 (no usable token at rest)
 */

/** What is left of a secret: its length, a short one-way hint where correlating helps, a JWT's readable parts. */
export interface MaskedSecret {
  length: number;
  /** First 12 hex digits of a domain-separated SHA-256: the same value gives the same hint. */
  hint?: string;
  /** For a JWT: header and claims, without the signature. */
  jwt?: DecodedJwt;
  /** For an Authorization header: its scheme, and the user of Basic (a client_id, not secret). */
  scheme?: string;
  user?: string;
}

export interface DecodedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

/** A token or code the response carried, as the inspector keeps it. */
export interface IssuedToken {
  /** Response member it came in: access_token, refresh_token, id_token, code, device_code, ... */
  kind: string;
  format: 'jwt' | 'opaque';
  /** Absent for low-entropy values (a user_code) and client secrets. */
  hint?: string;
  jwt?: DecodedJwt;
  /** expires_in of the response, for opaque tokens the only lifetime the inspector knows. */
  expiresIn?: number;
  tokenType?: string;
}

export interface TraceError {
  code: string;
  description?: string;
  /** The spec/ requirement the error enforces, read from its error_uri (/errors/<code>/<requirement>). */
  requirement?: string;
  uri?: string;
}

export interface RequestTrace {
  /** Assigned by the store; increases with every recorded request. */
  id?: number;
  clientId: string;
  /** Seconds since the epoch (ctx.clock()). */
  at: number;
  /** authorization, token, userinfo, introspection, revocation, device_authorization, end_session, registration, par */
  endpoint: string;
  method: string;
  status: number;
  durationMs: number;
  /** Parameters as sent (query or form), each secret replaced by MASKED. */
  params: Record<string, string | string[]>;
  /** Masked parameters and headers (Authorization, DPoP) by name. */
  masked: Record<string, MaskedSecret>;
  error?: TraceError;
  issued: IssuedToken[];
  /** A redirect's target without its query; the query's parameters are in `redirectParams`. */
  redirect?: string;
  redirectParams?: Record<string, string>;
}

export interface ClientActivity {
  clientId: string;
  requests: number;
  errors: number;
  lastAt: number;
}

export interface RequestTraceStore {
  /** Appends traces, then keeps only the newest `maxPerClient` of each client written. */
  append(traces: RequestTrace[], maxPerClient: number): Promise<void>;
  /** A client's traces, newest first; with `afterId`, only newer ones, oldest first (following). */
  listByClient(clientId: string, options: { limit: number; afterId?: number }): Promise<RequestTrace[]>;
  /** Clients with recorded requests, most recently active first. */
  clients(limit: number): Promise<ClientActivity[]>;
}
