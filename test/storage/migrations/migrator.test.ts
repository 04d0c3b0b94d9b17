import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/storage/migrations/migrator.js';
import { backendName, createTestContext, type TestContext } from '../../support/test-context.js';

// PostgreSQL only: SQLite migrations run on the statement layer's own connection, bounded by its busy timeout.
describe.skipIf(backendName !== 'postgres')('migrator on PostgreSQL: a bounded wait', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ databaseTimeout: 500 });
  });
  afterAll(() => ctx.close());

  it('MUST give up within the database timeout when another session holds the migration tables locked', async () => {
    const { connectionString, searchPath } = (ctx.database as unknown as { settings: { connectionString: string; searchPath: string } }).settings;
    const other = knexFactory({ client: 'pg', connection: connectionString, searchPath: [searchPath], pool: { min: 0, max: 1 } });
    try {
      await other.transaction(async (tx) => {
        // A node stuck mid-migration (or a stalled DDL) holding its locks: the next start must not wait forever.
        await tx.raw('lock table "knex_migrations" in access exclusive mode');
        const started = Date.now();
        await expect(migrate(ctx.database)).rejects.toThrow(/lock timeout/);
        expect(Date.now() - started).toBeLessThan(5_000);
      });
    } finally {
      await other.destroy();
    }
    // Once the lock is gone the same call succeeds, with nothing left to run.
    expect((await migrate(ctx.database)).ran).toEqual([]);
  });
});
