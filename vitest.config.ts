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
    // The coverage gate: `npm test` (the whole suite) runs with --coverage and fails below these
    // floors, set about two points under what the suite reached when the gate was added (statements 85.1%,
    // branches 75.8%, functions 87.8%, lines 89.1%). Raise them as coverage grows. Code that runs
    // only in child processes (examples, register, browser pages) is not counted.
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'json-summary'],
      thresholds: { statements: 83, branches: 73, functions: 85, lines: 87 },
    },
  },
});
