/**
 * The SQLite WAL is checkpointed by a worker thread, not inside the server's commits: commits leave
 * the WAL to the worker, the worker's checkpoint copies every committed frame, the WAL is rewound by
 * the next write, and if the worker dies the server's connection takes autocheckpoint back.
 * SQLite only (the PostgreSQL run skips it: it has no WAL file of its own to manage).
 * @spec https://www.sqlite.org/wal.html#automatic_checkpoint
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { afterEach, describe, expect, it } from 'vitest';
import { closeDatabase, migrate, openDatabase, sqliteCheckpointerOf } from '../../src/storage/knex/database.js';
import { DEFAULT_AUTOCHECKPOINT_PAGES } from '../../src/storage/knex/sqlite-checkpointer.js';

const dirs: string[] = [];
const handles: Knex[] = [];

async function open(checkpointOffThread: boolean): Promise<{ db: Knex; file: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'castellan-wal-'));
  dirs.push(dir);
  const file = join(dir, 'castellan.sqlite');
  const db = openDatabase(`sqlite:${file}`, { checkpointOffThread });
  handles.push(db);
  await migrate(db);
  return { db, file };
}

function checkpointerOf(db: Knex) {
  const checkpointer = sqliteCheckpointerOf(db);
  if (!checkpointer) throw new Error('no checkpoint worker');
  return checkpointer;
}
const autocheckpoint = async (db: Knex) => Number(Object.values((await db.raw('pragma wal_autocheckpoint'))[0])[0]);
const walBytes = (file: string) => statSync(`${file}-wal`).size;

async function writeSettings(db: Knex, count: number, prefix: string): Promise<void> {
  for (let i = 0; i < count; i++) await db('settings').insert({ name: `${prefix}-${i}`, value: 'x'.repeat(2000), updated_at: i });
}

afterEach(async () => {
  for (const db of handles.splice(0)) await closeDatabase(db);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(Boolean(process.env.TEST_DATABASE_URL))('SQLite WAL checkpoints on a worker thread', () => {
  it('turns SQLite autocheckpoint off on the server connection, and leaves it on without the option', async () => {
    expect(await autocheckpoint((await open(true)).db)).toBe(0);
    expect(await autocheckpoint((await open(false)).db)).toBe(DEFAULT_AUTOCHECKPOINT_PAGES);
  });

  it('copies every committed frame into the database file, and the next write rewinds the WAL', async () => {
    const { db, file } = await open(true);
    await writeSettings(db, 400, 'a');
    const grown = walBytes(file);
    expect(grown).toBeGreaterThan(400 * 2000);
    const result = await checkpointerOf(db).checkpointNow();
    expect(result.busy).toBe(0);
    expect(result.checkpointed).toBe(result.log);
    await writeSettings(db, 1, 'b');
    // Rewound: the WAL now holds the last write only (the file may keep its size up to journal_size_limit).
    const [after] = await db.raw('pragma wal_checkpoint(PASSIVE)');
    expect(after.log).toBeLessThan(10);
    expect(await db('settings').count({ n: '*' }).first()).toEqual({ n: 401 });
  });

  it('gives autocheckpoint back to the server connection when the worker stops on its own', async () => {
    const { db } = await open(true);
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      await checkpointerOf(db).terminate();
      // The exit event, the fallback and the warning follow on the next turns of the event loop.
      for (let i = 0; i < 50 && (await autocheckpoint(db)) === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(await autocheckpoint(db)).toBe(DEFAULT_AUTOCHECKPOINT_PAGES);
      expect(warnings.some((message) => message.includes('SQLite checkpoint worker stopped'))).toBe(true);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
