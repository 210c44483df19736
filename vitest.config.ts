import { readFileSync } from "node:fs";
import path from "node:path";
import { defineConfig } from "vitest/config";

// The path aliases (@shared/..., @test/...) are declared once, in tsconfig.json; tsc, tsx and esbuild read them there.
const tsconfig = JSON.parse(readFileSync(new URL("./tsconfig.json", import.meta.url), "utf8")) as { compilerOptions: { paths: Record<string, string[]> } };
const alias = Object.entries(tsconfig.compilerOptions.paths).map(([from, [to]]) => ({
  find: new RegExp(`^${from.replace("/*", "/")}`),
  replacement: `${path.resolve(import.meta.dirname, to!.replace("/*", ""))}/`,
}));

export default defineConfig({
  resolve: { alias },
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
