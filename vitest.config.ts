import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/**/*.spec.ts',
      'domain/**/*.spec.ts',
      'infra/**/*.spec.ts',
      'workflows/**/*.spec.ts',
      'services/**/*.spec.ts',
    ],
    // Integration tests start real servers (Temporal, SQLite files, HTTP): give them room, and
    // keep to the two cores of the machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    globalSetup: ['test/support/globalSetup.ts'],
    setupFiles: ['test/support/setup.ts'],
  },
});
