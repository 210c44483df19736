/**
 * The dashboard's sampled series (queue depth, dead letters, freshness lag,
 * cache hit rate) survive a restart of the API process: each sample is stored
 * (migration 0023) and a new process's sampler starts from the stored hour.
 * Samples older than the window are neither shown nor kept.
 */
import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { monitoringSamples } from "@shared/adapters/libsql/schema";
import { monitoringSeries } from "@shared/app/monitoringSeries";
import { startTestStack, waitFor, type TestStack } from "../helpers/stack";

const stacks: TestStack[] = [];
afterAll(async () => {
  for (const s of stacks) await s.stop().catch(() => undefined);
  rmSync(stacks[0]!.dataDir, { recursive: true, force: true });
});

const samplesOf = async (stack: TestStack) => (await monitoringSeries(stack.app)).samples;

describe("dashboard samples", () => {
  it("keeps the last hour of samples across a restart of the API process, and drops older ones", async () => {
    const first = await startTestStack({ seriesIntervalMs: 200 });
    stacks.push(first);
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000).toISOString();
    await first.app.store.write((tx) => tx.insert(monitoringSamples).values({ t: twoHoursAgo, sample: { t: twoHoursAgo, queues: {}, lagP50: 0, lagP99: 0, lagging: 0, cacheHitRate: null } }));
    const before = await waitFor(async () => {
      const s = await samplesOf(first);
      return s.length >= 3 && s;
    }, 15_000);
    await first.stop();
    const stoppedAt = new Date().toISOString();

    // The same data directory, a new process's stack: the charts go on from what was stored.
    const second = await startTestStack({ seriesIntervalMs: 200, env: { DATA_DIR: first.dataDir } });
    stacks.push(second);
    const after = await waitFor(async () => {
      const s = await samplesOf(second);
      return s.some((x) => x.t > stoppedAt) && s;
    }, 15_000);
    const carried = after.filter((x) => x.t < stoppedAt);
    expect(carried.map((x) => x.t)).toEqual(expect.arrayContaining(before.map((x) => x.t)));
    expect(carried[0]).toEqual(before[0]);
    expect(after.map((x) => x.t)).toEqual([...after.map((x) => x.t)].sort());
    // Older than the window: not shown, and pruned from the store.
    expect(after.some((x) => x.t === twoHoursAgo)).toBe(false);
    const stored = await second.app.store.db.select({ t: monitoringSamples.t }).from(monitoringSamples);
    expect(stored.some((r) => r.t === twoHoursAgo)).toBe(false);
    expect(stored.length).toBeGreaterThanOrEqual(before.length);
  }, 60_000);
});
