/**
 * A first sign-in: a browser without a session goes through /authorize, the login page, and the
 * password check (argon2id), then redeems the code. Consent was given once before the run, so the
 * login POST redirects straight back to the client. Measures logins per second and their latency.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#Authenticates
 */
import { formBody, FORM } from '../lib/auth.mjs';
import { parseForm } from '../lib/browser.mjs';
import { authorizeStep, codeExchangeStep } from '../lib/code-flow-steps.mjs';
import { CLIENTS, REDIRECT_URI } from '../lib/fixtures.mjs';
import { runLoad } from '../lib/runner.mjs';
import { correctness, floor, FLOORS } from '../lib/thresholds.mjs';
import { signIn } from '../lib/target.mjs';
import { runStandalone } from '../lib/standalone.mjs';
import { SCOPE } from './authorization-code.mjs';

const LABEL = 'first login (argon2id) + code exchange';
const cookieOf = (setCookie) => (setCookie ? String(setCookie).split(';')[0] : undefined);

export function firstLoginSteps(target, users, clientId = CLIENTS.web) {
  let next = 0;
  return [
    authorizeStep(target, clientId, SCOPE, {
      prepare: (context) => {
        context.user = users[next++ % users.length];
      },
      check: (_status, _body, context, header) => {
        context.page = new URL(header('location'), target.url);
        context.cookie = cookieOf(header('set-cookie'));
        return !context.page.href.startsWith(REDIRECT_URI);
      },
    }),
    {
      name: 'login page',
      method: 'GET',
      setup: (context) => (context.page ? { path: context.page.pathname + context.page.search, headers: context.cookie ? { cookie: context.cookie } : {} } : null),
      expect: 200,
      check: (_status, body, context) => {
        context.form = parseForm(body, context.page.href);
        return Boolean(context.form?.fields.some((f) => f.name === 'password'));
      },
    },
    {
      name: 'login submit',
      method: 'POST',
      setup: (context) => {
        if (!context.form) return null;
        const fields = {};
        for (const field of context.form.fields) fields[field.name] = field.value;
        fields[context.form.fields.some((f) => f.name === 'login') ? 'login' : 'username'] = context.user.username;
        fields.password = context.user.password;
        const action = new URL(context.form.action);
        return { path: action.pathname + action.search, headers: { 'content-type': FORM, ...(context.cookie ? { cookie: context.cookie } : {}) }, body: formBody(fields) };
      },
      expect: [302, 303],
      check: (_status, _body, context, header) => {
        const location = new URL(header('location'), target.url);
        context.code = location.href.startsWith(REDIRECT_URI) ? location.searchParams.get('code') : undefined;
        return Boolean(context.code);
      },
    },
    codeExchangeStep(target, clientId, (tokens) => typeof tokens.id_token === 'string'),
  ];
}

export async function run(target, options = {}) {
  const users = target.fixture.users.slice(0, options.users ?? 32);
  // Consent once per user, so the measured login goes straight back to the client.
  await signIn(target, CLIENTS.web, SCOPE, users.length);
  const connections = options.connections ?? 16;
  // `logins`: a fixed number of sign-ins instead of a duration (CI: a slow shared machine may not
  // finish one four-step sign-in per connection within a couple of seconds).
  const length = options.logins ? { amount: options.logins * 4, warmup: 0 } : {};
  const row = { label: LABEL, target: target.name, ...(await runLoad(target.url, firstLoginSteps(target, users), { ...options, connections, ...length })) };
  return { scenario: 'first-login', rows: [row], thresholds: [...correctness(LABEL, row), ...floor(LABEL, row.iterationsPerSec, FLOORS.firstLogin, 'logins/s', options.floors !== false)] };
}

await runStandalone(import.meta.url, run);
