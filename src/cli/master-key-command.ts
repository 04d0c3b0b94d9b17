/**
 * `castellan master-key rotate`: a new master key, and every private signing key, client_secret_jwt
 * secret and TOTP secret re-encrypted with it in one transaction. With a key file the file is
 * replaced (the old key kept as FILE.previous until the next successful start); with
 * CASTELLAN_MASTER_KEY the new key is printed for the operator to install. Either way every running
 * node must be restarted with the new key. Procedure: README, "Rotating the master key".
 * @spec https://owasp.org/www-project-application-security-verification-standard/ (ASVS 5.0 V11.2)
 */
import type { Command } from 'commander';
import { openStores } from '../storage/sql/create-stores.js';
import { rotateMasterKey, settleMasterKeyFile } from '../tokens/master-key-rotation.js';
import { cliConfig, printJson, withContext, type CliIo } from './output.js';

export function registerMasterKeyCommand(program: Command, io: CliIo): void {
  const masterKey = program.command('master-key').description('manage the key that encrypts secrets at rest');

  masterKey
    .command('rotate')
    .description('generate a new master key and re-encrypt every sealed secret with it (then restart every node)')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const config = cliConfig(io);
      // A rotation interrupted after its commit is completed first, so the key loaded below opens the data.
      const stores = await openStores(config.databaseUrl, { timeoutMs: config.databaseTimeout });
      try {
        await settleMasterKeyFile(stores, config);
      } finally {
        await stores.close();
      }
      const rotation = await withContext(io, (ctx) => rotateMasterKey(ctx.stores, ctx.config, ctx.sealer, ctx.clock()));
      const total = Object.values(rotation.resealed).reduce((a, b) => a + b, 0);
      if (options.json) return printJson(io, { resealed: rotation.resealed, ...(rotation.file ? { file: rotation.file } : { key: rotation.key }) });
      const counts = Object.entries(rotation.resealed).map(([table, n]) => `${table} ${n}`).join(', ');
      io.stdout(`Master key rotated: ${total} sealed value${total === 1 ? '' : 's'} re-encrypted (${counts}).\n`);
      if (rotation.file) {
        io.stdout(`The new key is in ${rotation.file}; the old one stays in ${rotation.file}.previous until the next successful start.\nRestart every node now.\n`);
        return;
      }
      io.stdout('Set CASTELLAN_MASTER_KEY to this new key on every node and restart them (the old key opens nothing any more):\n');
      io.stdout(`${rotation.key}\n`);
    });
}
