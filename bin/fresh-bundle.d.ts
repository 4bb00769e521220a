/** bin/fresh-bundle.js: the bundle's entry in `dir` when it is newer than every source it lists, or null. */
export function freshBundle(dir: URL): URL | null;
