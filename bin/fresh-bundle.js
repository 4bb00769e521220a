// Whether a bundle of Sealdrop's TypeScript may run (the CLI's, scripts/cli-bundle.ts; the tests'
// server, tests/helpers/server-bundle.ts): plain JavaScript, as bin/sealdrop.js runs it before
// anything could compile TypeScript.
import { readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * What a source file is now, as the build recorded it: inode, size, modification and change
 * times. An exact match, not "older than the build": a copy that keeps an old modification time
 * (`cp -p`, `rsync -a`, `tar x` over a checkout) still gets a new inode or a new change time,
 * which no one can set back, and a clock that was ahead at the build does not hide a later edit.
 * Not a SHA-256 of the contents: this runs before every command, and stat of the 202 files serve
 * can load takes 0.8 ms where reading and hashing their 0.9 MB takes 8 ms (medians, load 6.6); an
 * edit that leaves all four alike would need the clock set back and the inode reused.
 */
export function stampOf(file) {
  const s = statSync(file);
  return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
}

/**
 * The bundle's entry in `dir` (a file: URL ending in /) when every file it was made from (those
 * `command` can load, where inputs.json lists them per command) is as it was at the build, or
 * null: no bundle, a listed source changed since (or during the build), or gone. Where
 * `dir/current` names the build (the CLI's), the entry is in the folder it names now, by its real
 * path: chunks loaded later come from that same build, whatever `current` names by then.
 */
export function freshBundle(dir, command) {
  try {
    const base = fileURLToPath(dir);
    let build = base;
    try {
      build = realpathSync(path.join(base, 'current'));
    } catch {
      // a single build in `dir` itself
    }
    const { builtAt, entry, files, stamps, inputs, commands } = JSON.parse(readFileSync(path.join(build, 'inputs.json'), 'utf8'));
    const list = files ? (commands[command] ?? inputs) : inputs;
    // A list of paths alone (the tests' server bundle) by modification time only; a build of the
    // CLI from before stamps were recorded is stale.
    const current = files ? (i) => typeof stamps[i] === 'string' && stampOf(files[i]) === stamps[i] : (file) => statSync(file).mtimeMs < builtAt;
    return list.length > 0 && list.every(current) ? pathToFileURL(path.join(build, entry)) : null;
  } catch {
    return null;
  }
}

/**
 * When process `pid` started (/proc's clock ticks since boot), or '' where /proc does not say: a
 * `running/<pid>` mark holds its build only while the process of that id is the one that wrote it.
 * A command stopped by Ctrl-C (SIGINT) or killed leaves its mark behind, and its id is reused.
 */
export function processStart(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

/**
 * Marks the build of `entry` as in use by this process until it exits (`running/<pid>`, holding
 * its start), so that a later build does not remove it (scripts/cli-bundle.ts). False when the
 * build is going, or when it cannot be marked (node_modules read-only to this user, as under the
 * systemd unit of docs/deploy.md): a build made meanwhile could remove it under this process, so
 * the caller runs the TypeScript instead.
 */
export function holdBundle(entry) {
  const build = path.dirname(fileURLToPath(entry));
  try {
    const mark = path.join(build, 'running', String(process.pid));
    writeFileSync(mark, processStart(process.pid));
    process.once('exit', () => rmSync(mark, { force: true }));
    // Checked after the mark, as the pruner removes inputs.json before it looks for marks: either
    // this sees the build going, or the pruner sees the mark and leaves the build's chunks alone.
    return statSync(path.join(build, 'inputs.json')).isFile();
  } catch {
    return false;
  }
}
