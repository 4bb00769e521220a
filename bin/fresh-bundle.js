// Whether a bundle of Sealdrop's TypeScript may run (the CLI's, scripts/cli-bundle.ts; the tests'
// server, tests/helpers/server-bundle.ts): plain JavaScript, as bin/sealdrop.js runs it before
// anything could compile TypeScript.
import { readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The bundle's entry in `dir` (a file: URL ending in /) when every file it was made from (those
 * `command` can load, where inputs.json lists them per command) is older than the bundle, or
 * null: no bundle, a listed source changed since, or gone. Where `dir/current` names the build
 * (the CLI's), the entry is in the folder it names now, by its real path: chunks loaded later come
 * from that same build, whatever `current` names by then.
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
    const { builtAt, entry, files, inputs, commands } = JSON.parse(readFileSync(path.join(build, 'inputs.json'), 'utf8'));
    const list = files ? (commands[command] ?? inputs).map((i) => files[i]) : inputs;
    return list.length > 0 && list.every((file) => statSync(file).mtimeMs < builtAt) ? pathToFileURL(path.join(build, entry)) : null;
  } catch {
    return null;
  }
}

/**
 * Marks the build of `entry` as in use by this process until it exits (`running/<pid>`), so that a
 * later build does not remove it (scripts/cli-bundle.ts). False when the build is going, or when
 * it cannot be marked (node_modules read-only to this user, as under the systemd unit of
 * docs/deploy.md): a build made meanwhile could remove it under this process, so the caller runs
 * the TypeScript instead.
 */
export function holdBundle(entry) {
  const build = path.dirname(fileURLToPath(entry));
  try {
    const mark = path.join(build, 'running', String(process.pid));
    writeFileSync(mark, '');
    process.once('exit', () => rmSync(mark, { force: true }));
    // Checked after the mark, as the pruner removes inputs.json before it looks for marks: either
    // this sees the build going, or the pruner sees the mark and leaves the build's chunks alone.
    return statSync(path.join(build, 'inputs.json')).isFile();
  } catch {
    return false;
  }
}
