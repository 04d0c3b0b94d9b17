/**
 * A browser at a chosen client address, for black-box login tests: the test app trusts the loopback
 * proxy, so X-Forwarded-For names the address the throttles see.
 */
import type { Context } from '../../src/server/context.js';
import type { ClientRecord } from '../../src/storage/stores.js';
import { authorizeUrl, browser, csrfOf, defaultParams, pathOf, type Agent } from '../support/browser-flow.js';

/** Trust the loopback peer (supertest's) as a proxy, so X-Forwarded-For sets the client address. */
export const TRUST_LOOPBACK = { trustedProxies: ['127.0.0.1', '::1'] };

export interface LoginResult {
  status: number;
  text: string;
  location?: string;
  retryAfter?: number;
  setCookie: string[];
  ms: number;
}

export class LoginClient {
  readonly agent: Agent;
  private loginPath = '';
  private csrf = '';

  constructor(private readonly ctx: Context, private readonly client: ClientRecord, readonly ip: string) {
    this.agent = browser(ctx);
  }

  /** Starts (or restarts) an authorization request and reads the login form. */
  async open(params: Record<string, string | undefined> = {}): Promise<this> {
    const start = await this.agent.get(authorizeUrl(defaultParams(this.client, params))).set('X-Forwarded-For', this.ip).expect(303);
    this.loginPath = pathOf(start.headers.location as string);
    const page = await this.agent.get(this.loginPath).set('X-Forwarded-For', this.ip).expect(200);
    this.csrf = csrfOf(page.text);
    return this;
  }

  get path(): string {
    return this.loginPath;
  }

  async login(username: string, password: string, form: Record<string, string> = {}): Promise<LoginResult> {
    const started = process.hrtime.bigint();
    const res = await this.agent.post(this.loginPath).set('X-Forwarded-For', this.ip).type('form').send({ csrf: this.csrf, username, password, ...form });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const retryAfter = res.headers['retry-after'] ? Number(res.headers['retry-after']) : undefined;
    const setCookie = (res.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
    return { status: res.status, text: res.text, location: res.headers.location as string | undefined, retryAfter, setCookie, ms };
  }
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
