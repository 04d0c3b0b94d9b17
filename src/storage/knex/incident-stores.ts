/**
 * Incident state in the database, the one source of truth every node polls: blocked addresses,
 * server-wide flags (emergency mode) and the threat detector's findings. Inserts that several nodes
 * may race on are conditional, so each block and finding is recorded once.
 */
import type { Knex } from 'knex';
import type { FindingRecord, FindingStore, IpBlockRecord, IpBlockStore, SettingStore, Tx } from '../stores.js';
import { fromJson, toJson, toNumber, toNumberOrNull } from './json.js';

type Row = Record<string, unknown>;

const toBlock = (row: Row): IpBlockRecord => ({
  ip: row.ip as string, reason: row.reason as string, source: row.source as IpBlockRecord['source'],
  createdAt: toNumber(row.created_at), expiresAt: toNumberOrNull(row.expires_at),
});

const blockRow = (block: IpBlockRecord): Row => ({
  ip: block.ip, reason: block.reason, source: block.source, created_at: block.createdAt, expires_at: block.expiresAt,
});

export class KnexIpBlockStore implements IpBlockStore {
  constructor(private readonly db: Knex) {}

  async listActive(now: number, tx: Tx = this.db) {
    const rows: Row[] = await tx('ip_blocks').where((q) => q.whereNull('expires_at').orWhere('expires_at', '>', now)).orderBy(['created_at', 'ip']);
    return rows.map(toBlock);
  }

  async add(block: IpBlockRecord, now: number, tx: Tx = this.db) {
    // An expired block no longer protects anything: clear it so the insert decides.
    await tx('ip_blocks').where({ ip: block.ip }).andWhere('expires_at', '<=', now).delete();
    const inserted = await tx('ip_blocks').insert(blockRow(block)).onConflict('ip').ignore().returning('ip');
    return inserted.length > 0;
  }

  async put(block: IpBlockRecord, tx: Tx = this.db) {
    await tx('ip_blocks').insert(blockRow(block)).onConflict('ip').merge();
  }

  async remove(ip: string, tx: Tx = this.db) {
    return (await tx('ip_blocks').where({ ip }).delete()) > 0;
  }
}

export class KnexSettingStore implements SettingStore {
  constructor(private readonly db: Knex) {}

  async get(name: string, tx: Tx = this.db) {
    const row: Row | undefined = await tx('settings').where({ name }).first(['value', 'updated_at']);
    return row ? { value: fromJson<unknown>(row.value), updatedAt: toNumber(row.updated_at) } : undefined;
  }

  async put(name: string, value: unknown, now: number, tx: Tx = this.db) {
    await tx('settings').insert({ name, value: toJson(value) ?? 'null', updated_at: now }).onConflict('name').merge();
  }
}

const toFinding = (row: Row): FindingRecord => ({
  id: toNumber(row.id), kind: row.kind as string, subject: row.subject as string,
  details: fromJson<Record<string, unknown>>(row.details), createdAt: toNumber(row.created_at), windowStart: toNumber(row.window_start),
});

export class KnexFindingStore implements FindingStore {
  constructor(private readonly db: Knex) {}

  async recordOnce(finding: FindingRecord, since: number, tx: Tx = this.db) {
    const recent = await tx('security_findings').where({ kind: finding.kind, subject: finding.subject }).andWhere('created_at', '>=', since).first('id');
    if (recent) return false;
    // Two detectors racing in the same window: the unique key lets exactly one insert through.
    const inserted = await tx('security_findings')
      .insert({ kind: finding.kind, subject: finding.subject, details: toJson(finding.details), created_at: finding.createdAt, window_start: finding.windowStart })
      .onConflict(['kind', 'subject', 'window_start']).ignore().returning('id');
    return inserted.length > 0;
  }

  async list(filter: { kind?: string; since?: number; limit?: number }, tx: Tx = this.db) {
    const query = tx('security_findings').orderBy('id', 'desc').limit(filter.limit ?? 100);
    if (filter.kind) query.where('kind', filter.kind);
    if (filter.since !== undefined) query.where('created_at', '>=', filter.since);
    const rows: Row[] = await query;
    return rows.map(toFinding);
  }
}
