// Structured logs: one JSON object per line on stderr, for journald or any collector.
//
// What a line may hold is fixed here, not by callers: an event name from the list below and
// fields that are numbers, booleans or short words of our own. No time (the collector adds its
// own; Sealdrop keeps none), and never anything a source or journalist sent: no address, user
// agent, path, body, file name, codename, key or designation.

export type Level = 'info' | 'warn' | 'error';
export type Event =
  | 'started' | 'stopping' | 'stopped'
  | 'cut_uploads_dropped' | 'orphans_swept' | 'purged' | 'purge_failed'
  | 'request_failed' | 'disk_low' | 'disk_full'
  | 'key_unusable' | 'key_id_ambiguous' | 'data_dir_tightened' | 'tor'
  | 'notice_failed';

/** A field value: a count, a flag, or a word chosen by the code (an error class, a method, a listener). */
export type Field = number | boolean | string;

// Words only: a value that could carry request data (slashes, spaces, @, quotes) is replaced, not
// written; logging must never fail the request it reports on.
const WORD = /^[A-Za-z][\w.-]{0,63}$/;
const REDACTED = 'redacted';

let sink: (line: string) => void = (line) => process.stderr.write(`${line}\n`);

/** Tests capture lines with this; returns the previous sink. */
export function setLogSink(next: (line: string) => void): (line: string) => void {
  const previous = sink;
  sink = next;
  return previous;
}

export function log(level: Level, event: Event, fields: Record<string, Field> = {}): void {
  const safe: Record<string, Field> = {};
  for (const [name, value] of Object.entries(fields)) {
    safe[name] = (typeof value === 'string' && !WORD.test(value)) || (typeof value === 'number' && !Number.isFinite(value)) ? REDACTED : value;
  }
  sink(JSON.stringify({ level, event, ...safe }));
}

/**
 * A tor warning, reworded: tor's own text names relays and bridges by address, so every address
 * and number-dotted run is masked, and the line is cut short. No source is ever in it (an onion
 * service never learns one).
 */
export function logTor(line: string): void {
  const text = line
    .replace(/^.*?\[(warn|err)\]\s*/, '')
    // IPv4 first (an IPv6 pattern would swallow "1:9050" of "10.0.0.1:9050"), then IPv6, then
    // relay fingerprints and host names: none is a source's, but none is the log's business.
    .replace(/\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b/g, '[address]')
    .replace(/\[?[0-9a-fA-F]{0,4}(:[0-9a-fA-F]{0,4}){2,7}(\[address\])?\]?(:\d+)?/g, '[address]')
    .replace(/\$?\b[0-9A-Fa-f]{40}\b/g, '[relay]')
    .replace(/\b(?:[a-z0-9-]+\.)+(?:onion|[a-z]{2,})\b/gi, '[host]')
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, 200);
  sink(JSON.stringify({ level: /\[err\]/.test(line) ? 'error' : 'warn', event: 'tor', text }));
}
