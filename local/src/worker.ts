/**
 * A worker process: pollers for every route, no HTTP API. Run several against
 * one SQS endpoint (SQS_ENDPOINT) and one store (DATA_DIR or LIBSQL_URL) to
 * scale out. SIGTERM stops receiving and lets in-flight tasks finish
 * (requirement 15.5). Prints `WORKER_READY pid=<pid>` once polling.
 */
import { startLocalStack } from "./stack";
import { logger } from "../../shared/src/observability/logger";

if (!process.env.SQS_ENDPOINT) {
  process.stderr.write("worker: SQS_ENDPOINT must point at a shared SQS (npm run sqs)\n");
  process.exit(2);
}
const stack = await startLocalStack({ api: false, workers: true });
process.stdout.write(`WORKER_READY pid=${process.pid}\n`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info("worker draining", { signal });
    void stack.stop().then(() => {
      process.stdout.write(`WORKER_STOPPED pid=${process.pid}\n`);
      process.exit(0);
    });
  });
}
