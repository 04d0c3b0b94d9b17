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
  introspectionTimeoutMs?: number;
  dpopSkewSeconds?: number;
  replayCacheSize?: number;
  log?: (line: string) => void;
  fetch?: typeof fetch;
}

export interface RunningResourceServer {
  url: string;
  close(): Promise<void>;
}

export function startResourceServer(options: ResourceServerOptions): Promise<RunningResourceServer>;
