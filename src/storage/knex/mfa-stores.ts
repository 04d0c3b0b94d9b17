/**
 * TOTP enrolments, recovery codes, pending MFA steps and the login-throttle reset generations.
 * Secrets are sealed before they reach this layer; recovery codes arrive as SHA-256.
 * @spec https://www.rfc-editor.org/rfc/rfc6238#section-5.2 (the verifier must not accept a code twice)
 */
import type { Knex } from 'knex';
import type {
  LoginResetStore, MfaChallengeRecord, MfaChallengeStore, MfaRecord, MfaStore, RecoveryCodeStore, Tx,
} from '../stores.js';
import { toNumber, toNumberOrNull } from './json.js';
import { findOne } from './point-read.js';

type Row = Record<string, unknown>;

const toMfa = (row: Row): MfaRecord => ({
  userId: row.user_id as string, secretEncrypted: row.secret_encrypted as string,
  enabledAt: toNumber(row.enabled_at), lastUsedStep: toNumberOrNull(row.last_used_step),
});

export class KnexMfaStore implements MfaStore {
  constructor(private readonly db: Knex) {}

  async find(userId: string, tx: Tx = this.db) {
    const row = await findOne(this.db, tx, 'user_mfa', { user_id: userId });
    return row ? toMfa(row) : undefined;
  }

  async insert(record: MfaRecord, tx: Tx = this.db) {
    const inserted = await tx('user_mfa')
      .insert({ user_id: record.userId, secret_encrypted: record.secretEncrypted, enabled_at: record.enabledAt, last_used_step: record.lastUsedStep })
      .onConflict('user_id').ignore().returning('user_id');
    return inserted.length > 0;
  }

  async advanceStep(userId: string, step: number, tx: Tx = this.db) {
    // One conditional update decides between two requests racing with the same code.
    const updated = await tx('user_mfa').where({ user_id: userId })
      .andWhere((q) => q.whereNull('last_used_step').orWhere('last_used_step', '<', step))
      .update({ last_used_step: step });
    return updated > 0;
  }

  async remove(userId: string, tx: Tx = this.db) {
    return (await tx('user_mfa').where({ user_id: userId }).delete()) > 0;
  }
}

export class KnexRecoveryCodeStore implements RecoveryCodeStore {
  constructor(private readonly db: Knex) {}

  async replace(userId: string, codeHashes: string[], now: number, tx: Tx = this.db) {
    await tx('recovery_codes').where({ user_id: userId }).delete();
    if (codeHashes.length > 0) await tx('recovery_codes').insert(codeHashes.map((hash) => ({ user_id: userId, code_hash: hash, created_at: now, used_at: null })));
  }

  async consume(userId: string, codeHash: string, now: number, tx: Tx = this.db) {
    return (await tx('recovery_codes').where({ user_id: userId, code_hash: codeHash }).whereNull('used_at').update({ used_at: now })) > 0;
  }

  async countUnused(userId: string, tx: Tx = this.db) {
    const row = await tx('recovery_codes').where({ user_id: userId }).whereNull('used_at').count({ n: '*' }).first();
    return toNumber(row?.n ?? 0);
  }

  async removeAll(userId: string, tx: Tx = this.db) {
    return tx('recovery_codes').where({ user_id: userId }).delete();
  }
}

export class KnexMfaChallengeStore implements MfaChallengeStore {
  constructor(private readonly db: Knex) {}

  async put(c: MfaChallengeRecord, tx: Tx = this.db) {
    await tx('mfa_challenges')
      .insert({ uid_hash: c.uidHash, user_id: c.userId, created_at: c.createdAt, expires_at: c.expiresAt })
      .onConflict('uid_hash').merge();
  }

  async find(uidHash: string, tx: Tx = this.db) {
    const row = await findOne(this.db, tx, 'mfa_challenges', { uid_hash: uidHash });
    return row
      ? { uidHash: row.uid_hash as string, userId: row.user_id as string, createdAt: toNumber(row.created_at), expiresAt: toNumber(row.expires_at) }
      : undefined;
  }

  async take(uidHash: string, tx: Tx = this.db) {
    return (await tx('mfa_challenges').where({ uid_hash: uidHash }).delete()) > 0;
  }
}

export class KnexLoginResetStore implements LoginResetStore {
  constructor(private readonly db: Knex) {}

  async generation(username: string, tx: Tx = this.db) {
    const row = await findOne(this.db, tx, 'login_throttle_resets', { username });
    return row ? toNumber(row.generation) : 0;
  }

  async bump(username: string, now: number, tx: Tx = this.db) {
    await tx('login_throttle_resets').insert({ username, generation: 0, reset_at: now }).onConflict('username').ignore();
    await tx('login_throttle_resets').where({ username }).update({ generation: tx.raw('generation + 1'), reset_at: now });
    return this.generation(username, tx);
  }
}
