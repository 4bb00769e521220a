import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ADDED_WORDS, CODENAME_WORDLIST, CODENAME_WORDS, EXCLUDED_WORDS, KDF_ITERATIONS } from '../../../common/codename.ts';
import { generateKeyPair, readJournalistKey } from '../../../common/envelope/index.ts';
import { LABEL_SIZE, MAX_LABEL_CHARS, sealText } from '../../../common/envelope/pad-text.ts';
import { MIN_PADDED_SIZE, paddedSize } from '../../../common/envelope/padding.ts';
import { DEFAULT_PART_SIZE } from '../../../common/envelope/seal.ts';
import { Sessions } from '../../../server/auth/sessions.ts';
import { MIN_PASSPHRASE_LENGTH } from '../../../server/auth/passwords.ts';
import { MAX_LOGO_OUTPUT } from '../../../server/branding/image.ts';
import { MAX_SIDE } from '../../../server/branding/pixels.ts';
import { loadConfig } from '../../../server/config.ts';
import { DEFAULT_BODY_RATE } from '../../../server/http/body-rate.ts';
import { DEFAULT_CONNECTIONS } from '../../../server/http/connections.ts';
import { PART_MEMORIES } from '../../../server/nojs/part-run.ts';
import { REPLY_ROOM } from '../../../server/routes/source/nojs-conversation.ts';
import { sourceGates, WRONG_CODENAME_DELAY_MS } from '../../../server/routes/source/conversation.ts';

// A figure in README.md or docs/operations.md that the code no longer has is a promise the drop
// breaks (the no-JS slots went from 8 to 16 while the README kept 8). Each figure an
// administrator or a source relies on is read from the text and compared with the code.
const KiB = 1024;
const MiB = 1024 * KiB;
const flat = (file: string) => readFileSync(file, 'utf8').replace(/\s+/g, ' ');
const readme = flat('README.md');
const operations = flat('docs/operations.md');
const envelope = flat('docs/envelope.md');
const deploy = flat('docs/deploy.md');

/** Every number `pattern` captures in `text` (commas dropped); the pattern must match at least once. */
function stated(text: string, pattern: RegExp): number[] {
  const found = [...text.matchAll(new RegExp(pattern.source, 'g'))].map((m) => Number(m[1]!.replace(/,/g, '')));
  expect(found, `${pattern} in the docs`).not.toHaveLength(0);
  return found;
}

const WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
/** A figure the README spells out as a word ("seven words"), as a number. */
function word(pattern: RegExp): number {
  const m = pattern.exec(readme);
  expect(m, `${pattern} in README.md`).not.toBeNull();
  return WORDS.indexOf(m![1]!.toLowerCase());
}

/**
 * A constant the code does not export, read from its source: `NAME = <arithmetic>`, `name:
 * <arithmetic>` inside an object literal, or a default `name ?? <arithmetic>`. A change of shape fails here, never passes.
 */
function constant(file: string, name: string): number {
  const source = readFileSync(file, 'utf8');
  const m = new RegExp(`\\b${name.replace(/\./g, '\\.')}\\s*(?:[=:]|\\?\\?)\\s*([\\d_ *+()]+?)\\s*[;,}\\n]`).exec(source);
  expect(m, `${name} in ${file}`).not.toBeNull();
  const expression = m![1]!.replace(/_/g, '');
  expect(expression).toMatch(/^[\d *+()]+$/);
  return Function(`return (${expression});`)() as number;
}

const config = loadConfig({ SEALDROP_DATA: '/nonexistent' });
const nojsSlots = constant('server/routes/source/nojs.ts', 'MAX_UPLOADS');
const apiSlots = constant('server/routes/source/api.ts', 'MAX_UPLOADS');

