/** End users in the `users` table; passwords only as argon2id hashes. */
import type { Knex } from 'knex';
import type { Tx, UserProfile, UserRecord, UserStore } from '../stores.js';
import { fromJson, toNumber } from './json.js';
import { findOne } from './point-read.js';

type Row = Record<string, unknown>;

/** The columns of a user's profile: everything but the password hash. */
export const USER_PROFILE_COLUMNS = ['id', 'username', 'claims', 'created_at', 'updated_at'] as const;

/**
 * A user's profile from a row whose user columns carry `prefix` (a join selects them as `u_id`,
 * `u_username`, ...); null when the join found no user.
 */
export function userProfileFromRow(row: Row, prefix = ''): UserProfile | null {
  if (row[`${prefix}id`] == null) return null;
  return {
    id: row[`${prefix}id`] as string,
    username: row[`${prefix}username`] as string,
    claims: fromJson(row[`${prefix}claims`]) ?? {},
    createdAt: toNumber(row[`${prefix}created_at`]),
    updatedAt: toNumber(row[`${prefix}updated_at`]),
  };
}

const toRecord = (row: Row): UserRecord => ({ ...(userProfileFromRow(row) as UserProfile), passwordHash: row.password_hash as string });

const toRow = (user: UserRecord): Row => ({
  id: user.id,
  username: user.username,
  password_hash: user.passwordHash,
  claims: JSON.stringify(user.claims),
  created_at: user.createdAt,
  updated_at: user.updatedAt,
});

export class KnexUserStore implements UserStore {
  constructor(private readonly db: Knex) {}

  async findById(id: string, tx: Tx = this.db) {
    const row = await findOne(this.db, tx, 'users', { id });
    return row ? toRecord(row) : undefined;
  }

  async findByUsername(username: string, tx: Tx = this.db) {
    const row = await findOne(this.db, tx, 'users', { username });
    return row ? toRecord(row) : undefined;
  }

  async list(tx: Tx = this.db) {
    return (await tx('users').orderBy('username')).map(toRecord);
  }

  async insert(user: UserRecord, tx: Tx = this.db) {
    await tx('users').insert(toRow(user));
  }

  async update(user: UserRecord, tx: Tx = this.db) {
    await tx('users').where({ id: user.id }).update(toRow(user));
  }

  async remove(id: string, tx: Tx = this.db) {
    return (await tx('users').where({ id }).delete()) > 0;
  }
}
