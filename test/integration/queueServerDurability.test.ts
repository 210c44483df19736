/**
 * The local queue server's file runs at the store's durability level
 * (STORE_SYNCHRONOUS, docs/operations.md "Durability"), not at SQLite's
 * default FULL, which made every send, receive and delete wait for an fsync
 * (issue 14). At NORMAL a killed queue server process still loses no message.
 * Real fauxqs, in this process and as its own process (as under npm start).
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { afterAll, describe, expect, it } from "vitest";
import { createSqsClient } from "@shared/adapters/sqs/sqsClient";
import { startQueueServer } from "@local/queue/queueServer";
import { freePort, killAllProcesses, startSqsProcess } from "@test/helpers/processes";

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "queue-durability-"));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await killAllProcesses();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("the queue server's durability level", () => {
  it("persists at STORE_SYNCHRONOUS's level (normal by default, full when asked); in memory there is no file", async () => {
    const normal = await startQueueServer({ port: 0, dataDir: dataDir() });
    const full = await startQueueServer({ port: 0, dataDir: dataDir(), synchronous: "full" });
    const memory = await startQueueServer({ port: 0 });
    try {
      expect(normal.synchronous).toBe("normal");
      expect(full.synchronous).toBe("full");
      expect(memory.synchronous).toBeNull();
    } finally {
      await Promise.all([normal.stop(), full.stop(), memory.stop()]);
    }
  });

  it("at normal, a queue server process killed with SIGKILL loses none of the messages it accepted", async () => {
    const dir = dataDir();
    const port = await freePort();
    const first = await startSqsProcess(port, dir);
    expect((await first.proc.waitForLine(/SQS_SYNCHRONOUS=(\S+)/, 10_000))[1]).toBe("normal");
    const sqs = createSqsClient({ endpoint: first.endpoint, region: "us-east-1" });
    try {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `durable${process.pid}` }));
      for (let i = 0; i < 30; i += 10) {
        await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: Array.from({ length: 10 }, (_, j) => ({ Id: String(j), MessageBody: `m${i + j}` })) }));
      }
      await first.proc.kill("SIGKILL");
      await startSqsProcess(port, dir, "sqs-again");
      const bodies = new Set<string>();
      for (let round = 0; round < 10 && bodies.size < 30; round++) {
        const res = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60 }));
        for (const m of res.Messages ?? []) bodies.add(m.Body ?? "");
      }
      expect(bodies.size).toBe(30);
    } finally {
      sqs.destroy();
    }
  });
});
