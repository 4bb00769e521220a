import { expect, test } from 'vitest';
import { formatSize } from '../../common/sizes.ts';

// Sizes shown to people are decimal MB and GB only (1 MB = 1,000,000 bytes), one unit family.
test('sizes are decimal MB under a GB, GB above, a tenth of a MB at the finest', () => {
  expect([4096, 99_999, 100_000, 4_341_000, 9_950_000, 12_345_678, 999_400_000].map(formatSize)).toEqual([
    '< 0.1 MB', '< 0.1 MB', '0.1 MB', '4.3 MB', '10 MB', '12 MB', '999 MB',
  ]);
  expect([1e9, 4 * 1024 ** 3, 12.6e9].map(formatSize)).toEqual(['1.0 GB', '4.3 GB', '13 GB']);
});
