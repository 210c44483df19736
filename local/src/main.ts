/**
 * `npm start`: the whole system on this machine, in processes that mirror AWS
 * (docs/architecture.md, "Process model"):
 *
 * - this process: the HTTP API, the outbox relay and sweeper, the scheduler.
 *   Its event loop only serves requests; it runs no task.
 * - a queue server process (fauxqs, loopback only, persisted under
 *   `DATA_DIR/queues`), unless SQS_ENDPOINT names another SQS;
 * - WORKERS worker processes (default: one per core) running every route's
 *   pollers and tasks, and the CPU-heavy scheduled jobs.
 *
 * TASK_MODE=inline keeps everything in this one process (tasks run inside the
 * request that caused them). Ctrl-C / SIGTERM: workers finish or release what
 * they hold, then the API and the queue server stop.
 */
import path from "node:path";
import { startLocalStack, type LocalStack } from "./stack";
import { startScheduler, type Scheduler } from "./scheduler";
import { loadConfig } from "@shared/config";
import { checkListenPolicy } from "@shared/security/listenPolicy";
import { runJob } from "@shared/jobs/registry";
import type { JobName } from "@shared/events/schedules";
import type { WorkerFigures } from "@shared/observability/runtime";
import { logger } from "@shared/observability/logger";
import { startQueueServerProcess, type QueueServerProcess } from "./queue/queueServerProcess";
import { WorkerPool } from "./workers/workerPool";
import { startReporting } from "./workers/workerReport";

/** Jobs that act on the API process's own state (its in-process cache) run there; every other job runs on a worker. */
const JOBS_IN_API_PROCESS: ReadonlySet<JobName> = new Set(["cache-cleanup"]);

const config = loadConfig();
try {
  // Before any process starts: no key and a non-loopback HOST is refused with how to set one.
  checkListenPolicy(config);
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
let stop: () => Promise<void>;

if (config.taskMode === "inline") {
  const stack = await startLocalStack({ scheduler: true });
  stop = () => stack.stop();
  announce(stack, "inline: tasks run inside the requests");
} else {
  let queue: QueueServerProcess | undefined;
  if (!config.sqsEndpoint) queue = await startQueueServerProcess({ dataDir: path.join(config.dataDir, "queues") });
  const sqsEndpoint = config.sqsEndpoint ?? queue!.endpoint;
  if (queue && queue.released > 0) logger.info("messages left in flight by the previous run are visible again", { released: queue.released });

  // The API process migrates the store and creates the queues before any worker starts.
  const stack = await startLocalStack({ api: true, workers: false, env: { SQS_ENDPOINT: sqsEndpoint } });
  const pool = new WorkerPool({
    size: config.workers,
    app: stack.app,
    drainGraceMs: config.drainGraceMs,
    env: { ...process.env, SQS_ENDPOINT: sqsEndpoint, DATA_DIR: config.dataDir },
  });
  let apiFigures: WorkerFigures | null = null;
  const stopApiFigures = startReporting(() => [], (f) => (apiFigures = f));
  if (stack.app.runtime) {
    stack.app.runtime.workerPool = () => pool.view();
    stack.app.runtime.apiProcess = () => apiFigures;
  }
  const scheduler: Scheduler = startScheduler(stack.app, {
    run: (app, job) => (JOBS_IN_API_PROCESS.has(job) ? runJob(app, job) : pool.runJob(job)),
  });
  stop = async () => {
    await scheduler.stop();
    await pool.stop();
    stopApiFigures();
    await stack.stop();
    await queue?.stop();
  };
  announce(stack, `${config.workers} worker process${config.workers === 1 ? "" : "es"}`);
  void pool.start().then(
    () => {
      logger.info("workers ready", { workers: pool.view().map((w) => w.pid) });
      process.stdout.write(`WORKERS_READY ${config.workers}\n`);
    },
    (e: unknown) => logger.error("workers did not all start", { error: e instanceof Error ? e.message : String(e) }),
  );
}

function announce(stack: LocalStack, tasks: string): void {
  logger.info("Neo Alexandria is running", { url: stack.url, dataDir: config.dataDir, taskMode: config.taskMode, tasks, redis: config.redisUrl ? "on" : "off" });
  process.stdout.write(`\nNeo Alexandria listening on ${stack.url}  (${tasks}; try: curl ${stack.url}/health)\n\n`);
}

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down: workers finish or release what they hold", { signal });
    void stop().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error("shutdown failed", { error: e instanceof Error ? e.message : String(e) });
        process.exit(1);
      },
    );
  });
}
