/** End users in the `users` table; passwords only as argon2id hashes. */
import type { Tx, UserProfile, UserRecord, UserStore } from '../stores.js';
import { fromJson, toNumber } from './json.js';
import { on } from './on.js';
import { type Database, type Row, insertRow, updateRow } from './statements.js';

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

const FIND_BY_ID = 'select * from "users" where "id" = ? limit 1';
const FIND_BY_USERNAME = 'select * from "users" where "username" = ? limit 1';
const LIST = 'select * from "users" order by "username"';
const REMOVE = 'delete from "users" where "id" = ?';

export class SqlUserStore implements UserStore {
  constructor(private readonly db: Database) {}

  async findById(id: string, tx?: Tx) {
    const row = await on(this.db, tx).one(FIND_BY_ID, [id]);
    return row ? toRecord(row) : undefined;
  }

  async findByUsername(username: string, tx?: Tx) {
    const row = await on(this.db, tx).one(FIND_BY_USERNAME, [username]);
    return row ? toRecord(row) : undefined;
  }

  async list(tx?: Tx) {
    return (await on(this.db, tx).all(LIST)).map(toRecord);
  }

  async insert(user: UserRecord, tx?: Tx) {
    await insertRow(on(this.db, tx), 'users', toRow(user));
  }

  async update(user: UserRecord, tx?: Tx) {
    await updateRow(on(this.db, tx), 'users', toRow(user), 'id');
  }

  async remove(id: string, tx?: Tx) {
    return (await on(this.db, tx).run(REMOVE, [id])) > 0;
  }
}
