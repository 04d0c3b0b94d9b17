/**
 * Gets real authorization codes through the real pages: a signed-in browser that has consented once,
 * so later authorization requests complete without interaction.
 */
import { createHash, randomBytes } from 'node:crypto';
import { FormBrowser } from './form-browser.js';

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export class CodeIssuer {
  private readonly browser = new FormBrowser();
  private signedIn = false;

  constructor(
    private readonly issuer: string,
    private readonly user: { username: string; password: string },
  ) {}

  /** Runs /authorize with `params` and returns the `code` the client receives. */
  async code(params: Record<string, string>): Promise<string> {
    const redirect = params.redirect_uri;
    const url = `${this.issuer}/authorize?${new URLSearchParams({ response_type: 'code', ...params })}`;
    let result = await this.browser.go(url, {}, redirect);
    if (!this.signedIn && result.html.includes('name="username"')) {
      result = await this.browser.submit(this.user, undefined, redirect);
      this.signedIn = true;
    }
    if (result.html.includes('id="approve"')) result = await this.browser.submit({}, { name: 'decision', value: 'approve' }, redirect);
    const code = new URL(result.url).searchParams.get('code');
    if (!code) throw new Error(`No code: ${result.url} ${result.html.slice(0, 400)}`);
    return code;
  }
}
