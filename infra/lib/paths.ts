/** Where the function sources live, independent of the directory cdk or vitest runs from. */
import { fileURLToPath } from "node:url";
import path from "node:path";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

export const entries = {
  api: path.join(repoRoot, "functions/src/http/api.ts"),
  authorizer: path.join(repoRoot, "functions/src/http/authorizer.ts"),
  consumer: path.join(repoRoot, "functions/src/queue/consumer.ts"),
  job: path.join(repoRoot, "functions/src/scheduled/job.ts"),
} as const;

export const lockFile = path.join(repoRoot, "package-lock.json");
