/**
 * The issuance write: new rows in several tables (grant, code or tokens, audit event), all or
 * none, optionally together with the conditional update that consumes a single-use artifact. It
 * is the one way codes and tokens are written, whatever the grant.
 *
 * Why one statement on PostgreSQL: DESIGN.md asks for one round trip where the database allows,
 * and BEGIN, one awaited insert per row and COMMIT cost more than the writes. The inserts are
 * chained as data-modifying CTEs; a single statement is atomic. On SQLite the same rows are written
 * in one IMMEDIATE transaction on the layer's connection (nothing else can interleave).
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2 (a code is used once)
 * @spec https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2 (a rotated refresh token is used once)
 * @spec https://www.rfc-editor.org/rfc/rfc8628#section-3.5 (an approved device_code yields tokens once)
 */
import type { NewRows, SingleUseConsumption, Tx } from '../stores.js';
import { auditRow } from './audit-replay-stores.js';
import { grantRow } from './grant-store.js';
import { on } from './on.js';
import { refreshRetryRow } from './refresh-retry-store.js';
import { placeholders, quoteName, type Database, type Row, type Sql, insertRow } from './statements.js';
import { accessTokenRow, authorizationCodeRow, refreshTokenRow } from './token-stores.js';

interface TableRows {
  table: string;
  rows: Row[];
}

/** The rows per table, in a fixed order; empty tables left out. */
export function rowsByTable(rows: NewRows): TableRows[] {
  return [
    { table: 'grants', rows: (rows.grants ?? []).map(grantRow) },
    { table: 'authorization_codes', rows: (rows.authorizationCodes ?? []).map(authorizationCodeRow) },
    { table: 'access_tokens', rows: (rows.accessTokens ?? []).map(accessTokenRow) },
    { table: 'refresh_tokens', rows: (rows.refreshTokens ?? []).map(refreshTokenRow) },
    { table: 'refresh_retry_answers', rows: (rows.refreshRetryAnswers ?? []).map(refreshRetryRow) },
    { table: 'audit_events', rows: (rows.auditEvents ?? []).map(({ event, at }) => auditRow(event, at)) },
  ].filter((entry) => entry.rows.length > 0);
}

const CONSUME_SQL = {
  authorization_code: 'update "authorization_codes" set "consumed_at" = ? where "code_hash" = ? and "consumed_at" is null',
  refresh_token: 'update "refresh_tokens" set "consumed_at" = ? where "token_hash" = ? and "consumed_at" is null',
  // RFC 8628 §3.5: only an approved device authorization yields tokens, and only once.
  device_code: 'update "device_authorizations" set "consumed_at" = ? where "device_code_hash" = ? and "status" = \'approved\' and "consumed_at" is null',
} as const;

/** SQLite: the consumption, then one single-row insert per row (each text stays the same, so its statement is reused). */
async function writeEach(sql: Sql, tables: TableRows[], consume?: SingleUseConsumption): Promise<boolean> {
  if (consume && (await sql.run(CONSUME_SQL[consume.kind], [consume.at, consume.hash])) !== 1) return false;
  for (const { table, rows } of tables) {
    for (const row of rows) {
      await insertRow(sql, table, row);
    }
  }
  return true;
}

/** `insert into "t" (cols) values (...), (...)`, or with a consumption `select ... where exists (select 1 from used)` per row. */
function chainedInsert({ table, rows }: TableRows, guarded: boolean): { sql: string; params: unknown[] } {
  const columns = Object.keys(rows[0]);
  const names = columns.map(quoteName).join(', ');
  const values = guarded
    ? rows.map(() => `select ${columns.map(() => '?').join(', ')} where exists (select 1 from used)`).join(' union all ')
    : `values ${rows.map(() => placeholders(columns.length)).join(', ')}`;
  return { sql: `insert into ${quoteName(table)} (${names}) ${values}`, params: rows.flatMap((row) => columns.map((column) => row[column] ?? null)) };
}

/**
 * PostgreSQL: one statement. With a consumption, the conditional update comes first and every
 * insert selects its values only if that update found the artifact unused; the last insert returns
 * its row, so no row back means "already used, nothing written".
 */
async function writeChained(sql: Sql, tables: TableRows[], consume?: SingleUseConsumption): Promise<boolean> {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (consume) {
    parts.push(`used as (${CONSUME_SQL[consume.kind]} returning 1)`);
    params.push(consume.at, consume.hash);
  }
  const statements = tables.map((entry) => chainedInsert(entry, consume !== undefined));
  statements.slice(0, -1).forEach((statement, index) => {
    parts.push(`w${index} as (${statement.sql})`);
    params.push(...statement.params);
  });
  const last = statements[statements.length - 1];
  params.push(...last.params);
  const text = `${parts.length > 0 ? `with ${parts.join(', ')} ` : ''}${last.sql}${consume ? ' returning 1 as "written"' : ''}`;
  if (!consume) {
    await sql.run(text, params);
    return true;
  }
  return (await sql.all(text, params)).length > 0;
}

/** Writes every row or none; false (nothing written) when `consume` found its artifact already used. */
export async function insertNewRows(db: Database, rows: NewRows, consume?: SingleUseConsumption, tx?: Tx): Promise<boolean> {
  const tables = rowsByTable(rows);
  if (tables.length === 0 && !consume) return true;
  if (tables.length === 0) throw new Error('a consumption needs rows to write with it');
  if (db.dialect === 'postgres') return writeChained(on(db, tx), tables, consume);
  if (tx !== undefined) return writeEach(on(db, tx), tables, consume);
  return db.transaction((sql) => writeEach(sql, tables, consume));
}
