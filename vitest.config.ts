import { defineConfig } from 'vitest/config';

// Tests share one database per worker file; argon2 and RSA key generation make some files slow.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/results.json' },
  },
});
