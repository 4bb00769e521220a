// Sizes shown to people: decimal MB and GB only (1 MB = 1,000,000 bytes), one unit family in every
// language; a stored size is a padded size class, so a tenth of a MB is as fine as it needs to be.
export function formatSize(bytes: number): string {
  if (bytes >= 1e9) return `${round(bytes / 1e9)} GB`;
  const mb = bytes / 1e6;
  return mb < 0.1 ? '< 0.1 MB' : `${round(mb)} MB`;
}

function round(n: number): string {
  const tenths = Math.round(n * 10) / 10;
  return tenths < 10 ? tenths.toFixed(1) : String(Math.round(n));
}

/**
 * A limit or progress shown to a source, rounded down: a file of the size a limit shows is always
 * accepted (4 GiB is "4.2 GB"), and progress never claims more than was sent. The page script's
 * progress uses it too, so limit and progress read in the same words.
 */
export function formatLimit(bytes: number): string {
  if (bytes > 0 && bytes < 1e5) return '< 0.1 MB';
  const [value, unit] = bytes >= 1e9 ? [bytes / 1e9, 'GB'] : [bytes / 1e6, 'MB'];
  return `${value < 10 ? (Math.floor(value * 10) / 10).toFixed(1) : String(Math.floor(value))} ${unit}`;
}