describe('README.md figures match the code', () => {
  test('settings and their defaults', () => {
    expect(stated(readme, /`SEALDROP_PART_SIZE` \((\d+) bytes/)).toEqual([config.partSize]);
    expect(config.partSize).toBe(DEFAULT_PART_SIZE);
    expect(stated(readme, /`SEALDROP_MAX_FILE_BYTES` \((\d+) GiB/)).toEqual([config.maxFileBytes / (1024 * MiB)]);
    expect(stated(readme, /Too large\*\* \(over (\d+) GiB by default/)).toEqual([config.maxFileBytes / (1024 * MiB)]);
    expect(stated(readme, /`SEALDROP_MIN_FREE_MIB` \((\d+):/)).toEqual([config.minFreeBytes / MiB]);
    expect(stated(readme, /`SEALDROP_STOP_SECONDS` \((\d+):/)).toEqual([config.stopGraceMs / 1000]);
  });

  test('the source page: retries, parts held, padding, the digest limit', () => {
    expect(stated(readme, /retries with backoff for up to (\d+) minutes/)).toEqual([constant('client/source/upload.ts', 'GIVE_UP_MS') / 60_000]);
    // Without JavaScript: two parts being encrypted and stored while the next arrives.
    const held = constant('server/nojs/part-run.ts', 'IN_FLIGHT') + 1;
    expect(word(/so at most (\w+) parts \(\d+ MiB\) of plaintext/)).toBe(held);
    expect(word(/in one of at most (\w+) memories the upload reuses/)).toBe(PART_MEMORIES);
    expect(stated(readme, /at most \w+ parts \((\d+) MiB\) of plaintext/)).toEqual([(held * config.partSize) / MiB]);
    expect(stated(readme, /Padmé, at least (\d+) KiB/)).toEqual([MIN_PADDED_SIZE / KiB]);
    expect(stated(readme, /A file over (\d+) MiB sent from a browser has no whole-file/)).toEqual([constant('client/source/send.ts', 'NATIVE_DIGEST_MAX') / MiB]);
  });

  test('codenames, the KDF and the source queues', () => {
    expect(word(/a \*\*codename\*\*: (\w+) words/)).toBe(CODENAME_WORDS);
    expect(word(/shown as (\w+) groups of five digits/)).toBe(CODENAME_WORDS);
    const bits = Array.from({ length: CODENAME_WORDS }, (_, i) => Math.log2(CODENAME_WORDLIST.length - i)).reduce((a, b) => a + b);
    expect(stated(readme, /with (\d+) words that read as an insult/)).toEqual([EXCLUDED_WORDS.size]);
    expect(stated(readme, /replaced\n?\s*by (\d+) plain ones/)).toEqual([ADDED_WORDS.length]);
    expect(stated(readme, /so ([\d,]+) words still/)).toEqual([CODENAME_WORDLIST.length]);
    expect(/\(([\d.]+)\n?\s*bits; the list/.exec(readme)?.[1]).toBe(bits.toFixed(2));
    expect(new Set(stated(readme, /([\d,]+) iterations/))).toEqual(new Set([KDF_ITERATIONS]));
    expect(stated(readme, /at most (\d+) waiting\)/)).toEqual([constant('server/sources/key-pool.ts', 'options.maxQueued')]);
    const gates = sourceGates();
    expect(gates.registration.options.queue).toBe(gates.codenameLogin.options.queue);
    expect(stated(readme, /with up to (\d+) \(\d+ for new sources\) waiting/)).toEqual([gates.registration.options.queue]);
    expect(stated(readme, /with up to \d+ \((\d+) for new sources\) waiting/)).toEqual([gates.newSource.options.queue]);
    expect(stated(readme, /for new sources\) waiting at most (\d+) s/)).toEqual([gates.registration.options.maxWaitMs / 1000]);
    for (const gate of Object.values(gates)) expect([gate.options.width, gate.options.maxWaitMs]).toEqual([1, gates.registration.options.maxWaitMs]);
    expect(word(/answered after a (\w+)-second delay/) * 1000).toBe(WRONG_CODENAME_DELAY_MS);
  });

  test('journalist logins and sessions', () => {
    expect(stated(readme, /passphrase \((\d+)\+ characters/)).toEqual([MIN_PASSPHRASE_LENGTH]);
    expect(stated(readme, /zxcvbn estimator must score it (\d) of 4/)).toEqual([constant('server/auth/passwords.ts', 'MIN_SCORE')]);
    const argon = /Argon2id \(m=(\d+) KiB, t=(\d+), p=(\d+)\)/.exec(readme)!;
    expect(argon.slice(1).map(Number)).toEqual(['memoryCost', 'timeCost', 'parallelism'].map((n) => constant('server/auth/passwords.ts', n)));
    const throttle = (n: string) => constant('server/auth/throttle.ts', n);
    expect(stated(readme, /per account \((\d+), then a \d+-minute/)).toEqual([throttle('perAccount')]);
    expect(stated(readme, /per account \(\d+, then a (\d+)-minute/)).toEqual([throttle('lockMs') / 60_000]);
    expect(stated(readme, /(\d+) failed logins at real journalist usernames/)).toEqual([throttle('global')]);
    expect(stated(readme, /journalist usernames within (\d+) minutes/)).toEqual([throttle('windowMs') / 60_000]);
    const { idleMs, absoluteMs } = new Sessions().limits;
    expect(stated(readme, /ending after (\d+) idle minutes/)).toEqual([idleMs / 60_000]);
    expect(stated(readme, /idle minutes or (\d+) hours/)).toEqual([absoluteMs / 3_600_000]);
    expect(word(/carrying the source and a (\w+)-hour expiry/) * 3_600_000).toBe(constant('server/auth/source-sessions.ts', 'ttlMs'));
    expect(word(/at Leave or at its (\w+)-hour expiry/) * 3_600_000).toBe(constant('server/auth/source-sessions.ts', 'ttlMs'));
    expect(word(/One entry per source that left within (\w+) hours/) * 3_600_000).toBe(constant('server/auth/source-sessions.ts', 'ttlMs'));
    expect(stated(readme, /past ([\d,]+) entries the signing key is replaced/)).toEqual([constant('server/auth/source-sessions.ts', 'REVOKED_MAX')]);
    expect(word(/a token expiring (\w+) minutes later than those/) * 60_000).toBe(constant('server/auth/source-sessions.ts', 'grainMs'));
  });

  test('a reply and a label are stored at the sizes stated, whatever their length', async () => {
    const keys = await Promise.all([1, 2].map(async (i) => (await readJournalistKey((await generateKeyPair({ name: `k${i}` })).publicKey)).key));
    const sealed = async (kind: 'reply' | 'label', text: string, n: number) => (await sealText({ kind, text, recipients: keys.slice(0, n) })).length;
    const [long] = stated(readme, /a one-letter "y" and a ([\d,]+)-byte reply are both stored/);
    const reply = stated(readme, /are both stored as ([\d,]+) bytes \(to a source and one journalist/);
    expect([await sealed('reply', 'y', 2), await sealed('reply', 'x'.repeat(long!), 2)]).toEqual([reply[0], reply[0]]);
    const label = stated(readme, /only ciphertext that does not show its length: (\d+) bytes for one journalist/);
    expect([await sealed('label', 'a', 1), await sealed('label', 'b'.repeat(MAX_LABEL_CHARS), 1)]).toEqual([label[0], label[0]]);
  });

  test('the inbox, labels and the logo', () => {
    expect(stated(readme, /A file over (\d+) MiB goes straight into a file/)).toEqual([constant('client/journalist/decrypt.ts', 'SMALL_BYTES') / MiB]);
    const piece = constant('client/journalist/save.ts', 'PIECE_BYTES') / MiB;
    expect(stated(readme, /a file over (\d+) MiB comes in/)).toEqual([piece]);
    expect(stated(readme, /comes in (\d+) MiB pieces/)).toEqual([piece]);
    expect(stated(readme, /the name, at most (\d+) characters/)).toEqual([MAX_LABEL_CHARS]);
    expect(stated(readme, /at most (\d+) × \d+ pixels/)).toEqual([MAX_SIDE]);
    expect(stated(readme, /from its pixels alone, at most (\d+) KiB/)).toEqual([MAX_LOGO_OUTPUT / KiB]);
    expect(stated(readme, /conversation keeps (\d+) KiB of room for replies/)).toEqual([REPLY_ROOM / KiB]);
  });

  test('slow bodies, upload slots and connections', () => {
    const r = DEFAULT_BODY_RATE;
    expect(stated(readme, /A request body slower than (\d+) KiB\/s/)).toEqual([r.floorBytesPerSecond / KiB]);
    expect(stated(readme, /KiB\/s over a (\d+) s window/)).toEqual([r.windowMs / 1000]);
    expect(stated(readme, /window \(after a (\d+) s grace\)/)).toEqual([r.graceMs / 1000]);
    expect(stated(readme, /judged over a whole window, below (\d+) KiB\/s/)).toEqual([r.displaceBelowBytesPerSecond / KiB]);
    // What holding every slot costs: slots × the displacement bar.
    expect(stated(readme, /holding the (\d+) no-JavaScript slots/)).toEqual([nojsSlots]);
    expect(stated(readme, /no-JavaScript slots then costs an attacker over (\d+) KiB\/s/)).toEqual([(nojsSlots * r.displaceBelowBytesPerSecond) / KiB]);
    expect(stated(readme, /the (\d+) upload slots over/)).toEqual([apiSlots]);
    expect(stated(readme, /upload slots over (\d+) MiB\/s/)).toEqual([(apiSlots * r.displaceBelowBytesPerSecond) / MiB]);
    const c = DEFAULT_CONNECTIONS;
    expect(stated(readme, /Each listener holds (\d+) connections/)).toEqual([c.maxConnections]);
    expect(stated(readme, /holding every connection costs (\d+) MiB\/s/)).toEqual([(c.maxConnections * r.floorBytesPerSecond) / MiB]);
    expect(stated(readme, /MiB\/s \((\d+) MiB\/s after a window\)/)).toEqual([(c.maxConnections * r.displaceBelowBytesPerSecond) / MiB]);
    expect(stated(readme, /does not read, are closed after (\d+) s/)).toEqual([c.idleMs / 1000]);
    // A form that finds every slot busy waits; a part upload too.
    const waiting = (file: string) => [constant(file, 'waitMs') / 1000, constant(file, 'maxWaiting')];
    expect(/waits its turn \(at most (\d+) s, (\d+) in line\)/.exec(readme)!.slice(1).map(Number)).toEqual(waiting('server/routes/source/nojs.ts'));
    expect(/a part upload likewise waits \((\d+) s, (\d+) in line\)/.exec(readme)!.slice(1).map(Number)).toEqual(waiting('server/routes/source/api.ts'));
  });
});

describe('docs/operations.md figures match the code', () => {
  test('connections and slow bodies', () => {
    const r = DEFAULT_BODY_RATE;
    const c = DEFAULT_CONNECTIONS;
    expect(stated(operations, /\*\*(\d+) connections a listener\*\*/)).toEqual([c.maxConnections]);
    expect(stated(operations, /connections\.ts`\), and (\d+) more that are answered/)).toEqual([c.headroom]);
    expect(stated(operations, /an answer the client has not read for (\d+) s/)).toEqual([r.evictAfterMs / 1000]);
    expect(stated(operations, /furthest behind (\d+) KiB\/s since it began/)).toEqual([r.floorBytesPerSecond / KiB]);
    expect(stated(operations, /then a body below (\d+) KiB\/s over a \d+ s window/)).toEqual([r.displaceBelowBytesPerSecond / KiB]);
    expect(stated(operations, /KiB\/s over a (\d+) s window/)).toEqual([r.windowMs / 1000]);
    expect(stated(operations, /(\d+) MiB\/s for \d+ \(\d+ MiB\/s after a window\)/)).toEqual([(c.maxConnections * r.floorBytesPerSecond) / MiB]);
    expect(stated(operations, /MiB\/s for (\d+) \(/)).toEqual([c.maxConnections]);
    expect(stated(operations, /MiB\/s for \d+ \((\d+) MiB\/s after a window\)/)).toEqual([(c.maxConnections * r.displaceBelowBytesPerSecond) / MiB]);
    expect(stated(operations, /JSON body near its (\d+) KiB limit/)).toEqual([Number(/express\.json\(\{ limit: '(\d+)kb' \}\)/.exec(readFileSync('server/source-app.ts', 'utf8'))![1])]);
  });

  test('the systemd unit it refers to, and what it must hold', () => {
    const unit = (name: string) => stated(deploy, new RegExp(`\\s${name}=(\\d+)`));
    const [timeoutStop] = unit('TimeoutStopSec');
    expect(stated(operations, /the unit in `docs\/deploy\.md` has (\d+)\)/)).toEqual([timeoutStop]);
    expect(timeoutStop! * 1000).toBeGreaterThan(config.stopGraceMs);
    const [files] = unit('LimitNOFILE');
    expect(stated(operations, /sets `LimitNOFILE=(\d+)`/)).toEqual([files]);
    const c = DEFAULT_CONNECTIONS;
    expect(files).toBeGreaterThan(2 * (c.maxConnections + c.headroom)); // both listeners full, and the data files
    expect(stated(operations, /inside the unit's `MemoryMax=(\d+)G`/)).toEqual(unit('MemoryMax'));
    expect(stated(deploy, /enrolment link \(`[^`]+`, valid (\d+) days\)/)).toEqual([constant('server/store/journalists.ts', 'ENROLMENT_DAYS')]);
  });

  test('stopping, retries and disk space', () => {
    expect(stated(operations, /`SEALDROP_STOP_SECONDS` \(default (\d+)\)/)).toEqual([config.stopGraceMs / 1000]);
    expect(stated(operations, /it retries for up to (\d+) minutes/)).toEqual([constant('client/source/upload.ts', 'GIVE_UP_MS') / 60_000]);
    expect(stated(operations, /filesystem \(default (\d+) MiB\)/)).toEqual([config.minFreeBytes / MiB]);
    const reserve = /Math\.min\(config\.minFreeBytes \/ (\d+), (\d+) \* MiB\)/.exec(readFileSync('server/http/space.ts', 'utf8'))!;
    expect(/may continue until a (\w+) of that \(at most (\d+) MiB\) is left/.exec(operations)!.slice(1)).toEqual([['', '', '', '', 'quarter'][Number(reserve[1])], reserve[2]]);
  });
});

describe('docs/envelope.md figures match the code', () => {
  test('parts, the size classes and their overhead', () => {
    expect(stated(envelope, /plaintext bytes \(default (\d+) MiB; `SEALDROP_PART_SIZE`\)/)).toEqual([DEFAULT_PART_SIZE / MiB]);
    expect(stated(envelope, /with a floor of (\d+) KiB/)).toEqual([MIN_PADDED_SIZE / KiB]);
    expect(stated(envelope, /message of up to (\d+) bytes is stored as \d+ bytes/)).toEqual([MIN_PADDED_SIZE]);
    expect(paddedSize(1)).toBe(MIN_PADDED_SIZE);
    // Padmé's worst case is just above a power of two; each stated overhead is that worst case to
    // within 0.05 percentage points (6.25% is 6.22% at 4,097 bytes, 3.1% is 3.12%).
    const worst = (above: number) => Math.max(...Array.from({ length: 44 }, (_, i) => 2 ** i + 1).filter((l) => l > above).map((l) => ((paddedSize(l) - l) / l) * 100));
    const bound = (percent: number, above: number) => {
      expect(Math.abs(percent - worst(above)), `${percent}% above ${above} bytes`).toBeLessThan(0.05);
    };
    for (const p of stated(envelope, /at most ([\d.]+)% extra/)) bound(p, MIN_PADDED_SIZE);
    for (const p of stated(readme, /at most ([\d.]+)% larger/)) bound(p, MIN_PADDED_SIZE);
    for (const p of stated(envelope, /\(([\d.]+)% above 64 KiB/)) bound(p, 64 * KiB);
    for (const p of stated(envelope, /([\d.]+)% above 4 GiB/)) bound(p, 4 * 1024 * MiB);
    expect(stated(envelope, /or up to (\d+) bytes for every label/)).toEqual([LABEL_SIZE]);
    expect(stated(envelope, /a label is at most (\d+) characters/)).toEqual([MAX_LABEL_CHARS]);
    expect(stated(envelope, /rounded up to (\d+) KiB\)/)).toEqual([constant('common/envelope/padding.ts', 'BUCKET') / KiB]);
    expect(stated(envelope, /a browser sending a file over (\d+) MiB/)).toEqual([constant('client/source/send.ts', 'NATIVE_DIGEST_MAX') / MiB]);
  });
});
