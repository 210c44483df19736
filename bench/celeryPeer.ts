/**
 * Issue 14's machinery figure: no-op tasks/s, ours against Celery's, in the
 * same run on the same machine.
 *
 * Ours: a no-op route (bench/lib/noopRoute.ts) in `npm start`'s process model
 * built from the product's parts: this process plays the API process (store
 * writes with their outbox rows via `writeWithEvents`, the outbox relay
 * publishing through the local bus), the queue server is its own process
 * (fauxqs, as `npm start` starts it) and 2 worker processes
 * (bench/peer/noopWorker.ts) run the route's poller, consumer and task runner
 * against the same libSQL file. Timed from before the first outbox commit to
 * the last ledger row's finish. Writers hand their events to the relay and
 * return after the commit (OutboxRelay handOff, as in the local stack).
 *
 * Celery 5 + Redis from Debian's packages, no-op tasks with acks_late and 2
 * prefork processes, publish → result (bench/peer/celeryNoop.py).
 */
import { execFileSync, fork, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "@test/helpers/processes";
import { Store } from "@shared/adapters/libsql/store";
import { createSqsClient } from "@shared/adapters/sqs/sqsClient";
import { ensureQueues } from "@shared/adapters/sqs/queueTopology";
import { LocalBus } from "@shared/adapters/local/localBus";
import { OutboxRelay } from "@shared/outbox/outbox";
import { EventEmitter } from "@shared/events/emitter";
import { Events } from "@shared/events/catalogue";
import { writeWithEvents } from "@shared/app/unitOfWork";
import { startQueueServerProcess } from "@local/queue/queueServerProcess";
import { noopRoute, NOOP_TASK } from "./lib/noopRoute";
import { inParallel } from "./lib/npmStartStack";
import { tempDir } from "./lib/stack";
import { sleep } from "./lib/http";
import { round } from "./lib/stats";
import { measureCpu } from "./lib/processCpu";
import type { Benchmark, Figure } from "./lib/report";

const WORKERS = 2;
/** Concurrent writers in the "API" process (requests committing at once). */
const WRITERS = 8;
/** Tasks per outbox transaction in the batched variant. */
const BATCH = 50;

interface NoopRun {
  tasks: number;
  seconds: number;
  tasksPerSecond: number;
  /** Until the last outbox commit returned (writers hand their events to the relay: the publish may still be running). */
  commitSeconds: number;
  /** Messages per handler call in the workers (warm-up included), and their poller loops at the end. */
  meanBatch?: number;
  pollerLoops?: number[];
  /** CPU seconds each process spent from the first commit to the last ledger row (Linux /proc). */
  cpuSeconds?: Record<string, number | null>;
}

function celery(tasks: number): NoopRun & { publishSeconds: number } {
  const out = execFileSync("/usr/bin/python3", [path.join(repoRoot, "bench/peer/celeryNoop.py"), String(tasks), "14"], { encoding: "utf8", timeout: 600_000 });
  const r = JSON.parse(out.trim().split("\n").pop()!) as { tasks: number; seconds: number; tasksPerSecond: number; publishSeconds: number };
  return { ...r, commitSeconds: r.publishSeconds };
}

async function succeededRows(store: Store, correlationId: string): Promise<{ n: number; lastFinished: number }> {
  const rs = await store.client.execute({
    sql: "SELECT count(*) AS n, max(finished_at) AS last FROM task_runs WHERE task = ? AND correlation_id = ? AND status = 'succeeded'",
    args: [NOOP_TASK, correlationId],
  });
  const row = rs.rows[0]!;
  return { n: Number(row.n), lastFinished: row.last === null ? Number.NaN : Date.parse(String(row.last)) };
}

/** `perCommit` events in each outbox transaction: 1 (every task its own request) or a batch import's size. */
async function ours(tasks: number, perCommit: number): Promise<NoopRun> {
  const dataDir = tempDir("noop");
  const dbUrl = `file:${path.join(dataDir, "alexandria.db")}`;
  const queue = await startQueueServerProcess({ dataDir: path.join(dataDir, "queues") });
  const store = Store.open({ url: dbUrl });
  const sqs = createSqsClient({ endpoint: queue.endpoint, region: "us-east-1" });
  const children: ChildProcess[] = [];
  const stopped: Array<{ processed: number; batches: number; concurrency: number }> = [];
  let result: NoopRun | undefined;
  try {
    await store.migrate();
    const prefix = `noop${process.pid}`;
    const topology = await ensureQueues(sqs, [noopRoute], prefix);
    // As in the local stack (local/src/stack.ts): writers hand their events to the relay and return after the commit.
    const relay = new OutboxRelay(store, new LocalBus(sqs, [noopRoute], topology), EventEmitter.shared(), { handOff: true });
    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        const child = fork(path.join(repoRoot, "bench/peer/noopWorker.ts"), [], {
          env: { ...process.env, NOOP_DB_URL: dbUrl, SQS_ENDPOINT: queue.endpoint, QUEUE_PREFIX: prefix },
          stdio: ["ignore", "ignore", "inherit", "ipc"],
        });
        children.push(child);
        await new Promise<void>((resolve, reject) => {
          child.on("message", (m: { type?: string }) => m?.type === "ready" && resolve());
          child.once("exit", (code) => reject(new Error(`no-op worker exited (${code})`)));
        });
      }),
    );
    const commit = (correlationId: string, n: number) =>
      writeWithEvents({ store, relay }, correlationId, async (_tx, emit) => {
        for (let i = 0; i < n; i++) emit(Events.cache.invalidationRequested, { keys: [], tags: [], patterns: [] });
      });
    const commits = (n: number) => Array.from({ length: Math.ceil(n / perCommit) }, (_, i) => Math.min(perCommit, n - i * perCommit));
    const waitFor = async (correlationId: string, n: number) => {
      const deadline = Date.now() + 600_000;
      for (;;) {
        const r = await succeededRows(store, correlationId);
        if (r.n >= n) return r;
        if (Date.now() > deadline) throw new Error(`no-op: ${r.n} of ${n} ledger rows within 10 min`);
        await sleep(50);
      }
    };
    // Warm-up (not measured): workers load modules and open connections on their first messages.
    await inParallel(commits(40), WRITERS, (n) => commit("noop-warm", n));
    await waitFor("noop-warm", 40);
    const run = `noop-${Date.now()}`;
    const cpu = measureCpu({ api: process.pid, queue: queue.pid, ...Object.fromEntries(children.map((c, i) => [`worker${i + 1}`, c.pid ?? 0])) });
    const t0 = Date.now();
    await inParallel(commits(tasks), WRITERS, (n) => commit(run, n));
    const committed = Date.now();
    const { lastFinished } = await waitFor(run, tasks);
    const cpuSeconds = cpu.stop();
    const seconds = (lastFinished - t0) / 1000;
    result = { tasks, seconds: round(seconds, 3), tasksPerSecond: round(tasks / seconds, 1), commitSeconds: round((committed - t0) / 1000, 3), cpuSeconds };
    return result;
  } finally {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const kill = setTimeout(() => c.kill("SIGKILL"), 15_000);
            c.once("exit", () => {
              clearTimeout(kill);
              resolve();
            });
            c.on("message", (m: { type?: string; processed: number; batches: number; concurrency: number }) => m?.type === "stopped" && stopped.push(m));
            c.send({ type: "stop" });
          }),
      ),
    );
    await store.flushGrouped().catch(() => undefined);
    store.close();
    sqs.destroy();
    await queue.stop();
    rmSync(dataDir, { recursive: true, force: true });
    // The returned object, completed with what the workers said as they stopped.
    if (result && stopped.length > 0) {
      result.meanBatch = round(stopped.reduce((a, x) => a + x.processed, 0) / Math.max(1, stopped.reduce((a, x) => a + x.batches, 0)), 2);
      result.pollerLoops = stopped.map((x) => x.concurrency);
    }
  }
}

