import type { Request, Response } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endSession, loadSession, startSession, touchInterval } from '../../src/oidc-core/session.js';
import { hashHandle } from '../../src/tokens/handles.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';
import { registerUser } from '../support/browser-flow.js';

/** Minimal request/response doubles: the session code only reads the Cookie header and appends Set-Cookie. */
const fakeRequest = (cookie?: string) => ({ headers: cookie ? { cookie } : {} }) as unknown as Request;
function fakeResponse() {
  const cookies: string[] = [];
  const res = { append: (name: string, value: string) => (name === 'Set-Cookie' ? cookies.push(value) : undefined) } as unknown as Response;
  return { res, cookies };
}
const handleIn = (setCookie: string) => /^castellan_session=([^;]*)/.exec(setCookie)![1];

describe(`server-side sessions (${backendName})`, () => {
  let ctx: TestContext;
  let userId: string;

  beforeAll(async () => {
    ctx = await createTestContext({ sessionIdleTtl: 600, sessionAbsoluteTtl: 3600 });
    userId = (await registerUser(ctx)).user.id;
  });
  afterAll(() => ctx.close());

  async function login(cookie?: string) {
    const { res, cookies } = fakeResponse();
    const session = await startSession(ctx, fakeRequest(cookie), res, { userId, amr: ['pwd'] });
    return { session, handle: handleIn(cookies[0]), setCookie: cookies[0] };
  }

  it('MUST store only the SHA-256 of the cookie value, with auth_time, sid and expiries', async () => {
    const { session, handle, setCookie } = await login();
    expect(handle).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.idHash).toBe(hashHandle(handle));
    expect(await ctx.stores.sessions.find(handle)).toBeUndefined();
    expect(session).toMatchObject({ userId, authTime: ctx.clock(), amr: ['pwd'] });
    expect(session.sid).toMatch(/^[0-9a-f]{32}$/);
    expect(session.idleExpiresAt).toBe(ctx.clock() + 600);
    expect(session.absoluteExpiresAt).toBe(ctx.clock() + 3600);
    expect(setCookie).toContain('HttpOnly');
  });

  it('MUST load a live session from its cookie and slide the idle expiry', async () => {
    const { session, handle } = await login();
    ctx.clock.advance(300);
    const loaded = await loadSession(ctx, fakeRequest(`castellan_session=${handle}`));
    expect(loaded?.sid).toBe(session.sid);
    expect(loaded?.idleExpiresAt).toBe(ctx.clock() + 600);
  });

  it('writes the sliding expiry back at most once per touch interval (a minute, or a tenth of the idle lifetime)', async () => {
    expect(touchInterval(1800)).toBe(60);
    expect(touchInterval(600)).toBe(60);
    expect(touchInterval(100)).toBe(10);
    expect(touchInterval(5)).toBe(1);
    const { session, handle } = await login();
    ctx.clock.advance(30);
    await loadSession(ctx, fakeRequest(`castellan_session=${handle}`));
    // Within the interval nothing is written: the stored expiry is still the one from the login.
    expect((await ctx.stores.sessions.find(session.idHash))?.idleExpiresAt).toBe(session.idleExpiresAt);
    ctx.clock.advance(31);
    const loaded = await loadSession(ctx, fakeRequest(`castellan_session=${handle}`));
    expect(loaded?.idleExpiresAt).toBe(ctx.clock() + 600);
    expect((await ctx.stores.sessions.find(session.idHash))?.idleExpiresAt).toBe(ctx.clock() + 600);
  });

  it('MUST treat an idle session as absent', async () => {
    const { handle } = await login();
    ctx.clock.advance(601);
    expect(await loadSession(ctx, fakeRequest(`castellan_session=${handle}`))).toBeUndefined();
  });

  it('MUST end a session at its absolute lifetime however active it is', async () => {
    const { handle } = await login();
    for (let elapsed = 0; elapsed < 3600; elapsed += 500) {
      expect(await loadSession(ctx, fakeRequest(`castellan_session=${handle}`))).toBeDefined();
      ctx.clock.advance(500);
    }
    expect(await loadSession(ctx, fakeRequest(`castellan_session=${handle}`))).toBeUndefined();
  });

  it('MUST replace the previous session at login: new handle and new sid (no fixation)', async () => {
    const first = await login();
    const second = await login(`castellan_session=${first.handle}`);
    expect(second.handle).not.toBe(first.handle);
    expect(second.session.sid).not.toBe(first.session.sid);
    expect(await ctx.stores.sessions.find(first.session.idHash)).toBeUndefined();
  });

  it('MUST ignore malformed or unknown cookie values', async () => {
    expect(await loadSession(ctx, fakeRequest('castellan_session=short'))).toBeUndefined();
    expect(await loadSession(ctx, fakeRequest(`castellan_session=${'Z'.repeat(43)}`))).toBeUndefined();
  });

  it('MUST remove the row and clear the cookie on endSession', async () => {
    const { handle, session } = await login();
    const { res, cookies } = fakeResponse();
    const ended = await endSession(ctx, fakeRequest(`castellan_session=${handle}`), res);
    expect(ended?.sid).toBe(session.sid);
    expect(cookies[0]).toContain('Max-Age=0');
    expect(await ctx.stores.sessions.find(session.idHash)).toBeUndefined();
  });
});
