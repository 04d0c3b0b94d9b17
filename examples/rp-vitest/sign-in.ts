/**
 * The user's part of the code flow, as a browser without JavaScript does it: follow redirects by
 * hand, keep cookies, post the login form and approve the consent page, stop at the redirect_uri.
 */
export interface User {
  username: string;
  password: string;
}

const field = (tag: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1]?.replace(/&amp;/g, '&');

export async function signIn(authorizationUrl: URL, redirectUri: string, user: User): Promise<URL> {
  const cookies = new Map<string, string>();
  let url = authorizationUrl.toString();
  let body: URLSearchParams | undefined;
  for (let hop = 0; hop < 20; hop++) {
    if (url.startsWith(redirectUri)) return new URL(url);
    const response = await fetch(url, {
      method: body ? 'POST' : 'GET',
      body,
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      cookies.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
    }
    const location = response.headers.get('location');
    if (location) {
      url = new URL(location, url).toString();
      body = undefined;
      continue;
    }
    // A page: the login form (username, password) or the consent form (approve).
    const html = await response.text();
    const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
    if (!form) throw new Error(`no form on ${url}: ${html.slice(0, 200)}`);
    body = new URLSearchParams();
    for (const [input] of form[2].matchAll(/<input\b[^>]*>/gi)) {
      const name = field(input, 'name');
      if (name && name !== 'username' && name !== 'password') body.append(name, field(input, 'value') ?? '');
    }
    if (html.includes('name="password"')) {
      body.append('username', user.username);
      body.append('password', user.password);
    } else {
      body.append('decision', 'approve');
    }
    url = new URL(field(form[1], 'action') ?? url, url).toString();
  }
  throw new Error('too many redirects');
}
