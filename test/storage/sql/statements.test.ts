/**
 * The statement layer itself (statements.ts, sqlite-database.ts, postgres-database.ts): parameterised
 * SQL with `?` placeholders, statements prepared once and reused, transactions that commit or roll
 * back as a whole, and typed errors whatever the driver. On PostgreSQL, a migration run by another
 * node (a rolling upgrade adding a column) changes the result columns of a prepared `select *`, and
 * PostgreSQL then refuses the cached plan on every connection that had prepared it (0A000); the read
 * must still answer. On SQLite, waits (for another connection's write lock, or for a transaction of
 * this node) are asynchronous and bounded. Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set.
 * @spec https://www.postgresql.org/docs/current/sql-prepare.html (plans and schema changes)
 * @spec https://www.sqlite.org/rescode.html#busy
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../../src/storage/sql/open-database.js';
import type { SqliteDatabase } from '../../../src/storage/sql/sqlite-database.js';
import { placeholders, type Database } from '../../../src/storage/sql/statements.js';
import { StorageConflictError, StorageInputError, StorageUnavailableError } from '../../../src/storage/storage-errors.js';
import { newId } from '../../../src/tokens/handles.js';
import { backendName, createTestContext, type TestContext } from '../../support/test-context.js';

const PROBE = 'create table "layer_probe" ("id" varchar(64) primary key, "n" integer not null, "note" text)';

describe(`statement layer on ${backendName}`, () => {
  let ctx: TestContext;
  let db: Database;
  beforeAll(async () => {
    ctx = await createTestContext();
    db = ctx.database;
    await db.run(PROBE);
  });
  afterAll(() => ctx.close());

  const count = async (where = '1 = 1', params: unknown[] = []) => Number((await db.one(`select count(*) as "n" from "layer_probe" where ${where}`, params))?.n);

  it('runs writes, counts the rows they change, and reads rows back with ? placeholders', async () => {
    const [a, b, c] = [newId(), newId(), newId()];
    expect(await db.run('insert into "layer_probe" ("id", "n", "note") values (?, ?, ?)', [a, 1, 'one'])).toBe(1);
    expect(await db.run('insert into "layer_probe" ("id", "n", "note") values (?, ?, ?), (?, ?, ?)', [b, 2, null, c, 3, 'it\'s ? $1'])).toBe(2);
    expect(await db.one('select "id", "n", "note" from "layer_probe" where "id" = ?', [c])).toEqual({ id: c, n: 3, note: 'it\'s ? $1' });
    expect(await db.one('select "id" from "layer_probe" where "id" = ?', [newId()])).toBeUndefined();
    expect(await db.all(`select "id", "n" from "layer_probe" where "id" in ${placeholders(3)} and "n" >= ? order by "n"`, [a, b, c, 2])).toEqual([{ id: b, n: 2 }, { id: c, n: 3 }]);
    expect(await db.all('select "id" from "layer_probe" where "id" = ?', [newId()])).toEqual([]);
    expect(await db.run('update "layer_probe" set "n" = "n" + ? where "id" in (?, ?)', [10, a, b])).toBe(2);
    expect(await db.run('update "layer_probe" set "n" = 0 where "id" = ?', [newId()])).toBe(0);
    expect(await db.all('delete from "layer_probe" where "id" = ? returning "n"', [a])).toEqual([{ n: 11 }]);
    expect(await count('"id" = ?', [a])).toBe(0);
  });

  it('finds a row by its key columns, and nothing for another key', async () => {
    const id = newId();
    await ctx.stores.users.insert({ id, username: `p-${id}`, passwordHash: 'x', claims: { a: 1 }, createdAt: 1, updatedAt: 2 });
    expect(await db.one('select * from "users" where "id" = ?', [id])).toMatchObject({ id, username: `p-${id}` });
    expect(await db.one('select * from "users" where "id" = ?', [newId()])).toBeUndefined();
    expect(await db.all('select "username" from "users" where "id" = ? and "created_at" = ?', [id, 1])).toEqual([{ username: `p-${id}` }]);
  });

  it('prepares a statement text once and reuses it with other values', async () => {
    const sql = 'select "n" from "layer_probe" where "id" = ? and "note" = ? /* reuse */';
    const rows = Array.from({ length: 5 }, (_, i) => ({ id: newId(), n: 100 + i, note: `reuse-${i}` }));
    for (const row of rows) await db.run('insert into "layer_probe" ("id", "n", "note") values (?, ?, ?)', [row.id, row.n, row.note]);
    if (db.dialect === 'sqlite') {
      const connection = (db as SqliteDatabase).connectionForSchemaChanges() as BetterSqlite3.Database;
      const prepare = vi.spyOn(connection, 'prepare');
      try {
        for (const row of rows) expect(await db.one(sql, [row.id, row.note])).toEqual({ n: row.n });
        for (const row of rows) expect(await db.one(sql, [row.id, 'other'])).toBeUndefined();
        expect(prepare.mock.calls.filter(([text]) => text === sql)).toHaveLength(1);
      } finally {
        prepare.mockRestore();
      }
    } else {
      // One connection for the whole transaction: its session lists the statements prepared on it.
      await db.transaction(async (tx) => {
        for (const row of rows) expect(await tx.one(sql, [row.id, row.note])).toEqual({ n: row.n });
        for (const row of rows) expect(await tx.one(sql, [row.id, 'other'])).toBeUndefined();
        const prepared = await tx.all('select "name", "statement" from pg_prepared_statements where "statement" like ?', ['%/* reuse */%']);
        expect(prepared).toHaveLength(1);
        expect(prepared[0].statement).toContain('"id" = $1 and "note" = $2');
      });
    }
  });

  it('commits a transaction that resolves, with its result', async () => {
    const [a, b] = [newId(), newId()];
    const result = await db.transaction(async (tx) => {
      expect(tx.inTransaction).toBe(true);
      await tx.run('insert into "layer_probe" ("id", "n") values (?, ?)', [a, 1]);
      await tx.run('insert into "layer_probe" ("id", "n") values (?, ?)', [b, 2]);
      return (await tx.one(`select count(*) as "n" from "layer_probe" where "id" in ${placeholders(2)}`, [a, b]))?.n;
    });
    expect(Number(result)).toBe(2);
    expect(await count(`"id" in ${placeholders(2)}`, [a, b])).toBe(2);
  });

  it('rolls back everything a transaction wrote when it throws, and rethrows that error', async () => {
    const [a, b] = [newId(), newId()];
    await db.run('insert into "layer_probe" ("id", "n") values (?, ?)', [a, 1]);
    const failure = new Error('work failed half-way');
    await expect(db.transaction(async (tx) => {
      await tx.run('insert into "layer_probe" ("id", "n") values (?, ?)', [b, 2]);
      await tx.run('update "layer_probe" set "n" = ? where "id" = ?', [99, a]);
      expect(await tx.one('select "n" from "layer_probe" where "id" = ?', [a])).toEqual({ n: 99 });
      throw failure;
    })).rejects.toBe(failure);
    expect(await count('"id" = ?', [b])).toBe(0);
    expect(await db.one('select "n" from "layer_probe" where "id" = ?', [a])).toEqual({ n: 1 });
    // The connection is usable for the next transaction.
    await db.transaction((tx) => tx.run('insert into "layer_probe" ("id", "n") values (?, ?)', [b, 3]));
    expect(await db.one('select "n" from "layer_probe" where "id" = ?', [b])).toEqual({ n: 3 });
  });

  it('refuses a NUL byte in a text parameter with StorageInputError, in and out of a transaction', async () => {
    const id = newId();
    await expect(db.run('insert into "layer_probe" ("id", "n", "note") values (?, ?, ?)', [id, 1, 'a\u0000b'])).rejects.toBeInstanceOf(StorageInputError);
    await expect(db.one('select "n" from "layer_probe" where "id" = ?', ['x\u0000'])).rejects.toBeInstanceOf(StorageInputError);
    await expect(db.transaction((tx) => tx.run('insert into "layer_probe" ("id", "n", "note") values (?, ?, ?)', [id, 1, '\u0000']))).rejects.toBeInstanceOf(StorageInputError);
    expect(await count('"id" = ?', [id])).toBe(0);
    expect(await db.run('insert into "layer_probe" ("id", "n", "note") values (?, ?, ?)', [id, 1, 'fine'])).toBe(1);
  });

  it('reports a unique key violation as StorageConflictError, and a rolled-back transaction with it', async () => {
    const id = newId();
    await db.run('insert into "layer_probe" ("id", "n") values (?, ?)', [id, 1]);
    await expect(db.run('insert into "layer_probe" ("id", "n") values (?, ?)', [id, 2])).rejects.toBeInstanceOf(StorageConflictError);
    const other = newId();
    await expect(db.transaction(async (tx) => {
      await tx.run('insert into "layer_probe" ("id", "n") values (?, ?)', [other, 1]);
      await tx.run('insert into "layer_probe" ("id", "n") values (?, ?)', [id, 3]);
    })).rejects.toBeInstanceOf(StorageConflictError);
    expect(await count('"id" = ?', [other])).toBe(0);
    expect(await db.one('select "n" from "layer_probe" where "id" = ?', [id])).toEqual({ n: 1 });
  });

  it('keeps answering after a migration adds a column to the table behind a prepared select *', async () => {
    const id = newId();
    const user = { id, username: `m-${id}`, passwordHash: 'x', claims: {}, createdAt: 1, updatedAt: 1 };
    await ctx.stores.users.insert(user);
    const select = 'select * from "users" where "id" = ?';
    // Prepared on the connections these reads use: one after another, and several at once (several pooled connections on PostgreSQL).
    for (let i = 0; i < 5; i++) expect(await ctx.stores.users.findById(id)).toEqual(user);
    for (let i = 0; i < 5; i++) expect(await db.one(select, [id])).toMatchObject({ id });
    await Promise.all(Array.from({ length: 5 }, async () => expect(await db.one(select, [id])).toMatchObject({ id })));
    // knex's own connection: on PostgreSQL another session, as another node's migration would be.
    await ctx.knex.schema.alterTable('users', (table) => table.string('added_by_a_later_release').nullable());
    try {
      for (let i = 0; i < 5; i++) expect(await ctx.stores.users.findById(id)).toEqual(user);
      for (let i = 0; i < 5; i++) expect(await db.one(select, [id])).toMatchObject({ id, added_by_a_later_release: null });
      await Promise.all(Array.from({ length: 5 }, async () => expect(await db.one(select, [id])).toMatchObject({ id, added_by_a_later_release: null })));
    } finally {
      await ctx.knex.schema.alterTable('users', (table) => table.dropColumn('added_by_a_later_release'));
    }
    expect(await ctx.stores.users.findById(id)).toEqual(user);
    expect(await db.one(select, [id])).not.toHaveProperty('added_by_a_later_release');
  });
});

