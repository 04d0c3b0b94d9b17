/**
 * Grants: the root of every token family. Revoking a grant is one statement, and it reaches the
 * grants exchanged from it (RFC 8693 token exchange records the subject token's grant as
 * `parent_grant_id`): a recursive CTE collects the matching grants and their descendants, however
 * long the chain of exchanges, and one update revokes them all.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2 (code replay revokes tokens issued from it)
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2 (refresh token reuse revokes the family)
 * @spec https://www.rfc-editor.org/rfc/rfc8693#section-1 (an exchanged token acts for its subject token)
 */
import type { ActClaim, GrantRecord, GrantStore, Tx } from '../stores.js';
import { fromJson, toJson, toNumber, toNumberOrNull } from './json.js';
import { on } from './on.js';
import type { Database, Row } from './statements.js';

/** Exported for joined reads (a token with its grant). */
export const toRecord = (row: Row): GrantRecord => ({
  id: row.id as string,
  clientId: row.client_id as string,
  userId: (row.user_id as string) ?? null,
  scope: row.scope as string,
  claims: fromJson(row.claims),
  resource: fromJson(row.resource),
  authTime: toNumberOrNull(row.auth_time),
  acr: (row.acr as string) ?? null,
  amr: fromJson(row.amr),
  sid: (row.sid as string) ?? null,
  createdAt: toNumber(row.created_at),
  expiresAt: toNumber(row.expires_at),
  revokedAt: toNumberOrNull(row.revoked_at),
  revokedReason: (row.revoked_reason as string) ?? null,
  // Only exchanged grants carry these; other grants keep the shape they always had.
  ...(row.parent_grant_id ? { parentGrantId: row.parent_grant_id as string } : {}),
  ...(row.subject ? { subject: row.subject as string } : {}),
  ...(row.act ? { act: fromJson<ActClaim>(row.act) } : {}),
});

/** The row of a grant (also written by the atomic insert of new rows). */
export const grantRow = (grant: GrantRecord): Row => ({
  id: grant.id,
  client_id: grant.clientId,
  user_id: grant.userId,
  scope: grant.scope,
  claims: toJson(grant.claims),
  resource: toJson(grant.resource),
  auth_time: grant.authTime,
  acr: grant.acr,
  amr: toJson(grant.amr),
  sid: grant.sid,
  created_at: grant.createdAt,
  expires_at: grant.expiresAt,
  revoked_at: grant.revokedAt,
  revoked_reason: grant.revokedReason,
  parent_grant_id: grant.parentGrantId ?? null,
  subject: grant.subject ?? null,
  act: toJson(grant.act ?? null),
});

const FIND = 'select * from "grants" where "id" = ? limit 1';

/**
 * Revokes the unrevoked grants matching `condition` and every grant exchanged from them, at any
 * depth (`union` stops a cycle, which exchange cannot create anyway). Parameters: the condition's,
 * then revoked_at, revoked_reason.
 */
const revokeWhere = (condition: string) => 'with recursive "family" ("id") as ('
  + `select "id" from "grants" where ${condition} `
  + 'union select "child"."id" from "grants" as "child" inner join "family" on "child"."parent_grant_id" = "family"."id") '
  + 'update "grants" set "revoked_at" = ?, "revoked_reason" = ? where "id" in (select "id" from "family") and "revoked_at" is null';
const REVOKE = revokeWhere('"id" = ?');
const REVOKE_BY_CLIENT = revokeWhere('"client_id" = ?');
const REVOKE_BY_SID = revokeWhere('"sid" = ?');
const REVOKE_BY_USER = revokeWhere('"user_id" = ?');
const REVOKE_BY_USER_AND_CLIENT = revokeWhere('"user_id" = ? and "client_id" = ?');

const LIST_BY_SID = 'select * from "grants" where "sid" = ? order by "created_at"';
const LIST_UNREVOKED_BY_USER_AND_CLIENT = 'select * from "grants" where "user_id" = ? and "client_id" = ? and "revoked_at" is null order by "created_at"';

