import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests start real servers and child processes; the machine has two cores. The
    // timeouts only catch a hang: a CLI test spawns a dozen processes of ~1.7 s each,
    // and on a loaded machine that passed 60 s while nothing was wrong.
    maxWorkers: 2,
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
