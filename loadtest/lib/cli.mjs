/**
 * The `castellan` command run as an operator would, against the database of running nodes: its own
 * process, the deployment's DATABASE_URL and master key, nothing else inherited from this shell.
 */
import { execFile } from 'node:child_process';
import { castellanEntry, blankInheritedSettings } from './servers.mjs';
import { ROOT } from './children.mjs';

/**
 * Runs `castellan ...args` for a deployment ({ databaseUrl, masterKey }); resolves with stdout and
 * the wall-clock moments the command started and exited (a change is committed in between, so a
 * propagation delay timed from the exit is a lower bound and one timed from the start an upper one).
 */
export async function castellanCli(deployment, args) {
  const env = {
    ...process.env,
    ...(await blankInheritedSettings()),
    DATABASE_URL: deployment.databaseUrl,
    CASTELLAN_MASTER_KEY: deployment.masterKey,
    LOG_LEVEL: 'silent',
  };
  const startedAt = Date.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [castellanEntry(), ...args], { cwd: ROOT, env, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`castellan ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve({ stdout, startedAt, exitedAt: Date.now() });
    });
  });
}
