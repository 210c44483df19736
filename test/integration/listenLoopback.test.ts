/**
 * Nothing of a local stack is reachable from another machine (issue 15,
 * finding 1), checked quickly in one process: the queue server as
 * `npm start` / `npm run sqs` start it (this fails if
 * patches/fauxqs+2.4.1.patch were not applied: upstream binds 0.0.0.0), and a
 * stack's API. Every listening port of this process is connected to from each
 * non-loopback address of the machine and must be refused. The full
 * `npm start` process tree is checked in test/e2e/processModel.test.ts.
 */
import type net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startQueueServer, type QueueServer } from "@local/queue/queueServer";
import { listeningPorts, nonLoopbackAddresses, tryConnect } from "../helpers/procNet";
import { startTestStack, type TestStack } from "../helpers/stack";

let queue: QueueServer;
let stack: TestStack;

beforeAll(async () => {
  queue = await startQueueServer({ port: 0 });
  stack = await startTestStack({ workers: false });
});

afterAll(async () => {
  await stack?.dispose();
  await queue?.stop();
});

describe("local listeners", () => {
  it("every listening port of the process (queue server, its stack's queue server, API) refuses non-loopback addresses", async () => {
    const ports = listeningPorts([process.pid]);
    expect(ports).toContain(queue.port);
    expect(ports).toContain(Number(new URL(stack.url).port));
    expect(ports).toContain(Number(new URL(stack.sqsEndpoint).port));
    const addresses = nonLoopbackAddresses();
    // A machine with no non-loopback address cannot be reached from outside; the bind check below still holds.
    const outcomes: string[] = [];
    for (const port of ports) {
      expect(await tryConnect("127.0.0.1", port), `port ${port} on loopback`).toBe("connected");
      for (const address of addresses) outcomes.push(`${address}:${port} ${await tryConnect(address, port)}`);
    }
    expect(outcomes.filter((o) => !o.endsWith("ECONNREFUSED"))).toEqual([]);
    // The API server's own socket is bound to loopback, not a wildcard.
    const bound = stack.httpServer!.address() as net.AddressInfo;
    expect(bound.address).toBe("127.0.0.1");
  });
});
