/**
 * `npm run job -- <name>` (local/src/runJob.ts) as a real process on a real
 * data directory: prints the summary as JSON, exits 0; an unknown name exits
 * 2 with the list of jobs; without a shared SQS it waits until the tasks its
 * job triggered are done, so a reconciler run from the shell really heals.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resources } from "@shared/adapters/libsql/schema";
import { Store } from "@shared/adapters/libsql/store";
import { instantTimings } from "@shared/events/routing";
import type { AppContext } from "@shared/app/context";
import { insertResource } from "./support";

const run = promisify(execFile);
let dataDir = "";
const dbUrl = () => `file:${path.join(dataDir, "alexandria.db")}`;

beforeAll(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), "alexandria-job-cli-"));
});
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

async function job(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // No SQS_ENDPOINT: the command brings its own queues and workers. Short route delays keep the test quick.
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "silent", QUEUE_PREFIX: `cli${process.pid}`, ROUTE_OVERRIDES: JSON.stringify(instantTimings()) };
  delete env.SQS_ENDPOINT;
  try {
    const { stdout, stderr } = await run("node_modules/.bin/tsx", ["local/src/runJob.ts", ...args], { env, timeout: 90_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

/** Opens the same database file the command uses, as another process would. */
async function withStore<T>(fn: (app: AppContext) => Promise<T>): Promise<T> {
  const store = Store.open({ url: dbUrl() });
  try {
    await store.migrate();
    return await fn({ store } as AppContext);
  } finally {
    store.close();
  }
}

describe("npm run job -- <name>", () => {
  it("rejects an unknown job with the list of names", async () => {
    const res = await job("no-such-job");
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("quality-degradation");
    expect(res.stderr).toContain("reconciler");
  });

  it("runs a job and prints its summary", async () => {
    await withStore((app) => insertResource(app, { qualityScore: 0.7 }));
    const res = await job("quality-degradation");
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ job: "quality-degradation", summary: { firstRun: true, firstSnapshots: 1 } });
  }, 120_000);

  it("runs the reconciler and waits until the resource it re-queued is current", async () => {
    const id = await withStore((app) => insertResource(app, { indexedRevision: 0, qualityRevision: 0, updatedAt: new Date(Date.now() - 3600_000).toISOString() }));
    const res = await job("reconciler");
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ job: "reconciler", summary: { requeued: { searchIndex: 1, quality: 1 } } });
    const row = await withStore((app) => app.store.db.query.resources.findFirst({ where: eq(resources.id, id) }));
    expect(row).toMatchObject({ indexedRevision: 1, qualityRevision: 1 });
  }, 120_000);
});
