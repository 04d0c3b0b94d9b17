import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { down, up } from '../../../src/storage/migrations/006-write-indexes.js';
import { migrate } from '../../../src/storage/migrations/migrator.js';
import { backendName, createTestContext, type TestContext } from '../../support/test-context.js';

describe(`006 write indexes (${backendName})`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  // ctx.knex is schemaKnex(ctx.database): knex on the same database, as the migrations use it.
  /** Index name -> its definition, for the tables an issuance writes (primary keys left out). */
  async function indexes(): Promise<Record<string, string>> {
    const db = ctx.knex;
    const rows: { name: string; definition: string }[] = ctx.database.dialect === 'sqlite'
      ? await db.raw("select name, sql as definition from sqlite_master where type = 'index' and sql is not null and tbl_name in ('grants', 'access_tokens', 'audit_events')")
      : (await db.raw("select indexname as name, indexdef as definition from pg_indexes where schemaname = current_schema() and tablename in ('grants', 'access_tokens', 'audit_events') and indexname not like '%_pkey'")).rows;
    return Object.fromEntries(rows.map((row) => [row.name, row.definition.replace(/[`"]/g, '').toLowerCase()]));
  }

  /** The plan of a query, as one lowercase string. */
  async function plan(sql: string, binding: string): Promise<string> {
    const db = ctx.knex;
    if (ctx.database.dialect === 'sqlite') return JSON.stringify(await db.raw(`explain query plan ${sql}`, [binding])).toLowerCase();
    // A small table is read sequentially whatever the indexes; forbid that to see which index is usable.
    return db.transaction(async (tx) => {
      await tx.raw('set local enable_seqscan = off');
      return JSON.stringify((await tx.raw(`explain ${sql}`, [binding])).rows).toLowerCase();
    });
  }

  it('drops the indexes no query needs and makes the grants user_id and sid indexes partial', async () => {
    // Applied by the migrator (test-context migrates with it), which finds nothing left to run.
    const report = await migrate(ctx.database);
    expect(report.ran).toEqual([]);
    expect(report.applied).toContain('006-write-indexes');
    const current = await indexes();
    expect(Object.keys(current)).not.toContain('audit_events_type_index');
    expect(Object.keys(current)).not.toContain('access_tokens_client_id_index');
    // The (type, at) index still answers queries by type.
    expect(current.audit_events_type_at_index).toMatch(/\(type, at\)/);
    expect(current.grants_user_id_index).toMatch(/where.*user_id is not null/);
    expect(current.grants_sid_index).toMatch(/where.*sid is not null/);
    expect(current.grants_client_id_index).toBeDefined();
  });

  it('queries by user or by session still use the partial indexes', async () => {
    expect(await plan('select id from grants where user_id = ? and revoked_at is null', 'u1')).toContain('grants_user_id_index');
    expect(await plan('select id from grants where sid = ? order by created_at', 's1')).toContain('grants_sid_index');
  });

  it('a client credentials grant (no user, no session) is found by client and stays out of the partial indexes', async () => {
    const now = ctx.clock();
    await ctx.knex('grants').insert({ id: 'cc-grant', client_id: 'cc-client', user_id: null, scope: 'api', sid: null, created_at: now, expires_at: now + 60 });
    await ctx.knex('grants').insert({ id: 'user-grant', client_id: 'web', user_id: 'u1', scope: 'openid', sid: 's1', created_at: now, expires_at: now + 60 });
    expect((await ctx.knex('grants').where({ user_id: 'u1' }).select('id')).map((r: { id: string }) => r.id)).toEqual(['user-grant']);
    expect((await ctx.knex('grants').where({ sid: 's1' }).select('id')).map((r: { id: string }) => r.id)).toEqual(['user-grant']);
    expect((await ctx.knex('grants').whereNull('user_id').select('id')).map((r: { id: string }) => r.id)).toEqual(['cc-grant']);
  });

  it('down restores the full indexes and up applies the change again', async () => {
    await down(ctx.knex);
    const restored = await indexes();
    expect(restored.audit_events_type_index).toBeDefined();
    expect(restored.access_tokens_client_id_index).toBeDefined();
    expect(restored.grants_user_id_index).not.toMatch(/where/);
    expect(restored.grants_sid_index).not.toMatch(/where/);
    await up(ctx.knex);
    const again = await indexes();
    expect(again.grants_user_id_index).toMatch(/where.*user_id is not null/);
    expect(Object.keys(again)).not.toContain('audit_events_type_index');
  });
});
