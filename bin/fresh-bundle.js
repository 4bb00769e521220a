// Whether the CLI's bundle (newsroom/cli-bundle.ts) may run: plain JavaScript, as bin/sealdrop.js
// runs it before anything could compile TypeScript.
import { readFileSync, statSync } from 'node:fs';

/**
 * The bundle's entry in `dir` (a file: URL ending in /) when every file it was made from is older
 * than the bundle, or null: no bundle, a listed source changed since, or gone.
 */
export function freshBundle(dir) {
  try {
    const { builtAt, entry, inputs } = JSON.parse(readFileSync(new URL('inputs.json', dir), 'utf8'));
    return inputs.length > 0 && inputs.every((file) => statSync(file).mtimeMs < builtAt) ? new URL(entry, dir) : null;
  } catch {
    return null;
  }
}
