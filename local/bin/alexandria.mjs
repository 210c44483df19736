#!/usr/bin/env node
// The `alexandria` command (package.json "bin"): runs the TypeScript CLI under tsx, as `npm run cli` does,
// from any directory. It starts the CLI as a child process with tsx's loader in its node arguments, so
// that the processes the CLI forks in turn (`alexandria start`: workers, queue server) inherit the
// loader, and with the project's tsconfig named, so its path aliases (@shared/…) resolve whatever the
// working directory. The project's own Node (the `node` devDependency) is used when it is installed.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const projectNode = path.join(root, "node_modules", ".bin", "node");
const tsxLoader = pathToFileURL(path.join(path.dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist", "loader.mjs")).href;

const child = spawn(existsSync(projectNode) ? projectNode : process.execPath, ["--import", tsxLoader, path.join(root, "local/src/cli.ts"), ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, TSX_TSCONFIG_PATH: path.join(root, "tsconfig.json") },
});
// Ctrl-C reaches the whole foreground process group; a signal sent to this process alone is passed on.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(signal ? 128 + (os.constants.signals[signal] ?? 0) : (code ?? 1)));
