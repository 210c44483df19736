/**
 * The SQS emulator as its own process, so the API and every worker process
 * share one set of queues. `npm start` forks it (and tells it when to stop);
 * `npm run sqs` runs it by hand. Prints `SQS_ENDPOINT=<url>` once ready.
 *
 * Environment: FAUXQS_PORT (default 4566; 0 = any free port),
 * FAUXQS_LISTEN_HOST (default 127.0.0.1: the queues have no authentication,
 * so they are never on the network unless asked), FAUXQS_DATA_DIR (persist
 * queues and messages there), FAUXQS_RELEASE_IN_FLIGHT=true (make messages a
 * previous run left in flight visible at once: only for a server whose every
 * consumer started with it, as under `npm start`).
 *
 * Forked by `npm start`, it ignores SIGINT/SIGTERM sent to the whole process
 * group (Ctrl-C): the parent stops it last, after the workers have finished
 * or released their messages. It exits when the parent goes away.
 */
import { startQueueServer } from "./queue/queueServer";

const supervised = typeof process.send === "function";
const dataDir = process.env.FAUXQS_DATA_DIR || undefined;
const server = await startQueueServer({
  port: Number(process.env.FAUXQS_PORT ?? 4566),
  listenHost: process.env.FAUXQS_LISTEN_HOST || "127.0.0.1",
  dataDir,
  releaseInFlight: process.env.FAUXQS_RELEASE_IN_FLIGHT === "true",
});
process.stdout.write(`SQS_ENDPOINT=${server.endpoint}\n`);
// The durability its file runs at (STORE_SYNCHRONOUS; docs/operations.md, "Durability"), or memory.
process.stdout.write(`SQS_SYNCHRONOUS=${server.synchronous ?? "memory"}\n`);

let stopping = false;
const stop = (code: number) => {
  if (stopping) return;
  stopping = true;
  void server.stop().finally(() => process.exit(code));
};

if (supervised) {
  process.send!({ type: "ready", endpoint: server.endpoint, released: server.released });
  process.on("message", (m: { type?: string }) => {
    if (m?.type === "stop") stop(0);
  });
  // The parent is gone (it crashed or was killed): nothing can use these queues any more.
  process.on("disconnect", () => stop(0));
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => undefined);
} else {
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => stop(0));
}
