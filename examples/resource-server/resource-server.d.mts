/** Types of resource-server.mjs, for the TypeScript tests that start it in-process. */
export interface ResourceServerOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  port?: number;
  host?: string;
  /** The scheme, host and port clients use; the htu of every DPoP proof is built from it. */
  publicBaseUrl?: string;
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** One deadline for Castellan's whole answer (discovery included); 503 past it. Default 3000. */
  introspectionTimeoutMs?: number;
  /** Seconds an active answer is kept (never past the token's exp); 0, the default, asks every time. */
  introspectionCacheSeconds?: number;
  dpopSkewSeconds?: number;
  /** Accepted DPoP proof algorithms; default ES256/384/512, PS256/384/512, EdDSA (no RS256, FAPI 2.0 SP §5.4). */
  dpopAlgs?: string[];
  replayCacheSize?: number;
  log?: (line: string) => void;
  fetch?: typeof fetch;
}

export interface RunningResourceServer {
  url: string;
  close(): Promise<void>;
}

export function startResourceServer(options: ResourceServerOptions): Promise<RunningResourceServer>;

/** The TLS versions and cipher list the example serves with: the same as Castellan's own listener. */
export const TLS_SETTINGS: { minVersion: 'TLSv1.2'; honorCipherOrder: true; ciphers: string };
