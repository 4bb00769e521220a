import { decryptCommand } from './cli/decrypt.ts';
import { exportCommand } from './cli/export.ts';
import { journalistCommand } from './cli/journalist.ts';
import { CliError } from './cli/args.ts';
import { verifyClientCommand } from './cli/verify-client.ts';
import { buildClient } from './bundle.ts';

const USAGE = `Usage: sealdrop <command> [options]

  serve                                   start both interfaces (same as npm start)
  journalist add --username NAME --public-key FILE.asc [--admin] [--data DIR]
  journalist enrol --username NAME [--data DIR]   a new one-time link to set passphrase and 2FA
  journalist list [--data DIR]
  journalist remove --username NAME [--data DIR]
  export --out OUT [--data DIR]           copy complete submissions, still encrypted, for the air gap
  decrypt --key KEY.asc [--passphrase-file F] --in OUT --out PLAIN
                                          decrypt and verify exported submissions (run this offline)
  verify-client [--url URL]               rebuild the page scripts from this source tree and print the
                                          SHA-256 of every script and stylesheet a source's page loads;
                                          with --url, compare what that server serves, and check its
                                          pages load nothing else and run no inline code

DIR defaults to $SEALDROP_DATA or ./data.`;

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      await buildClient();
      await import('./main.ts');
      return;
    case 'journalist':
      return journalistCommand(rest);
    case 'export':
      return exportCommand(rest);
    case 'decrypt':
      return decryptCommand(rest);
    case 'verify-client':
      return verifyClientCommand(rest);
    case undefined:
    case 'help':
    case '--help':
      console.log(USAGE);
      return;
    default:
      throw new CliError(`Unknown command "${command}".\n\n${USAGE}`);
  }
}

run(process.argv.slice(2)).catch((error: Error) => {
  console.error(`sealdrop: ${error.message}`);
  process.exitCode = error instanceof CliError ? 2 : 1;
});
