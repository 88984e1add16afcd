import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/ensure-packages.ts'],
    // Real-program tests boot RabbitMQ, HAProxy and Keepalived; give them time on a 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 240_000,
  },
});
