/**
 * `castellan dev-cert`: writes a self-signed certificate and key for local https and prints the
 * settings that use them. For development only.
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-1.6 (endpoints require TLS)
 */
import type { Command } from 'commander';
import { DEV_HOSTNAMES, DevCertExistsError, makeDevCertificate } from '../security/dev-cert.js';
import { CliError, collect, type CliIo } from './output.js';

const processOutput: Pick<CliIo, 'stdout'> = { stdout: (text) => process.stdout.write(text) };

export function registerDevCert(program: Command, io: Pick<CliIo, 'stdout'> = processOutput): void {
  program
    .command('dev-cert')
    .description('write a self-signed TLS certificate and key for local https (development only)')
    .option('--dir <dir>', 'directory for dev-cert.pem and dev-key.pem', './data/tls')
    .option('--host <name>', `a hostname or IP the certificate is for (repeatable; default ${DEV_HOSTNAMES.join(', ')})`, collect)
    .option('--force', 'replace an existing certificate and key')
    .option('--rsa', 'an RSA 2048 key instead of ECDSA P-256 (the FAPI 2.0 TLS 1.2 suites use RSA certificates)')
    .action(async (options: { dir: string; host?: string[]; force?: boolean; rsa?: boolean }) => {
      let cert;
      try {
        cert = await makeDevCertificate(options.dir, options.host ?? DEV_HOSTNAMES, { overwrite: options.force, rsa: options.rsa });
      } catch (error) {
        if (error instanceof DevCertExistsError) throw new CliError(error.message);
        throw error;
      }
      io.stdout(`Self-signed ${options.rsa ? 'RSA' : 'ECDSA'} certificate for ${cert.hostnames.join(', ')}, valid until ${cert.notAfter.toISOString().slice(0, 10)}.\n`);
      io.stdout(`SHA-256 fingerprint: ${cert.fingerprint}\n`);
      io.stdout('Serve https with:\n');
      io.stdout(`  TLS_CERT_FILE=${cert.certFile}\n  TLS_KEY_FILE=${cert.keyFile}\n  ISSUER=https://localhost:3000\n`);
      io.stdout('Browsers and clients will not trust it unless told to (for Node: NODE_EXTRA_CA_CERTS=' + cert.certFile + ').\n');
    });
}
