import path from 'node:path';
import { serviceDir, torDir } from './services.ts';

/** A torrc value: quoted, so a data directory with spaces or quotes in its path still works. */
const q = (value: string): string => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export type TorrcOptions = {
  /** Where tor finds each service's keys (the data directory, or /var/lib/tor for a system tor). */
  sourceDir: string;
  journalistDir: string;
} & Targets;

/** Where tor sends each service's connections: "127.0.0.1:8080" and the like. */
export type Targets = { sourceTarget: string; journalistTarget: string };

/**
 * Connections one circuit to the source service may hold at once. Tor Browser sends every tab of
 * one site over one circuit, and its Firefox opens at most 6 persistent connections to a host (and
 * up to 3 more for urgent requests): 16 leaves room over those 9. A flood must then build a
 * circuit, each a rendezvous that under attack costs proof of work, for every 16 of a listener's
 * 4096 connections it holds (256 circuits for the whole table), and a circuit that asks for a
 * 17th is closed with all its streams.
 */
export const SOURCE_STREAMS_PER_CIRCUIT = 16;

/**
 * The onion services, as torrc lines. Source: a public v3 service with tor's proof-of-work
 * defence, so a flood of introductions costs its sender work and real sources still get through,
 * and at most SOURCE_STREAMS_PER_CIRCUIT connections open at once on one circuit (a circuit asking
 * for more is closed). Journalist: the same defence, reachable only by holders of an
 * `authorized_clients/` key.
 */
export function servicesTorrc(o: TorrcOptions): string[] {
  return [
    `HiddenServiceDir ${q(o.sourceDir)}`,
    'HiddenServiceVersion 3',
    `HiddenServicePort 80 ${o.sourceTarget}`,
    'HiddenServicePoWDefensesEnabled 1',
    `HiddenServiceMaxStreams ${SOURCE_STREAMS_PER_CIRCUIT}`,
    'HiddenServiceMaxStreamsCloseCircuit 1',
    `HiddenServiceDir ${q(o.journalistDir)}`,
    'HiddenServiceVersion 3',
    `HiddenServicePort 80 ${o.journalistTarget}`,
  ];
}

/**
 * The whole torrc for the tor that `sealdrop onion` runs: services only, no SOCKS port (nothing
 * on this machine should use this tor as a client), state kept beside the keys.
 */
export function childTorrc(dataDir: string, targets: Targets, include?: string): string {
  const dir = torDir(dataDir);
  const lines = [
    '# Written by `sealdrop onion` at every start; edits are lost. Settings of your own: SEALDROP_TOR_TORRC.',
    `DataDirectory ${q(path.join(dir, 'state'))}`,
    `PidFile ${q(path.join(dir, 'tor.pid'))}`,
    'SocksPort 0',
    'Log notice stdout',
    'AvoidDiskWrites 1',
    // Never a client address in tor's log (the default, stated so no include can quietly turn it off first).
    'SafeLogging 1',
    ...servicesTorrc({ sourceDir: serviceDir(dataDir, 'source'), journalistDir: serviceDir(dataDir, 'journalist'), ...targets }),
    ...(include ? [`%include ${q(include)}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}
