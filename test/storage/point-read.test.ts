/**
 * Point reads run as fixed SQL outside knex's builder; on PostgreSQL as named prepared statements.
 * A migration run by another node (a rolling upgrade adding a column) changes the result columns of
 * a prepared `select *`, and PostgreSQL then refuses the cached plan on every connection that had
 * prepared it (0A000); the read must still answer. Runs on SQLite, and on PostgreSQL when
 * TEST_DATABASE_URL is set.
 * @spec https://www.postgresql.org/docs/current/sql-prepare.html (plans and schema changes)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOne, queryRows } from '../../src/storage/knex/point-read.js';
import { newId } from '../../src/tokens/handles.js';
import { backendName, createTestContext, type TestContext } from '../support/test-context.js';

describe(`point reads on ${backendName}`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('finds a row by its key columns, and nothing for another key', async () => {
    const id = newId();
    await ctx.stores.users.insert({ id, username: `p-${id}`, passwordHash: 'x', claims: { a: 1 }, createdAt: 1, updatedAt: 2 });
    const row = await findOne(ctx.stores.db, ctx.stores.db, 'users', { id });
    expect(row).toMatchObject({ id, username: `p-${id}` });
    expect(await findOne(ctx.stores.db, ctx.stores.db, 'users', { id: newId() })).toBeUndefined();
    expect(await queryRows(ctx.stores.db, ctx.stores.db, 'select "username" from "users" where "id" = ? and "created_at" = ?', [id, 1])).toEqual([{ username: `p-${id}` }]);
  });

  it('keeps answering after a migration adds a column to the table behind a prepared select *', async () => {
    const id = newId();
    const user = { id, username: `m-${id}`, passwordHash: 'x', claims: {}, createdAt: 1, updatedAt: 1 };
    await ctx.stores.users.insert(user);
    // Prepared on the connections these reads use.
    for (let i = 0; i < 5; i++) expect(await ctx.stores.users.findById(id)).toEqual(user);
    await ctx.stores.db.schema.alterTable('users', (table) => table.string('added_by_a_later_release').nullable());
    try {
      for (let i = 0; i < 5; i++) expect(await ctx.stores.users.findById(id)).toEqual(user);
    } finally {
      await ctx.stores.db.schema.alterTable('users', (table) => table.dropColumn('added_by_a_later_release'));
    }
    expect(await ctx.stores.users.findById(id)).toEqual(user);
  });
});
