/**
 * Browser sessions, in-flight interactions (login and consent steps of one authorization request)
 * and remembered consents. Session ids and interaction uids are stored as SHA-256.
 */
import type {
  ConsentRecord, ConsentStore, InteractionRecord, InteractionStore, SessionRecord, SessionStore, Tx,
} from '../stores.js';
import { fromJson, toJson, toNumber } from './json.js';
import { on } from './on.js';
import { type Database, type Row, insertRow, insertThen } from './statements.js';

/** A session joined to its user: a deleted user's session is no session, found in the same read. */
const SESSION_OF_EXISTING_USER = 'select s.* from "sessions" as s inner join "users" as u on u."id" = s."user_id" where s."id_hash" = ? limit 1';
/** The same, with the user's remembered consent for one client (the authorization endpoint's read). */
const SESSION_WITH_CONSENT = 'select s.*, c."scope" as "c_scope", c."granted_at" as "c_granted_at" from "sessions" as s '
  + 'inner join "users" as u on u."id" = s."user_id" left join "consents" as c on c."user_id" = s."user_id" and c."client_id" = ? '
  + 'where s."id_hash" = ? limit 1';

const FIND_SESSION = 'select * from "sessions" where "id_hash" = ? limit 1';
const TOUCH_SESSION = 'update "sessions" set "last_seen_at" = ?, "idle_expires_at" = ? where "id_hash" = ?';
const REMOVE_SESSION = 'delete from "sessions" where "id_hash" = ?';

const FIND_INTERACTION = 'select * from "interactions" where "uid_hash" = ? limit 1';
const SET_INTERACTION_USER = 'update "interactions" set "user_id" = ? where "uid_hash" = ?';
const TAKE_INTERACTION = 'delete from "interactions" where "uid_hash" = ?';

const FIND_CONSENT = 'select * from "consents" where "user_id" = ? and "client_id" = ? limit 1';
const REMOVE_CONSENT = 'delete from "consents" where "user_id" = ? and "client_id" = ?';
const LIST_CONSENTS_BY_USER = 'select * from "consents" where "user_id" = ? order by "granted_at", "client_id"';
/** Appended to the consent insert: a second consent for the same user and client replaces the first. */
const upsertConsentSql = insertThen('consents', () => 'on conflict ("user_id", "client_id") do update set "scope" = excluded."scope", "granted_at" = excluded."granted_at"');

const toSession = (row: Row): SessionRecord => ({
  idHash: row.id_hash as string, userId: row.user_id as string, sid: row.sid as string,
  authTime: toNumber(row.auth_time), acr: (row.acr as string) ?? null, amr: fromJson(row.amr),
  createdAt: toNumber(row.created_at), lastSeenAt: toNumber(row.last_seen_at),
  idleExpiresAt: toNumber(row.idle_expires_at), absoluteExpiresAt: toNumber(row.absolute_expires_at),
});

const sessionRow = (s: SessionRecord): Row => ({
  id_hash: s.idHash, user_id: s.userId, sid: s.sid, auth_time: s.authTime, acr: s.acr, amr: toJson(s.amr),
  created_at: s.createdAt, last_seen_at: s.lastSeenAt, idle_expires_at: s.idleExpiresAt,
  absolute_expires_at: s.absoluteExpiresAt,
});

const toInteraction = (row: Row): InteractionRecord => ({
  uidHash: row.uid_hash as string, request: fromJson<Record<string, unknown>>(row.request)!,
  userId: (row.user_id as string) ?? null, csrfTokenHash: row.csrf_token_hash as string,
  createdAt: toNumber(row.created_at), expiresAt: toNumber(row.expires_at),
});

const interactionRow = (i: InteractionRecord): Row => ({
  uid_hash: i.uidHash, request: JSON.stringify(i.request), user_id: i.userId, csrf_token_hash: i.csrfTokenHash,
  created_at: i.createdAt, expires_at: i.expiresAt,
});

const toConsent = (row: Row): ConsentRecord => ({
  userId: row.user_id as string, clientId: row.client_id as string, scope: row.scope as string, grantedAt: toNumber(row.granted_at),
});

const consentRow = (c: ConsentRecord): Row => ({ user_id: c.userId, client_id: c.clientId, scope: c.scope, granted_at: c.grantedAt });

export class SqlSessionStore implements SessionStore {
  constructor(private readonly db: Database) {}

  async insert(s: SessionRecord, tx?: Tx) {
    await insertRow(on(this.db, tx), 'sessions', sessionRow(s));
  }

  async find(idHash: string, tx?: Tx) {
    const row = await on(this.db, tx).one(FIND_SESSION, [idHash]);
    return row ? toSession(row) : undefined;
  }

  async findOfExistingUser(idHash: string, consentFor?: string, tx?: Tx) {
    const row = consentFor === undefined
      ? await on(this.db, tx).one(SESSION_OF_EXISTING_USER, [idHash])
      : await on(this.db, tx).one(SESSION_WITH_CONSENT, [consentFor, idHash]);
    if (!row) return undefined;
    const session = toSession(row);
    const consent = row.c_scope == null ? undefined : { userId: session.userId, clientId: consentFor as string, scope: row.c_scope as string, grantedAt: toNumber(row.c_granted_at) };
    return { session, consent };
  }

  async touch(idHash: string, lastSeenAt: number, idleExpiresAt: number, tx?: Tx) {
    await on(this.db, tx).run(TOUCH_SESSION, [lastSeenAt, idleExpiresAt, idHash]);
  }

  async remove(idHash: string, tx?: Tx) {
    return (await on(this.db, tx).run(REMOVE_SESSION, [idHash])) > 0;
  }
}

export class SqlInteractionStore implements InteractionStore {
  constructor(private readonly db: Database) {}

  async insert(i: InteractionRecord, tx?: Tx) {
    await insertRow(on(this.db, tx), 'interactions', interactionRow(i));
  }

  async find(uidHash: string, tx?: Tx) {
    const row = await on(this.db, tx).one(FIND_INTERACTION, [uidHash]);
    return row ? toInteraction(row) : undefined;
  }

  async setUser(uidHash: string, userId: string, tx?: Tx) {
    await on(this.db, tx).run(SET_INTERACTION_USER, [userId, uidHash]);
  }

  async take(uidHash: string, tx?: Tx) {
    return (await on(this.db, tx).run(TAKE_INTERACTION, [uidHash])) === 1;
  }
}

export class SqlConsentStore implements ConsentStore {
  constructor(private readonly db: Database) {}

  async find(userId: string, clientId: string, tx?: Tx) {
    const row = await on(this.db, tx).one(FIND_CONSENT, [userId, clientId]);
    return row ? toConsent(row) : undefined;
  }

  async upsert(c: ConsentRecord, tx?: Tx) {
    const { sql, params } = upsertConsentSql(consentRow(c));
    await on(this.db, tx).run(sql, params);
  }

  async remove(userId: string, clientId: string, tx?: Tx) {
    return (await on(this.db, tx).run(REMOVE_CONSENT, [userId, clientId])) > 0;
  }

  async listByUser(userId: string, tx?: Tx) {
    return (await on(this.db, tx).all(LIST_CONSENTS_BY_USER, [userId])).map(toConsent);
  }
}
