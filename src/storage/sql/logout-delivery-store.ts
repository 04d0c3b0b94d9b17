/**
 * The durable queue of back-channel logout deliveries. A node claims a due row with a conditional
 * update of its next attempt time (a lease), so two nodes never post the same delivery at once.
 * @spec https://openid.net/specs/openid-connect-backchannel-1_0.html#BCRequest
 */
import type { LogoutDeliveryRecord, LogoutDeliveryStore, Tx } from '../stores.js';
import { toNumber } from './json.js';
import { on } from './on.js';
import { type Database, type Row, insertRow } from './statements.js';

const toRecord = (row: Row): LogoutDeliveryRecord => ({
  id: row.id as string,
  clientId: row.client_id as string,
  userId: row.user_id as string,
  sid: (row.sid as string) ?? null,
  attempts: toNumber(row.attempts),
  nextAttemptAt: toNumber(row.next_attempt_at),
  createdAt: toNumber(row.created_at),
  lastError: (row.last_error as string) ?? null,
});

const deliveryRow = (delivery: LogoutDeliveryRecord): Row => ({
  id: delivery.id, client_id: delivery.clientId, user_id: delivery.userId, sid: delivery.sid,
  attempts: delivery.attempts, next_attempt_at: delivery.nextAttemptAt, created_at: delivery.createdAt,
  last_error: delivery.lastError,
});

const FIND_SQL = 'select * from "logout_deliveries" where "id" = ? limit 1';
const DUE_SQL = 'select * from "logout_deliveries" where "next_attempt_at" <= ? order by "next_attempt_at" limit ?';
const CLAIM_SQL = 'update "logout_deliveries" set "next_attempt_at" = ? where "id" = ? and "next_attempt_at" = ?';
const RESCHEDULE_SQL = 'update "logout_deliveries" set "attempts" = ?, "next_attempt_at" = ?, "last_error" = ? where "id" = ?';
const REMOVE_SQL = 'delete from "logout_deliveries" where "id" = ?';

export class SqlLogoutDeliveryStore implements LogoutDeliveryStore {
  constructor(private readonly db: Database) {}

  async insert(delivery: LogoutDeliveryRecord, tx?: Tx) {
    await insertRow(on(this.db, tx), 'logout_deliveries', deliveryRow(delivery));
  }

  async find(id: string, tx?: Tx) {
    const row = await on(this.db, tx).one(FIND_SQL, [id]);
    return row ? toRecord(row) : undefined;
  }

  async due(now: number, limit: number, tx?: Tx) {
    return (await on(this.db, tx).all(DUE_SQL, [now, limit])).map(toRecord);
  }

  async claim(id: string, expectedNextAttemptAt: number, leaseUntil: number, tx?: Tx) {
    return (await on(this.db, tx).run(CLAIM_SQL, [leaseUntil, id, expectedNextAttemptAt])) === 1;
  }

  async reschedule(id: string, attempts: number, nextAttemptAt: number, lastError: string, tx?: Tx) {
    await on(this.db, tx).run(RESCHEDULE_SQL, [attempts, nextAttemptAt, lastError.slice(0, 255), id]);
  }

  async remove(id: string, tx?: Tx) {
    return (await on(this.db, tx).run(REMOVE_SQL, [id])) > 0;
  }
}
