import path from 'node:path';
import { MAX_PARTS, partCountFor } from '../common/envelope/index.ts';
import { isLoopback } from './http/loopback.ts';
import { notifySettings, NotifySettingError, type NotifySettings } from './notify/settings.ts';

export { isLoopback };

export type Config = Readonly<{
  dataDir: string;
  /** The source interface's address. */
  host: string;
  /** The journalist interface's address: loopback unless SEALDROP_JOURNALIST_EXPOSED=1 says otherwise. */
  journalistHost: string;
  sourcePort: number;
  journalistPort: number;
  /** Plaintext bytes per part; the browser and the no-JS path cut files at this size. */
  partSize: number;
  /** Largest plaintext a single file may have. */
  maxFileBytes: number;
  /** Days after which submissions are purged; null keeps them until a journalist deletes them. */
  retentionDays: number | null;
  /** The 256-bit key that seals journalists' TOTP secrets; worth most on a volume apart from the data. */
  keyFile: string;
  /** Run tor as a child process publishing both interfaces as onion services (`sealdrop onion`). */
  tor: boolean;
  /** A torrc file of the operator's own that the generated torrc includes (e.g. bridges, a test network). */
  torrcInclude: string | null;
  /** Send Onion-Location from the source interface: only for a clearnet mirror of the onion service. */
  onionLocation: boolean;
  /** On SIGTERM, how long requests in flight get to finish before their connections are cut. */
  stopGraceMs: number;
  /** Below this much free space on the data directory's disk, new uploads are refused (0: never). */
  minFreeBytes: number;
  /** The journalist interface's address as journalists reach it (a tunnel, a proxy), for links the CLI prints; null: the onion or the listener. */
  journalistUrl: string | null;
  /** Notices of new material: the mail relay and From, the webhook, the batching window (server/notify/). */
  notify: NotifySettings;
}>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const KNOWN = [
  'SEALDROP_DATA', 'SEALDROP_HOST', 'SEALDROP_JOURNALIST_HOST', 'SEALDROP_JOURNALIST_EXPOSED', 'SEALDROP_SOURCE_PORT', 'SEALDROP_JOURNALIST_PORT',
  'SEALDROP_PART_SIZE', 'SEALDROP_MAX_FILE_BYTES', 'SEALDROP_RETENTION_DAYS', 'SEALDROP_KEY_FILE', 'SEALDROP_TOR', 'SEALDROP_TOR_TORRC', 'SEALDROP_ONION_LOCATION',
  'SEALDROP_STOP_SECONDS', 'SEALDROP_MIN_FREE_MIB', 'SEALDROP_JOURNALIST_URL',
  'SEALDROP_SMTP_URL', 'SEALDROP_NOTIFY_FROM', 'SEALDROP_NOTIFY_WEBHOOK', 'SEALDROP_NOTIFY_MINUTES', 'SEALDROP_NOTIFY_SUBJECT',
];
const MiB = 1024 * 1024;

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}".`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}.`);
  return value;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === '0') return false;
  if (raw === '1') return true;
  throw new ConfigError(`${name} must be 1 or 0, got "${raw}".`);
}

function hostSetting(env: NodeJS.ProcessEnv, name: string): string {
  const host = env[name] || '127.0.0.1';
  if (!/^[\w.:-]+$/.test(host)) throw new ConfigError(`${name} is not a host name or address: "${host}".`);
  return host;
}

/** An http(s) address with no path beyond "/", query or credentials; returned ending in "/". */
function urlSetting(env: NodeJS.ProcessEnv, name: string): string | null {
  const raw = env[name];
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not an address: "${raw}".`);
  }
  if (!/^https?:$/.test(url.protocol) || url.username || url.password || url.search || url.hash || url.pathname !== '/') {
    throw new ConfigError(`${name} must be an http or https address with nothing after the host and port, like http://example.onion/, got "${raw}".`);
  }
  return url.href;
}

function notifySetting(env: NodeJS.ProcessEnv): NotifySettings {
  try {
    return notifySettings(env);
  } catch (error) {
    throw error instanceof NotifySettingError ? new ConfigError(error.message) : error;
  }
}

/**
 * Journalists reach their interface through a client-authorised onion service (or a tunnel to
 * loopback); listening elsewhere puts the login page on a network, so it takes an explicit yes.
 * Under `sealdrop onion`, tor is the way in: a source listener elsewhere must be a declared mirror.
 */
