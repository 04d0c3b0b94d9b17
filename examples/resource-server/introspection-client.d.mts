/** Types of introspection-client.mjs, for the TypeScript tests. */
export class IntrospectionUnavailable extends Error {}

export interface IntrospectionClientOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** One deadline for the whole answer, discovery included. Default 3000. */
  timeoutMs?: number;
  /** Seconds an active answer is kept (never past exp); 0, the default, asks every time. */
  cacheSeconds?: number;
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; Date.now by default. */
  now?: () => number;
}

export function introspectionClient(options: IntrospectionClientOptions): (token: string) => Promise<Record<string, unknown>>;
