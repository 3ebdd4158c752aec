import { defineConfig } from 'vitest/config';

// Pure domain tests only: no global setup, no Temporal, no Postgres.
export default defineConfig({
  test: {
    include: ['test/unit/domain/**/*.test.ts'],
    pool: 'threads',
  },
});
