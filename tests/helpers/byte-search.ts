import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** Every file under the given folders that contains any of the needles, as "file: needle". */
export async function findBytes(dirs: string[], needles: string[]): Promise<string[]> {
  const hits: string[] = [];
  for (const dir of dirs) {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    for (const e of entries.filter((x) => x.isFile())) {
      const file = path.join(e.parentPath, e.name);
      const bytes = await readFile(file);
      for (const needle of needles) {
        for (const encoding of ['utf8', 'utf16le'] as const) {
          if (bytes.includes(Buffer.from(needle, encoding))) hits.push(`${path.relative(dir, file)}: ${needle} (${encoding})`);
        }
      }
    }
  }
  return hits;
}