export const celeryPeerBench: Benchmark = async ({ quick }) => {
  const tasks = quick ? 1000 : 4000;
  // Ours before and after Celery (load on this shared machine drifts): the mean of the two is compared.
  const a1 = await ours(tasks, 1);
  const aN = await ours(tasks, BATCH);
  const c = celery(tasks);
  const bN = await ours(tasks, BATCH);
  const b1 = await ours(tasks, 1);
  const mean = (x: NoopRun, y: NoopRun) => round((x.tasksPerSecond + y.tasksPerSecond) / 2, 1);
  const one = mean(a1, b1);
  const batched = mean(aN, bN);
  const figures: Figure[] = [
    { ref: "issue 14", what: `Celery 5 + Redis no-op tasks/s (acks_late, 2 prefork, ${c.tasks} tasks, publish → result)`, requirement: "—", aim: "—", measured: `${c.tasksPerSecond}`, value: c.tasksPerSecond, unit: "tasks/s" },
    { ref: "issue 14", what: `ours, one outbox commit per task: no-op route, 2 worker processes, commit → ledger row (${tasks} tasks; before / after Celery)`, requirement: "—", aim: "≥ Celery", measured: `${a1.tasksPerSecond} / ${b1.tasksPerSecond}`, value: one, unit: "tasks/s", meetsAim: one >= c.tasksPerSecond },
    { ref: "issue 14", what: `ours, ${BATCH} tasks per outbox commit (a batch import): same route and workers`, requirement: "—", aim: "≥ Celery", measured: `${aN.tasksPerSecond} / ${bN.tasksPerSecond}`, value: batched, unit: "tasks/s", meetsAim: batched >= c.tasksPerSecond },
    { ref: "issue 14", what: "· ours ÷ Celery (means): one per commit; batched", requirement: "—", aim: "≥ 1.0×", measured: `${(one / c.tasksPerSecond).toFixed(2)}×; ${(batched / c.tasksPerSecond).toFixed(2)}×`, value: round(one / c.tasksPerSecond, 2), unit: "ratio", meetsAim: one >= c.tasksPerSecond },
  ];
  return {
    title: "No-op tasks: ours vs Celery (same run)",
    figures,
    details: { celery: c, oursOnePerCommit: [a1, b1], oursBatched: [aN, bN], batch: BATCH, workers: WORKERS, writers: WRITERS },
    notes: [
      "Celery: Debian's python3-celery with Redis db 14 on 127.0.0.1:6379; a queue of its own per run; publish → result stored (acks_late: acknowledged as it finishes).",
      `Ours: bench-only no-op route (not in the product's routing table) run by the product's poller, SQS consumer and task runner in ${WORKERS} forked worker processes; the queue server (fauxqs) in its own process as under npm start; this process commits the outbox rows (writeWithEvents, ${WRITERS} writers at once; one task per transaction, or ${BATCH}) and hands them to the outbox relay, which publishes them through the local bus in shared passes (as the local stack does: OutboxRelay handOff); time from before the first commit to the last ledger row's finish (ledger rows group-committed).`,
      `Messages per task-handler call (mean, warm-up included): one per commit ${a1.meanBatch} / ${b1.meanBatch}, batched ${aN.meanBatch} / ${bN.meanBatch}; poller loops per worker at the end ${JSON.stringify(b1.pollerLoops)}.`,
      `Until the last commit returned: ours one per commit ${a1.commitSeconds} / ${b1.commitSeconds} s, batched ${aN.commitSeconds} / ${bN.commitSeconds} s; Celery's publish ${c.commitSeconds} s.`,
      `CPU seconds per process over the measured interval (ours, one per commit, after Celery): ${JSON.stringify(b1.cpuSeconds)}; batched ${JSON.stringify(bN.cpuSeconds)}.`,
    ],
  };
};
