import { defineConfig } from 'vitest/config';

// The load test measures the inbox's worst answer time under 200 sources; it runs alone, after
// every other file, so a browser or gpg test on the other core cannot stretch that figure.
const ALONE = ['tests/reliability/load.test.ts'];

export default defineConfig({
  test: {
    globalSetup: ['tests/helpers/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: browsers and gpg are heavy, so at most two files run at once.
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'suite', include: ['tests/**/*.test.ts'], exclude: ALONE } },
      { extends: true, test: { name: 'alone', include: ALONE, sequence: { groupOrder: 1 } } },
    ],
  },
});