describe.skipIf(backendName !== 'sqlite')('statement layer waits on SQLite', () => {
  const TIMEOUT_MS = 300;
  let dir: string;
  let file: string;
  let db: Database;
  let other: BetterSqlite3.Database;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'castellan-layer-'));
    file = join(dir, 'castellan.sqlite');
    db = openDatabase(`sqlite:${file}`, { timeoutMs: TIMEOUT_MS });
    await db.run(PROBE);
    other = new BetterSqlite3(file);
  });
  afterEach(async () => {
    if (other.inTransaction) other.exec('rollback');
    other.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Counts timer ticks while `work` runs: a wait that blocked the event loop would let none through. */
  async function ticksDuring<T>(work: () => Promise<T>): Promise<{ outcome: PromiseSettledResult<T>; ms: number; ticks: number }> {
    let ticks = 0;
    const timer = setInterval(() => {
      ticks += 1;
    }, 10);
    const started = performance.now();
    try {
      const [outcome] = await Promise.allSettled([work()]);
      return { outcome, ms: performance.now() - started, ticks };
    } finally {
      clearInterval(timer);
    }
  }

  it('fails a write with StorageUnavailableError after the timeout while another connection holds the write lock, without blocking the event loop', async () => {
    other.exec('begin immediate');
    const { outcome, ms, ticks } = await ticksDuring(() => db.run('insert into "layer_probe" ("id", "n") values (?, ?)', [newId(), 1]));
    expect(outcome.status).toBe('rejected');
    expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(StorageUnavailableError);
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(TIMEOUT_MS + 700);
    expect(ticks).toBeGreaterThanOrEqual(10);
    // A transaction waits for the lock the same way.
    await expect(db.transaction((tx) => tx.run('insert into "layer_probe" ("id", "n") values (?, ?)', [newId(), 1]))).rejects.toBeInstanceOf(StorageUnavailableError);
    other.exec('rollback');
    expect(await db.run('insert into "layer_probe" ("id", "n") values (?, ?)', [newId(), 1])).toBe(1);
  });

  it('succeeds when the other connection releases the write lock within the timeout', async () => {
    const id = newId();
    other.exec('begin immediate');
    other.prepare('insert into "layer_probe" ("id", "n") values (?, ?)').run('theirs', 7);
    setTimeout(() => other.exec('commit'), 100);
    const { outcome, ms, ticks } = await ticksDuring(() => db.run('insert into "layer_probe" ("id", "n") values (?, ?)', [id, 1]));
    expect(outcome).toEqual({ status: 'fulfilled', value: 1 });
    expect(ms).toBeGreaterThanOrEqual(90);
    expect(ms).toBeLessThan(TIMEOUT_MS);
    expect(ticks).toBeGreaterThanOrEqual(5);
    expect(await db.all('select "id", "n" from "layer_probe" order by "n"')).toEqual([{ id, n: 1 }, { id: 'theirs', n: 7 }]);
  });

  it('makes a statement wait its turn behind a transaction in progress, then answer with what it committed', async () => {
    const id = newId();
    let finish!: () => void;
    const finishing = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const transaction = db.transaction(async (tx) => {
      await tx.run('insert into "layer_probe" ("id", "n") values (?, ?)', [id, 1]);
      await finishing;
      await tx.run('update "layer_probe" set "n" = ? where "id" = ?', [2, id]);
    });
    let settled = false;
    const read = db.one('select "n" from "layer_probe" where "id" = ?', [id]).finally(() => {
      settled = true;
    });
    await sleep(TIMEOUT_MS / 2);
    expect(settled).toBe(false);
    finish();
    await transaction;
    expect(await read).toEqual({ n: 2 });
  });
});
