/**
 * The SQS emulator as its own process, so several API and worker processes
 * share one set of queues (scale-out and fault tests). With FAUXQS_DATA_DIR
 * set, messages survive a restart. Prints `SQS_ENDPOINT=<url>` once ready.
 */
import { startFauxqs } from "fauxqs";

const port = Number(process.env.FAUXQS_PORT ?? 4566);
const dataDir = process.env.FAUXQS_DATA_DIR;
const server = await startFauxqs({ port, logger: false, host: "localhost", ...(dataDir ? { dataDir } : {}) });
process.stdout.write(`SQS_ENDPOINT=${server.address}\n`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => void server.stop().then(() => process.exit(0)));
}
