/**
 * The durable queue of back-channel logout deliveries. A node claims a due row with a conditional
 * update of its next attempt time (a lease), so two nodes never post the same delivery at once.
 * @spec https://openid.net/specs/openid-connect-backchannel-1_0.html#BCRequest
 */
import type { Knex } from 'knex';
import type { LogoutDeliveryRecord, LogoutDeliveryStore, Tx } from '../stores.js';
import { toNumber } from './json.js';

type Row = Record<string, unknown>;

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

export class KnexLogoutDeliveryStore implements LogoutDeliveryStore {
  constructor(private readonly db: Knex) {}

  async insert(delivery: LogoutDeliveryRecord, tx: Tx = this.db) {
    await tx('logout_deliveries').insert({
      id: delivery.id, client_id: delivery.clientId, user_id: delivery.userId, sid: delivery.sid,
      attempts: delivery.attempts, next_attempt_at: delivery.nextAttemptAt, created_at: delivery.createdAt,
      last_error: delivery.lastError,
    });
  }

  async find(id: string, tx: Tx = this.db) {
    const row: Row | undefined = await tx('logout_deliveries').where({ id }).first();
    return row ? toRecord(row) : undefined;
  }

  async due(now: number, limit: number, tx: Tx = this.db) {
    const rows: Row[] = await tx('logout_deliveries').where('next_attempt_at', '<=', now).orderBy('next_attempt_at').limit(limit);
    return rows.map(toRecord);
  }

  async claim(id: string, expectedNextAttemptAt: number, leaseUntil: number, tx: Tx = this.db) {
    const count = await tx('logout_deliveries').where({ id, next_attempt_at: expectedNextAttemptAt }).update({ next_attempt_at: leaseUntil });
    return count === 1;
  }

  async reschedule(id: string, attempts: number, nextAttemptAt: number, lastError: string, tx: Tx = this.db) {
    await tx('logout_deliveries').where({ id }).update({ attempts, next_attempt_at: nextAttemptAt, last_error: lastError.slice(0, 255) });
  }

  async remove(id: string, tx: Tx = this.db) {
    return (await tx('logout_deliveries').where({ id }).delete()) > 0;
  }
}
