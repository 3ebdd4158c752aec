import { defineConfig } from 'vitest/config';

// Three projects: pure unit tests and the replays of recorded histories need nothing running;
// integration tests share one Temporal dev server and one Postgres cluster started by the global
// setup (or the ones named by TEMPORAL_ADDRESS / DATABASE_URL).
export default defineConfig({
  test: {
    reporters: process.env.CI ? ['default', 'junit'] : ['default'],
    outputFile: { junit: 'test-results/junit.xml' },
    // Two cores: more parallel files only fight the Temporal server and Postgres for CPU.
    poolOptions: { forks: { maxForks: 2, minForks: 1 }, threads: { maxThreads: 2, minThreads: 1 } },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          pool: 'threads',
        },
      },
      {
        test: {
          // Recorded histories replayed against the workflow code: needs no server, but the SDK's
          // native runtime wants a process of its own.
          name: 'replay',
          include: ['test/replay/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          // The Temporal worker's native runtime may be installed once per process: one fork per file.
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
