/**
 * Device authorizations, keyed by SHA-256 of the device_code, found by SHA-256 of the user_code.
 * Every change of state is one conditional update, so two nodes (or two browser tabs, or a poll and
 * an approval) racing on the same row cannot both win.
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3.3 (the user approves or denies a pending request)
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3.5 (slow_down: the interval grows by 5 s for this and later requests)
 */
import type { DeviceAuthorizationRecord, DeviceAuthorizationStore, DevicePoll, Tx } from '../stores.js';
import { toNumber, toNumberOrNull } from './json.js';
import { on } from './on.js';
import { insertThen, type Database, type Row } from './statements.js';

const toRecord = (row: Row): DeviceAuthorizationRecord => ({
  deviceCodeHash: row.device_code_hash as string,
  userCodeHash: row.user_code_hash as string,
  clientId: row.client_id as string,
  scope: row.scope as string,
  status: row.status as DeviceAuthorizationRecord['status'],
  pollInterval: toNumber(row.poll_interval),
  lastPolledAt: toNumberOrNull(row.last_polled_at),
  grantId: (row.grant_id as string) ?? null,
  userId: (row.user_id as string) ?? null,
  createdAt: toNumber(row.created_at),
  expiresAt: toNumber(row.expires_at),
  decidedAt: toNumberOrNull(row.decided_at),
  consumedAt: toNumberOrNull(row.consumed_at),
});

const deviceAuthorizationRow = (d: DeviceAuthorizationRecord): Row => ({
  device_code_hash: d.deviceCodeHash, user_code_hash: d.userCodeHash, client_id: d.clientId, scope: d.scope, status: d.status,
  poll_interval: d.pollInterval, last_polled_at: d.lastPolledAt, grant_id: d.grantId, user_id: d.userId,
  created_at: d.createdAt, expires_at: d.expiresAt, decided_at: d.decidedAt, consumed_at: d.consumedAt,
});

/** A user_code already held by another row is not an error: the caller draws a new code. */
const insertUnlessUserCodeTaken = insertThen('device_authorizations', () => 'on conflict ("user_code_hash") do nothing');

const FIND = 'select * from "device_authorizations" where "device_code_hash" = ? limit 1';
const FIND_BY_USER_CODE = 'select * from "device_authorizations" where "user_code_hash" = ? limit 1';
/** Parameters: now, hash, now. At least one interval since the last poll (or none yet). */
const POLL_ON_TIME = 'update "device_authorizations" set "last_polled_at" = ? where "device_code_hash" = ? and ("last_polled_at" is null or "last_polled_at" + "poll_interval" <= ?)';
/** Parameters: penalty, now, hash, now. Too soon: the interval grows and the clock restarts from this poll. */
const POLL_TOO_FAST = 'update "device_authorizations" set "poll_interval" = "poll_interval" + ?, "last_polled_at" = ? where "device_code_hash" = ? and "last_polled_at" + "poll_interval" > ?';
/** Parameters: status, grant_id, user_id, decided_at, hash, now. Only a pending, unexpired request is decided. */
const DECIDE = 'update "device_authorizations" set "status" = ?, "grant_id" = ?, "user_id" = ?, "decided_at" = ? where "device_code_hash" = ? and "status" = \'pending\' and "expires_at" > ?';

export class SqlDeviceAuthorizationStore implements DeviceAuthorizationStore {
  constructor(private readonly db: Database) {}

  async insert(record: DeviceAuthorizationRecord, tx?: Tx) {
    const { sql, params } = insertUnlessUserCodeTaken(deviceAuthorizationRow(record));
    return (await on(this.db, tx).run(sql, params)) === 1;
  }

  async find(deviceCodeHash: string, tx?: Tx) {
    const row = await on(this.db, tx).one(FIND, [deviceCodeHash]);
    return row ? toRecord(row) : undefined;
  }

  async findByUserCode(userCodeHash: string, tx?: Tx) {
    const row = await on(this.db, tx).one(FIND_BY_USER_CODE, [userCodeHash]);
    return row ? toRecord(row) : undefined;
  }

  async poll(deviceCodeHash: string, now: number, penalty: number, tx?: Tx): Promise<DevicePoll> {
    const sql = on(this.db, tx);
    if ((await sql.run(POLL_ON_TIME, [now, deviceCodeHash, now])) === 1) return 'on_time';
    return (await sql.run(POLL_TOO_FAST, [penalty, now, deviceCodeHash, now])) === 1 ? 'too_fast' : 'missing';
  }

  async approve(deviceCodeHash: string, grantId: string, userId: string, now: number, tx?: Tx) {
    return (await on(this.db, tx).run(DECIDE, ['approved', grantId, userId, now, deviceCodeHash, now])) === 1;
  }

  async deny(deviceCodeHash: string, userId: string, now: number, tx?: Tx) {
    return (await on(this.db, tx).run(DECIDE, ['denied', null, userId, now, deviceCodeHash, now])) === 1;
  }
}
