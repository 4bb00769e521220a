// Each command is loaded only when it runs: `sealdrop decrypt` and `sealdrop safe-copy` run on a
// journalist's own machine and load only newsroom/ and common/ (a test follows their imports).
import { CliError } from './cli/args.ts';

const USAGE = `Usage: sealdrop <command> [options]

  serve                                   start both interfaces (same as npm start)
  onion [--data DIR]                      start both interfaces and tor, publishing them as onion
                                          services (journalist one with client authorisation)
  onion --torrc-only --out OUT [--data DIR]
                                          write the torrc and keys for a system tor, and print the
                                          commands that install them
  journalist add --username NAME --public-key FILE.asc [--admin] [--data DIR]
                                          with two or more administrators, the journalist stays
                                          disabled until a second one confirms (Admin > Changes)
  journalist enrol --username NAME [--data DIR]   a new one-time link to set passphrase and 2FA; for an
                                          enrolled active journalist it is a reset: with two or more
                                          administrators it only prints pending, and the administrator
                                          who confirms it (Admin > Changes) is shown the link
  journalist access --username NAME [--data DIR]  a new Tor Browser access key (the old one stops working);
                                          for an active administrator, with two or more, it only prints
                                          pending: the one who confirms is shown the key, and the old
                                          key works until then
  journalist disable|enable|remove --username NAME [--data DIR]
                                          enabling, and disabling or removing an administrator, wait
                                          for a second administrator's confirmation when there are two
  journalist rotate-key --username NAME --public-key NEW.asc [--data DIR]
                                          replace their key (a change, confirmed the same way); the old
                                          key is retired: what was sealed to it still opens with it
  journalist notify --username NAME (--email ADDR [--encrypt] | --off) [--data DIR]
                                          whether and where they are told of new material (by mail;
                                          --encrypt: to their own OpenPGP key)
  journalist list [--data DIR]
  desk add NAME [--text-LANG "Name|Description"]... [--data DIR]
                                          a desk (NAME: a-z, 0-9 and -; LANG: en, zh-Hans, zh-Hant, ug:
                                          what sources see); with two or more desks, sources choose one
  desk remove NAME [--data DIR]           refused while conversations belong to it
  desk list [--data DIR]                  desks, their members, and whether sources are offered them
  desk member --desk NAME --username NAME [--remove] [--data DIR]
                                          add a member (a change: confirmed by a second administrator
                                          when there are two) or remove one (at once)
  export --out OUT [--data DIR]           copy complete submissions, still encrypted, for the air gap
  backup --out FILE [--to KEY.asc] [--data DIR]
                                          a consistent snapshot of the database, objects and onion keys
                                          (safe while the server runs) in one file encrypted to every
                                          active administrator, or to a backup key; not the key file
  backup --key-file --out FILE [--to KEY.asc] [--data DIR]
                                          the TOTP key file alone, encrypted the same way: keep it apart
  restore --in FILE --sha256 DIGEST --key KEY.asc [--passphrase-file F] --data NEW-DIR
          [--key-file-in FILE [--key-file-key KEY.asc] [--key-file-passphrase-file F] | --reset-2fa]
                                          decrypt, verify and rebuild a data directory from a backup
                                          (--sha256: the digest backup printed, proving it is yours;
                                          without the key file, --reset-2fa: every journalist enrols again)
  decrypt --key KEY.asc [--key OLD.asc]... [--passphrase-file F]... --in OUT --out PLAIN
          [--safe [--ocr] [--clean] [--json]]
                                          decrypt and verify exported submissions (run this offline);
                                          each object with whichever --key it is sealed to;
                                          --safe: a safe copy and report of each file in safe/ beside it
  safe-copy FILE... --out DIR [--ocr] [--clean] [--json]
                                          for each file, NAME.safe.pdf (pages as pixels, made in a
                                          sandbox) or NAME.safe.txt, and NAME.report.txt: what in the
                                          original could identify its source (see docs/safe-copies.md)
  audit verify [--in FILE] [--data DIR]   check the audit log's hash chain (exit 1 naming the first broken
                                          entry); with an export, also that the database still holds it unchanged
  audit export --out FILE [--data DIR]    write the audit log (JSON lines, each entry with its hash, then
                                          the head) to a new file, mode 0600, for the newsroom's archive
  verify-client [--url URL]               rebuild the page scripts from this source tree and print the
                                          SHA-256 of every script and stylesheet a source's page loads;
                                          with --url, compare what that server serves, and check its
                                          pages load nothing else and run no inline code

DIR defaults to $SEALDROP_DATA or ./data.`;

/** `sealdrop <command> --help`: the usage lines of that command (or all of them). */
function helpFor(command: string): string {
  const blocks = USAGE.split('\n\n')[1]!.split(/\n(?=  \S)/);
  const own = blocks.filter((b) => b.trimStart().startsWith(`${command} `) || b.trim() === command);
  if (own.length === 0) return USAGE;
  const footer = own.some((b) => b.includes('--data DIR')) ? '\n\nDIR defaults to $SEALDROP_DATA or ./data.' : '';
  return `Usage:\n\n${own.map((b) => b.replace(/^  /, '  sealdrop ')).join('\n')}${footer}`;
}

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command && rest.some((a) => a === '--help' || a === '-h')) return void console.log(helpFor(command));
  // Checked before any command runs, decrypt included: a misspelt setting would otherwise be ignored.
  (await import('./config.ts')).rejectUnknownSettings();
  switch (command) {
    case 'serve':
      await (await import('./bundle.ts')).buildClientUnlessReadOnly();
      await import('./main.ts');
      return;
    case 'onion':
      return (await import('./cli/onion.ts')).onionCommand(rest);
    case 'journalist':
      return (await import('./cli/journalist.ts')).journalistCommand(rest);
    case 'desk':
      return (await import('./cli/desk.ts')).deskCommand(rest);
    case 'backup':
      return (await import('./cli/backup.ts')).backupCommand(rest);
    case 'restore':
      return (await import('./cli/restore.ts')).restoreCommand(rest);
    case 'export':
      return (await import('./cli/export.ts')).exportCommand(rest);
    case 'audit':
      return (await import('./cli/audit.ts')).auditCommand(rest);
    case 'decrypt':
      return (await import('../newsroom/decrypt.ts')).decryptCommand(rest);
    case 'safe-copy':
      return (await import('../newsroom/safe-copy.ts')).safeCopyCommand(rest);
    case 'verify-client':
      return (await import('./cli/verify-client.ts')).verifyClientCommand(rest);
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
  // newsroom/ has its own CliError (it imports nothing of server/): both are usage mistakes.
  process.exitCode = error instanceof CliError || error.name === 'CliError' ? 2 : 1;
});
