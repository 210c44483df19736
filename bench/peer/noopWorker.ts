/**
 * A worker process for the no-op route (bench/lib/noopRoute.ts), forked by
 * bench/celeryPeer.ts the way `npm start` forks local/src/worker.ts: its own
 * store connection to the same libSQL file, its own SQS client to the one
 * queue server process, the route's poller (the priority tier's concurrency,
 * scaling with depth), the product's consumer and task runner, ledger rows
 * group-committed. Env: NOOP_DB_URL, SQS_ENDPOINT, QUEUE_PREFIX.
 * IPC: sends {type:"ready"}; on {type:"stop"} drains and exits.
 */
import { Store } from "@shared/adapters/libsql/store";
import { createSqsClient } from "@shared/adapters/sqs/sqsClient";
import { resolveQueues } from "@shared/adapters/sqs/queueTopology";
import { QueuePoller } from "@shared/adapters/local/poller";
import { createSqsConsumer } from "@shared/tasks/sqsConsumer";
import { EventEmitter } from "@shared/events/emitter";
import { loadConfig } from "@shared/config";
import type { AppContext } from "@shared/app/context";
import { noopRoute, noopTask, NOOP_TASK } from "../lib/noopRoute";

const config = loadConfig();
const store = Store.open({ url: process.env.NOOP_DB_URL! });
const sqs = createSqsClient({ endpoint: process.env.SQS_ENDPOINT!, region: config.awsRegion });
const queues = (await resolveQueues(sqs, [noopRoute], process.env.QUEUE_PREFIX ?? "")).get(NOOP_TASK)!;
// The runner reads the store, the emitter and the config; a no-op needs no cache or embedder.
const app = { config, store, emitter: EventEmitter.shared(), routes: [noopRoute] } as unknown as AppContext;
const handler = createSqsConsumer({ app, task: noopTask, route: noopRoute, sqs, queueUrl: queues.queueUrl, dlqUrl: queues.dlqUrl });
const poller = new QueuePoller({ sqs, route: noopRoute, queueUrl: queues.queueUrl, queueArn: queues.queueArn, handler, waitTimeSeconds: 1 });
poller.start();
process.send?.({ type: "ready", pid: process.pid });
process.on("message", (m: { type?: string }) => {
  if (m?.type !== "stop") return;
  void (async () => {
    await poller.stop({ graceMs: 5_000 });
    await store.flushGrouped().catch(() => undefined);
    store.close();
    sqs.destroy();
    process.send?.({ type: "stopped", processed: poller.stats.processed, batches: poller.stats.batches, concurrency: poller.stats.concurrency });
    process.exit(0);
  })();
});
process.on("disconnect", () => process.exit(1));
