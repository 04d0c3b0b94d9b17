/**
 * Incident state in the database, the one source of truth every node polls: blocked addresses,
 * server-wide flags (emergency mode) and the threat detector's findings. Inserts that several nodes
 * may race on are conditional, so each block and finding is recorded once.
 */
import type { FindingRecord, FindingStore, IpBlockRecord, IpBlockStore, SettingStore, Tx } from '../stores.js';
import { fromJson, toJson, toNumber, toNumberOrNull } from './json.js';
import { on } from './on.js';
import { type Database, insertThen, replacing, type Row } from './statements.js';


const toBlock = (row: Row): IpBlockRecord => ({
  ip: row.ip as string, reason: row.reason as string, source: row.source as IpBlockRecord['source'],
  createdAt: toNumber(row.created_at), expiresAt: toNumberOrNull(row.expires_at),
});

const blockRow = (block: IpBlockRecord): Row => ({
  ip: block.ip, reason: block.reason, source: block.source, created_at: block.createdAt, expires_at: block.expiresAt,
});

const LIST_ACTIVE_BLOCKS_SQL = 'select * from "ip_blocks" where ("expires_at" is null or "expires_at" > ?) order by "created_at", "ip"';
const DELETE_EXPIRED_BLOCK_SQL = 'delete from "ip_blocks" where "ip" = ? and "expires_at" <= ?';
const DELETE_BLOCK_SQL = 'delete from "ip_blocks" where "ip" = ?';
const addBlockSql = insertThen('ip_blocks', () => 'on conflict ("ip") do nothing returning "ip"');
const putBlockSql = insertThen('ip_blocks', replacing('ip'));

export class SqlIpBlockStore implements IpBlockStore {
  constructor(private readonly db: Database) {}

  async listActive(now: number, tx?: Tx) {
    return (await on(this.db, tx).all(LIST_ACTIVE_BLOCKS_SQL, [now])).map(toBlock);
  }

  async add(block: IpBlockRecord, now: number, tx?: Tx) {
    const sql = on(this.db, tx);
    // An expired block no longer protects anything: clear it so the insert decides.
    await sql.run(DELETE_EXPIRED_BLOCK_SQL, [block.ip, now]);
    const insert = addBlockSql(blockRow(block));
    return (await sql.all(insert.sql, insert.params)).length > 0;
  }

  async put(block: IpBlockRecord, tx?: Tx) {
    const { sql, params } = putBlockSql(blockRow(block));
    await on(this.db, tx).run(sql, params);
  }

  async remove(ip: string, tx?: Tx) {
    return (await on(this.db, tx).run(DELETE_BLOCK_SQL, [ip])) > 0;
  }
}

const settingRow = (name: string, value: unknown, now: number): Row => ({ name, value: toJson(value) ?? 'null', updated_at: now });

const GET_SETTING_SQL = 'select "value", "updated_at" from "settings" where "name" = ? limit 1';
const putSettingSql = insertThen('settings', replacing('name'));

export class SqlSettingStore implements SettingStore {
  constructor(private readonly db: Database) {}

  async get(name: string, tx?: Tx) {
    const row = await on(this.db, tx).one(GET_SETTING_SQL, [name]);
    return row ? { value: fromJson<unknown>(row.value), updatedAt: toNumber(row.updated_at) } : undefined;
  }

  async put(name: string, value: unknown, now: number, tx?: Tx) {
    const { sql, params } = putSettingSql(settingRow(name, value, now));
    await on(this.db, tx).run(sql, params);
  }
}

const toFinding = (row: Row): FindingRecord => ({
  id: toNumber(row.id), kind: row.kind as string, subject: row.subject as string,
  details: fromJson<Record<string, unknown>>(row.details), createdAt: toNumber(row.created_at), windowStart: toNumber(row.window_start),
});

const findingRow = (finding: FindingRecord): Row => ({
  kind: finding.kind, subject: finding.subject, details: toJson(finding.details), created_at: finding.createdAt, window_start: finding.windowStart,
});

const RECENT_FINDING_SQL = 'select "id" from "security_findings" where "kind" = ? and "subject" = ? and "created_at" >= ? limit 1';
const insertFindingSql = insertThen('security_findings', () => 'on conflict ("kind", "subject", "window_start") do nothing returning "id"');

export class SqlFindingStore implements FindingStore {
  constructor(private readonly db: Database) {}

  async recordOnce(finding: FindingRecord, since: number, tx?: Tx) {
    const sql = on(this.db, tx);
    const recent = await sql.one(RECENT_FINDING_SQL, [finding.kind, finding.subject, since]);
    if (recent) return false;
    // Two detectors racing in the same window: the unique key lets exactly one insert through.
    const insert = insertFindingSql(findingRow(finding));
    return (await sql.all(insert.sql, insert.params)).length > 0;
  }

  async list(filter: { kind?: string; since?: number; limit?: number }, tx?: Tx) {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.kind) { where.push('"kind" = ?'); params.push(filter.kind); }
    if (filter.since !== undefined) { where.push('"created_at" >= ?'); params.push(filter.since); }
    params.push(filter.limit ?? 100);
    const sql = `select * from "security_findings"${where.length > 0 ? ` where ${where.join(' and ')}` : ''} order by "id" desc limit ?`;
    return (await on(this.db, tx).all(sql, params)).map(toFinding);
  }
}
