/**
 * End users: argon2id password hashes (OWASP ASVS 5.0 floor: t=2, m=19 MiB, p=1; argon2 runs on
 * libuv's thread pool, off the event loop) and standard claims.
 * @spec https://openid.net/specs/openid-connect-core-1_0.html#StandardClaims
 */
import argon2 from 'argon2';
import { OAuthError } from '../errors/oauth-error.js';
import { enforcePasswordPolicy } from '../security/password-policy.js';
import type { Context } from '../server/context.js';
import type { Tx, UserRecord } from '../storage/stores.js';
import { newId } from '../tokens/handles.js';

export const ARGON2_OPTIONS = { type: argon2.argon2id, timeCost: 2, memoryCost: 19 * 1024, parallelism: 1 } as const;

/** A precomputed hash so unknown usernames cost the same verification time as known ones. */
let dummyHash: Promise<string> | undefined;

export async function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, ARGON2_OPTIONS);
}

/**
 * The id and password hash a user is recreated with (the test control reset keeps a seed user's
 * `sub` stable, and skips rehashing a password it hashed itself); new users get neither.
 */
export interface RecreatedUser {
  id: string;
  /** A hash of exactly the password given, or undefined to hash it now. */
  passwordHash?: string;
}

export async function createUser(
  ctx: Context,
  input: { username: string; password: string; claims?: Record<string, unknown> },
  tx?: Tx,
  recreated?: RecreatedUser,
): Promise<UserRecord> {
  if (!input.username || input.username.length > 255) throw new OAuthError('invalid_request', 'username must be 1-255 characters', { requirement: 'CASTELLAN-USERS-1' });
  enforcePasswordPolicy(input.password, { minLength: ctx.config.passwordMinLength, username: input.username });
  if (await ctx.stores.users.findByUsername(input.username, tx)) throw new OAuthError('invalid_request', `user ${input.username} already exists`, { requirement: 'CASTELLAN-USERS-1' });
  const now = ctx.clock();
  const { sub: _ignored, ...claims } = input.claims ?? {};
  const passwordHash = recreated?.passwordHash ?? (await hashPassword(input.password));
  const user: UserRecord = { id: recreated?.id ?? newId(), username: input.username, passwordHash, claims, createdAt: now, updatedAt: now };
  await ctx.stores.users.insert(user, tx);
  await ctx.stores.audit.record({ type: 'user.created', userId: user.id }, now, tx);
  return user;
}

/** Replaces a user's password under the password policy; the caller decides what else it ends (sessions, grants). */
export async function setPassword(ctx: Context, userId: string, password: string, tx?: Tx): Promise<UserRecord> {
  const user = await ctx.stores.users.findById(userId, tx);
  if (!user) throw new OAuthError('invalid_request', 'no such user', { requirement: 'CASTELLAN-USERS-1' });
  enforcePasswordPolicy(password, { minLength: ctx.config.passwordMinLength, username: user.username });
  const now = ctx.clock();
  const updated: UserRecord = { ...user, passwordHash: await hashPassword(password), updatedAt: now };
  await ctx.stores.users.update(updated, tx);
  await ctx.stores.audit.record({ type: 'user.password_changed', userId }, now, tx);
  return updated;
}

export interface PasswordCheck {
  /** The user, when the password matched. */
  user?: UserRecord;
  /** The id of the named user whether or not the password matched (for the audit log only). */
  knownUserId?: string;
}

/**
 * Checks a password; unknown users pay for one verification too, so the answer takes the same time
 * whether or not the username exists.
 */
export async function checkPassword(ctx: Context, username: string, password: string): Promise<PasswordCheck> {
  const user = await ctx.stores.users.findByUsername(username);
  if (!user) {
    dummyHash ??= hashPassword('castellan-timing-equaliser');
    await argon2.verify(await dummyHash, password);
    return {};
  }
  return (await argon2.verify(user.passwordHash, password)) ? { user, knownUserId: user.id } : { knownUserId: user.id };
}

/** Returns the user when the password matches. */
export async function verifyPassword(ctx: Context, username: string, password: string): Promise<UserRecord | undefined> {
  return (await checkPassword(ctx, username, password)).user;
}
