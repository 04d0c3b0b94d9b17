/**
 * A minimal cookie-keeping browser over fetch that follows redirects by hand and submits the
 * server-rendered forms, as a user without JavaScript would. Used to get through login and consent
 * when the flow is driven by an RP library.
 */

export interface FormField {
  name: string;
  value: string;
}

export interface ParsedForm {
  action: string;
  method: string;
  fields: FormField[];
}

const attr = (tag: string, name: string): string | undefined => {
  const match = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag);
  return match ? decodeEntities(match[1]) : undefined;
};

function decodeEntities(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** The forms of a page with their hidden and text inputs (buttons are added at submit time). */
export function parseForms(html: string, baseUrl: string): ParsedForm[] {
  const forms: ParsedForm[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const fields: FormField[] = [];
    for (const input of match[2].matchAll(/<input\b[^>]*>/gi)) {
      const name = attr(input[0], 'name');
      if (name) fields.push({ name, value: attr(input[0], 'value') ?? '' });
    }
    const action = new URL(attr(match[1], 'action') ?? baseUrl, baseUrl).toString();
    forms.push({ action, method: (attr(match[1], 'method') ?? 'get').toUpperCase(), fields });
  }
  return forms;
}

export class FormBrowser {
  readonly cookies = new Map<string, string>();
  lastHtml = '';
  lastUrl = '';

  private cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private remember(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /**
   * Requests `url` and follows redirects until a page is shown or the location starts with
   * `stopAt` (the client's redirect_uri); returns the final response and where it stopped.
   */
  async go(url: string, init: { method?: string; body?: URLSearchParams } = {}, stopAt?: string): Promise<{ status: number; url: string; html: string }> {
    let current = url;
    let method = init.method ?? 'GET';
    let body: URLSearchParams | undefined = init.body;
    for (let hop = 0; hop < 15; hop += 1) {
      if (stopAt && current.startsWith(stopAt)) return { status: 302, url: current, html: '' };
      const response = await fetch(current, {
        method,
        body,
        redirect: 'manual',
        headers: { cookie: this.cookieHeader(), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      });
      this.remember(response);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        current = new URL(location, current).toString();
        method = 'GET';
        body = undefined;
        continue;
      }
      this.lastHtml = await response.text();
      this.lastUrl = current;
      return { status: response.status, url: current, html: this.lastHtml };
    }
    throw new Error('Too many redirects');
  }

  /** Submits the first form on the current page, with `values` filled in and `button` pressed. */
  async submit(values: Record<string, string>, button?: { name: string; value: string }, stopAt?: string) {
    const form = parseForms(this.lastHtml, this.lastUrl)[0];
    if (!form) throw new Error(`No form on ${this.lastUrl}: ${this.lastHtml.slice(0, 300)}`);
    const body = new URLSearchParams();
    for (const field of form.fields) if (!(field.name in values)) body.append(field.name, field.value);
    for (const [name, value] of Object.entries(values)) body.append(name, value);
    if (button) body.append(button.name, button.value);
    return this.go(form.action, { method: form.method, body }, stopAt);
  }
}
