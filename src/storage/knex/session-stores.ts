/**
 * Browser sessions, in-flight interactions (login and consent steps of one authorization request)
 * and remembered consents. Session ids and interaction uids are stored as SHA-256.
 */
import type { Knex } from 'knex';
import type {
  ConsentRecord, ConsentStore, InteractionRecord, InteractionStore, SessionRecord, SessionStore, Tx,
} from '../stores.js';
import { fromJson, toJson, toNumber } from './json.js';
import { findOne, queryRows } from './point-read.js';

/** A session joined to its user: a deleted user's session is no session, found in the same read. */
const SESSION_OF_EXISTING_USER = 'select s.* from "sessions" as s inner join "users" as u on u."id" = s."user_id" where s."id_hash" = ? limit 1';
/** The same, with the user's remembered consent for one client (the authorization endpoint's read). */
const SESSION_WITH_CONSENT = 'select s.*, c."scope" as "c_scope", c."granted_at" as "c_granted_at" from "sessions" as s '
  + 'inner join "users" as u on u."id" = s."user_id" left join "consents" as c on c."user_id" = s."user_id" and c."client_id" = ? '
  + 'where s."id_hash" = ? limit 1';

type Row = Record<string, unknown>;

const toSession = (row: Row): SessionRecord => ({
  idHash: row.id_hash as string, userId: row.user_id as string, sid: row.sid as string,
  authTime: toNumber(row.auth_time), acr: (row.acr as string) ?? null, amr: fromJson(row.amr),
  createdAt: toNumber(row.created_at), lastSeenAt: toNumber(row.last_seen_at),
  idleExpiresAt: toNumber(row.idle_expires_at), absoluteExpiresAt: toNumber(row.absolute_expires_at),
});

export class KnexSessionStore implements SessionStore {
  constructor(private readonly db: Knex) {}

  async insert(s: SessionRecord, tx: Tx = this.db) {
    await tx('sessions').insert({
      id_hash: s.idHash, user_id: s.userId, sid: s.sid, auth_time: s.authTime, acr: s.acr, amr: toJson(s.amr),
      created_at: s.createdAt, last_seen_at: s.lastSeenAt, idle_expires_at: s.idleExpiresAt,
      absolute_expires_at: s.absoluteExpiresAt,
    });
  }

  async find(idHash: string, tx: Tx = this.db) {
    const row = await findOne(this.db, tx, 'sessions', { id_hash: idHash });
    return row ? toSession(row) : undefined;
  }

  async findOfExistingUser(idHash: string, consentFor?: string, tx: Tx = this.db) {
    const [row] = consentFor === undefined
      ? await queryRows(this.db, tx, SESSION_OF_EXISTING_USER, [idHash])
      : await queryRows(this.db, tx, SESSION_WITH_CONSENT, [consentFor, idHash]);
    if (!row) return undefined;
    const session = toSession(row);
    const consent = row.c_scope == null ? undefined : { userId: session.userId, clientId: consentFor as string, scope: row.c_scope as string, grantedAt: toNumber(row.c_granted_at) };
    return { session, consent };
  }

  async findBySid(sid: string, tx: Tx = this.db) {
    const row = await findOne(this.db, tx, 'sessions', { sid });
    return row ? toSession(row) : undefined;
  }

  async touch(idHash: string, lastSeenAt: number, idleExpiresAt: number, tx: Tx = this.db) {
    await tx('sessions').where({ id_hash: idHash }).update({ last_seen_at: lastSeenAt, idle_expires_at: idleExpiresAt });
  }

  async remove(idHash: string, tx: Tx = this.db) {
    return (await tx('sessions').where({ id_hash: idHash }).delete()) > 0;
  }
}

export class KnexInteractionStore implements InteractionStore {
  constructor(private readonly db: Knex) {}

  async insert(i: InteractionRecord, tx: Tx = this.db) {
    await tx('interactions').insert({
      uid_hash: i.uidHash, request: JSON.stringify(i.request), user_id: i.userId, csrf_token_hash: i.csrfTokenHash,
      created_at: i.createdAt, expires_at: i.expiresAt,
    });
  }

  async find(uidHash: string, tx: Tx = this.db) {
    const row: Row | undefined = await findOne(this.db, tx, 'interactions', { uid_hash: uidHash });
    if (!row) return undefined;
    return {
      uidHash: row.uid_hash as string, request: fromJson<Record<string, unknown>>(row.request)!,
      userId: (row.user_id as string) ?? null, csrfTokenHash: row.csrf_token_hash as string,
      createdAt: toNumber(row.created_at), expiresAt: toNumber(row.expires_at),
    };
  }

  async setUser(uidHash: string, userId: string, tx: Tx = this.db) {
    await tx('interactions').where({ uid_hash: uidHash }).update({ user_id: userId });
  }

  async take(uidHash: string, tx: Tx = this.db) {
    return (await tx('interactions').where({ uid_hash: uidHash }).delete()) === 1;
  }
}

export class KnexConsentStore implements ConsentStore {
  constructor(private readonly db: Knex) {}

  async find(userId: string, clientId: string, tx: Tx = this.db) {
    const row: Row | undefined = await findOne(this.db, tx, 'consents', { user_id: userId, client_id: clientId });
    if (!row) return undefined;
    return { userId, clientId, scope: row.scope as string, grantedAt: toNumber(row.granted_at) };
  }

  async upsert(c: ConsentRecord, tx: Tx = this.db) {
    await tx('consents')
      .insert({ user_id: c.userId, client_id: c.clientId, scope: c.scope, granted_at: c.grantedAt })
      .onConflict(['user_id', 'client_id'])
      .merge(['scope', 'granted_at']);
  }

  async remove(userId: string, clientId: string, tx: Tx = this.db) {
    return (await tx('consents').where({ user_id: userId, client_id: clientId }).delete()) > 0;
  }

  async listByUser(userId: string, tx: Tx = this.db) {
    const rows: Row[] = await tx('consents').where({ user_id: userId }).orderBy(['granted_at', 'client_id']);
    return rows.map((row) => ({ userId, clientId: row.client_id as string, scope: row.scope as string, grantedAt: toNumber(row.granted_at) }));
  }
}
