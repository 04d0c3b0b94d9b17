#!/usr/bin/env node
/**
 * `npm start`'s prestart: compiles src/ into dist/ only when dist/ is missing or older than a
 * source. A start then takes a second instead of a full tsc run, and after an edit (or a pull,
 * which gives changed files new times) it still never runs yesterday's code.
 *
 * "Older" compares modification times: the newest file under src/ (and the build's tsconfig and
 * package.json) against dist/cli/main.js, which every build writes.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const output = join(root, 'dist', 'cli', 'main.js');

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

function builtAt() {
  try {
    return statSync(output).mtimeMs;
  } catch {
    return undefined;
  }
}

const built = builtAt();
const sources = Math.max(newest(join(root, 'src')), newest(join(root, 'tsconfig.build.json')), newest(join(root, 'tsconfig.json')), newest(join(root, 'package.json')));
if (built !== undefined && built >= sources) {
  console.log('dist/ is current; not rebuilding (npm run build forces it)');
} else {
  const result = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
