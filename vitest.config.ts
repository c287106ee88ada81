import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests start servers (Redis, Prometheus, OTLP receivers) on free ports; forks keep
    // OTel's process-wide globals apart between files.
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
