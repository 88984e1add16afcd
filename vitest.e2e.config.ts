import { defineConfig } from 'vitest/config';

/** `npm run e2e`: the VM bundles booted for real in a network-namespace lab (root, Debian packages). */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    globalSetup: ['test/setup/ensure-packages.ts'],
    fileParallelism: false,
    // One lab, scenarios in sequence; partitions wait for Erlang's net tick (60 s) to notice them.
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
