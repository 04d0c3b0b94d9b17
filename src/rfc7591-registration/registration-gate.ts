/**
 * Whether POST /register accepts registrations right now. The configured mode can close it for good
 * (REGISTRATION_ENABLED=off); later modules (emergency mode) add checks that close it while the
 * server runs. Management of already registered clients (RFC 7592) is not affected.
 * @spec https://www.rfc-editor.org/rfc/rfc7591#section-3 (the server decides who may register)
 */
import type { Context } from '../server/context.js';

/** Returns why registration is closed, or undefined when this check lets it stay open. */
export type RegistrationCheck = (ctx: Context) => string | undefined | Promise<string | undefined>;

const checks: RegistrationCheck[] = [(ctx) => (ctx.config.registrationMode === 'off' ? 'Client registration is disabled on this server' : undefined)];

/** Adds a check (an emergency mode, a quota); returns a function that removes it again. */
export function addRegistrationCheck(check: RegistrationCheck): () => void {
  checks.push(check);
  return () => {
    const index = checks.indexOf(check);
    if (index >= 0) checks.splice(index, 1);
  };
}

/** The first reason any check gives for refusing registrations now. */
export async function registrationClosedReason(ctx: Context): Promise<string | undefined> {
  for (const check of checks) {
    const reason = await check(ctx);
    if (reason !== undefined) return reason;
  }
  return undefined;
}

export async function registrationOpen(ctx: Context): Promise<boolean> {
  return (await registrationClosedReason(ctx)) === undefined;
}
