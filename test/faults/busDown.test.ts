/**
 * Fault (requirement 14; docs/architecture.md, "Outbox"; issue 7): the queue unreachable. The
 * SQS emulator runs as its own process with persistence on; it is killed
 * during writes and restarted on the same port and data directory.
 * - Writes still answer (2xx); their events wait in the outbox; once the
 *   emulator is back the sweeper delivers them and everything becomes current.
 * - An API process killed (SIGKILL) right after a write whose publish could not
 *   happen: the event is in the outbox, and another process's sweeper delivers it.
 * - The emulator frozen (SIGSTOP: connections accepted, never answered): writes
 *   still answer within the publish timeout; after SIGCONT the events arrive.
 *
 * This test process runs one stack (API + pollers + outbox sweeper); a second
 * API runs as a child process on the same store and queues.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestStack, waitFor, type TestStack } from "../helpers/stack";
import { freePort, killAllProcesses, spawnTs, startSqsProcess, type ManagedProcess } from "../helpers/processes";
import { instantTimings } from "@shared/events/routing";
import { resourceStatus, untilCurrent } from "../helpers/resourceStatus";

let dataDir: string;
let sqsDir: string;
let sqsPort: number;
let sqs: ManagedProcess;
let stack: TestStack;
let apiProc: ManagedProcess;
let apiUrl: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), "alexandria-busdown-"));
  sqsDir = mkdtempSync(path.join(os.tmpdir(), "alexandria-busdown-sqs-"));
  sqsPort = await freePort();
  const started = await startSqsProcess(sqsPort, sqsDir);
  sqs = started.proc;
  const env = { SQS_ENDPOINT: started.endpoint, DATA_DIR: dataDir, QUEUE_PREFIX: `bus${process.pid}`, PORT: "0" };
  stack = await startTestStack({ env, routeOverrides: instantTimings(), sweepIntervalMs: 1_000 });
  apiProc = spawnTs("api", "local/src/api.ts", { env: { ...env, ROUTE_OVERRIDES: JSON.stringify(instantTimings()) } });
  apiUrl = (await apiProc.waitForLine(/API_READY (\S+)/, 90_000))[1]!;
}, 150_000);

afterAll(async () => {
  await killAllProcesses();
  await stack?.dispose();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(sqsDir, { recursive: true, force: true });
});

async function restartSqs(): Promise<void> {
  const again = await startSqsProcess(sqsPort, sqsDir, "sqs-restarted");
  sqs = again.proc;
}

async function pendingFor(id: string): Promise<string[]> {
  const rs = await stack.app.store.client.execute({ sql: "SELECT name FROM outbox WHERE published_at IS NULL AND json_extract(payload, '$.resourceId') = ? ORDER BY created_at", args: [id] });
  return rs.rows.map((r) => String(r.name));
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

describe("the queue unreachable", () => {
  it("keeps answering writes while the SQS emulator is down, then delivers every outbox event once it is back", async () => {
    const a = await api<{ id: string }>(stack, "POST", "/resources", { content: "Before the outage: a resource that is current.", contentType: "text/plain" });
    await untilCurrent(stack, a.body.id);

    await sqs.kill("SIGKILL");
    const token = `outage${Math.random().toString(36).slice(2, 10)}`;
    const b = await timed(() => api<{ id: string }>(stack, "POST", "/resources", { content: "Written while the queue was down.", contentType: "text/plain" }));
    const c = await timed(() => api<{ id: string }>(stack, "POST", "/resources/batch", { items: [{ content: "Also written during the outage, in a batch.", contentType: "text/plain" }] }));
    const pc = await timed(() => api(stack, "PATCH", `/resources/${a.body.id}`, { content: `After the outage this text has ${token} in it.`, contentType: "text/plain" }));
    const pm = await timed(() => api(stack, "PATCH", `/resources/${a.body.id}`, { title: "Renamed during the outage" }));
    console.log(`[bus-down] write latencies with SQS down (ms): POST ${b.ms.toFixed(0)}, batch ${c.ms.toFixed(0)}, PATCH content ${pc.ms.toFixed(0)}, PATCH metadata ${pm.ms.toFixed(0)}`);
    expect(b.value.status).toBe(202);
    expect(c.value.status).toBe(202);
    expect(pc.value.status).toBe(202);
    expect(pm.value.status).toBe(200);
    for (const t of [b, c, pc, pm]) expect(t.ms).toBeLessThan(10_000);
    const bId = b.value.body.id;
    const cId = (c.value.body as unknown as { items: Array<{ id: string }> }).items[0]!.id;

    // The events wait in the outbox; nothing has moved.
    expect(await pendingFor(bId)).toEqual(expect.arrayContaining(["resource.created", "ingestion.requested"]));
    // The content update's own events come from the ingestion task once it has extracted the text.
    expect(await pendingFor(a.body.id)).toEqual(expect.arrayContaining(["ingestion.requested", "resource.updated", "resource.metadata_changed"]));
    const pendingDuringOutage = await stack.app.relay.pendingCount();
    expect(pendingDuringOutage).toBeGreaterThanOrEqual(7);
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await resourceStatus(stack, bId)).ingestion.status).toBe("pending");
    expect((await resourceStatus(stack, a.body.id)).upToDate).toBe(false);

    await restartSqs();
    const [sa] = await Promise.all([untilCurrent(stack, a.body.id), untilCurrent(stack, bId), untilCurrent(stack, cId)]);
    expect(sa.contentRevision).toBe(2);
    await waitFor(async () => (await stack.app.relay.pendingCount()) === 0, 15_000);
    const found = await api<{ results: Array<{ id: string }> }>(stack, "GET", `/search?mode=keyword&q=${token}`);
    expect(found.body.results.map((r) => r.id)).toContain(a.body.id);
    const view = await api<{ title: string }>(stack, "GET", `/resources/${a.body.id}`);
    expect(view.body.title).toBe("Renamed during the outage");
  });

  it("an API process killed right after a write whose events it could not publish: the resource still becomes current", async () => {
    await sqs.kill("SIGKILL");
    const res = await fetch(`${apiUrl}/resources`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ content: "Accepted by an API process that died before it could publish.", contentType: "text/plain" }),
    });
    expect(res.status).toBe(202);
    const id = ((await res.json()) as { id: string }).id;
    await apiProc.kill("SIGKILL");
    expect(apiProc.isRunning()).toBe(false);

    // Only the outbox remembers the write.
    expect(await pendingFor(id)).toEqual(expect.arrayContaining(["resource.created", "ingestion.requested"]));
    expect((await resourceStatus(stack, id)).ingestion.status).toBe("pending");

    await restartSqs();
    const s = await untilCurrent(stack, id);
    expect(s.contentRevision).toBe(1);
    // The published marks are group-committed a few milliseconds after the publish.
    await waitFor(async () => (await pendingFor(id)).length === 0, 15_000);
    const ingestions = await stack.app.store.client.execute({ sql: "SELECT count(*) AS n FROM task_runs WHERE task = 'ingestion' AND resource_id = ? AND status = 'succeeded'", args: [id] });
    expect(Number(ingestions.rows[0]!.n)).toBe(1);
  });

  it("a hung queue (emulator frozen with SIGSTOP) does not hang writes; on SIGCONT the events are delivered", async () => {
    process.kill(sqs.pid, "SIGSTOP");
    let id = "";
    try {
      const res = await timed(() => api<{ id: string }>(stack, "POST", "/resources", { content: "Written while the queue accepted connections but never answered.", contentType: "text/plain" }));
      console.log(`[bus-down] POST latency with SQS frozen: ${res.ms.toFixed(0)} ms`);
      expect(res.value.status).toBe(202);
      expect(res.ms).toBeLessThan(10_000);
      id = res.value.body.id;
      expect(await pendingFor(id)).toEqual(expect.arrayContaining(["resource.created", "ingestion.requested"]));
    } finally {
      process.kill(sqs.pid, "SIGCONT");
    }
    await untilCurrent(stack, id);
    await waitFor(async () => (await pendingFor(id)).length === 0, 15_000);
  });
});
