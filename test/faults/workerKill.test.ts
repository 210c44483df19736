/**
 * Fault (requirement 14, 15.5; issue 7): a worker process killed with SIGKILL
 * in the middle of a task. The SQS emulator runs as its own process (fauxqs,
 * as in production the queue outlives any consumer), two worker processes
 * consume the same queues, the API runs in this test process. The document
 * server holds the first request open, so the worker that took the ingestion
 * message is still inside the task when it is killed; after the visibility
 * timeout the other worker takes the message and completes it. The result is
 * as if the task ran once.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestStack, waitFor, type TestStack } from "../helpers/stack";
import { freePort, killAllProcesses, spawnTs, startSqsProcess, type ManagedProcess } from "../helpers/processes";
import { pidOwningLocalPort } from "../helpers/procNet";
import { startLocalServer, type LocalServer } from "../helpers/localServer";
import { instantTimings, routes, visibilityTimeoutSeconds, type RouteOverrides } from "@shared/events/routing";

/** Every route: no delays, and a 1 s function timeout → a 6 s visibility timeout. */
function overrides(): RouteOverrides {
  const extra: RouteOverrides = {};
  for (const r of routes) extra[r.task] = { timeoutSeconds: 1 };
  return instantTimings(extra);
}

const DOC = [
  "Crash-only software: a worker may die at any moment and the system must not notice.",
  "See https://example.org/crash-only for the original paper, and https://example.org/idempotence plus doi:10.1000/xyz123 for the rest.",
].join("\n\n");

let dataDir: string;
let sqsDir: string;
let api1: TestStack;
let workers: ManagedProcess[] = [];
let server: LocalServer;
/** Requests to the document server: the client's port tells which process sent it. */
const seen: Array<{ remotePort: number; at: number }> = [];
const held: http.ServerResponse[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), "alexandria-kill-"));
  sqsDir = mkdtempSync(path.join(os.tmpdir(), "alexandria-kill-sqs-"));
  server = await startLocalServer((req, res) => {
    seen.push({ remotePort: req.socket.remotePort ?? 0, at: Date.now() });
    // The first fetch never gets an answer: its worker is inside the task until it is killed.
    if (seen.length === 1) {
      held.push(res);
      return;
    }
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(DOC);
  });
  const sqs = await startSqsProcess(await freePort(), sqsDir);
  const env = {
    SQS_ENDPOINT: sqs.endpoint,
    DATA_DIR: dataDir,
    QUEUE_PREFIX: `kill${process.pid}`,
    ALLOW_PRIVATE_NETWORKS: "true",
    ROUTE_OVERRIDES: JSON.stringify(overrides()),
    PORT: "0",
  };
  // The API (here) creates the queues and migrates the store before the workers start.
  api1 = await startTestStack({ workers: false, env, routeOverrides: overrides() });
  workers = [spawnTs("worker-1", "local/src/worker.ts", { env }), spawnTs("worker-2", "local/src/worker.ts", { env })];
  await Promise.all(workers.map((w) => w.waitForLine(/WORKER_READY pid=(\d+)/, 90_000)));
}, 150_000);

afterAll(async () => {
  for (const res of held) res.destroy();
  await killAllProcesses();
  await api1?.stop();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(sqsDir, { recursive: true, force: true });
});

async function count(sql: string, args: Array<string | number>): Promise<number> {
  const rs = await api1.app.store.client.execute({ sql, args });
  return Number(rs.rows[0]?.n ?? 0);
}

describe("worker SIGKILL mid-task", () => {
  it("the message reappears after its visibility timeout, the other worker completes it, and the result is as if it ran once", async () => {
    const ingestionVisibility = visibilityTimeoutSeconds(api1.routes.find((r) => r.task === "ingestion")!);
    expect(ingestionVisibility).toBe(6);

    const res = await api<{ id: string }>(api1, "POST", "/resources", { url: server.url("/paper") });
    expect(res.status).toBe(202);
    const id = res.body.id;

    // Wait for a worker to be inside the ingestion (its fetch is open and unanswered), and find which one.
    const first = await waitFor(async () => seen[0], 30_000, 50);
    const holder = await waitFor(async () => {
      const pid = pidOwningLocalPort(first.remotePort, workers.map((w) => w.pid));
      return pid === undefined ? undefined : workers.find((w) => w.pid === pid);
    }, 5_000, 50);
    const survivor = workers.find((w) => w !== holder)!;
    const killedAt = Date.now();
    await holder.kill("SIGKILL");
    expect(holder.isRunning()).toBe(false);

    await waitFor(async () => {
      const s = await api<{ upToDate: boolean; ingestion: { status: string; error: string | null } }>(api1, "GET", `/resources/${id}/status`);
      if (s.body.ingestion.status === "failed") throw new Error(`ingestion failed: ${s.body.ingestion.error}`);
      return s.body.upToDate;
    }, 60_000, 250);
    expect(survivor.isRunning()).toBe(true);

    // Redelivered only after the visibility timeout ran out (not earlier), and fetched exactly twice.
    expect(seen).toHaveLength(2);
    expect(seen[1]!.at - first.at).toBeGreaterThanOrEqual(ingestionVisibility * 1000 - 500);
    expect(seen[1]!.at).toBeGreaterThan(killedAt);

    // As if it ran once: one ledger row for the ingestion (the killed attempt left none), on the second delivery.
    const rows = await api1.app.store.client.execute({ sql: "SELECT attempt, status FROM task_runs WHERE task = 'ingestion' AND resource_id = ?", args: [id] });
    expect(rows.rows.map((r) => [Number(r.attempt), String(r.status)])).toEqual([[2, "succeeded"]]);
    const row = (await api1.app.store.client.execute({ sql: "SELECT revision, content_revision, ingestion_status FROM resources WHERE id = ?", args: [id] })).rows[0]!;
    expect(Number(row.content_revision)).toBe(1);
    expect(Number(row.revision)).toBe(1);
    expect(String(row.ingestion_status)).toBe("completed");
    expect(await count("SELECT count(*) AS n FROM outbox WHERE name = 'ingestion.completed' AND json_extract(payload, '$.resourceId') = ?", [id])).toBe(1);
    expect(await count("SELECT count(*) AS n FROM citations WHERE source_id = ?", [id])).toBe(3);
    expect(await count("SELECT count(*) AS n FROM (SELECT DISTINCT kind, value FROM citations WHERE source_id = ?)", [id])).toBe(3);
    expect(await count("SELECT count(*) AS n FROM resource_keys WHERE resource_id = ?", [id])).toBe(1);
    expect(await count("SELECT count(*) AS n FROM task_runs WHERE task = 'embedding' AND resource_id = ? AND status = 'succeeded'", [id])).toBe(1);
    expect(await count("SELECT count(*) AS n FROM resource_embeddings WHERE resource_id = ?", [id])).toBe(1);
  });
});
