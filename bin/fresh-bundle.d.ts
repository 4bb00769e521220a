/** bin/fresh-bundle.js: a source file's inode, size, modification and change times, as one string. */
export function stampOf(file: string): string;
/**
 * bin/fresh-bundle.js: the bundle's entry in `dir` (in the build `dir/current` names, if any) when
 * every source it lists (for `command`, where it lists them per command) is as at the build, or null.
 */
export function freshBundle(dir: URL, command?: string): URL | null;
/** When process `pid` started (from /proc), or '' where that cannot be told. */
export function processStart(pid: number): string;
/** Marks the entry's build in use by this process until it exits; false when the build is going or cannot be marked. */
export function holdBundle(entry: URL): boolean;
