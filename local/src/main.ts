/**
 * `npm start`: the whole system on this machine. Ctrl-C (SIGINT/SIGTERM) stops
 * receiving, lets in-flight tasks finish, then exits.
 */
import { startLocalStack } from "./stack";
import { logger } from "../../shared/src/observability/logger";

const stack = await startLocalStack({ scheduler: true });
logger.info("Neo Alexandria is running", { url: stack.url, sqs: stack.sqsEndpoint, dataDir: stack.config.dataDir, taskMode: stack.config.taskMode, redis: stack.config.redisUrl ? "on" : "off" });
process.stdout.write(`\nNeo Alexandria listening on ${stack.url}  (try: curl ${stack.url}/health)\n\n`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down: finishing in-flight tasks", { signal });
    void stack.stop().then(() => process.exit(0));
  });
}
