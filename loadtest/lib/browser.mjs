/**
 * A minimal cookie-keeping browser over fetch for the set-up phase of the flow scenarios: follows
 * redirects by hand, fills in and submits server-rendered login and consent forms (Castellan's and
 * oidc-provider's development interactions), and stops at the client's redirect_uri.
 * Cookie paths and attributes are ignored: one flow at a time per browser.
 */
const attr = (tag, name) => {
  const match = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag);
  return match ? match[1].replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&') : undefined;
};

export function parseForm(html, pageUrl) {
  const match = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!match) return undefined;
  const fields = [];
  for (const input of match[2].matchAll(/<input\b[^>]*>/gi)) {
    const name = attr(input[0], 'name');
    if (name) fields.push({ name, type: (attr(input[0], 'type') ?? 'text').toLowerCase(), value: attr(input[0], 'value') ?? '' });
  }
  const buttons = [...match[2].matchAll(/<button\b[^>]*>/gi)].map((b) => ({ id: attr(b[0], 'id'), name: attr(b[0], 'name'), value: attr(b[0], 'value') ?? '' }));
  return { action: new URL(attr(match[1], 'action') ?? pageUrl, pageUrl).toString(), fields, buttons };
}

export class Browser {
  constructor() {
    this.cookies = new Map();
  }

  cookieHeader(names) {
    return [...this.cookies].filter(([name]) => !names || names.includes(name)).map(([name, value]) => `${name}=${value}`).join('; ');
  }

  remember(response) {
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0];
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      if (/max-age=0\b/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(url, { method = 'GET', body } = {}) {
    const response = await fetch(url, {
      method,
      body,
      redirect: 'manual',
      headers: { cookie: this.cookieHeader(), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    });
    this.remember(response);
    return response;
  }

  /**
   * Starts at `url` and goes on until a redirect to `stopAt`: follows redirects, and on a form page
   * fills username/login and password from `credentials` and approves consent. Returns the final
   * redirect URL (with the code) and the number of pages submitted.
   */
  async flow(url, stopAt, credentials, maxHops = 20) {
    let current = url;
    let init = {};
    let submitted = 0;
    for (let hop = 0; hop < maxHops; hop += 1) {
      const response = await this.request(current, init);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        const next = new URL(location, current).toString();
        if (next.startsWith(stopAt)) return { redirect: new URL(next), submitted };
        current = next;
        init = {};
        continue;
      }
      const html = await response.text();
      const form = response.status === 200 ? parseForm(html, current) : undefined;
      if (!form) throw new Error(`flow stopped at ${current}: ${response.status} ${html.slice(0, 300)}`);
      const body = new URLSearchParams();
      for (const field of form.fields) {
        if (['username', 'login'].includes(field.name)) body.set(field.name, credentials.username);
        else if (field.name === 'password') body.set(field.name, credentials.password);
        else if (field.type !== 'submit') body.set(field.name, field.value);
      }
      const approve = form.buttons.find((b) => b.id === 'approve' || b.value === 'approve');
      if (approve?.name) body.set(approve.name, approve.value);
      current = form.action;
      init = { method: 'POST', body };
      submitted += 1;
    }
    throw new Error(`flow did not reach ${stopAt} within ${maxHops} hops`);
  }
}
