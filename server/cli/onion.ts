import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isLoopback, loadConfig } from '../config.ts';
import { openStore } from '../store/index.ts';
import { OnionAccess } from '../tor/access.ts';
import { ensureService, serviceDir } from '../tor/services.ts';
import { servicesTorrc } from '../tor/torrc.ts';
import { CliError, options } from './args.ts';

const SYSTEM_DIR = '/var/lib/tor';

/**
 * `sealdrop onion`: the server, with tor as a child publishing both interfaces. With --torrc-only,
 * the same services for a system tor: a torrc fragment and the key directories, and the commands
 * that install them (they need root, so this prints them rather than running them).
 */
export async function onionCommand(args: string[]): Promise<void> {
  const o = options(args, { data: { type: 'string' }, 'torrc-only': { type: 'boolean' }, out: { type: 'string' } }, []);
  if (o.data !== undefined) process.env.SEALDROP_DATA = o.data;
  if (!o['torrc-only']) {
    if (o.out !== undefined) throw new CliError('--out goes with --torrc-only.');
    process.env.SEALDROP_TOR = '1';
    await (await import('../bundle.ts')).buildClientUnlessReadOnly();
    await import('../main.ts');
    return;
  }
  if (o.out === undefined) throw new CliError('--torrc-only needs --out DIR (where to write the torrc and the key directories).');
  writeForSystemTor(path.resolve(o.out));
}

function writeForSystemTor(out: string): void {
  const config = loadConfig();
  const store = openStore(config.dataDir, { keyFile: config.keyFile });
  let addresses: string[];
  try {
    addresses = (['source', 'journalist'] as const).map((s) => ensureService(config.dataDir, s));
    new OnionAccess(config.dataDir, store).sync();
  } finally {
    store.close();
  }
  mkdirSync(out, { recursive: true, mode: 0o700 });
  for (const s of ['source', 'journalist'] as const) {
    rmSync(path.join(out, `sealdrop-${s}`), { recursive: true, force: true });
    cpSync(serviceDir(config.dataDir, s), path.join(out, `sealdrop-${s}`), { recursive: true });
  }
  const loop = (host: string) => (isLoopback(host) ? host : '127.0.0.1');
  const lines = servicesTorrc({
    sourceDir: `${SYSTEM_DIR}/sealdrop-source`,
    journalistDir: `${SYSTEM_DIR}/sealdrop-journalist`,
    sourceTarget: `${loop(config.host)}:${config.sourcePort}`,
    journalistTarget: `${loop(config.journalistHost)}:${config.journalistPort}`,
  });
  writeFileSync(path.join(out, 'sealdrop.torrc'), `# Sealdrop's onion services, for /etc/tor/sealdrop.torrc\n${lines.join('\n')}\n`, { mode: 0o600 });
  console.log(`Source address:     http://${addresses[0]}/`);
  console.log(`Journalist address: http://${addresses[1]}/ (client authorisation: only journalists' Tor Browser keys open it)`);
  console.log(`\nWritten to ${out}. Install for Debian's tor (as root):\n`);
  console.log(installCommands(out));
}

export function installCommands(out: string): string {
  return [
    `  install -d -o debian-tor -g debian-tor -m 0700 ${SYSTEM_DIR}/sealdrop-source ${SYSTEM_DIR}/sealdrop-journalist`,
    `  cp -a ${out}/sealdrop-source/. ${SYSTEM_DIR}/sealdrop-source/`,
    `  rm -rf ${SYSTEM_DIR}/sealdrop-journalist/authorized_clients`,
    `  cp -a ${out}/sealdrop-journalist/. ${SYSTEM_DIR}/sealdrop-journalist/`,
    `  chown -R debian-tor:debian-tor ${SYSTEM_DIR}/sealdrop-source ${SYSTEM_DIR}/sealdrop-journalist`,
    `  install -m 0644 ${out}/sealdrop.torrc /etc/tor/sealdrop.torrc`,
    `  grep -qx '%include /etc/tor/sealdrop.torrc' /etc/tor/torrc || echo '%include /etc/tor/sealdrop.torrc' >> /etc/tor/torrc`,
    '  tor --verify-config && systemctl reload tor',
    '',
    `Then delete ${out}: it holds the onion services' secret keys (the data directory keeps its own copy).`,
    'After adding, disabling or removing a journalist, run this command again and repeat the lines from rm to the reload.',
  ].join('\n');
}