/**
 * The grants revoking a client reaches (revokeWhere): its unrevoked grants and their unrevoked
 * descendants, less those already dead through a revoked ancestor (token reads treat them as
 * revoked, so their tokens are not usable). The upward walk is as deep as exchange chains, a few
 * levels. Parameter: client_id.
 */
const USABLE_FAMILY_OF_CLIENT = 'with recursive "family" ("id") as ('
  + 'select "id" from "grants" where "client_id" = ? and "revoked_at" is null '
  + 'union select "child"."id" from "grants" as "child" inner join "family" on "child"."parent_grant_id" = "family"."id" where "child"."revoked_at" is null), '
  + '"up" ("start", "parent") as ('
  + 'select "g"."id", "g"."parent_grant_id" from "grants" as "g" where "g"."id" in (select "id" from "family") and "g"."parent_grant_id" is not null '
  + 'union select "up"."start", "p"."parent_grant_id" from "up" inner join "grants" as "p" on "p"."id" = "up"."parent" where "p"."parent_grant_id" is not null) ';
const USABLE_GRANT_IDS = 'select "id" from "family" where "id" not in '
  + '(select "up"."start" from "up" inner join "grants" as "p" on "p"."id" = "up"."parent" where "p"."revoked_at" is not null)';
/** Parameters: client_id, now. */
const COUNT_USABLE_REFRESH_TOKENS = `${USABLE_FAMILY_OF_CLIENT}select count(*) as "n" from "refresh_tokens" where "grant_id" in (${USABLE_GRANT_IDS}) and "expires_at" > ? and "consumed_at" is null`;
const COUNT_USABLE_ACCESS_TOKENS = `${USABLE_FAMILY_OF_CLIENT}select count(*) as "n" from "access_tokens" where "grant_id" in (${USABLE_GRANT_IDS}) and "expires_at" > ? and "revoked_at" is null`;

export class SqlGrantStore implements GrantStore {
  constructor(private readonly db: Database) {}

  async find(id: string, tx?: Tx) {
    const row = await on(this.db, tx).one(FIND, [id]);
    return row ? toRecord(row) : undefined;
  }

  async revoke(id: string, reason: string, now: number, tx?: Tx) {
    return (await on(this.db, tx).run(REVOKE, [id, now, reason])) > 0;
  }

  async revokeByClient(clientId: string, reason: string, now: number, tx?: Tx) {
    return on(this.db, tx).run(REVOKE_BY_CLIENT, [clientId, now, reason]);
  }

  async countUsableTokensByClient(clientId: string, now: number, tx?: Tx) {
    const sql = on(this.db, tx);
    const count = async (text: string) => toNumber((await sql.one(text, [clientId, now]))?.n ?? 0);
    return {
      refreshTokens: await count(COUNT_USABLE_REFRESH_TOKENS),
      accessTokens: await count(COUNT_USABLE_ACCESS_TOKENS),
    };
  }

  async revokeBySid(sid: string, reason: string, now: number, tx?: Tx) {
    return on(this.db, tx).run(REVOKE_BY_SID, [sid, now, reason]);
  }

  async revokeByUser(userId: string, reason: string, now: number, tx?: Tx) {
    return on(this.db, tx).run(REVOKE_BY_USER, [userId, now, reason]);
  }

  async listBySid(sid: string, tx?: Tx) {
    return (await on(this.db, tx).all(LIST_BY_SID, [sid])).map(toRecord);
  }

  async listUnrevokedByUserAndClient(userId: string, clientId: string, tx?: Tx) {
    return (await on(this.db, tx).all(LIST_UNREVOKED_BY_USER_AND_CLIENT, [userId, clientId])).map(toRecord);
  }

  async revokeByUserAndClient(userId: string, clientId: string, reason: string, now: number, tx?: Tx) {
    return on(this.db, tx).run(REVOKE_BY_USER_AND_CLIENT, [userId, clientId, now, reason]);
  }
}
