/**
 * `npm start`'s process model (issue 14), against the real thing: the API
 * process, its queue server process and two worker processes, spawned from
 * local/src/main.ts and reached over HTTP and the OS only.
 *
 * - the workers view shows each worker process (pid, tasks done, busy share, memory);
 * - /health is served while a worker runs a CPU-heavy task on a real large page;
 * - a worker killed with SIGKILL mid-task: its message comes back by visibility
 *   timeout and is completed once, nothing is lost, and the pool restarts the worker;
 * - every port the stack listens on refuses connections to the machine's non-loopback addresses;
 * - SIGTERM drains: a task that can finish within the grace finishes, one that cannot is
 *   released (visible again in the persisted queue), and every process exits.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import type http from "node:http";
import os from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { createClient, type Client } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, waitFor } from "../helpers/stack";
import { killAllProcesses } from "../helpers/processes";
import { isAlive, startNpmStart, type NpmStart } from "../helpers/npmStart";
import { listeningPorts, nonLoopbackAddresses, pidOwningLocalPort, tryConnect } from "../helpers/procNet";
import { startLocalServer, type LocalServer } from "../helpers/localServer";
import { instantTimings, routes, type RouteOverrides } from "@shared/events/routing";
import { untilAllCurrent, untilCurrent } from "../helpers/resourceStatus";

/** No delays; a 2 s function timeout → a 12 s visibility timeout, so a killed worker's message returns within the test. */
function overrides(): RouteOverrides {
  const extra: RouteOverrides = {};
  for (const r of routes) extra[r.task] = { timeoutSeconds: 2 };
  return instantTimings(extra);
}

const LARGE_PAGE = readFileSync(path.resolve("test/fixtures/ingest/html/expat-reference.html"), "utf8");
const HELD_DOC = "Crash-only software: a worker may die at any moment. See https://example.org/crash-only and doi:10.1000/xyz123.";

let dataDir: string;
let stack: NpmStart;
let store: Client;
let docs: LocalServer;
/** What the document server does with each path: answer now, later, or never. */
const behaviour = new Map<string, "hold" | "hold-once" | { delayMs: number }>();
const seen: Array<{ path: string; remotePort: number; at: number }> = [];
const held: http.ServerResponse[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), "alexandria-procs-"));
  docs = await startLocalServer((req, res) => {
    const p = req.url ?? "/";
    seen.push({ path: p, remotePort: req.socket.remotePort ?? 0, at: Date.now() });
    const b = behaviour.get(p);
    if (b === "hold" || (b === "hold-once" && seen.filter((s) => s.path === p).length === 1)) {
      held.push(res);
      return;
    }
    const answer = () => res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(`${HELD_DOC}\n\nServed for ${p}.`);
    if (b && typeof b === "object") setTimeout(answer, b.delayMs);
    else answer();
  });
  stack = await startNpmStart({
    dataDir,
    workers: 2,
    env: { ROUTE_OVERRIDES: JSON.stringify(overrides()), ALLOW_PRIVATE_NETWORKS: "true", FETCH_TIMEOUT_MS: "60000", DRAIN_GRACE_MS: "5000" },
  });
  store = createClient({ url: `file:${path.join(dataDir, "alexandria.db")}` });
}, 240_000);

