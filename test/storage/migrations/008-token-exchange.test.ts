import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { down, up } from '../../../src/storage/migrations/008-token-exchange.js';
import { migrate } from '../../../src/storage/migrations/migrator.js';
import { backendName, createTestContext, type TestContext } from '../../support/test-context.js';

describe(`008 token exchange (${backendName})`, () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  const columns = async () => Object.keys(await ctx.knex('grants').columnInfo());

  it('is applied by the migrator and adds parent_grant_id, subject and act to grants', async () => {
    const report = await migrate(ctx.database);
    expect(report.ran).toEqual([]);
    expect(report.applied).toContain('008-token-exchange');
    expect(await columns()).toEqual(expect.arrayContaining(['parent_grant_id', 'subject', 'act']));
  });

  it('down removes the columns and up adds them again', async () => {
    await down(ctx.knex);
    expect(await columns()).not.toContain('parent_grant_id');
    await up(ctx.knex);
    expect(await columns()).toEqual(expect.arrayContaining(['parent_grant_id', 'subject', 'act']));
  });
});
