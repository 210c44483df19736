/**
 * `npm run job -- <name>`: runs one scheduled job now, prints its summary as
 * JSON on stdout and exits (0 on success, 1 if the job failed, 2 on usage).
 *
 * The events a job emits (the reconciler's triggers, quality.degraded, …)
 * must reach workers. With SQS_ENDPOINT pointing at a shared SQS (`npm run
 * sqs`), they are published there and this process exits at once: the
 * running workers do the work. Without one, the queues would live and die
 * inside this process, so it runs workers itself and exits only once the
 * outbox and every queue are empty; otherwise the triggers would be lost.
 */
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { JobNames, type JobName } from "@shared/events/schedules";
import { errorMessage } from "@shared/errors";
import type { LocalStack } from "./stack";

const DRAIN_TIMEOUT_MS = 15 * 60_000;
const DRAIN_POLL_MS = 1_000;

function isJobName(name: string | undefined): name is JobName {
  return name !== undefined && (JobNames as readonly string[]).includes(name);
}

/** Messages waiting, in flight or delayed across every route queue (not the DLQs). */
async function queuedMessages(stack: LocalStack): Promise<number> {
  let total = 0;
  for (const q of stack.topology.values()) {
    const res = await stack.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: q.queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
      }),
    );
    const a = res.Attributes ?? {};
    total += Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(a.ApproximateNumberOfMessagesDelayed ?? 0);
  }
  return total;
}

/** Waits until nothing is left to deliver or process; two quiet polls in a row, since counts are approximate. */
async function drain(stack: LocalStack): Promise<void> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  let quiet = 0;
  let lastReport = 0;
  while (Date.now() < deadline) {
    const pending = (await stack.app.relay.pendingCount()) + (await queuedMessages(stack));
    quiet = pending === 0 ? quiet + 1 : 0;
    if (quiet >= 2) return;
    if (pending > 0 && Date.now() - lastReport > 10_000) {
      process.stderr.write(`job: waiting for ${pending} triggered task(s) to finish (no shared SQS_ENDPOINT)\n`);
      lastReport = Date.now();
    }
    await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
  }
  throw new Error(`triggered tasks did not finish within ${DRAIN_TIMEOUT_MS / 60_000} minutes`);
}

async function main(argv: readonly string[]): Promise<number> {
  const name = argv[0];
  if (!isJobName(name)) {
    process.stderr.write(`usage: npm run job -- <name>\n  names: ${JobNames.join(", ")}\n`);
    return 2;
  }
  // Loaded only now: a usage error should not wait for the whole system to load.
  const [{ startLocalStack }, { runJob }] = await Promise.all([import("./stack"), import("@shared/jobs/registry")]);
  const sharedQueues = Boolean(process.env.SQS_ENDPOINT);
  const stack = await startLocalStack({ api: false, workers: !sharedQueues, scheduler: false });
  try {
    const summary = await runJob(stack.app, name);
    if (!sharedQueues) await drain(stack);
    process.stdout.write(`${JSON.stringify({ job: name, summary }, null, 2)}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`job ${name} failed: ${errorMessage(e)}\n`);
    return 1;
  } finally {
    await stack.stop();
  }
}

// Explicit exit: a stray handle (Redis reconnects, timers) must not keep a one-shot command alive.
process.exit(await main(process.argv.slice(2)));
