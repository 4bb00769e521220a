import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/helpers/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: browsers and gpg are heavy, so at most two files run at once.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
