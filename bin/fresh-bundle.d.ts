/**
 * bin/fresh-bundle.js: the bundle's entry in `dir` (in the build `dir/current` names, if any) when
 * it is newer than every source it lists (for `command`, where it lists them per command), or null.
 */
export function freshBundle(dir: URL, command?: string): URL | null;
/** Marks the entry's build in use by this process until it exits; false when the build is going or cannot be marked. */
export function holdBundle(entry: URL): boolean;
