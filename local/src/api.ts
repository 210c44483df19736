/**
 * An API process without pollers, for deployments and tests that run workers
 * separately. Prints `API_READY <url>` once listening.
 */
import { startLocalStack } from "./stack";

const stack = await startLocalStack({ api: true, workers: false });
process.stdout.write(`API_READY ${stack.url}\n`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => void stack.stop().then(() => process.exit(0)));
}
