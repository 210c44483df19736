/**
 * A worker process: every route's pollers, no HTTP API. `npm start` forks one
 * per core (local/src/workers/workerPool.ts) and talks to it over IPC; it can
 * also run by hand (`npm run worker`, any number) against one SQS endpoint
 * (SQS_ENDPOINT) and one store (DATA_DIR or LIBSQL_URL), reporting to Redis.
 *
 * SIGTERM (or the pool's drain note) stops receiving, lets in-flight tasks
 * finish within the grace period, releases what is left (visibility 0) and
 * exits (requirement 15.5). Prints `WORKER_READY pid=<pid>` once polling.
 */
import { startLocalStack } from "./stack";
import { loadConfig } from "@shared/config";
import { runJob } from "@shared/jobs/registry";
import type { JobName } from "@shared/events/schedules";
import { logger } from "@shared/observability/logger";
import { IpcPeer } from "./workers/ipc";
import { Calls, ForwardingHistorySink, Notes, workerCaching } from "./workers/forwarding";
import { startReporting } from "./workers/workerReport";
import type { WorkerFigures } from "@shared/observability/runtime";
import { lowerOwnPriority } from "./workers/priority";

if (!process.env.SQS_ENDPOINT) {
  process.stderr.write("worker: SQS_ENDPOINT must point at a shared SQS (npm run sqs)\n");
  process.exit(2);
}

const config = loadConfig();
// Before the stack starts its threads and children: they inherit the lower priority.
if (lowerOwnPriority(config.workerNice) === null) logger.warn("could not lower the worker's scheduling priority", { workerNice: config.workerNice });
const DEFAULT_DRAIN_GRACE_MS = config.drainGraceMs;
const peer = typeof process.send === "function" ? new IpcPeer(process) : undefined;
const stack = await startLocalStack({
  api: false,
  workers: true,
  // The API process sweeps the outbox; N sweepers would publish the same stragglers N times.
  ...(peer ? { caching: await workerCaching(config, peer), monitoring: false, sweepIntervalMs: 0 } : {}),
});

let stopReports: (() => WorkerFigures) | undefined;
let sink: ForwardingHistorySink | undefined;
if (peer) {
  sink = new ForwardingHistorySink(peer);
  stack.app.emitter.setHistorySink(sink);
  peer.handle<{ job: JobName }>(Calls.runJob, ({ job }) => runJob(stack.app, job));
  peer.onNote<{ graceMs?: number }>(Notes.drain, ({ graceMs }) => void drain(graceMs ?? DEFAULT_DRAIN_GRACE_MS, "drain note"));
  stopReports = startReporting(
    () => stack.pollers.map((p) => p.stats),
    (figures) => void peer.note(Notes.report, figures),
  );
  // The API process is gone (crashed, killed): stop at once. The next `npm start` releases what this worker held.
  process.on("disconnect", () => {
    if (!draining) process.exit(1);
  });
  void peer.note(Notes.ready, { pid: process.pid });
}
process.stdout.write(`WORKER_READY pid=${process.pid}\n`);

let draining = false;
async function drain(graceMs: number, reason: string): Promise<void> {
  if (draining) return;
  draining = true;
  logger.info("worker draining", { reason, graceMs });
  await stack.stopWorkers({ graceMs });
  const last = stopReports?.();
  await stack.stop();
  // IPC keeps order: once the final report is sent, the events before it are too.
  sink?.flush();
  if (peer && last) await peer.note(Notes.report, last);
  process.stdout.write(`WORKER_STOPPED pid=${process.pid}\n`);
  process.exit(0);
}

process.on("SIGTERM", () => void drain(DEFAULT_DRAIN_GRACE_MS, "SIGTERM"));
// Ctrl-C reaches the whole process group: under `npm start` the API process decides when workers drain.
process.on("SIGINT", () => {
  if (!peer) void drain(DEFAULT_DRAIN_GRACE_MS, "SIGINT");
});
