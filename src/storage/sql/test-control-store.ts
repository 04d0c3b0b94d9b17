/**
 * The test control API's rows (storage/test-control-records.ts) on both databases. A forced failure
 * is taken by a conditional decrement, so concurrent requests on every node take exactly N; the
 * reset empties tables found in the catalogue, so tables added by later migrations are emptied too.
 */
import type { FailureEndpoint, FailureKind, ForcedFailure, TestControlStore } from '../test-control-records.js';
import type { Tx } from '../stores.js';
import { toNumber, toNumberOrNull } from './json.js';
import { on } from './on.js';
import { placeholders, quoteName, type Database, type Row, type Sql } from './statements.js';

const toFailure = (row: Row): ForcedFailure => ({
  id: toNumber(row.id), clientId: row.client_id as string, endpoint: row.endpoint as FailureEndpoint, failure: row.failure as FailureKind,
  remaining: toNumber(row.remaining), delayMs: toNumberOrNull(row.delay_ms), createdAt: toNumber(row.created_at),
});

const INSERT_SQL = 'insert into "test_failures" ("client_id", "endpoint", "failure", "remaining", "delay_ms", "created_at") values (?, ?, ?, ?, ?, ?) returning *';
const PENDING_SQL = 'select * from "test_failures" where "remaining" > 0 order by "id"';
const CLEAR_SQL = 'delete from "test_failures"';
const TAKE_SQL = 'update "test_failures" set "remaining" = "remaining" - 1 where "id" = ? and "remaining" > 0 returning *';
const DELETE_SPENT_SQL = 'delete from "test_failures" where "id" = ? and "remaining" <= 0';
const nextSql = (kinds: number) => `select "id" from "test_failures" where "client_id" = ? and "endpoint" = ? and "remaining" > 0 and "failure" in ${placeholders(kinds)} order by "id" limit 1`;

/** Rounds of "find the oldest rule, take from it" before giving up to concurrent takers (each round is two short statements). */
const TAKE_ROUNDS = 20;

const TABLES_SQL = {
  sqlite: `select "name" as "name" from "sqlite_master" where "type" = 'table' and "name" not like 'sqlite_%'`,
  postgres: `select "table_name" as "name" from information_schema.tables where "table_schema" = current_schema() and "table_type" = 'BASE TABLE'`,
};
const REFERENCES_SQL = {
  sqlite: `select m."name" as "child", p."table" as "parent" from "sqlite_master" m join pragma_foreign_key_list(m."name") p where m."type" = 'table'`,
  postgres: `select tc."table_name" as "child", ccu."table_name" as "parent" from information_schema.table_constraints tc
    join information_schema.constraint_column_usage ccu on tc."constraint_name" = ccu."constraint_name" and tc."table_schema" = ccu."table_schema"
    where tc."constraint_type" = 'FOREIGN KEY' and tc."table_schema" = current_schema()`,
};

/** Tables in an order where every table comes before any table it references. */
function childrenFirst(tables: string[], references: { child: string; parent: string }[]): string[] {
  const ordered: string[] = [];
  const visit = (table: string, path: Set<string>) => {
    if (ordered.includes(table) || path.has(table)) return;
    path.add(table);
    for (const { child, parent } of references) if (parent === table && child !== table && tables.includes(child)) visit(child, path);
    ordered.push(table);
  };
  for (const table of tables) visit(table, new Set());
  return ordered;
}

export class SqlTestControlStore implements TestControlStore {
  constructor(private readonly db: Database) {}

  async addFailure(failure: Omit<ForcedFailure, 'id'>): Promise<ForcedFailure> {
    const [row] = await this.db.all(INSERT_SQL, [failure.clientId, failure.endpoint, failure.failure, failure.remaining, failure.delayMs, failure.createdAt]);
    return toFailure(row);
  }

  async pendingFailures(): Promise<ForcedFailure[]> {
    return (await this.db.all(PENDING_SQL)).map(toFailure);
  }

  clearFailures(): Promise<number> {
    return this.db.run(CLEAR_SQL);
  }

  async takeFailure(clientId: string, endpoint: FailureEndpoint, kinds: readonly FailureKind[]): Promise<ForcedFailure | undefined> {
    for (let round = 0; round < TAKE_ROUNDS; round++) {
      const next = await this.db.one(nextSql(kinds.length), [clientId, endpoint, ...kinds]);
      if (!next) return undefined;
      // Another request may take the last one between the two statements: then look again.
      const [taken] = await this.db.all(TAKE_SQL, [next.id]);
      if (!taken) continue;
      const failure = toFailure(taken);
      if (failure.remaining === 0) await this.db.run(DELETE_SPENT_SQL, [failure.id]);
      return failure;
    }
    return undefined;
  }

  async emptyTables(keep: readonly string[], tx: Tx): Promise<string[]> {
    const sql: Sql = on(this.db, tx);
    const tables = (await sql.all(TABLES_SQL[sql.dialect])).map((row) => row.name as string).filter((table) => !keep.includes(table)).sort();
    const references = (await sql.all(REFERENCES_SQL[sql.dialect])) as { child: string; parent: string }[];
    const ordered = childrenFirst(tables, references);
    for (const table of ordered) await sql.run(`delete from ${quoteName(table)}`);
    return ordered;
  }
}