afterAll(async () => {
  for (const res of held) res.destroy();
  store?.close();
  await killAllProcesses();
  await docs?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The nice value of every thread of a process (Linux /proc). */
function threadNiceValues(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => Number(readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8").split(") ")[1]!.split(" ")[16]));
}

async function count(sql: string, args: Array<string | number>): Promise<number> {
  const rs = await store.execute({ sql, args });
  return Number(rs.rows[0]?.n ?? 0);
}

async function post(body: Record<string, unknown>): Promise<string> {
  const res = await api<{ id: string }>(stack, "POST", "/resources", body);
  expect(res.status).toBe(202);
  return res.body.id;
}

describe("npm start: the API process runs no task; worker processes do", () => {
  it("shows each worker process: pid, tasks done, busy share, memory", async () => {
    const apiPid = stack.proc.pid;
    const workers = await waitFor(async () => {
      const w = await stack.workers();
      return w.every((x) => x.state === "ready" && x.figures) ? w : undefined;
    }, 30_000);
    expect(workers).toHaveLength(2);
    const pids = workers.map((w) => w.pid!);
    expect(new Set(pids).size).toBe(2);
    for (const w of workers) {
      expect(w.pid).not.toBe(apiPid);
      expect(stack.pids()).toContain(w.pid);
      expect(w.figures!.pid).toBe(w.pid);
      expect(w.figures!.rssBytes).toBeGreaterThan(10 * 2 ** 20);
      expect(w.figures!.busyShare).toBeGreaterThanOrEqual(0);
      expect(w.figures!.busyShare).toBeLessThanOrEqual(1);
    }
    // Workers yield the cores to the API process: every thread of a worker runs at WORKER_NICE (default 10), the API's at the priority it was started with.
    if (existsSync("/proc/self/task")) {
      const apiNice = threadNiceValues(apiPid);
      expect(new Set(apiNice)).toEqual(new Set([os.getPriority(process.pid)]));
      for (const pid of pids) expect(new Set(threadNiceValues(pid))).toEqual(new Set([10]));
    }
    // The API process reports itself too, and has no pollers.
    const view = await api<{ pollers: unknown[]; api: { pid: number } }>(stack, "GET", "/monitoring/workers");
    expect(view.body.pollers).toEqual([]);
    expect(view.body.api.pid).toBe(apiPid);

    const id = await post({ content: "# Counting\n\nA small document so that every worker has something to count.", contentType: "text/markdown" });
    await untilCurrent(stack, id, { timeoutMs: 90_000, intervalMs: 250 });
    const after = await waitFor(async () => {
      const w = await stack.workers();
      const done = w.reduce((n, x) => n + (x.figures?.tasksDone ?? 0), 0);
      return done >= 5 ? w : undefined;
    }, 10_000);
    expect(after.reduce((n, x) => n + x.figures!.tasksDone, 0)).toBeGreaterThanOrEqual(5);
    // Task events from the workers reach the API process's history.
    const events = await api<{ items: Array<{ name: string; payload: { resourceId?: string } }> }>(stack, "GET", `/monitoring/events?limit=200`);
    expect(events.body.items.some((e) => e.name === "task.completed" && e.payload.resourceId === id)).toBe(true);
  });

  it("serves /health while a worker runs a CPU-heavy task on a real large page", async () => {
    const id = await post({ content: LARGE_PAGE, contentType: "text/html" });
    const calls: Array<{ sentAt: number; receivedAt: number; status: number }> = [];
    let done = false;
    const poll = (async () => {
      while (!done) {
        const sentAt = Date.now();
        const res = await fetch(`${stack.url}/health`);
        await res.text();
        calls.push({ sentAt, receivedAt: Date.now(), status: res.status });
      }
    })();
    try {
      await untilCurrent(stack, id, { timeoutMs: 120_000, intervalMs: 250 });
    } finally {
      done = true;
      await poll;
    }
    const rs = await store.execute({ sql: "SELECT task, started_at, finished_at, duration_ms FROM task_runs WHERE resource_id = ? AND task = 'ingestion' AND status = 'succeeded'", args: [id] });
    expect(rs.rows).toHaveLength(1);
    const run = { start: Date.parse(String(rs.rows[0]!.started_at)), end: Date.parse(String(rs.rows[0]!.finished_at)) };
    const inside = calls.filter((c) => c.sentAt > run.start && c.receivedAt < run.end);
    console.log(`[process model] ingestion of a ${(LARGE_PAGE.length / 1024).toFixed(0)} KB page ran ${run.end - run.start} ms; /health calls answered inside that run: ${inside.length} of ${calls.length}`);
    expect(calls.every((c) => c.status === 200)).toBe(true);
    // The behaviour: a health call was sent after the task started and answered before it finished.
    expect(inside.length).toBeGreaterThanOrEqual(1);
  });

  it("a worker killed with SIGKILL mid-task: the message is redelivered and completed once, nothing is lost, the worker is restarted", async () => {
    behaviour.set("/held", "hold-once");
    const heldId = await post({ url: docs.url("/held") });
    const others = await Promise.all(Array.from({ length: 6 }, (_, i) => post({ content: `Bystander ${i}: nothing happens to me while a worker dies. ${Date.now()}`, contentType: "text/plain" })));
    const before = await stack.workers();
    const first = await waitFor(async () => seen.find((s) => s.path === "/held"), 30_000, 50);
    const holderPid = await waitFor(async () => pidOwningLocalPort(first.remotePort, before.map((w) => w.pid!)), 5_000, 50);
    const holderSlot = before.find((w) => w.pid === holderPid)!.slot;
    const killedAt = Date.now();
    process.kill(holderPid, "SIGKILL");

    await untilAllCurrent(stack, [heldId, ...others], { timeoutMs: 120_000, intervalMs: 250 });
    // Fetched exactly twice: the killed attempt, then once more after the kill.
    const fetches = seen.filter((s) => s.path === "/held");
    expect(fetches).toHaveLength(2);
    expect(fetches[1]!.at).toBeGreaterThan(killedAt);
    // As if it ran once: the killed attempt left no row and no effect.
    const rows = await store.execute({ sql: "SELECT attempt, status FROM task_runs WHERE task = 'ingestion' AND resource_id = ?", args: [heldId] });
    expect(rows.rows.map((r) => [Number(r.attempt), String(r.status)])).toEqual([[2, "succeeded"]]);
    expect(await count("SELECT count(*) AS n FROM outbox WHERE name = 'ingestion.completed' AND json_extract(payload, '$.resourceId') = ?", [heldId])).toBe(1);
    expect(await count("SELECT count(*) AS n FROM citations WHERE source_id = ?", [heldId])).toBe(2);
    // Nothing lost, nothing doubled: every bystander's ingestion and embedding took effect exactly once
    // (counted by the events each wrote in its own transaction; a task killed after its commit is redone as a skip).
    for (const id of others) {
      expect(await count("SELECT count(*) AS n FROM outbox WHERE name = 'ingestion.completed' AND json_extract(payload, '$.resourceId') = ?", [id])).toBe(1);
      expect(await count("SELECT count(*) AS n FROM outbox WHERE name = 'embedding.generated' AND json_extract(payload, '$.resourceId') = ?", [id])).toBe(1);
      expect(await count("SELECT count(*) AS n FROM resource_embeddings WHERE resource_id = ?", [id])).toBe(1);
    }
    // The pool replaced the dead worker.
    const after = await waitFor(async () => {
      const w = (await stack.workers()).find((x) => x.slot === holderSlot);
      return w && w.state === "ready" && w.pid !== holderPid ? w : undefined;
    }, 60_000);
    expect(after.restarts).toBe(1);
    expect(after.lastExit).toMatchObject({ pid: holderPid, signal: "SIGKILL" });
    expect(isAlive(holderPid)).toBe(false);
  });

  it("listens on loopback only: every port of every process refuses the machine's non-loopback addresses", async () => {
    const pids = stack.pids();
    expect(pids.length).toBeGreaterThanOrEqual(4); // API, queue server, two workers
    const ports = listeningPorts(pids);
    const apiPort = Number(new URL(stack.url).port);
    expect(ports).toContain(apiPort);
    // The API and the queue server at least.
    expect(ports.length).toBeGreaterThanOrEqual(2);
    const addresses = [...nonLoopbackAddresses(), "127.0.0.2"];
    expect(addresses.length).toBeGreaterThanOrEqual(2);
    const outcomes: string[] = [];
    for (const port of ports) {
      for (const address of addresses) outcomes.push(`${address} port ${port}: ${await tryConnect(address, port)}`);
      // And the port does answer on loopback: the refusal is the binding, not a dead port.
      expect(await tryConnect("127.0.0.1", port)).toBe("connected");
    }
    console.log(`[process model] ${outcomes.join("; ")}`);
    expect(outcomes.filter((o) => !o.endsWith("ECONNREFUSED"))).toEqual([]);
  });

  it("SIGTERM drains: a task that can finish does, one that cannot is released to the queue, every process exits", async () => {
    behaviour.set("/slow", { delayMs: 1_500 });
    behaviour.set("/hung", "hold");
    const slowId = await post({ url: docs.url("/slow") });
    const hungId = await post({ url: docs.url("/hung") });
    await waitFor(async () => seen.some((s) => s.path === "/slow") && seen.some((s) => s.path === "/hung"), 30_000, 50);
    const pids = stack.pids();
    // The whole process group, as Ctrl-C or a service manager would signal it.
    await stack.proc.kill("SIGTERM", 60_000);
    expect(await stack.proc.exited).toBe(0);
    await waitFor(async () => pids.every((p) => !isAlive(p)), 10_000);

    const status = async (id: string) => String((await store.execute({ sql: "SELECT ingestion_status AS s FROM resources WHERE id = ?", args: [id] })).rows[0]!.s);
    expect(await status(slowId)).toBe("completed");
    expect(await status(hungId)).toBe("pending");
    // The persisted queue: nothing left in flight, and the hung task's message is there to be taken at once.
    const queues = new DatabaseSync(path.join(dataDir, "queues", "fauxqs.db"), { readOnly: true });
    try {
      // Not "held by nobody until its visibility timeout": messages the killed worker of the test above held may
      // still be in flight, so only this test's resources are looked at.
      const inFlight = queues.prepare("SELECT count(*) AS n FROM sqs_messages WHERE receipt_handle IS NOT NULL AND (body LIKE ? OR body LIKE ?)").get(`%${hungId}%`, `%${slowId}%`) as { n: number };
      expect(Number(inFlight.n)).toBe(0);
      const waiting = queues.prepare("SELECT count(*) AS n FROM sqs_messages WHERE queue_name LIKE '%-ingestion' AND body LIKE ?").get(`%${hungId}%`) as { n: number };
      expect(Number(waiting.n)).toBe(1);
    } finally {
      queues.close();
    }
  });
});

