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
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/storage/migrations/migrator.js';
import { openDatabase } from '../../src/storage/sql/open-database.js';
import { DEFAULT_AUTOCHECKPOINT_PAGES } from '../../src/storage/sql/sqlite-checkpointer.js';
import type { SqliteDatabase } from '../../src/storage/sql/sqlite-database.js';
import type { Database } from '../../src/storage/sql/statements.js';

const dirs: string[] = [];
const handles: Database[] = [];

async function open(checkpointOffThread: boolean): Promise<{ db: Database; file: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'castellan-wal-'));
  dirs.push(dir);
  const file = join(dir, 'castellan.sqlite');
  const db = openDatabase(`sqlite:${file}`, { checkpointOffThread });
  handles.push(db);
  await migrate(db);
  return { db, file };
}

function checkpointerOf(db: Database) {
  const checkpointer = (db as SqliteDatabase).walCheckpointer;
  if (!checkpointer) throw new Error('no checkpoint worker');
  return checkpointer;
}
const autocheckpoint = async (db: Database) => Number(Object.values((await db.one('pragma wal_autocheckpoint')) ?? {})[0]);
const walBytes = (file: string) => statSync(`${file}-wal`).size;

async function writeSettings(db: Database, count: number, prefix: string): Promise<void> {
  for (let i = 0; i < count; i++) await db.run('insert into "settings" ("name", "value", "updated_at") values (?, ?, ?)', [`${prefix}-${i}`, 'x'.repeat(2000), i]);
}

afterEach(async () => {
  for (const db of handles.splice(0)) await db.close();
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
    const after = await db.one('pragma wal_checkpoint(PASSIVE)');
    expect(after?.log).toBeLessThan(10);
    expect(await db.one('select count(*) as "n" from "settings"')).toEqual({ n: 401 });
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