function checkExposure(c: Config, exposed: boolean): void {
  if (!isLoopback(c.journalistHost) && !exposed) {
    throw new ConfigError(`SEALDROP_JOURNALIST_HOST=${c.journalistHost} is not a loopback address; the journalist interface belongs behind a client-authorised onion service. If you really mean it, also set SEALDROP_JOURNALIST_EXPOSED=1.`);
  }
  if (c.tor && !isLoopback(c.host) && !c.onionLocation) {
    throw new ConfigError(`With SEALDROP_TOR=1 the source interface listens on loopback for tor; SEALDROP_HOST=${c.host} is only for a clearnet mirror, declared with SEALDROP_ONION_LOCATION=1.`);
  }
}

/** SEALDROP_KEY_FILE, or secret.key beside the database (which protects only copies of the database alone). */
export function keyFileSetting(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.SEALDROP_KEY_FILE || path.join(dataDir, 'secret.key'));
}

/** A mistyped SEALDROP_* name is an error everywhere (server and every CLI command), never ignored. */
export function rejectUnknownSettings(env: NodeJS.ProcessEnv = process.env): void {
  const unknown = Object.keys(env).filter((k) => k.startsWith('SEALDROP_') && !KNOWN.includes(k));
  if (unknown.length) throw new ConfigError(`Unknown setting ${unknown.join(', ')}; known settings: ${KNOWN.join(', ')}.`);
}

/** Reads the environment once; an unknown or bad SEALDROP_* value stops start-up rather than being ignored. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  rejectUnknownSettings(env);
  const retention = integer(env, 'SEALDROP_RETENTION_DAYS', 0, 0, 36500);
  const dataDir = path.resolve(env.SEALDROP_DATA || 'data');
  const config: Config = {
    dataDir,
    host: hostSetting(env, 'SEALDROP_HOST'),
    journalistHost: hostSetting(env, 'SEALDROP_JOURNALIST_HOST'),
    sourcePort: integer(env, 'SEALDROP_SOURCE_PORT', 8080, 0, 65535),
    journalistPort: integer(env, 'SEALDROP_JOURNALIST_PORT', 8081, 0, 65535),
    partSize: integer(env, 'SEALDROP_PART_SIZE', 4 * MiB, 64 * 1024, 64 * MiB),
    maxFileBytes: integer(env, 'SEALDROP_MAX_FILE_BYTES', 4096 * MiB, 1, 64 * 1024 * MiB),
    retentionDays: retention === 0 ? null : retention,
    keyFile: keyFileSetting(dataDir, env),
    tor: flag(env, 'SEALDROP_TOR'),
    torrcInclude: env.SEALDROP_TOR_TORRC ? path.resolve(env.SEALDROP_TOR_TORRC) : null,
    onionLocation: flag(env, 'SEALDROP_ONION_LOCATION'),
    stopGraceMs: integer(env, 'SEALDROP_STOP_SECONDS', 10, 0, 600) * 1000,
    minFreeBytes: integer(env, 'SEALDROP_MIN_FREE_MIB', 1024, 0, 1024 * 1024) * MiB,
    journalistUrl: urlSetting(env, 'SEALDROP_JOURNALIST_URL'),
    notify: notifySetting(env),
  };
  checkExposure(config, flag(env, 'SEALDROP_JOURNALIST_EXPOSED'));
  if (config.sourcePort !== 0 && config.sourcePort === config.journalistPort) {
    throw new ConfigError('The source and journalist interfaces need different ports.');
  }
  return Object.freeze(config);
}

/** Ciphertext allowance on top of a part's plaintext: per-recipient session keys and packet framing. */
export function maxObjectBytes(config: Config, recipients: number): number {
  return config.partSize + 4096 + recipients * 1024;
}

/** What a source may send, derived in one place so every route and page quotes the same figures. */
export type Limits = Readonly<{ maxParts: number; maxFileMiB: number }>;

export function limitsOf(config: Config): Limits {
  return Object.freeze({
    // The parts the largest allowed file is sent in, padding included.
    maxParts: Math.min(MAX_PARTS, partCountFor(config.maxFileBytes, config.partSize)),
    // Rounded down, so the figure a source reads is never more than the server accepts.
    maxFileMiB: Math.floor(config.maxFileBytes / MiB),
  });
}
