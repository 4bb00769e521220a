// Sizes shown to people: decimal MB and GB only (1 MB = 1,000,000 bytes), one unit family in every
// language; a stored size is a padded size class, so a tenth of a MB is as fine as it needs to be.
export function formatSize(bytes: number): string {
  if (bytes >= 1e9) return `${round(bytes / 1e9)} GB`;
  const mb = bytes / 1e6;
  return mb < 0.1 ? '< 0.1 MB' : `${round(mb)} MB`;
}

const round = (n: number): string => (n < 10 ? (Math.round(n * 10) / 10).toFixed(1) : String(Math.round(n)));
