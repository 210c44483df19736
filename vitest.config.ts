import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Installs what the chosen tests need and picks (or starts) the shared Redis.
    globalSetup: ["test/globalSetup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Two cores: more workers only add contention for the end-to-end stacks.
    maxWorkers: 2,
    env: { LOG_LEVEL: "silent" },
  },
});
