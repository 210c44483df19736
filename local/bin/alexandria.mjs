#!/usr/bin/env node
// The `alexandria` command (package.json "bin"): runs the TypeScript CLI through tsx, as `npm run cli` does.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
