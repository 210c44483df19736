/**
 * Benchmark 6: the cost of our machinery.
 *
 * - emit: one `EventEmitter.emit` to 10 synchronous handlers with history on
 *   (the 1000-event ring buffer), against a plain loop calling the same 10
 *   handlers with a comparable event object, in the same run (interleaved
 *   rounds, median of the rounds).
 * - Outbox publish-to-queue latency: an event is staged in a write
 *   transaction (the outbox), and from the commit we time (a) the relay's
 *   publish to SQS acknowledged (the message is in the queue) and (b) the
 *   message received by a consumer long-polling that queue. Pollers are off,
 *   so nothing else takes the message; the cache-invalidation route has no
 *   delay.
 */
import { randomUUID } from "node:crypto";
import { DeleteMessageCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { EventEmitter, type EmittedEvent } from "@shared/events/emitter";
import { makeEvent } from "@shared/outbox/events";
import { stage } from "@shared/outbox/outbox";
import { instantTimings } from "@shared/events/routing";
import { RedisHistorySink } from "@shared/observability/redisHistory";
import { closeRedisClient, newRedisClient, waitForRedisReady } from "@shared/adapters/redis/redisClient";
import { ms, percentile, round, summarize } from "./lib/stats";
import { benchRedisPrefix, benchRedisUrl, removeRedisKeys } from "./lib/redisKeys";
import { startBenchStack } from "./lib/stack";
import type { Benchmark, Figure } from "./lib/report";

const silent = { debug() {}, info() {}, warn() {}, error() {} };

function makeHandlers(): { handlers: Array<(e: EmittedEvent) => void>; sink: () => number } {
  let total = 0;
  const handlers = Array.from({ length: 10 }, (_, k) => (e: EmittedEvent) => {
    total += (e.payload as { n: number }).n + k;
  });
  return { handlers, sink: () => total };
}

const CHUNK = 200;

/** Times `run(CHUNK)` over `iterations` in chunks, yielding (untimed) in between; µs per op. */
async function chunked(iterations: number, run: (count: number) => void, between?: () => Promise<void>): Promise<number> {
  let ns = 0n;
  for (let done = 0; done < iterations; done += CHUNK) {
    const t0 = process.hrtime.bigint();
    run(CHUNK);
    ns += process.hrtime.bigint() - t0;
    await (between ? between() : new Promise<void>((r) => setImmediate(r)));
  }
  return Number(ns) / 1000 / iterations;
}

async function emitCost(iterations: number, rounds: number) {
  const { handlers, sink } = makeHandlers();
  const payload = { n: 1 };
  const emitter = new EventEmitter(silent);
  for (const h of handlers) emitter.on("bench.tick", h);

  // With the shared history in Redis, as the local runtime and Lambdas run when REDIS_URL is set.
  const redisUrl = benchRedisUrl();
  const redis = redisUrl ? newRedisClient({ url: redisUrl }) : undefined;
  const prefix = benchRedisPrefix("emit");
  const withSink = new EventEmitter<Record<string, unknown>>(silent);
  for (const h of handlers) withSink.on("bench.tick", h);
  const historySink = redis && (await waitForRedisReady(redis, 2_000)) ? new RedisHistorySink(redis, `${prefix}events`) : undefined;
  withSink.setHistorySink(historySink);

  const runEmit = (em: EventEmitter<Record<string, unknown>>) => (count: number) => {
    for (let i = 0; i < count; i++) void em.emit("bench.tick", payload);
  };
  // The baseline builds an event like emit does (id, time), then calls the handlers.
  const runLoop = (count: number) => {
    for (let i = 0; i < count; i++) {
      const event: EmittedEvent = { eventId: randomUUID(), name: "bench.tick", payload, priority: 5, correlationId: randomUUID(), timestamp: new Date().toISOString() };
      for (const h of handlers) h(event);
    }
  };
  // A bare loop over the handlers: what a direct function call costs.
  const fixed: EmittedEvent = { eventId: "x", name: "bench.tick", payload, priority: 5, correlationId: "x", timestamp: "x" };
  const runBare = (count: number) => {
    for (let i = 0; i < count; i++) for (const h of handlers) h(fixed);
  };
  const drain = async () => {
    await historySink?.drain();
  };

  const e: number[] = [];
  const l: number[] = [];
  const b: number[] = [];
  const r: number[] = [];
  // Round 0 is warm-up.
  for (let round = 0; round <= rounds; round++) {
    const te = await chunked(iterations, runEmit(emitter));
    const tl = await chunked(iterations, runLoop);
    const tb = await chunked(iterations, runBare);
    const tr = await chunked(iterations, runEmit(withSink), drain);
    if (round === 0) continue;
    e.push(te);
    l.push(tl);
    b.push(tb);
    r.push(tr);
  }
  if (redis) {
    await removeRedisKeys(redisUrl, prefix);
    await closeRedisClient(redis);
  }
  if (sink() === 42) process.stdout.write(""); // keep the handlers' work observable
  return {
    emitUs: percentile(e, 50),
    loopWithEventUs: percentile(l, 50),
    bareLoopUs: percentile(b, 50),
    emitWithRedisSinkUs: historySink ? percentile(r, 50) : null,
    redisSink: historySink?.stats ?? null,
    historySize: emitter.history().length,
    rounds: { emit: e.map((x) => round(x, 4)), loopWithEvent: l.map((x) => round(x, 4)), bare: b.map((x) => round(x, 4)), emitWithRedisSink: r.map((x) => round(x, 4)) },
  };
}

export const overheadsBench: Benchmark = async ({ quick }) => {
  const emit = await emitCost(quick ? 50_000 : 200_000, quick ? 9 : 15);

  const stack = await startBenchStack("outbox", { routeOverrides: instantTimings(), workers: false, sweepIntervalMs: 0 });
  const queueUrl = stack.topology.get("cache-invalidation")!.queueUrl;
  const toAck: number[] = [];
  const toReceive: number[] = [];
  try {
    const n = quick ? 100 : 300;
    for (let i = 0; i < n + 5; i++) {
      const event = makeEvent("cache.invalidation_requested", { keys: [], tags: [`bench-${i}`], patterns: [] }, randomUUID());
      await stack.app.store.write(async (tx) => {
        await stage(tx, [event]);
      });
      const committed = performance.now();
      const receiving = (async () => {
        for (;;) {
          const res = await stack.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 5 }));
          for (const m of res.Messages ?? []) {
            await stack.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
            if (m.Body?.includes(event.meta.eventId)) return performance.now();
          }
        }
      })();
      await stack.app.relay.publishStaged([event]);
      const acked = performance.now();
      const received = await receiving;
      if (i >= 5) {
        toAck.push(acked - committed);
        toReceive.push(received - committed);
      }
    }
  } finally {
    await stack.dispose();
  }
  const ack = summarize(toAck);
  const recv = summarize(toReceive);
  const figures: Figure[] = [
    {
      ref: "1",
      what: "emit, 10 handlers, history on (µs/op)",
      requirement: "—",
      aim: "—",
      measured: `${emit.emitUs.toFixed(2)} µs vs loop ${emit.loopWithEventUs.toFixed(2)} µs`,
      value: round(emit.emitUs, 4),
      unit: "µs",
    },
    {
      ref: "1",
      what: "· emit overhead over a plain loop (same handlers)",
      requirement: "—",
      aim: "—",
      measured: `+${(emit.emitUs - emit.loopWithEventUs).toFixed(2)} µs (bare calls ${emit.bareLoopUs.toFixed(3)} µs)`,
      value: round(emit.emitUs - emit.loopWithEventUs, 4),
      unit: "µs",
    },
    {
      ref: "1",
      what: "· emit with the shared history in Redis (µs/op)",
      requirement: "—",
      aim: "—",
      measured: emit.emitWithRedisSinkUs === null ? "n/a (no Redis)" : `${emit.emitWithRedisSinkUs.toFixed(2)} µs (+ batched LPUSH)`,
      value: emit.emitWithRedisSinkUs === null ? null : round(emit.emitWithRedisSinkUs, 4),
      unit: "µs",
    },
    {
      ref: "2.6",
      what: "outbox: commit → in SQS (p50/p95)",
      requirement: "—",
      aim: "—",
      measured: `${ms(ack.p50)} / ${ms(ack.p95)}`,
      value: round(ack.p50),
      unit: "ms",
    },
    {
      ref: "2.6",
      what: "outbox: commit → received by a consumer (p50/p95)",
      requirement: "—",
      aim: "—",
      measured: `${ms(recv.p50)} / ${ms(recv.p95)}`,
      value: round(recv.p50),
      unit: "ms",
    },
  ];
  return {
    title: "Overheads",
    figures,
    details: { emit, outbox: { commitToQueuedMs: ack, commitToReceivedMs: recv } },
    notes: [
      "emit vs loop: the loop also builds the event object (two UUIDs and a timestamp) as emit does; 'bare calls' is the handlers alone. Sync handlers; the in-memory history ring buffer is on; the Redis variant also queues each event (JSON) for the shared history, written in batches of 200 (the write itself is asynchronous and outside the figure).",
      "Outbox: in-process fauxqs over loopback; the relay's publish also marks the outbox row published (one more write) before it returns, which is inside 'in SQS'.",
    ],
  };
};
