/**
 * scripts/checklist.mjs, the generator of CHECKLIST.md: without test results it must refuse and
 * leave the committed checklist alone (every requirement would otherwise read as untested).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const empty = mkdtempSync(join(tmpdir(), 'castellan-no-results-'));

describe('npm run checklist', () => {
  afterAll(() => rmSync(empty, { recursive: true, force: true }));

  it('never overwrites CHECKLIST.md when it finds no test results, and fails saying so', async () => {
    const before = readFileSync(join(ROOT, 'CHECKLIST.md'), 'utf8');
    const outcome = await run(process.execPath, ['scripts/checklist.mjs'], { cwd: ROOT, env: { ...process.env, RESULTS_DIR: empty } }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain('CHECKLIST.md left unchanged');
    expect(outcome.stderr).toContain('no test results');
    expect(readFileSync(join(ROOT, 'CHECKLIST.md'), 'utf8')).toBe(before);
  });
});
