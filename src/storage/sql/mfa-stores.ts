/**
 * TOTP enrolments, recovery codes, pending MFA steps and the login-throttle reset generations.
 * Secrets are sealed before they reach this layer; recovery codes arrive as SHA-256.
 * @spec https://www.rfc-editor.org/rfc/rfc6238#section-5.2 (the verifier must not accept a code twice)
 */
import type {
  LoginResetStore, MfaChallengeRecord, MfaChallengeStore, MfaRecord, MfaStore, RecoveryCodeStore, Tx,
} from '../stores.js';
import { toNumber, toNumberOrNull } from './json.js';
import { on } from './on.js';
import { type Database, insertSql, insertThen, replacing, placeholders, quoteName, type Row } from './statements.js';


const toMfa = (row: Row): MfaRecord => ({
  userId: row.user_id as string, secretEncrypted: row.secret_encrypted as string,
  enabledAt: toNumber(row.enabled_at), lastUsedStep: toNumberOrNull(row.last_used_step),
});

const mfaRow = (record: MfaRecord): Row => ({
  user_id: record.userId, secret_encrypted: record.secretEncrypted, enabled_at: record.enabledAt, last_used_step: record.lastUsedStep,
});

const FIND_MFA_SQL = 'select * from "user_mfa" where "user_id" = ? limit 1';
const insertMfaSql = insertThen('user_mfa', () => 'on conflict ("user_id") do nothing returning "user_id"');
const ADVANCE_STEP_SQL = 'update "user_mfa" set "last_used_step" = ? where "user_id" = ? and ("last_used_step" is null or "last_used_step" < ?)';
const REMOVE_MFA_SQL = 'delete from "user_mfa" where "user_id" = ?';

export class SqlMfaStore implements MfaStore {
  constructor(private readonly db: Database) {}

  async find(userId: string, tx?: Tx) {
    const row = await on(this.db, tx).one(FIND_MFA_SQL, [userId]);
    return row ? toMfa(row) : undefined;
  }

  async insert(record: MfaRecord, tx?: Tx) {
    const { sql, params } = insertMfaSql(mfaRow(record));
    return (await on(this.db, tx).all(sql, params)).length > 0;
  }

  async advanceStep(userId: string, step: number, tx?: Tx) {
    // One conditional update decides between two requests racing with the same code.
    return (await on(this.db, tx).run(ADVANCE_STEP_SQL, [step, userId, step])) > 0;
  }

  async remove(userId: string, tx?: Tx) {
    return (await on(this.db, tx).run(REMOVE_MFA_SQL, [userId])) > 0;
  }
}

const recoveryCodeRow = (userId: string, codeHash: string, now: number): Row => ({ user_id: userId, code_hash: codeHash, created_at: now, used_at: null });

/** One multi-row insert (as before), its text built once per number of codes. */
const recoveryInserts = new Map<number, string>();
function insertRecoveryCodesSql(rows: Row[]): { sql: string; params: unknown[] } {
  const first = insertSql('recovery_codes', rows[0]!);
  let sql = recoveryInserts.get(rows.length);
  if (sql === undefined) {
    sql = first.sql + `, ${placeholders(first.params.length)}`.repeat(rows.length - 1);
    recoveryInserts.set(rows.length, sql);
  }
  return { sql, params: rows.flatMap((row) => insertSql('recovery_codes', row).params) };
}

const DELETE_RECOVERY_CODES_SQL = 'delete from "recovery_codes" where "user_id" = ?';
const CONSUME_RECOVERY_CODE_SQL = 'update "recovery_codes" set "used_at" = ? where "user_id" = ? and "code_hash" = ? and "used_at" is null';
const COUNT_UNUSED_SQL = 'select count(*) as "n" from "recovery_codes" where "user_id" = ? and "used_at" is null';

export class SqlRecoveryCodeStore implements RecoveryCodeStore {
  constructor(private readonly db: Database) {}

  async replace(userId: string, codeHashes: string[], now: number, tx?: Tx) {
    const sql = on(this.db, tx);
    await sql.run(DELETE_RECOVERY_CODES_SQL, [userId]);
    if (codeHashes.length > 0) {
      const insert = insertRecoveryCodesSql(codeHashes.map((hash) => recoveryCodeRow(userId, hash, now)));
      await sql.run(insert.sql, insert.params);
    }
  }

  async consume(userId: string, codeHash: string, now: number, tx?: Tx) {
    return (await on(this.db, tx).run(CONSUME_RECOVERY_CODE_SQL, [now, userId, codeHash])) > 0;
  }

  async countUnused(userId: string, tx?: Tx) {
    const row = await on(this.db, tx).one(COUNT_UNUSED_SQL, [userId]);
    return toNumber(row?.n ?? 0);
  }

  async removeAll(userId: string, tx?: Tx) {
    return on(this.db, tx).run(DELETE_RECOVERY_CODES_SQL, [userId]);
  }
}

const toChallenge = (row: Row): MfaChallengeRecord => ({
  uidHash: row.uid_hash as string, userId: row.user_id as string, createdAt: toNumber(row.created_at), expiresAt: toNumber(row.expires_at),
});

const challengeRow = (c: MfaChallengeRecord): Row => ({ uid_hash: c.uidHash, user_id: c.userId, created_at: c.createdAt, expires_at: c.expiresAt });

const putChallengeSql = insertThen('mfa_challenges', replacing('uid_hash'));
const FIND_CHALLENGE_SQL = 'select * from "mfa_challenges" where "uid_hash" = ? limit 1';
const TAKE_CHALLENGE_SQL = 'delete from "mfa_challenges" where "uid_hash" = ?';

export class SqlMfaChallengeStore implements MfaChallengeStore {
  constructor(private readonly db: Database) {}

  async put(c: MfaChallengeRecord, tx?: Tx) {
    const { sql, params } = putChallengeSql(challengeRow(c));
    await on(this.db, tx).run(sql, params);
  }

  async find(uidHash: string, tx?: Tx) {
    const row = await on(this.db, tx).one(FIND_CHALLENGE_SQL, [uidHash]);
    return row ? toChallenge(row) : undefined;
  }

  async take(uidHash: string, tx?: Tx) {
    return (await on(this.db, tx).run(TAKE_CHALLENGE_SQL, [uidHash])) > 0;
  }
}

const GENERATION_SQL = 'select "generation" from "login_throttle_resets" where "username" = ? limit 1';
const insertResetSql = insertThen('login_throttle_resets', () => 'on conflict ("username") do nothing');
const BUMP_SQL = 'update "login_throttle_resets" set "generation" = "generation" + 1, "reset_at" = ? where "username" = ?';

export class SqlLoginResetStore implements LoginResetStore {
  constructor(private readonly db: Database) {}

  async generation(username: string, tx?: Tx) {
    const row = await on(this.db, tx).one(GENERATION_SQL, [username]);
    return row ? toNumber(row.generation) : 0;
  }

  async bump(username: string, now: number, tx?: Tx) {
    const sql = on(this.db, tx);
    const insert = insertResetSql({ username, generation: 0, reset_at: now });
    await sql.run(insert.sql, insert.params);
    await sql.run(BUMP_SQL, [now, username]);
    return this.generation(username, tx);
  }
}
