// What a running server wrote to its structured log (stderr), checked for anything that could
// name a person or a moment: the README promises "no address, name, path or time". The scan
// knows the run's own secrets (canary, file names, user agent, ids, designations, codenames) and
// also looks for their shapes, so a leak of a value the test never saw is caught too.
import Database from 'better-sqlite3';
import path from 'node:path';

const EVENTS = new Set(['started', 'stopping', 'stopped', 'cut_uploads_dropped', 'orphans_swept', 'purged', 'purge_failed', 'request_failed', 'disk_low', 'disk_full', 'key_unusable', 'data_dir_tightened', 'tor', 'notice_failed']);
const LEVELS = new Set(['info', 'warn', 'error']);

/** Shapes no log line may hold, whoever's value it is. */
const SHAPES: [string, RegExp][] = [
  ['an IPv4 address', /\b\d{1,3}(\.\d{1,3}){3}\b/],
  ['an IPv6 address', /::1\b|::ffff:|\b[0-9a-f]{1,4}(:[0-9a-f]{1,4}){3,7}\b/i],
  ['an onion host', /\.onion\b/i],
  ['a path or URL', /\//],
  ['a time of day', /\b\d{1,2}:\d{2}(:\d{2})?\b/],
  ['a date', /\b\d{4}-\d{2}-\d{2}\b/],
  ['an id (32 hex digits)', /\b[0-9a-f]{32}\b/i],
  ['a user agent', /Mozilla|Chrome|Firefox|Gecko|undici|node-fetch/i],
];

/** Numbers that read as now (or within a day of the run) in seconds or milliseconds since 1970. */
function epochNearNow(line: string, from: number, to: number): string | null {
  const day = 86_400_000;
  for (const run of line.match(/\d{10,13}/g) ?? []) {
    const n = Number(run);
    for (const ms of [n, n * 1000]) if (ms > from - day && ms < to + day) return run;
  }
  return null;
}

/**
 * Every problem with the log text: a line that is not one JSON object of a known level and event,
 * a known secret in any line, or a shape above. `from` is when the run began (ms since 1970).
 */
export function logLeaks(text: string, known: string[], from: number, to = Date.now()): string[] {
  const problems: string[] = [];
  const needles = known.filter((k) => k.length >= 4).map((k) => k.toLowerCase());
  for (const line of text.split('\n').filter((l) => l.trim() !== '')) {
    const quoted = JSON.stringify(line.slice(0, 200));
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(line);
    } catch {
      problems.push(`not a JSON line: ${quoted}`);
    }
    const entry = parsed as { level?: unknown; event?: unknown } | null;
    if (parsed !== null && (typeof entry !== 'object' || !LEVELS.has(entry?.level as string) || !EVENTS.has(entry?.event as string))) problems.push(`not a log entry: ${quoted}`);
    const lower = line.toLowerCase();
    for (const needle of needles) if (lower.includes(needle)) problems.push(`holds ${JSON.stringify(needle)}: ${quoted}`);
    for (const [what, shape] of SHAPES) if (shape.test(line)) problems.push(`holds ${what}: ${quoted}`);
    const epoch = epochNearNow(line, from, to);
    if (epoch) problems.push(`holds a time (${epoch}): ${quoted}`);
  }
  return problems;
}

/** The ids and names the run's data directory holds (read-only, beside the running server). */
export function storedIdentifiers(dataDir: string): string[] {
  const db = new Database(path.join(dataDir, 'sealdrop.sqlite'), { readonly: true });
  try {
    const rows = db.prepare(`SELECT id AS v FROM sources UNION ALL SELECT designation FROM sources UNION ALL SELECT id FROM submissions
      UNION ALL SELECT manifest_blob FROM submissions WHERE manifest_blob IS NOT NULL UNION ALL SELECT blob FROM parts
      UNION ALL SELECT id FROM replies UNION ALL SELECT blob FROM replies`).all() as { v: string }[];
    return rows.map((r) => r.v);
  } finally {
    db.close();
  }
}
