import { defineConfig } from 'vitest/config';

// Tests share one database per worker file; argon2 and RSA key generation make some files slow.
// VITEST_RESULTS_FILE names the JSON results file so CI keeps one per backend run
// (scripts/checklist.mjs reads every test-results/*.json).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: process.env.VITEST_RESULTS_FILE ?? 'test-results/results.json' },
  },
});
