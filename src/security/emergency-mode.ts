/**
 * Emergency mode, switched by an operator during an attack (`castellan emergency on|off`). The flag
 * lives in the database; every node reads it with one cheap query at most every few seconds, so it
 * takes effect on running nodes within STATE_REFRESH_SECONDS. While it is on:
 * - dynamic client registration is closed;
 * - every rate limit is halved (the limiters stay; RateLimits applies a factor);
 * - signing in needs a second factor: a password alone no longer opens a session, and sessions
 *   opened with a password alone are not accepted until they sign in again.
 * Refusing password-only sign-ins (rather than letting them through with an audit event) is the
 * point of the mode: it is switched on when passwords are being guessed or have leaked, and then a
 * password proves nothing. Users without MFA are locked out until the mode ends; administrators
 * work through the CLI, which needs no sign-in.
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-3 (the server decides who may register)
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V6.3: brute force, V6.4 MFA)
 */
import type { NextFunction, Request, Response } from 'express';
import { addRegistrationCheck } from '../rfc7591-registration/registration-gate.js';
import type { Context } from '../server/context.js';
import type { SessionRecord, Stores } from '../storage/stores.js';
import { audit } from './audit.js';
import { NodeState } from './node-state.js';
import { announce } from '../server/cluster-notices.js';

export interface EmergencyState {
  active: boolean;
  since: number | null;
  reason: string | null;
}

/** The `settings` row holding the state. */
export const EMERGENCY_SETTING = 'emergency_mode';
/** Share of each configured rate limit in force during an emergency. */
export const EMERGENCY_RATE_FACTOR = 0.5;
/** Shown for every failed sign-in during an emergency, so a refused correct password looks like a wrong one. */
export const EMERGENCY_LOGIN_MESSAGE = 'Sign-in failed. While a security alert is in effect, only accounts with an authenticator app can sign in.';
export const EMERGENCY_REGISTRATION_MESSAGE = 'Client registration is closed while the server is in emergency mode';

const OFF: EmergencyState = { active: false, since: null, reason: null };

function asState(value: unknown): EmergencyState {
  if (!value || typeof value !== 'object') return OFF;
  const v = value as Record<string, unknown>;
  return { active: v.active === true, since: typeof v.since === 'number' ? v.since : null, reason: typeof v.reason === 'string' ? v.reason : null };
}

class EmergencyWatch {
  state: EmergencyState = OFF;
  private readonly node = new NodeState<Context>('emergency mode state', async (ctx) => {
    try {
      this.state = asState((await ctx.stores.settings.get(EMERGENCY_SETTING))?.value);
    } finally {
      // Applied after every reload, failed or not: the factor follows the state in force.
      ctx.limits.setFactor(this.state.active ? EMERGENCY_RATE_FACTOR : 1);
    }
  });

  async fresh(ctx: Context): Promise<EmergencyState> {
    await this.node.fresh(ctx);
    return this.state;
  }

  reload(ctx: Context): Promise<void> {
    return this.node.reload(ctx);
  }
}

const watches = new WeakMap<Stores, EmergencyWatch>();

function watchOf(ctx: Pick<Context, 'stores'>): EmergencyWatch {
  let watch = watches.get(ctx.stores);
  if (!watch) {
    watch = new EmergencyWatch();
    watches.set(ctx.stores, watch);
  }
  return watch;
}

/** Reloads this process's view now (another process of the node switched the mode). */
export function reloadEmergencyState(ctx: Context): Promise<void> {
  return watchOf(ctx).reload(ctx);
}

/** The state as this node knows it (at most STATE_REFRESH_SECONDS old). */
export function emergencyState(ctx: Context): Promise<EmergencyState> {
  return watchOf(ctx).fresh(ctx);
}

/** Switches the mode for every node; audited in the same transaction. Returns the state before. */
export async function setEmergencyMode(ctx: Context, active: boolean, reason: string | null, req?: Request): Promise<EmergencyState> {
  const now = ctx.clock();
  const before = await ctx.stores.transaction(async (tx) => {
    const previous = asState((await ctx.stores.settings.get(EMERGENCY_SETTING, tx))?.value);
    const next: EmergencyState = active ? { active, since: previous.active ? previous.since : now, reason: reason?.slice(0, 255) ?? null } : OFF;
    await ctx.stores.settings.put(EMERGENCY_SETTING, next, now, tx);
    await audit(ctx, req, { type: active ? 'incident.emergency_on' : 'incident.emergency_off', details: { reason: next.reason ?? reason, was_active: previous.active } }, tx);
    return previous;
  });
  await watchOf(ctx).reload(ctx);
  announce({ type: 'emergency-changed' });
  return before;
}

/** Keeps the node's view fresh before the rate limiters run (they read the factor it sets). */
export function emergencyWatch(ctx: Context) {
  return async (_req: Request, _res: Response, next: NextFunction): Promise<void> => {
    await emergencyState(ctx);
    next();
  };
}

/** True when a login that passed the password step and has no second factor must be refused now. */
export async function passwordOnlyLoginRefused(ctx: Context): Promise<boolean> {
  return (await emergencyState(ctx)).active;
}

/** The login page's failure message: the usual one, or during an emergency one that covers both causes. */
export async function loginFailureMessage(ctx: Context, usual: string): Promise<string> {
  return (await emergencyState(ctx)).active ? EMERGENCY_LOGIN_MESSAGE : usual;
}

/** False for a session opened with a password alone while the mode is on (it must sign in again). */
export async function sessionAcceptable(ctx: Context, session: Pick<SessionRecord, 'amr'>): Promise<boolean> {
  if (!(await emergencyState(ctx)).active) return true;
  return (session.amr ?? []).some((method) => method !== 'pwd');
}

// Registration closes on every node as soon as it sees the flag.
addRegistrationCheck(async (ctx) => ((await emergencyState(ctx)).active ? EMERGENCY_REGISTRATION_MESSAGE : undefined));
